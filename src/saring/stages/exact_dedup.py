"""Exact deduplication over the whole corpus, on normalized text and (when present) on URL.

The first document in input order keeps its place; every later copy is removed with the id of the
one kept (``duplicate_of``). Normalized text: case-folded, whitespace collapsed. URL duplicates are
looked for among the documents that are not text duplicates.

The plan keeps memory bounded and runs in the engine's partition pool (local processes or Ray tasks):
groups of key files are spilled to partition files by hash (as many as ``memory_budget_mb`` asks
for), each partition finds its later copies alone, and only the duplicates found are held in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash
from pydantic import Field

from saring.core.partitions import PartitionPool, PartitionWriter, map_reduce, partition_count, read_partition
from saring.core.registry import register
from saring.core.stage import CorpusStage, DocView, Measured, StageParams, collected_batches

_KEYS = pa.schema(
    [("text_hash", pa.uint64()), ("url_hash", pa.uint64()), ("order", pa.int64()), ("id", pa.string())]
)
_PLAN = pa.schema([("order", pa.int64()), ("duplicate_of", pa.string()), ("kind", pa.string())])
_ENTRY = np.dtype([("key", "<u8"), ("order", "<i8")])
_COPY = np.dtype([("order", "<i8"), ("first", "<i8")])
_BYTES_PER_ENTRY_AT_WORK = 48


def normalized_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(" ".join(text.casefold().split()).encode("utf-8", "surrogatepass"))


class ExactDedupParams(StageParams):
    by: tuple[Literal["text", "url"], ...] = ("text", "url")
    memory_budget_mb: float = Field(512, gt=0)


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Which values are in ``sorted_set`` (binary search; no copy of the set)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    found = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[found] == values


def _spill_keys(kind: str, removed: np.ndarray, files: list[Path], writer: PartitionWriter) -> None:
    """Map step: (key, order) of every document with a ``kind`` key that is not in ``removed``."""
    for batch in collected_batches(files):
        column = batch.column(f"{kind}_hash")
        orders = batch.column("order").to_numpy()
        valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
        valid &= ~_member(orders, removed)
        entries = np.empty(int(valid.sum()), dtype=_ENTRY)
        entries["key"], entries["order"] = column.fill_null(0).to_numpy()[valid], orders[valid]
        writer.write(entries)


def _later_copies(partition: list[Path], out: Path) -> int:
    """Reduce step: write (order, order of the first copy) for every later copy of a key in one
    partition."""
    entries = read_partition(partition, _ENTRY)
    entries = entries[np.lexsort((entries["order"], entries["key"]))]
    keys = entries["key"]
    starts = np.ones(len(entries), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    first = entries["order"][np.maximum.accumulate(np.where(starts, np.arange(len(entries)), 0))]
    copies = np.empty(int((~starts).sum()), dtype=_COPY)
    copies["order"], copies["first"] = entries["order"][~starts], first[~starts]
    copies.tofile(out)
    return len(copies)


@register
class ExactDedup(CorpusStage):
    name = "exact_dedup"
    Params = ExactDedupParams

    def __init__(self, params: ExactDedupParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._duplicates: dict[int, tuple[str, str]] = {}

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"duplicate_of": pa.string(), "duplicate_by": pa.string()}

    def collect_schema(self) -> pa.Schema:
        return _KEYS

    def collect(self, docs: DocView) -> pa.Table:
        by = self.params.by
        text_hashes = [normalized_hash(t) if "text" in by else 0 for t in docs.texts]
        urls = docs.column("url")
        url_hashes = [
            xxhash.xxh3_64_intdigest(u.encode("utf-8", "surrogatepass")) if u and "url" in by else None
            for u in urls
        ]
        columns = [text_hashes, url_hashes, docs.column("order"), docs.column("id")]
        return pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, _KEYS, strict=True)], schema=_KEYS
        )

    def _copies_by(
        self, kind: str, collected: Sequence[Path], workdir: Path, pool: PartitionPool, removed: np.ndarray
    ) -> np.ndarray:
        """Later copies by one key (documents in ``removed``, sorted orders, are left out)."""
        size = sum(path.stat().st_size for path in collected if path.exists())
        budget = self.params.memory_budget_mb * 2**20
        count = partition_count(size * 2, budget, pool.workers)
        to_partitions = partial(_spill_keys, kind, removed)
        copies = map_reduce(
            to_partitions, _later_copies, collected, workdir, kind, count, _ENTRY, _COPY, pool
        )
        return np.sort(copies, order="order")

    def plan(self, collected: Sequence[Path], workdir: Path, pool: PartitionPool) -> None:
        found: dict[str, np.ndarray] = {}
        removed = np.zeros(0, dtype=np.int64)
        for kind in self.params.by:
            found[kind] = self._copies_by(kind, collected, workdir, pool, removed)
            removed = np.union1d(removed, found[kind]["order"])
        firsts = np.unique(np.concatenate([c["first"] for c in found.values()] or [np.zeros(0, np.int64)]))
        first_ids: dict[int, str] = {}
        for batch in collected_batches(collected):  # the ids of the first copies
            orders = batch.column("order").to_numpy()
            hit = np.flatnonzero(_member(orders, firsts))
            first_ids.update(
                zip(orders[hit].tolist(), batch.column("id").take(pa.array(hit)).to_pylist(), strict=True)
            )
        parts = [
            pa.table(
                {
                    "order": copies["order"],
                    "duplicate_of": [first_ids[o] for o in copies["first"].tolist()],
                    "kind": [kind] * len(copies),
                },
                schema=_PLAN,
            )
            for kind, copies in found.items()
        ]
        table = pa.concat_tables(parts).sort_by("order") if parts else _PLAN.empty_table()
        with (
            pa.OSFile(str(workdir / "duplicates.arrow"), "wb") as sink,
            pa.ipc.new_file(sink, _PLAN) as writer,
        ):
            writer.write_table(table)

    def load_plan(self, workdir: Path) -> None:
        table = pa.ipc.open_file(pa.memory_map(str(workdir / "duplicates.arrow"))).read_all()
        orders = table.column("order").to_pylist()
        pairs = zip(table.column("duplicate_of").to_pylist(), table.column("kind").to_pylist(), strict=True)
        self._duplicates = dict(zip(orders, pairs, strict=True))

    def measure(self, docs: DocView) -> Measured:
        found = [self._duplicates.get(order) for order in docs.column("order")]
        return Measured(
            signals={
                "duplicate_of": [f[0] if f else None for f in found],
                "duplicate_by": [f[1] if f else None for f in found],
            }
        )

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        return [None if by is None else f"duplicate_{by}" for by in signals["duplicate_by"]]
