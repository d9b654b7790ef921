"""Counting what happened: per-stage statistics and the run's document balance."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"\d[\d,]*")


def quarantine_reason(stage: str | None, error: str) -> str:
    """The kind of a quarantined record, for counts and samples: its stage and the error's text before
    the first colon, numbers as N ("read: unreadable from line N on")."""
    return f"{stage}: {_NUMBER.sub('N', error.split(':')[0])[:60]}"


@dataclass
class StageStats:
    """What one stage did, summed over the batches it saw."""

    docs_in: int = 0
    docs_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    words_in: int = 0
    words_out: int = 0
    seconds: float = 0.0
    removed: Counter[str] = field(default_factory=Counter)
    would_remove: Counter[str] = field(default_factory=Counter)
    lines_removed: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    retried_batches: Counter[str] = field(default_factory=Counter)  # whole-batch failures, by error

    def merge(self, other: StageStats) -> None:
        for name in ("docs_in", "docs_out", "bytes_in", "bytes_out", "words_in", "words_out", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds
        self.removed.update(other.removed)
        self.would_remove.update(other.would_remove)
        self.lines_removed.update(other.lines_removed)
        self.retried_batches.update(other.retried_batches)

    def to_dict(self) -> dict[str, Any]:
        return {
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "words_in": self.words_in,
            "words_out": self.words_out,
            "seconds": round(self.seconds, 3),
            "removed": dict(sorted(self.removed.items())),
            "would_remove": dict(sorted(self.would_remove.items())),
            "lines_removed": dict(sorted(self.lines_removed.items())),
            "quarantined": self.quarantined,
            "retried_batches": dict(sorted(self.retried_batches.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageStats:
        counters = ("removed", "would_remove", "lines_removed", "retried_batches")
        stats = cls(**{k: v for k, v in data.items() if k not in counters})
        for name in counters:
            setattr(stats, name, Counter(data.get(name, {})))
        return stats


@dataclass
class ShardStats:
    """Counts for one shard (or a whole run, once merged)."""

    documents_in: int = 0
    kept: int = 0
    removed: int = 0
    quarantined: int = 0
    bytes_in: int = 0
    bytes_kept: int = 0
    stages: dict[str, StageStats] = field(default_factory=dict)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # input records that are not documents
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> bytes read, checksum

    def stage(self, label: str) -> StageStats:
        stats = self.stages.get(label)
        if stats is None:
            stats = self.stages[label] = StageStats()
        return stats

    def merge(self, other: ShardStats) -> None:
        self.documents_in += other.documents_in
        self.kept += other.kept
        self.removed += other.removed
        self.quarantined += other.quarantined
        self.bytes_in += other.bytes_in
        self.bytes_kept += other.bytes_kept
        for label, stats in other.stages.items():
            self.stage(label).merge(stats)
        self.quarantine_reasons.update(other.quarantine_reasons)
        self.skipped.update(other.skipped)
        self.inputs.update(other.inputs)

    @property
    def balanced(self) -> bool:
        return self.documents_in == self.kept + self.removed + self.quarantined

    def balance_line(self) -> str:
        mark = "OK" if self.balanced else "MISMATCH"
        return (
            f"in = kept + removed + quarantined: {self.documents_in:,} = {self.kept:,} + {self.removed:,}"
            f" + {self.quarantined:,} [{mark}]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": {
                "in": self.documents_in,
                "kept": self.kept,
                "removed": self.removed,
                "quarantined": self.quarantined,
            },
            "bytes": {"in": self.bytes_in, "kept": self.bytes_kept},
            "stages": {label: stats.to_dict() for label, stats in self.stages.items()},
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
            "skipped_records": dict(sorted(self.skipped.items())),
            "inputs": dict(sorted(self.inputs.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardStats:
        docs = data["documents"]
        return cls(
            documents_in=docs["in"],
            kept=docs["kept"],
            removed=docs["removed"],
            quarantined=docs["quarantined"],
            bytes_in=data["bytes"]["in"],
            bytes_kept=data["bytes"]["kept"],
            stages={label: StageStats.from_dict(s) for label, s in data["stages"].items()},
            quarantine_reasons=Counter(data.get("quarantine_reasons", {})),
            skipped=Counter(data.get("skipped_records", {})),
            inputs=data.get("inputs", {}),
        )
