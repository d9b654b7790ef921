"""Writers: an output folder with atomic commits, and sharded JSONL/Parquet document files.

Output records (JSONL) look like::

    {"id", "text", "url", "source", "metadata": {...input fields...}, "signals": {"label.name": v},
     "removed_lines": [{"stage", "reason", "line"}], "would_remove": [...],   # kept and removed
     "removed": {"stage", "reason"}}                                          # removed only

and quarantined records ``{"id", "source", "stage", "error", "raw"}``. Both load as they are with
the Hugging Face ``datasets`` JSON and Parquet loaders.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, BinaryIO

import fsspec
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from saring.core.batch import REMOVED_LINE_TYPE, DocumentBatch

KINDS = ("kept", "removed", "quarantine")
#: What a run writes into its output folder, the manifest (which marks a run finished) first, so that
#: removing them in this order never leaves a finished-looking folder without its data.
OUTPUT_FILES = ("manifest.json", *KINDS, "stats.json", "report.html", "README.md")


class OutputStore:
    """A folder (any fsspec URL) where files appear only when complete."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.local = "file" in (
            self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        )

    def path(self, relative: str) -> str:
        return f"{self.root.rstrip('/')}/{relative}"

    def display(self, relative: str = "") -> str:
        return self.path(relative) if self.local else f"{self.url.rstrip('/')}/{relative}"

    def exists(self, relative: str) -> bool:
        return self.fs.exists(self.path(relative))

    @contextmanager
    def atomic(self, relative: str) -> Iterator[BinaryIO]:
        """Write to a temporary name, then rename into place (atomic on local disks)."""
        final = self.path(relative)
        temporary = f"{final}.tmp-{os.getpid()}"
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(temporary, "wb") as handle:
            yield handle
        if self.local:
            os.replace(temporary, final)
        else:
            self.fs.mv(temporary, final)

    def write_bytes(self, relative: str, data: bytes) -> None:
        with self.atomic(relative) as handle:
            handle.write(data)

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open(self.path(relative), "rb") as handle:
            return handle.read()

    def write_json(self, relative: str, value: Any) -> None:
        self.write_bytes(
            relative, orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )

    def read_json(self, relative: str) -> Any:
        return orjson.loads(self.read_bytes(relative))

    def list(self, relative: str) -> list[str]:
        if not self.exists(relative):
            return []
        return sorted(p.rsplit("/", 1)[-1] for p in self.fs.ls(self.path(relative), detail=False))

    def remove(self, relative: str) -> None:
        if self.exists(relative):
            self.fs.rm(self.path(relative), recursive=True)


def _signals(batch: DocumentBatch, row: int, keys: Sequence[str]) -> dict[str, Any]:
    return {key: batch.signals[key][row] if key in batch.signals else None for key in keys}


def output_record(batch: DocumentBatch, row: int, kind: str, signal_keys: Sequence[str]) -> dict[str, Any]:
    """The JSON-ready record of a row in an output of the given kind."""
    columns = batch.columns
    if kind == "quarantine":
        return {
            "id": columns["id"][row],
            "source": columns["source"][row],
            "stage": columns["quarantine_stage"][row],
            "error": columns["quarantine_error"][row],
            "raw": columns["raw"][row] if columns["raw"][row] is not None else columns["text"][row][:200],
        }
    record = {
        "id": columns["id"][row],
        "text": columns["text"][row],
        "url": columns["url"][row],
        "source": columns["source"][row],
        "metadata": columns["metadata"][row] or "{}",
        "signals": _signals(batch, row, signal_keys),
        "removed_lines": columns["removed_lines"][row] or [],
        "would_remove": columns["would_remove"][row] or [],
    }
    if kind == "removed":
        record["removed"] = {"stage": columns["removed_stage"][row], "reason": columns["removed_reason"][row]}
    return record


