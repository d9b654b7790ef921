"""The report's sections, each built from stats.json, the manifest and the streamed sample.

A section returns None when what it shows is absent from the run (e.g. no language signals), so
the report grows with the pipeline's capabilities and never shows empty frames.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from saring.io.parts import ReadTally
from saring.report.charts import bars, fmt_bytes, fmt_count, fmt_value, histogram_chart, histogram_of
from saring.report.collect import ELSEWHERE, HERE, KEPT, CorpusSample, DocSample
from saring.report.markup import Markup, el, join

BLUE, RED, GREY, ORANGE, GREEN = "#4c78a8", "#e45756", "#b5aca6", "#f58518", "#54a24b"
TOP_ROWS = 20
CATEGORY_TABLE_LIMIT = 30  # string signals with at most this many values get a table
CLUSTER_BUCKETS = ((2, 2), (3, 3), (4, 5), (6, 10), (11, 100), (101, 1000), (1001, None))


@dataclass
class RunData:
    """Everything the sections read."""

    output: Path
    stats: dict[str, Any]
    manifest: dict[str, Any]
    sample: CorpusSample
    tallies: dict[str, ReadTally]
    thresholds: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return bool(self.stats.get("run", {}).get("dry_run") or self.pipeline.get("dry_run"))

    @property
    def pipeline(self) -> dict[str, Any]:
        return self.manifest.get("pipeline") or {}

    @property
    def removed_word(self) -> str:
        return "would be removed" if self.dry_run else "removed"

    def stage_order(self) -> list[str]:
        """Stage labels in pipeline order (then any others stats.json knows)."""
        labels = [s.get("label") or s.get("stage") for s in self.pipeline.get("stages") or []]
        return labels + sorted(set(self.stats.get("stages", {})) - set(labels))

    def stage_rank(self, label: str) -> int:
        order = self.stage_order()
        return order.index(label) if label in order else len(order)


@dataclass
class Section:
    id: str
    title: str
    body: Markup


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]], text_columns: int = 1) -> Markup:
    """A table whose first ``text_columns`` columns are text and the rest right-aligned figures."""
    head = el("tr", [el("th", h) for h in header])
    body = [
        el("tr", [el("td", c, class_="num" if i >= text_columns else None) for i, c in enumerate(r)])
        for r in rows
    ]
    return el("table", el("thead", head), el("tbody", body))


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _signal_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return fmt_value(value) if isinstance(value, int | float) else str(value)


def _doc_card(doc: DocSample, highlight_lines: bool = False) -> Markup:
    """A sampled document: fate, id, URL (as text, never a link), signals and its text snippet."""
    more = doc.text_chars - len(doc.text)
    signals = " · ".join(f"{key}={_signal_text(value)}" for key, value in doc.signals.items())
    return el(
        "div",
        el("div", el("span", doc.fate, class_="fate"), " ", el("code", doc.id), class_="doc-head"),
        el("div", el("code", doc.url), class_="url") if doc.url else None,
        el("div", signals, class_="signals") if signals else None,
        el("pre", doc.text, class_="doc"),
        el("div", f"… {more:,} more characters", class_="more") if more > 0 else None,
        class_="card",
    )


def overview(data: RunData) -> Section:
    docs = data.stats.get("documents", {})
    run = data.stats.get("run", {})
    total_in = docs.get("in", 0)
    balanced = total_in == docs.get("kept", 0) + docs.get("removed", 0) + docs.get("quarantined", 0)
    balance = el(
        "p",
        "in = kept + removed + quarantined: ",
        el(
            "strong",
            f"{total_in:,} = {docs.get('kept', 0):,} + {docs.get('removed', 0):,} + "
            f"{docs.get('quarantined', 0):,}",
        ),
        " ",
        el("span", "balanced" if balanced else "MISMATCH", class_="ok" if balanced else "bad"),
        class_="balance",
    )
    attempts = run.get("attempts", 1)
    figures = [
        ("documents in", fmt_count(total_in)),
        ("kept", f"{docs.get('kept', 0):,} ({_share(docs.get('kept', 0), total_in)})"),
        ("removed", f"{docs.get('removed', 0):,} ({_share(docs.get('removed', 0), total_in)})"),
        ("quarantined", f"{docs.get('quarantined', 0):,}"),
        (
            "bytes in → kept",
            f"{fmt_bytes(data.stats.get('bytes', {}).get('in', 0))} → "
            f"{fmt_bytes(data.stats.get('bytes', {}).get('kept', 0))}",
        ),
        ("input files", fmt_count(len(data.stats.get("inputs", {})))),
        (
            "run time" if attempts == 1 else f"run time of the last of {attempts} attempts",
            f"{run.get('seconds', 0):,.1f} s ({run.get('engine', '?')}, workers: {run.get('workers', '?')})",
        ),
        (
            "throughput",
            f"{run.get('docs_per_second', 0):,.0f} docs/s, {run.get('mb_per_second', 0):,.2f} MB/s",
        ),
    ]
    cards = el(
        "div",
        [el("div", el("div", v, class_="figure"), el("div", k), class_="tile") for k, v in figures],
        class_="tiles",
    )
    dry = (
        el("p", "Dry run: nothing was removed; ‘removed’ below means ‘would be removed’.", class_="warn")
        if data.dry_run
        else None
    )
    notes = el("ul", [el("li", n) for n in data.notes], class_="notes") if data.notes else None
    return Section("overview", "Overview", join(balance, dry, cards, _sampling_note(data), notes))


def _sampling_note(data: RunData) -> Markup:
    docs = data.stats.get("documents", {})
    parts = []
    complete = True
    for kind in ("kept", "removed"):
        tally = data.tallies.get(kind, ReadTally())
        total = docs.get(kind, 0)
        complete &= tally.records >= total
        parts.append(
            f"{kind} {tally.records:,} of {total:,} (from {tally.files_read} of {tally.files} part files)"
        )
    if complete:
        what = "all of the run's kept and removed documents"
    else:
        what = "a sample: " + "; ".join(parts) + ", the first documents of every part file"
    return el(
        "p",
        "Signal distributions, hosts, languages, clusters and example documents come from ",
        el("strong", what),
        ". The funnel, removal, line and quarantine counts are exact (stats.json).",
        class_="sampling",
    )


def funnel(data: RunData) -> Section | None:
    stages = data.stats.get("stages", {})
    order = [label for label in data.stage_order() if label in stages]
    if not order:
        return None
    docs_chart = bars(
        [
            (label, (s["docs_out"], sum(s["removed"].values()), s["quarantined"]))
            for label in order
            for s in [stages[label]]
        ],
        [("continue", BLUE), ("removed", RED), ("quarantined", ORANGE)],
        title="documents per stage",
    )
    bytes_chart = bars(
        [
            (
                label,
                (stages[label]["bytes_out"], max(stages[label]["bytes_in"] - stages[label]["bytes_out"], 0)),
            )
            for label in order
        ],
        [("bytes out", BLUE), ("bytes dropped or rewritten away", RED)],
        title="bytes per stage",
        number=fmt_bytes,
    )
    rows = [
        (
            label,
            f"{s['docs_in']:,}",
            f"{s['docs_out']:,}",
            f"{sum(s['removed'].values()):,}",
            f"{sum(s.get('would_remove', {}).values()):,}",
            f"{s['quarantined']:,}",
            fmt_bytes(s["bytes_in"]),
            fmt_bytes(s["bytes_out"]),
            f"{s['words_in']:,}",
            f"{s['words_out']:,}",
            f"{sum(s.get('lines_removed', {}).values()):,}",
            f"{s['seconds']:,.2f}",
        )
        for label in order
        for s in [stages[label]]
    ]
    table = _table(
        [
            "stage",
            "docs in",
            "docs out",
            "removed",
            "would remove",
            "quarantined",
            "bytes in",
            "bytes out",
            "words in",
            "words out",
            "lines removed",
            "seconds",
        ],
        rows,
    )
    return Section(
        "funnel",
        "Funnel",
        join(
            el("h3", "Documents"),
            docs_chart,
            el("h3", "Bytes"),
            bytes_chart,
            el("h3", "Per stage"),
            el("div", table, class_="wide"),
        ),
    )


def removals(data: RunData) -> Section | None:
    stages = data.stats.get("stages", {})
    order = [label for label in data.stage_order() if label in stages]
    parts = []
    for key, title, color in (
        ("removed", "Documents removed, by stage and reason", RED),
        ("would_remove", "Documents that would be removed (dry run), by stage and reason", RED),
        ("lines_removed", "Lines stripped, by stage and reason", ORANGE),
    ):
        rows = sorted(
            (
                (f"{label} · {reason}", (count,))
                for label in order
                for reason, count in stages[label].get(key, {}).items()
            ),
            key=lambda row: -row[1][0],
        )
        if rows:
            parts += [el("h3", title), bars(rows, [(key, color)], title=title)]
    quarantine = data.stats.get("quarantine_reasons", {})
    if quarantine:
        rows = sorted(((reason, (count,)) for reason, count in quarantine.items()), key=lambda r: -r[1][0])
        parts += [
            el("h3", "Quarantine reasons"),
            bars(rows[:TOP_ROWS], [("quarantined", ORANGE)], title="quarantine reasons", label_width=380),
        ]
    skipped = data.stats.get("skipped_records", {})
    if skipped:
        parts += [
            el("h3", "Input records that are not documents"),
            _table(["kind", "records"], [(k, f"{v:,}") for k, v in sorted(skipped.items())]),
        ]
    return Section("removals", "Removals", join(parts)) if parts else None


def _series_names(data: RunData, label: str) -> dict[str, tuple[str, str]]:
    word = data.removed_word
    return {
        KEPT: ("kept", BLUE),
        HERE: (f"{word} by {label}", RED),
        ELSEWHERE: (f"{word} by another stage", GREY),
    }


def signals(data: RunData) -> Section | None:
    sample = data.sample
    keys = sorted(sample.numeric, key=lambda k: (data.stage_rank(k.rpartition(".")[0]), k))
    parts = []
    for key in keys:
        label, _, name = key.rpartition(".")
        values = {g: np.frombuffer(a, dtype=np.float64) for g, a in sample.numeric[key].items() if len(a)}
        threshold = {name: data.thresholds[key]} if key in data.thresholds else {}
        hist = histogram_of(values, threshold)
        if hist is None:
            continue
        counts = ", ".join(f"{_series_names(data, label)[g][0]} {len(v):,}" for g, v in values.items())
        caption = f"Documents: {counts}."
        if hist.clipped:
            caption += f" {hist.clipped:,} values beyond the axis are counted in the edge bars."
        parts.append(
            el(
                "div",
                el("h3", key),
                histogram_chart(hist, _series_names(data, label), title=key),
                el("p", caption, class_="caption"),
                class_="signal",
                id=f"signal-{key}",
            )
        )
    flags = _flag_table(data)
    categories = _category_tables(data)
    if not parts and flags is None and categories is None:
        return None
    intro = el(
        "p",
        "Each signal's distribution split by the document's fate; the dashed line is the "
        "threshold its stage applies (from the stage's thresholds()).",
    )
    return Section("signals", "Signals", join(intro, el("div", parts, class_="grid"), flags, categories))


def _flag_table(data: RunData) -> Markup | None:
    rows = []
    for key in sorted(data.sample.flags, key=lambda k: (data.stage_rank(k.rpartition(".")[0]), k)):
        counts = data.sample.flags[key]
        cells = [key]
        for group in (KEPT, HERE, ELSEWHERE):
            true, total = counts[(group, True)], counts[(group, True)] + counts[(group, False)]
            cells.append(f"{true:,} / {total:,} ({_share(true, total)})" if total else "–")
        rows.append(cells)
    if not rows:
        return None
    word = data.removed_word
    return join(
        el("h3", "Yes/no signals (true / documents)"),
        _table(["signal", "kept", f"{word} by its stage", f"{word} by another stage"], rows),
    )


def _category_tables(data: RunData) -> Markup | None:
    rows = []
    for key in sorted(data.sample.categories, key=lambda k: (data.stage_rank(k.rpartition(".")[0]), k)):
        counts = data.sample.categories[key]
        by_value: Counter[str] = Counter()
        for (value, _group), count in counts.items():
            by_value[value] += count
        if key.endswith(".language") or len(by_value) > CATEGORY_TABLE_LIMIT:
            continue
        shown = ", ".join(f"{value} {count:,}" for value, count in by_value.most_common(12))
        rows.append((key, shown))
    if not rows:
        return None
    return join(
        el("h3", "Text signals (most common values)"), _table(["signal", "values (documents)"], rows, 2)
    )


def languages(data: RunData) -> Section | None:
    parts = []
    for label, sample in sorted(data.sample.languages.items()):
        totals: Counter[str] = Counter()
        for (language, _group), count in sample.mix.items():
            totals[language] += count
        top = [language for language, _ in totals.most_common(TOP_ROWS)]
        rows = [
            (language, (sample.mix[(language, KEPT)], sample.mix[(language, "removed")])) for language in top
        ]
        rest = [language for language in totals if language not in top]
        if rest:
            rows.append(
                (
                    f"{len(rest)} others",
                    (sum(sample.mix[(x, KEPT)] for x in rest), sum(sample.mix[(x, "removed")] for x in rest)),
                )
            )
        parts += [
            el("h3", f"Language mix ({label}.language)"),
            bars(rows, [("kept", BLUE), (data.removed_word, RED)], title="language mix"),
        ]
        if sample.transitions:
            changed = sum(c for (first, final, _), c in sample.transitions.items() if first != final)
            rows = [
                (first, final, by, f"{count:,}")
                for (first, final, by), count in sorted(sample.transitions.items(), key=lambda i: -i[1])[:25]
                if first != final or by != "-"
            ]
            parts += [
                el("h3", "First pass → final language (the discriminator's resolutions)"),
                el("p", f"{changed:,} documents changed language after the first pass."),
                _table(["first pass", "final", "resolved by", "documents"], rows, 3) if rows else None,
            ]
            if sample.changes.items:
                parts.append(
                    el(
                        "details",
                        el("summary", "Examples of changed documents"),
                        [_doc_card(d) for d in sample.changes.items],
                    )
                )
    return Section("languages", "Languages", join(parts)) if parts else None


def hosts(data: RunData) -> Section | None:
    sample = data.sample
    if not sample.host_removed and not sample.promotion:
        return None
    parts = []
    if sample.host_removed:
        top = [host for host, _ in sample.host_removed.most_common(TOP_ROWS)]
        reasons: dict[str, Counter[str]] = {}
        for (host, reason), count in sample.host_reasons.items():
            if host in top:
                reasons.setdefault(host, Counter())[reason] = count
        rows = [
            (
                host,
                ", ".join(f"{r} ({c:,})" for r, c in reasons[host].most_common(2)),
                f"{sample.host_documents[host]:,}",
                f"{sample.host_removed[host]:,}",
                _share(sample.host_removed[host], sample.host_documents[host]),
            )
            for host in top
        ]
        chart = bars(
            [(h, (sample.host_documents[h] - sample.host_removed[h], sample.host_removed[h])) for h in top],
            [("kept", BLUE), (data.removed_word, RED)],
            title="hosts with most removals",
        )
        parts += [
            el("h3", "Hosts with the most removals"),
            chart,
            _table(["host", "main reasons", "documents", data.removed_word, "share"], rows, 2),
        ]
    for key, hosts_found in sorted(sample.promotion.items()):
        top = sorted(
            ((h, p) for h, p in hosts_found.items() if p.share > 0), key=lambda i: (-i[1].share, i[0])
        )
        threshold = data.thresholds.get(key)
        rows = [(h, f"{p.share:.3f}", f"{p.documents:,}", f"{p.removed:,}") for h, p in top[:TOP_ROWS]]
        note = f" Threshold: {threshold:g}." if threshold is not None else ""
        parts += [
            el("h3", f"Link farms ({key})"),
            el("p", f"{len(top):,} hosts promote gambling in some document.{note}"),
            _table(["host", "highest share", "documents", data.removed_word], rows) if rows else None,
        ]
    return Section("hosts", "Hosts", join(parts))


def duplicates(data: RunData) -> Section | None:
    parts = []
    removed_by_stage = data.stats.get("stages", {})
    counted = "would_remove" if data.dry_run else "removed"
    for label, sample in sorted(data.sample.dedup.items(), key=lambda i: data.stage_rank(i[0])):
        sizes = sample.cluster_sizes()
        if not sample.duplicates and not sizes:
            continue
        in_run = sum(removed_by_stage.get(label, {}).get(counted, {}).values())
        rows = []
        for low, high in CLUSTER_BUCKETS:
            in_bucket = {s: n for s, n in sizes.items() if s >= low and (high is None or s <= high)}
            if in_bucket:
                name = f"{low}" if low == high else f"{low}–{high}" if high else f"over {low - 1}"
                rows.append(
                    (name, f"{sum(in_bucket.values()):,}", f"{sum(n / s for s, n in in_bucket.items()):,.0f}")
                )
        parts += [
            el("h3", f"{label}"),
            el(
                "p",
                f"{sample.duplicates:,} duplicates in the documents read; "
                f"{in_run:,} {data.removed_word} by {label} in the run.",
            ),
            _table(["cluster size", "documents", "clusters"], rows) if rows else None,
        ]
        clusters = sample.clusters.clusters()
        if clusters:
            parts.append(
                el("p", "A few clusters side by side (chosen by hashing their keys):", class_="caption")
            )
            parts += [el("div", [_doc_card(d) for d in members], class_="cluster") for members in clusters]
    return Section("duplicates", "Duplicates", join(parts)) if parts else None


def removal_samples(data: RunData) -> Section | None:
    stages = data.stats.get("stages", {})
    found = sorted(data.sample.removal_samples.items(), key=lambda i: (data.stage_rank(i[0][0]), i[0][1]))
    if not found:
        return None
    parts = []
    for (label, reason), reservoir in found:
        counts = stages.get(label, {})
        in_run = counts.get("would_remove" if data.dry_run else "removed", {}).get(reason, reservoir.seen)
        summary = el(
            "summary",
            el("strong", f"{label}: {reason}"),
            f" — {in_run:,} in the run, {len(reservoir.items)} of {reservoir.seen:,} read shown",
        )
        parts.append(el("details", summary, [_doc_card(d) for d in reservoir.items]))
    return Section("samples", "Removed documents by reason", join(parts))


def _lines_view(doc: DocSample, label: str, reason: str, dry_run: bool) -> Markup:
    removed = Counter(str(e.get("line")) for e in doc.removed_lines)
    kept_lines = []
    for line in doc.text.split("\n"):
        hit = dry_run and removed[line] > 0
        if hit:
            removed[line] -= 1
        kept_lines.append(el("span", line + "\n", class_="removed-line" if hit else None))
    listed = [
        el(
            "li",
            el("span", f"{e.get('stage')}: {e.get('reason')}", class_="tag"),
            " ",
            str(e.get("line")),
            class_="removed-line" if (e.get("stage"), e.get("reason")) == (label, reason) else "other-line",
        )
        for e in doc.removed_lines
    ]
    before = (
        "Text as written (a dry run keeps every line; the lines it would strip are highlighted)"
        if dry_run
        else "Text after cleaning, as written to the output"
    )
    return el(
        "div",
        el("div", el("span", doc.fate, class_="fate"), " ", el("code", doc.id), class_="doc-head"),
        el(
            "div",
            el("div", el("h4", before), el("pre", kept_lines, class_="doc")),
            el(
                "div",
                el("h4", "Lines removed, in their original order (positions are not recorded)"),
                el("ol", listed, class_="lines"),
            ),
            class_="side",
        ),
        class_="card",
    )


def line_samples(data: RunData) -> Section | None:
    found = sorted(data.sample.line_samples.items(), key=lambda i: (data.stage_rank(i[0][0]), i[0][1]))
    if not found:
        return None
    parts = [el("p", "Highlighted: lines this stage and reason stripped; grey: lines other stages stripped.")]
    for (label, reason), reservoir in found:
        summary = el(
            "summary",
            el("strong", f"{label}: {reason}"),
            f" — {reservoir.seen:,} documents read with such lines, {len(reservoir.items)} shown",
        )
        parts.append(
            el("details", summary, [_lines_view(d, label, reason, data.dry_run) for d in reservoir.items])
        )
    return Section("lines", "Line-level cleaning", join(parts))


def quarantine(data: RunData) -> Section | None:
    if not data.sample.quarantine_samples:
        return None
    parts = []
    for reason, reservoir in sorted(data.sample.quarantine_samples.items()):
        cards = [
            el(
                "div",
                el("div", el("span", q.error, class_="fate"), class_="doc-head"),
                el("div", el("code", q.source), class_="url") if q.source else None,
                el("pre", q.raw, class_="doc"),
                class_="card",
            )
            for q in reservoir.items
        ]
        shown = f" — {reservoir.seen:,} read, {len(reservoir.items)} shown"
        parts.append(el("details", el("summary", el("strong", reason), shown), cards))
    return Section("quarantine", "Quarantined records", join(parts))


SECTIONS: tuple[Callable[[RunData], Section | None], ...] = (
    overview,
    funnel,
    removals,
    signals,
    languages,
    hosts,
    duplicates,
    removal_samples,
    line_samples,
    quarantine,
)
