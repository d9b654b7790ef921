"""One streaming pass over a bounded sample of a run's documents, keeping what the report shows.

Everything here is bounded by the number of documents read (values of numeric signals, host counts)
or by a constant (samples, clusters); nothing keeps whole documents beyond the samples' snippets.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import regex

from saring.core.accounting import quarantine_reason
from saring.report.sampling import ClusterSample, Reservoir

SNIPPET_CHARS = 1500
SAMPLES_PER_REASON = 3
LINE_SAMPLES_PER_REASON = 2
CHANGE_SAMPLES = 4
CLUSTERS_SHOWN = 4
MEMBERS_SHOWN = 4
MAX_CATEGORIES = 500  # a string signal with more distinct values is not tabulated
MAX_REMOVED_LINES = 60

# Signals the report reads by name, whatever their stage's label.
_SPECIAL_SIGNALS = frozenset({"language", "duplicate_of", "host_promotion_share"})
_HOST = regex.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#\s]*@)?(\[[0-9A-Fa-f:.]+\]|[^:/?#\s\[\]@]+)")

# How a document relates to the stage of a signal: kept, removed by that stage, removed by another.
KEPT, HERE, ELSEWHERE = "kept", "here", "elsewhere"
GROUPS = (KEPT, HERE, ELSEWHERE)


def removal_of(record: dict[str, Any]) -> tuple[str, str] | None:
    """(stage label, reason) that removed the document, or that would have in a dry run."""
    removed = record.get("removed")
    if removed:
        return str(removed.get("stage")), str(removed.get("reason"))
    for flag in record.get("would_remove") or ():
        stage, _, reason = str(flag).partition(":")
        return stage, reason
    return None


def host_of(url: Any) -> str | None:
    """The lower-cased host of an absolute URL (``scheme://[user@]host[:port]...``), else None."""
    if not isinstance(url, str):
        return None
    match = _HOST.match(url)
    return match.group(1).lower() if match else None


@dataclass
class DocSample:
    """What a sampled document shows: a text snippet, its fate, some signals and its removed lines."""

    id: str
    url: str | None
    fate: str
    text: str
    text_chars: int
    signals: dict[str, Any]
    removed_lines: list[dict[str, Any]]

    @classmethod
    def of(cls, record: dict[str, Any], label: str | None = None, chars: int = SNIPPET_CHARS) -> DocSample:
        """A sample of ``record``; with ``label``, only that stage's signals are kept."""
        text = str(record.get("text") or "")
        removal = removal_of(record)
        if removal is None:
            fate = "kept"
        else:
            verb = "removed" if record.get("removed") else "would be removed"
            fate = f"{verb} by {removal[0]}: {removal[1]}"
        signals = {
            key: (value[:200] if isinstance(value, str) else value)
            for key, value in (record.get("signals") or {}).items()
            if value is not None and (label is None or key.startswith(f"{label}."))
        }
        return cls(
            id=str(record.get("id")),
            url=record.get("url") if isinstance(record.get("url"), str) else None,
            fate=fate,
            text=text[:chars],
            text_chars=len(text),
            signals=dict(list(signals.items())[:24]),
            removed_lines=list(record.get("removed_lines") or [])[:MAX_REMOVED_LINES],
        )


@dataclass
class QuarantineSample:
    id: str | None
    source: str | None
    stage: str | None
    error: str
    raw: str


@dataclass
class DedupSample:
    """Duplicates found by one deduplication stage (signals ``duplicate_of``, ``cluster_id/size``)."""

    duplicates: int = 0
    documents_by_cluster_size: Counter[int] = field(default_factory=Counter)
    copies_of: Counter[str] = field(default_factory=Counter)  # used when there is no cluster_size
    clusters: ClusterSample[DocSample] = field(
        default_factory=lambda: ClusterSample(CLUSTERS_SHOWN, MEMBERS_SHOWN)
    )

    def cluster_sizes(self) -> Counter[int]:
        """Documents by the size of their cluster (the kept copy included)."""
        if self.documents_by_cluster_size:
            return self.documents_by_cluster_size
        sizes: Counter[int] = Counter()
        for copies in self.copies_of.values():
            sizes[copies + 1] += copies + 1
        return sizes


@dataclass
class LanguageSample:
    """Language mix (``language``) and first-pass vs final label (``first_pass``, ``resolved_by``)."""

    mix: Counter[tuple[str, str]] = field(default_factory=Counter)  # (language, group)
    transitions: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # first, final, by
    changes: Reservoir[DocSample] = field(default_factory=lambda: Reservoir(CHANGE_SAMPLES, "language"))


@dataclass
class HostPromotion:
    share: float = 0.0
    documents: int = 0
    removed: int = 0


class CorpusSample:
    """Aggregates of the documents given to :meth:`add` and the records to :meth:`add_quarantined`."""

    def __init__(self) -> None:
        self.read: Counter[str] = Counter()
        self.numeric: dict[str, dict[str, array]] = defaultdict(lambda: {g: array("d") for g in GROUPS})
        self.flags: dict[str, Counter[tuple[str, bool]]] = defaultdict(Counter)
        self.categories: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self.too_many_categories: set[str] = set()
        self.removal_samples: dict[tuple[str, str], Reservoir[DocSample]] = {}
        self.line_samples: dict[tuple[str, str], Reservoir[DocSample]] = {}
        self.host_documents: Counter[str] = Counter()
        self.host_removed: Counter[str] = Counter()
        self.host_reasons: Counter[tuple[str, str]] = Counter()
        self.promotion: dict[str, dict[str, HostPromotion]] = defaultdict(lambda: defaultdict(HostPromotion))
        self.languages: dict[str, LanguageSample] = defaultdict(LanguageSample)
        self.dedup: dict[str, DedupSample] = defaultdict(DedupSample)
        self.quarantine_samples: dict[str, Reservoir[QuarantineSample]] = {}
        self._keys: dict[str, tuple[str, str]] = {}

    def add(self, record: dict[str, Any], kind: str) -> None:
        """Take in one kept or removed output record."""
        self.read[kind] += 1
        removal = removal_of(record)
        signals = record.get("signals") or {}
        host = host_of(record.get("url"))
        special: list[tuple[str, str, Any]] = []
        for key, value in signals.items():
            label, name = self._split(key)
            if name in _SPECIAL_SIGNALS:
                special.append((label, name, value))
            if value is not None:
                group = KEPT if removal is None else HERE if removal[0] == label else ELSEWHERE
                self._add_signal(key, group, value)
        self._add_samples(record, removal)
        if host is not None:
            self._add_host(host, removal)
        for label, name, value in special:
            if name == "language" and isinstance(value, str):
                self._add_language(record, removal, signals, label, value)
            elif name == "duplicate_of":
                self._add_duplicate(record, signals, label, value)
            elif host is not None and isinstance(value, int | float):
                self._add_promotion(f"{label}.{name}", host, float(value), removal)

    def _split(self, key: str) -> tuple[str, str]:
        """(label, name) of a signal key, cached: keys repeat in every record."""
        split = self._keys.get(key)
        if split is None:
            label, _, name = key.rpartition(".")
            split = self._keys[key] = (label, name)
        return split

    def _add_signal(self, key: str, group: str, value: Any) -> None:
        if isinstance(value, bool):
            self.flags[key][(group, value)] += 1
        elif isinstance(value, int | float):
            if math.isfinite(value):
                self.numeric[key][group].append(value)
        elif isinstance(value, str) and key not in self.too_many_categories:
            counter = self.categories[key]
            counter[(value, group)] += 1
            if len(counter) > MAX_CATEGORIES:
                self.too_many_categories.add(key)
                del self.categories[key]

    def _add_samples(self, record: dict[str, Any], removal: tuple[str, str] | None) -> None:
        if removal is not None:
            reservoir = self.removal_samples.get(removal)
            if reservoir is None:
                reservoir = self.removal_samples[removal] = Reservoir(SAMPLES_PER_REASON, "|".join(removal))
            reservoir.offer(lambda: DocSample.of(record))
        stripped = {(str(e.get("stage")), str(e.get("reason"))) for e in record.get("removed_lines") or ()}
        for key in sorted(stripped):
            reservoir = self.line_samples.get(key)
            if reservoir is None:
                reservoir = self.line_samples[key] = Reservoir(LINE_SAMPLES_PER_REASON, "|".join(key))
            reservoir.offer(lambda: DocSample.of(record))

    def _add_host(self, host: str, removal: tuple[str, str] | None) -> None:
        self.host_documents[host] += 1
        if removal is not None:
            self.host_removed[host] += 1
            self.host_reasons[(host, f"{removal[0]}: {removal[1]}")] += 1

    def _add_promotion(self, key: str, host: str, share: float, removal: tuple[str, str] | None) -> None:
        entry = self.promotion[key][host]
        entry.share = max(entry.share, share)
        entry.documents += 1
        entry.removed += removal is not None

    def _add_language(
        self,
        record: dict[str, Any],
        removal: tuple[str, str] | None,
        signals: dict,
        label: str,
        language: str,
    ) -> None:
        sample = self.languages[label]
        sample.mix[(language, KEPT if removal is None else "removed")] += 1
        first = signals.get(f"{label}.first_pass")
        if isinstance(first, str):
            resolved_by = signals.get(f"{label}.resolved_by")
            sample.transitions[(first, language, str(resolved_by or "-"))] += 1
            if first != language:
                sample.changes.offer(partial(DocSample.of, record, label, chars=600))

    def _add_duplicate(self, record: dict[str, Any], signals: dict, label: str, duplicate_of: Any) -> None:
        record_id = str(record.get("id"))
        sample = self.dedup[label]
        size = signals.get(f"{label}.cluster_size")
        cluster = signals.get(f"{label}.cluster_id")
        in_cluster = isinstance(size, int) and size > 1
        if in_cluster:
            sample.documents_by_cluster_size[size] += 1
        if duplicate_of is not None:
            sample.duplicates += 1
            sample.copies_of[str(duplicate_of)] += 1
        key_of_cluster = cluster if cluster is not None and in_cluster else duplicate_of
        make = partial(DocSample.of, record, label, chars=800)
        if key_of_cluster is not None:
            sample.clusters.offer(str(key_of_cluster), record_id, make, first=duplicate_of is None)
        else:
            sample.clusters.attach(record_id, record_id, make, first=True)

    def add_quarantined(self, record: dict[str, Any]) -> None:
        self.read["quarantine"] += 1
        reason = quarantine_reason(record.get("stage"), str(record.get("error") or ""))
        reservoir = self.quarantine_samples.get(reason)
        if reservoir is None:
            reservoir = self.quarantine_samples[reason] = Reservoir(SAMPLES_PER_REASON, reason)
        reservoir.offer(
            lambda: QuarantineSample(
                id=record.get("id"),
                source=record.get("source"),
                stage=record.get("stage"),
                error=str(record.get("error") or "")[:500],
                raw=str(record.get("raw") or "")[:600],
            )
        )