class ShardFileWriter:
    """Streams one output file (a kept, removed or quarantine part); it appears only on ``close``."""

    def __init__(self, store: OutputStore, relative: str, fmt: str, signal_types: dict[str, pa.DataType]):
        self.store = store
        self.relative = f"{relative}.{fmt}"
        self.format = fmt
        self.signal_types = signal_types
        self.signal_keys = sorted(signal_types)
        self.count = 0
        self._files = ExitStack()
        self._sink: Any = None

    def _open(self, kind: str) -> None:
        handle = self._files.enter_context(self.store.atomic(self.relative))
        if self.format == "parquet":
            schema = output_schema(kind, self.signal_types)
            self._sink = self._files.enter_context(pq.ParquetWriter(handle, schema, compression="zstd"))
        elif self.format == "jsonl.zst":
            compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)
            self._sink = self._files.enter_context(compressor.stream_writer(handle, closefd=False))
        elif self.format == "jsonl.gz":
            self._sink = self._files.enter_context(gzip.GzipFile(fileobj=handle, mode="wb", mtime=0))
        else:
            self._sink = handle

    def write(self, batch: DocumentBatch, rows: Sequence[int], kind: str) -> None:
        if not rows:
            return
        if self._sink is None:
            self._open(kind)
        self.count += len(rows)
        records = [output_record(batch, row, kind, self.signal_keys) for row in rows]
        if self.format == "parquet":
            if kind != "quarantine" and not self.signal_keys:
                for record in records:
                    record["signals"] = None
            self._sink.write_table(pa.Table.from_pylist(records, schema=self._sink.schema))
        else:
            self._sink.write(b"".join(orjson.dumps(r) + b"\n" for r in records))

    def close(self) -> None:
        """Finish and commit the file (nothing is written for an empty part)."""
        self._files.close()


def output_schema(kind: str, signal_types: dict[str, pa.DataType]) -> pa.Schema:
    """The typed schema of an output part of the given kind (Parquet parts use it as it is)."""
    if kind == "quarantine":
        return _QUARANTINE_SCHEMA
    keys = sorted(signal_types)
    fields = [
        ("id", pa.string()),
        ("text", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("metadata", pa.string()),  # the input's other fields, as a JSON object in a string
        ("signals", pa.struct([(k, signal_types[k]) for k in keys]) if keys else pa.null()),
        ("removed_lines", pa.list_(REMOVED_LINE_TYPE)),
        ("would_remove", pa.list_(pa.string())),
    ]
    if kind == "removed":
        fields.append(("removed", pa.struct([("stage", pa.string()), ("reason", pa.string())])))
    return pa.schema(fields)


def _hf_feature(dtype: pa.DataType) -> dict[str, Any]:
    """A Hugging Face dataset-card feature for an Arrow type."""
    if pa.types.is_struct(dtype):
        return {"struct": [{"name": f.name, **_hf_feature(f.type)} for f in dtype]}
    if pa.types.is_list(dtype):
        inner = _hf_feature(dtype.value_type)
        return {"list": inner["dtype"] if set(inner) == {"dtype"} else inner["struct"]}
    names = {pa.string(): "string", pa.bool_(): "bool", pa.null(): "null"}
    return {"dtype": names.get(dtype, str(dtype))}


def write_dataset_card(store: OutputStore, signal_types: dict[str, pa.DataType], summary: str) -> None:
    """README.md with the Hugging Face dataset card header: one config per output kind, typed features,
    so that ``datasets.load_dataset(OUT, "kept")`` loads every part with one schema."""
    import yaml

    configs, infos = [], []
    for kind in KINDS:
        if not store.list(kind):
            continue
        configs.append(
            {
                "config_name": kind,
                "data_files": f"{kind}/part-*",
                **({"default": True} if kind == "kept" else {}),
            }
        )
        schema = output_schema(kind, signal_types)
        infos.append(
            {"config_name": kind, "features": [{"name": f.name, **_hf_feature(f.type)} for f in schema]}
        )
    header = yaml.safe_dump({"configs": configs, "dataset_info": infos}, sort_keys=False, allow_unicode=True)
    store.write_bytes("README.md", f"---\n{header}---\n\n{summary}\n".encode())


_QUARANTINE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("error", pa.string()),
        ("raw", pa.string()),
    ]
)
