"""Spilling keyed records to partition files on disk, so corpus plans work in a bounded memory.

A shuffle in two steps, both run by a :class:`PartitionPool` (local processes with
:class:`LocalPartitionPool`, or tasks spread over a Ray cluster with the Ray engine's pool):

- **map** (:func:`spill`): the collected key files are split into contiguous groups; each group's task
  turns its files into records (numpy structured arrays with a ``key`` field of uint64) and appends
  them to one of ``count`` partition files chosen by the key's top bits;
- **reduce**: each partition (its files from every group, read in group order, so records stay in
  document order) is processed alone by a task of the stage.

Shared by the deduplication stages.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from saring.core.processes import worker_pool

MAX_PARTITIONS = 256  # files open at once while spilling


def partition_count(total_bytes: int, budget_bytes: float, workers: int) -> int:
    """Partitions (a power of two) so that each one, times ``workers`` at once, fits the budget."""
    per_worker = max(budget_bytes / max(workers, 1), 1.0)
    needed = max(1, math.ceil(total_bytes / per_worker))
    return min(1 << (needed - 1).bit_length(), MAX_PARTITIONS)


class PartitionWriter:
    """Appends records to ``directory/<prefix>-NNNNN.bin`` by the top bits of their key."""

    def __init__(self, directory: Path, prefix: str, count: int, dtype: np.dtype) -> None:
        self.directory = directory
        self.prefix = prefix
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


def read_partition(paths: Sequence[Path], dtype: np.dtype) -> np.ndarray:
    """A partition's records, from its file of each map group in turn."""
    return np.concatenate([np.fromfile(path, dtype=dtype) for path in paths] or [np.zeros(0, dtype)])


def _file_groups(files: Sequence[Path], groups: int) -> list[list[Path]]:
    """Contiguous groups of about equal bytes (at most ``groups``, none empty)."""
    if not files:
        return []
    ends = np.cumsum([path.stat().st_size for path in files], dtype=np.float64)
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, groups) / groups, side="right")
    bounds = [0, *sorted(set(cuts.tolist()) - {0, len(files)}), len(files)]
    return [list(files[start:end]) for start, end in itertools.pairwise(bounds)]


def _spill_group(
    to_partitions: Callable[[list[Path], PartitionWriter], Any],
    files: list[Path],
    directory: Path,
    prefix: str,
    count: int,
    dtype: np.dtype,
) -> Any:
    writer = PartitionWriter(directory, prefix, count, dtype)
    try:
        return to_partitions(files, writer)
    finally:
        writer.close()


@dataclass
class Spilled:
    """What :func:`spill` wrote: per partition its files (one per group, in group order), and what
    each group's ``to_partitions`` returned (e.g. how many documents it read)."""

    partitions: list[list[Path]]
    results: list[Any]
    prefixes: list[str]  # each group's file prefix, for files a group writes besides its partitions

    def remove(self) -> None:
        for paths in self.partitions:
            for path in paths:
                path.unlink(missing_ok=True)


def spill(
    to_partitions: Callable[[list[Path], PartitionWriter], Any],
    files: Sequence[Path],
    directory: Path,
    prefix: str,
    count: int,
    dtype: np.dtype,
    pool: PartitionPool,
) -> Spilled:
    """The map step of a shuffle: ``to_partitions(group_files, writer)`` writes each group's records,
    in ``pool`` (one task per group, ``pool.workers`` groups). ``to_partitions`` must be picklable (a
    module-level function, or a ``functools.partial`` of one)."""
    groups = _file_groups([path for path in files if path.exists()], max(1, pool.workers))
    prefixes = [f"{prefix}-g{index:04d}" for index in range(len(groups))]
    arguments = [
        (to_partitions, group, directory, name, count, dtype)
        for group, name in zip(groups, prefixes, strict=True)
    ]
    results = pool.map(_spill_group, arguments)
    partitions = [[directory / f"{name}-{part:05d}.bin" for name in prefixes] for part in range(count)]
    return Spilled(partitions, results, prefixes)


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
        with worker_pool(min(self.workers, len(arguments))) as pool:
            return list(pool.map(function, *zip(*arguments, strict=True)))


def map_reduce(
    to_partitions: Callable[[list[Path], PartitionWriter], Any],
    reduce: Callable[..., Any],
    files: Sequence[Path],
    directory: Path,
    prefix: str,
    count: int,
    dtype: np.dtype,
    out_dtype: np.dtype,
    pool: PartitionPool,
    *reduce_args: Any,
) -> np.ndarray:
    """A whole shuffle: :func:`spill`, then ``reduce(partition_files, out_path, *reduce_args)`` writes
    an array of ``out_dtype`` per partition (a task each); returns them concatenated in partition
    order, which is key order when each partition's output is sorted by key."""
    spilled = spill(to_partitions, files, directory, prefix, count, dtype, pool)
    outputs = [directory / f"{prefix}-{index:05d}.out" for index in range(count)]
    pool.map(
        reduce, [(paths, out, *reduce_args) for paths, out in zip(spilled.partitions, outputs, strict=True)]
    )
    spilled.remove()
    result = read_partition(outputs, out_dtype)
    for path in outputs:
        path.unlink()
    return result
