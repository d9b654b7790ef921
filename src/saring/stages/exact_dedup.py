"""Exact deduplication over the whole corpus, on normalized text and (when present) on URL.

The first document in input order keeps its place; every later copy is removed with the id of the
one kept (``duplicate_of``). Normalized text: case-folded, whitespace collapsed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from saring.core.registry import register
from saring.core.stage import CorpusStage, DocView, Measured, StageParams

_KEYS = pa.schema(
    [("text_hash", pa.uint64()), ("url_hash", pa.uint64()), ("order", pa.int64()), ("id", pa.string())]
)
_PLAN = pa.schema([("order", pa.int64()), ("duplicate_of", pa.string()), ("kind", pa.string())])


def normalized_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(" ".join(text.casefold().split()).encode("utf-8", "surrogatepass"))


class ExactDedupParams(StageParams):
    by: tuple[Literal["text", "url"], ...] = ("text", "url")


def _first_copies(keys: np.ndarray, orders: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of later copies and, for each, the index of the first copy of the same key."""
    index = np.flatnonzero(valid)
    index = index[np.lexsort((orders[index], keys[index]))]
    sorted_keys = keys[index]
    starts = np.ones(len(index), dtype=bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group_first = index[np.maximum.accumulate(np.where(starts, np.arange(len(index)), 0))]
    return index[~starts], group_first[~starts]


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

    def plan(self, collected: Sequence[Path], workdir: Path, workers: int) -> None:
        tables = [pa.ipc.open_stream(pa.memory_map(str(p))).read_all() for p in collected if p.exists()]
        keys = pa.concat_tables(tables) if tables else _KEYS.empty_table()
        orders = keys.column("order").to_numpy()
        ids = keys.column("id")
        removed = np.zeros(len(orders), dtype=bool)
        parts = []
        for kind in self.params.by:
            column = keys.column(f"{kind}_hash")
            valid = pc.is_valid(column).to_numpy(zero_copy_only=False) & ~removed
            values = column.fill_null(0).to_numpy()
            later, first = _first_copies(values, orders, valid)
            removed[later] = True
            parts.append(
                pa.table(
                    {"order": orders[later], "duplicate_of": ids.take(first), "kind": [kind] * len(later)},
                    schema=_PLAN,
                )
            )
        table = pa.concat_tables(parts) if parts else _PLAN.empty_table()
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
