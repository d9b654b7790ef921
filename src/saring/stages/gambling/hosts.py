"""Corpus stage ``gambling_hosts``: a host whose pages are mostly gambling promotion is a link farm.

Runs after ``gambling`` (label ``source``). Collects, per document with a URL, its host and whether the
``gambling`` stage judged it promotion (``doc_score`` at or above ``promotion_score``), including the
pages that stage removed; plans the share of promotion pages per host; then gives every remaining page
the signal ``host_promotion_share`` (and ``host_pages``) and removes it as ``gambling_link_farm`` when
the host has at least ``min_host_pages`` pages and the share reaches ``link_farm_share``.

Hosts travel as 64-bit hashes. The plan is a shuffle in the engine's partition pool (local processes
or Ray tasks): groups of key files spill (host hash, promotion) records to hash partitions, and each
partition counts its hosts alone; workers hold 24 bytes per host of the corpus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
from pydantic import Field

from saring.core.hashing import string_hashes
from saring.core.partitions import PartitionPool, PartitionWriter, map_reduce, partition_count, read_partition
from saring.core.registry import register
from saring.core.stage import (
    CorpusStage,
    DocView,
    Measured,
    PositiveCount,
    Probability,
    StageParams,
    collected_batches,
)

_KEYS = pa.schema([("host_hash", pa.uint64()), ("promotion", pa.bool_())])
_ENTRY = np.dtype([("key", "<u8"), ("promotion", "u1")])
_HOST = np.dtype([("key", "<u8"), ("pages", "<i8"), ("promotions", "<i8")])
_BYTES_PER_ENTRY_AT_WORK = 48


def _hashes(hosts: list[str]) -> np.ndarray:
    return string_hashes(pa.array(hosts, pa.string())) if hosts else np.zeros(0, np.uint64)


def _spill_hosts(files: list[Path], writer: PartitionWriter) -> None:
    """Map step: a (host hash, promotion) record per collected page."""
    for batch in collected_batches(files):
        records = np.empty(batch.num_rows, dtype=_ENTRY)
        records["key"] = batch.column("host_hash").to_numpy()
        records["promotion"] = batch.column("promotion").to_numpy(zero_copy_only=False)
        writer.write(records)


def _count_hosts(paths: list[Path], out: Path) -> None:
    """Reduce step: pages and promotion pages of each host of one partition, sorted by host hash."""
    entries = read_partition(paths, _ENTRY)
    keys, inverse, pages = np.unique(entries["key"], return_inverse=True, return_counts=True)
    hosts = np.empty(len(keys), dtype=_HOST)
    hosts["key"], hosts["pages"] = keys, pages
    hosts["promotions"] = np.bincount(inverse, weights=entries["promotion"], minlength=len(keys))
    hosts.tofile(out)


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return host.removeprefix("www.") if host else None


class GamblingHostsParams(StageParams):
    source: str = "gambling"
    promotion_score: Probability = 0.5
    link_farm_share: Probability = 0.5
    min_host_pages: PositiveCount = 3
    remove_link_farms: bool = True
    memory_budget_mb: float = Field(256, gt=0)  # for the plan's partitions


@register
class GamblingHosts(CorpusStage):
    name = "gambling_hosts"
    Params = GamblingHostsParams
    decide_params = frozenset({"link_farm_share", "min_host_pages", "remove_link_farms"})
    collect_removed = True

    def __init__(self, params: GamblingHostsParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._hosts = np.zeros(0, dtype=_HOST)

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"host_promotion_share": pa.float64(), "host_pages": pa.int32()}

    def thresholds(self) -> dict[str, float]:
        return {"host_promotion_share": self.params.link_farm_share}

    def collect_schema(self) -> pa.Schema:
        return _KEYS

    def collect(self, docs: DocView) -> pa.Table:
        """Hosts of the active pages and of the pages the ``source`` stage removed."""
        source = self.params.source
        removed_by = docs.column("removed_stage")
        scores = docs.signal(f"{source}.doc_score")
        hosts: list[str] = []
        promotion: list[bool] = []
        for url, stage, score in zip(docs.column("url"), removed_by, scores, strict=True):
            host = host_of(url)
            if host is None or stage not in (None, source):
                continue
            hosts.append(host)
            promotion.append(stage == source or (score is not None and score >= self.params.promotion_score))
        return pa.table({"host_hash": _hashes(hosts), "promotion": promotion}, schema=_KEYS)

    def plan(self, collected: Sequence[Path], workdir: Path, pool: PartitionPool) -> None:
        files = [path for path in collected if path.exists()]
        size = sum(path.stat().st_size for path in files) // 9 * _BYTES_PER_ENTRY_AT_WORK
        count = partition_count(size, self.params.memory_budget_mb * 2**20, pool.workers)
        # partitions split the hash range in order, so their hosts concatenate sorted
        hosts = map_reduce(_spill_hosts, _count_hosts, files, workdir, "hosts", count, _ENTRY, _HOST, pool)
        np.save(workdir / "hosts.npy", hosts)

    def load_plan(self, workdir: Path) -> None:
        self._hosts = np.load(workdir / "hosts.npy")

    def measure(self, docs: DocView) -> Measured:
        hosts = [host_of(url) for url in docs.column("url")]
        known = [row for row, host in enumerate(hosts) if host is not None]
        pages = np.zeros(len(hosts), dtype=np.int64)
        promotions = np.zeros(len(hosts), dtype=np.int64)
        if known and len(self._hosts):
            keys = _hashes([hosts[row] for row in known])
            index = np.minimum(np.searchsorted(self._hosts["key"], keys), len(self._hosts) - 1)
            found = self._hosts[index]
            hit = found["key"] == keys
            pages[known] = np.where(hit, found["pages"], 0)
            promotions[known] = np.where(hit, found["promotions"], 0)
        return Measured(
            signals={
                "host_promotion_share": [
                    None if count == 0 else promoted / count
                    for count, promoted in zip(pages.tolist(), promotions.tolist(), strict=True)
                ],
                "host_pages": pages.tolist(),
            }
        )

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        p = self.params
        return [
            "gambling_link_farm"
            if p.remove_link_farms
            and share is not None
            and pages >= p.min_host_pages
            and share >= p.link_farm_share
            else None
            for share, pages in zip(signals["host_promotion_share"], signals["host_pages"], strict=True)
        ]
