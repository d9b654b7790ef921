"""Document batches: the unit of work that flows through every stage.

A batch holds one row per input record, whatever became of it. A row is *active* while no stage has
removed it and it was readable; removed and quarantined rows ride along untouched so that the final
writer can account for every record (``in = kept + removed + quarantined``).

Columns are kept as Python lists while stages run (stages work on strings) and converted to a typed
Apache Arrow table between phases and for writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

REMOVED_LINE_TYPE = pa.struct([("stage", pa.string()), ("reason", pa.string()), ("line", pa.string())])

BASE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("metadata", pa.string()),  # JSON object of pass-through input fields
        ("order", pa.int64()),  # global, deterministic position: shard << 32 | record index
        ("removed_stage", pa.string()),
        ("removed_reason", pa.string()),
        ("would_remove", pa.list_(pa.string())),  # dry-run: "stage:reason" decisions not applied
        ("removed_lines", pa.list_(REMOVED_LINE_TYPE)),
        ("quarantine_stage", pa.string()),
        ("quarantine_error", pa.string()),
        ("raw", pa.string()),  # for quarantined records: a printable prefix of what could not be read
    ]
)
BASE_COLUMNS = tuple(BASE_SCHEMA.names)
SIGNAL_PREFIX = "signal:"


def order_key(shard_index: int, record_index: int) -> int:
    """Global order of a record: inputs sorted by path, then position in the file."""
    return (shard_index << 32) | record_index


@dataclass
class DocumentBatch:
    """Rows of documents with their signals and decisions."""

    columns: dict[str, list[Any]]
    signals: dict[str, list[Any]] = field(default_factory=dict)
    signal_types: dict[str, pa.DataType] = field(default_factory=dict)
    _sizes: dict[int, tuple[str, int, int]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.columns["id"])

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> DocumentBatch:
        return cls({name: [] for name in BASE_COLUMNS})

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> DocumentBatch:
        batch = cls.empty()
        for row in rows:
            for name in BASE_COLUMNS:
                batch.columns[name].append(row.get(name))
        return batch

    @classmethod
    def from_arrow(cls, table: pa.Table | pa.RecordBatch) -> DocumentBatch:
        columns = {name: table.column(name).to_pylist() for name in BASE_COLUMNS}
        batch = cls(columns)
        for name in table.schema.names:
            if name.startswith(SIGNAL_PREFIX):
                key = name[len(SIGNAL_PREFIX) :]
                batch.signals[key] = table.column(name).to_pylist()
                batch.signal_types[key] = table.schema.field(name).type
        return batch

    def to_arrow(self, signal_types: dict[str, pa.DataType] | None = None) -> pa.Table:
        """A typed table; ``signal_types`` fixes the signal columns (missing ones are all null)."""
        types = signal_types if signal_types is not None else self.signal_types
        arrays = [pa.array(self.columns[f.name], type=f.type) for f in BASE_SCHEMA]
        fields = list(BASE_SCHEMA)
        for key in sorted(types):
            values = self.signals.get(key)
            arrays.append(pa.array(values if values is not None else [None] * len(self), type=types[key]))
            fields.append(pa.field(SIGNAL_PREFIX + key, types[key]))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    # -- row state ------------------------------------------------------------------------------
    @property
    def texts(self) -> list[str]:
        return self.columns["text"]

    def active_rows(self) -> np.ndarray:
        """Indices of rows still in play (readable and not removed)."""
        removed = self.columns["removed_stage"]
        quarantined = self.columns["quarantine_error"]
        return np.fromiter(
            (i for i in range(len(removed)) if removed[i] is None and quarantined[i] is None), dtype=np.int64
        )

    def text_size(self, row: int) -> tuple[int, int]:
        """UTF-8 bytes and whitespace-separated words of a row's text, cached while the text is unchanged."""
        text = self.columns["text"][row] or ""
        cached = self._sizes.get(row)
        if cached is not None and cached[0] is text:
            return cached[1], cached[2]
        size = (len(text.encode("utf-8", "surrogatepass")), len(text.split()))
        self._sizes[row] = (text, *size)
        return size

    def readable_rows(self) -> np.ndarray:
        """Indices of rows that are not quarantined (active or removed)."""
        quarantined = self.columns["quarantine_error"]
        return np.fromiter((i for i, q in enumerate(quarantined) if q is None), dtype=np.int64)

    def status(self, row: int) -> str:
        if self.columns["quarantine_error"][row] is not None:
            return "quarantined"
        if self.columns["removed_stage"][row] is not None:
            return "removed"
        return "kept"

    # -- writes by the engine on behalf of stages ---------------------------------------------------
    def set_signal(self, key: str, dtype: pa.DataType, rows: Sequence[int], values: Sequence[Any]) -> None:
        column = self.signals.get(key)
        if column is None:
            column = self.signals[key] = [None] * len(self)
            self.signal_types[key] = dtype
        for row, value in zip(rows, values, strict=True):
            column[row] = value

    def remove(self, row: int, stage: str, reason: str, dry_run: bool) -> None:
        if dry_run:
            flags = self.columns["would_remove"][row] or []
            self.columns["would_remove"][row] = [*flags, f"{stage}:{reason}"]
        else:
            self.columns["removed_stage"][row] = stage
            self.columns["removed_reason"][row] = reason

    def quarantine(self, row: int, stage: str, error: str) -> None:
        self.columns["quarantine_stage"][row] = stage
        self.columns["quarantine_error"][row] = error

    def record_removed_lines(self, row: int, stage: str, removed: Sequence[tuple[str, str]]) -> None:
        entries = [{"stage": stage, "reason": reason, "line": line} for reason, line in removed]
        self.columns["removed_lines"][row] = (self.columns["removed_lines"][row] or []) + entries

    def take(self, rows: Sequence[int]) -> DocumentBatch:
        """A new batch made of the given rows (used to retry rows one by one)."""
        columns = {name: [values[i] for i in rows] for name, values in self.columns.items()}
        signals = {key: [values[i] for i in rows] for key, values in self.signals.items()}
        return DocumentBatch(columns, signals, dict(self.signal_types))

    def put(self, rows: Sequence[int], part: DocumentBatch) -> None:
        """Write back the rows of ``part`` (from :meth:`take`) at positions ``rows``."""
        for name, values in part.columns.items():
            target = self.columns[name]
            for i, row in enumerate(rows):
                target[row] = values[i]
        for key, values in part.signals.items():
            if key not in self.signals:
                self.signals[key] = [None] * len(self)
                self.signal_types[key] = part.signal_types[key]
            target = self.signals[key]
            for i, row in enumerate(rows):
                target[row] = values[i]
