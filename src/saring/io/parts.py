"""Reading a finished run's output parts (JSONL, JSONL.gz, JSONL.zst, Parquet) within a document budget.

The budget is spread over the part files (each reads its share of what is left), so a sample of a run
with many shards looks at every shard, opens one file at a time and stops early.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow.parquet as pq
import zstandard

PART_SUFFIXES = (".jsonl.zst", ".jsonl.gz", ".jsonl", ".parquet")


def part_files(output: Path, kind: str) -> list[Path]:
    """The committed part files of ``kind`` (kept, removed, quarantine), sorted by name."""
    folder = output / kind
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(PART_SUFFIXES) and ".tmp-" not in p.name)


def _open_lines(path: Path) -> BinaryIO:
    if path.name.endswith(".zst"):
        raw = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
        return io.BufferedReader(raw)  # type: ignore[arg-type]
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _parquet_records(path: Path) -> Iterator[dict[str, Any]]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            metadata = record.get("metadata")
            if isinstance(metadata, str):
                record["metadata"] = orjson.loads(metadata) if metadata else {}
            if record.get("signals") is None and "signals" in record:
                record["signals"] = {}
            yield record


@dataclass
class ReadTally:
    """How much of one kind was read: records, files looked at, lines that did not decode."""

    records: int = 0
    files_read: int = 0
    files: int = 0
    unreadable: int = 0


def records(path: Path, tally: ReadTally) -> Iterator[dict[str, Any]]:
    """Every record of one part file; lines that do not decode are counted in ``tally``, not raised."""
    if path.name.endswith(".parquet"):
        yield from _parquet_records(path)
        return
    with _open_lines(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                tally.unreadable += 1


def read_budgeted(files: list[Path], budget: int | None, tally: ReadTally) -> Iterator[dict[str, Any]]:
    """Up to ``budget`` records (None: all), the first ones of each file, each its share of the rest."""
    tally.files = len(files)
    remaining = budget
    for index, path in enumerate(files):
        share = None if remaining is None else -(-remaining // (len(files) - index))
        if share is not None and share <= 0:
            break
        tally.files_read += 1
        taken = 0
        with closing(records(path, tally)) as file_records:
            for record in islice(file_records, share):
                taken += 1
                yield record
        tally.records += taken
        if remaining is not None:
            remaining -= taken
