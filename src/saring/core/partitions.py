"""Spilling keyed records to partition files on disk, so corpus plans work in a bounded memory.

Records (numpy structured arrays with a ``key`` field of uint64) are appended to one of ``count``
files chosen by the key's top bits; each partition is then read and processed alone. A
:class:`PartitionPool` says where that per-partition work runs: in local processes
(:class:`LocalPartitionPool`) or as tasks spread over a Ray cluster (the Ray engine's pool). Shared by
the deduplication stages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MAX_PARTITIONS = 256  # files open at once while spilling


def partition_count(total_bytes: int, budget_bytes: float, workers: int) -> int:
    """Partitions (a power of two) so that each one, times ``workers`` at once, fits the budget."""
    per_worker = max(budget_bytes / max(workers, 1), 1.0)
    needed = max(1, math.ceil(total_bytes / per_worker))
    return min(1 << (needed - 1).bit_length(), MAX_PARTITIONS)


class PartitionWriter:
    """Appends records to ``directory/<prefix>-NNNNN.bin`` by the top bits of their key."""

    def __init__(self, directory: Path, prefix: str, count: int, dtype: np.dtype) -> None:
        self.count = count
        self.dtype = dtype
        self.bits = count.bit_length() - 1
        self.paths = [directory / f"{prefix}-{i:05d}.bin" for i in range(count)]
        self.files = [path.open("wb") for path in self.paths]

    def write(self, records: np.ndarray) -> None:
        if len(records) == 0:
            return
        if self.count == 1:
            records.tofile(self.files[0])
            return
        part = (records["key"] >> np.uint64(64 - self.bits)).astype(np.int64)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(self.count + 1))
        for index in np.flatnonzero(np.diff(bounds)):
            records[order[bounds[index] : bounds[index + 1]]].tofile(self.files[index])

    def close(self) -> list[Path]:
        for handle in self.files:
            handle.close()
        return self.paths


def read_partition(path: Path, dtype: np.dtype) -> np.ndarray:
    return np.fromfile(path, dtype=dtype)


class PartitionPool(Protocol):
    """Runs per-partition work of a corpus plan, ``workers`` partitions at a time."""

    #: How many partitions may be in memory at once (it sizes the partitions).
    workers: int

    def map(self, function: Callable[..., Any], arguments: Sequence[tuple]) -> list[Any]:
        """``function(*args)`` for each partition's arguments, results in the same order."""
        ...


@dataclass(frozen=True)
class LocalPartitionPool:
    """Partitions worked on in ``workers`` processes of this machine (in this process for one)."""

    workers: int = 1

    def map(self, function: Callable[..., Any], arguments: Sequence[tuple]) -> list[Any]:
        if self.workers <= 1 or len(arguments) <= 1:
            return [function(*args) for args in arguments]
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(arguments)), mp_context=get_context("spawn")
        ) as pool:
            return list(pool.map(function, *zip(*arguments, strict=True)))
