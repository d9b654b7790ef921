"""The stage protocol.

A stage *measures* (returns typed signal columns, optionally rewritten texts and lines to strip) and,
separately, *decides* (turns signals into a removal reason, or none). Thresholds belong to ``decide``
only, so a run's stored signals can be re-decided with new thresholds without recomputation.

Stages see only the active rows of a batch through a :class:`DocView`. Stages that need the whole
corpus (deduplication) are :class:`CorpusStage`: they collect keys per batch, plan once over all
collected keys, then measure and decide per batch like any other stage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from saring.core.batch import DocumentBatch
from saring.core.partitions import PartitionPool


class StageParams(BaseModel):
    """Base of every stage's parameters; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: Parameter types whose range is checked when the pipeline is read (a probability of 1.5, a negative
#: count or zero permutations are configuration errors, not surprises after work has started).
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]
PositiveCount = Annotated[int, Field(ge=1)]


@dataclass
class DocView:
    """The active rows of a batch, as a stage sees them."""

    batch: DocumentBatch
    rows: np.ndarray
    texts: list[str]

    @classmethod
    def of(cls, batch: DocumentBatch, rows: np.ndarray) -> DocView:
        texts = batch.texts
        return cls(batch, rows, [texts[i] for i in rows])

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        """A base column (``id``, ``url``, ``source``, ``metadata``, ``order``) for the active rows."""
        values = self.batch.columns[name]
        return [values[i] for i in self.rows]

    def signal(self, key: str) -> list[Any]:
        """A signal recorded by an earlier stage, by its full key (``label.name``); None where absent."""
        values = self.batch.signals.get(key)
        if values is None:
            return [None] * len(self.rows)
        return [values[i] for i in self.rows]


@dataclass
class Measured:
    """What a stage measured on a view, aligned with ``view.rows``.

    ``signals``: name -> one value per document (stored as ``<label>.<name>``).
    ``texts``: rewritten texts (normalization, redaction); applied in dry runs too.
    ``line_removals``: per document, ``(line_index, reason)`` pairs of lines (``text.split("\\n")``) to
    strip; applied except in dry runs, and except to documents the stage removes (they leave whole, and
    only a dry run records their lines).
    """

    signals: dict[str, Sequence[Any]] = field(default_factory=dict)
    texts: list[str] | None = None
    line_removals: list[list[tuple[int, str]]] | None = None


class Stage:
    """A per-batch step. Subclasses set ``name`` and ``Params`` and implement ``measure``."""

    name: ClassVar[str]
    Params: ClassVar[type[StageParams]] = StageParams
    #: Parameters only ``decide`` reads (thresholds): ``saring decide`` may change them on a dry run's
    #: stored signals. Any other parameter shapes the signals, so changing it needs a new dry run.
    decide_params: ClassVar[frozenset[str]] = frozenset()
    #: Parameters that set resources only (memory), never what is measured.
    resource_params: ClassVar[frozenset[str]] = frozenset({"memory_budget_mb"})
    #: Resources a distributed engine may reserve per worker running this stage.
    num_cpus: ClassVar[float] = 1.0
    memory_mb: ClassVar[int] = 100

    def __init__(self, params: StageParams | None = None, label: str | None = None) -> None:
        self.params = params if params is not None else self.Params()
        self.label = label or self.name

    def signal_schema(self) -> dict[str, pa.DataType]:
        """Name and Arrow type of every signal ``measure`` returns."""
        return {}

    def setup(self) -> None:
        """Load models and resources; called once per worker process before the first batch."""

    def measure(self, docs: DocView) -> Measured:
        raise NotImplementedError

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        """A removal reason per document, from this stage's signals and thresholds only."""
        return [None] * len(next(iter(signals.values()), ()))

    def thresholds(self) -> dict[str, float]:
        """Signal name -> the threshold ``decide`` applies to it (drawn on the report's histograms)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r}, params={self.params!r})"


def collected_batches(collected: Sequence[Path]) -> Iterator[pa.RecordBatch]:
    """Every record batch of the collected key files (Arrow IPC streams), in shard order; a shard that
    collected nothing may have no file."""
    for path in collected:
        if path.exists():
            with pa.ipc.open_stream(pa.OSFile(str(path))) as source:
                yield from source


class CorpusStage(Stage):
    """A stage that needs the whole corpus: collect, plan, then measure/decide per batch."""

    #: Also collect rows that earlier stages removed (their ``removed_stage`` column tells which);
    #: quarantined rows are never collected.
    collect_removed: ClassVar[bool] = False

    def collect_schema(self) -> pa.Schema:
        raise NotImplementedError

    def collect(self, docs: DocView) -> pa.Table:
        """Keys of the active documents to aggregate over the corpus (one table per batch)."""
        raise NotImplementedError

    def plan(self, collected: Sequence[Path], workdir: Path, pool: PartitionPool) -> None:
        """Read all collected key files (Arrow IPC) and write the plan into ``workdir``; a
        ``plan.json`` there (a summary: parameters derived, sizes) is copied into ``stats.json``.
        Per-partition work goes through ``pool`` (local processes, or tasks on the Ray cluster)."""
        raise NotImplementedError

    def load_plan(self, workdir: Path) -> None:
        """Load the plan written by :meth:`plan` before measuring."""
        raise NotImplementedError
