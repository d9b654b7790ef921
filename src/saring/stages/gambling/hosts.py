"""Corpus stage ``gambling_hosts``: a host whose pages are mostly gambling promotion is a link farm.

Runs after ``gambling`` (label ``source``). Collects, per document with a URL, its host and whether the
``gambling`` stage judged it promotion (``doc_score`` at or above ``promotion_score``), including the
pages that stage removed; plans the share of promotion pages per host; then gives every remaining page
the signal ``host_promotion_share`` (and ``host_pages``) and removes it as ``gambling_link_farm`` when
the host has at least ``min_host_pages`` pages and the share reaches ``link_farm_share``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from saring.core.partitions import PartitionPool
from saring.core.registry import register
from saring.core.stage import CorpusStage, DocView, Measured, StageParams, collected_batches

_KEYS = pa.schema([("host", pa.string()), ("promotion", pa.bool_())])
_PLAN = pa.schema([("host", pa.string()), ("pages", pa.int64()), ("promotion_share", pa.float64())])


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return host.removeprefix("www.") if host else None


class GamblingHostsParams(StageParams):
    source: str = "gambling"
    promotion_score: float = 0.5
    link_farm_share: float = 0.5
    min_host_pages: int = 3
    remove_link_farms: bool = True


@register
class GamblingHosts(CorpusStage):
    name = "gambling_hosts"
    Params = GamblingHostsParams
    collect_removed = True

    def __init__(self, params: GamblingHostsParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._hosts: dict[str, tuple[int, float]] = {}

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"host_promotion_share": pa.float32(), "host_pages": pa.int32()}

    def thresholds(self) -> dict[str, float]:
        return {"host_promotion_share": self.params.link_farm_share}

    def collect_schema(self) -> pa.Schema:
        return _KEYS

    def collect(self, docs: DocView) -> pa.Table:
        """Hosts of the active pages and of the pages the ``source`` stage removed."""
        source = self.params.source
        removed_by = docs.column("removed_stage")
        scores = docs.signal(f"{source}.doc_score")
        keys: dict[str, list[Any]] = {"host": [], "promotion": []}
        for url, stage, score in zip(docs.column("url"), removed_by, scores, strict=True):
            host = host_of(url)
            if host is None or stage not in (None, source):
                continue
            keys["host"].append(host)
            keys["promotion"].append(
                stage == source or (score is not None and score >= self.params.promotion_score)
            )
        return pa.table(keys, schema=_KEYS)

    def plan(self, collected: Sequence[Path], workdir: Path, pool: PartitionPool) -> None:
        keys = pa.Table.from_batches(list(collected_batches(collected)), schema=_KEYS)
        grouped = keys.group_by("host").aggregate([("promotion", "count"), ("promotion", "sum")])
        pages = grouped.column("promotion_count")
        share = pc.divide(
            pc.cast(grouped.column("promotion_sum"), pa.float64()), pc.cast(pages, pa.float64())
        )
        table = pa.table(
            {"host": grouped.column("host"), "pages": pages, "promotion_share": share}, schema=_PLAN
        )
        with pa.OSFile(str(workdir / "hosts.arrow"), "wb") as sink, pa.ipc.new_file(sink, _PLAN) as writer:
            writer.write_table(table)

    def load_plan(self, workdir: Path) -> None:
        table = pa.ipc.open_file(pa.memory_map(str(workdir / "hosts.arrow"))).read_all()
        self._hosts = dict(
            zip(
                table.column("host").to_pylist(),
                zip(
                    table.column("pages").to_pylist(),
                    table.column("promotion_share").to_pylist(),
                    strict=True,
                ),
                strict=True,
            )
        )

    def measure(self, docs: DocView) -> Measured:
        found = [self._hosts.get(host_of(url) or "", (0, np.nan)) for url in docs.column("url")]
        return Measured(
            signals={
                "host_promotion_share": [None if np.isnan(share) else share for _, share in found],
                "host_pages": [pages for pages, _ in found],
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
