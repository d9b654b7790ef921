"""The run report: ``OUT/report.html``, rebuilt from a finished run's outputs without rerunning.

``write_report(OUT)`` reads ``stats.json``, ``manifest.json`` and a bounded, deterministic sample of
the kept, removed and quarantine parts, and writes one self-contained HTML file: inline SVG charts,
no script, a Content-Security-Policy that forbids loading or running anything, and every piece of
document text escaped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from saring.core.registry import stage_class
from saring.io.parts import ReadTally, part_files, read_budgeted
from saring.report.collect import CorpusSample
from saring.report.markup import el, join, page
from saring.report.sections import SECTIONS, RunData
from saring.report.style import STYLE

__all__ = ["DEFAULT_MAX_DOCUMENTS", "write_report"]

#: Documents read (kept and removed together) for distributions and samples.
DEFAULT_MAX_DOCUMENTS = 100_000
MAX_QUARANTINED = 5_000


def stage_thresholds(manifest: dict[str, Any], notes: list[str]) -> dict[str, float]:
    """Signal key -> threshold, from the pipeline's stages rebuilt as configured."""
    found: dict[str, float] = {}
    for spec in (manifest.get("pipeline") or {}).get("stages") or []:
        label = spec.get("label") or spec.get("stage")
        try:
            cls = stage_class(spec["stage"])
            stage = cls(cls.Params(**(spec.get("params") or {})), label)
            thresholds = stage.thresholds()
        except Exception as error:  # a plugin stage may fail in any way; the report still appears
            notes.append(f"thresholds of stage {label!r} unavailable: {type(error).__name__}: {error}")
            continue
        found.update(
            {f"{label}.{name}": float(v) for name, v in thresholds.items() if isinstance(v, int | float)}
        )
    return found


def _budgets(documents: dict[str, int], max_documents: int) -> dict[str, int | None]:
    """Documents to read of each kind: all (None) when they fit, else proportional to the run's counts."""
    counts = {kind: int(documents.get(kind, 0)) for kind in ("kept", "removed")}
    total = sum(counts.values())
    if total <= max_documents:
        return dict.fromkeys(counts)
    return {kind: max_documents * count // total for kind, count in counts.items()}


def sample_run(output: Path, stats: dict[str, Any], max_documents: int) -> tuple[CorpusSample, dict]:
    """Stream a bounded sample of the run's parts (removed first, so duplicates precede originals)."""
    sample = CorpusSample()
    tallies = {}
    budgets = _budgets(stats.get("documents", {}), max_documents)
    for kind in ("removed", "kept"):
        tallies[kind] = tally = ReadTally()
        for record in read_budgeted(part_files(output, kind), budgets[kind], tally):
            sample.add(record, kind)
    tallies["quarantine"] = tally = ReadTally()
    for record in read_budgeted(part_files(output, "quarantine"), MAX_QUARANTINED, tally):
        sample.add_quarantined(record)
    return sample, tallies


def build_report(output: Path, max_documents: int = DEFAULT_MAX_DOCUMENTS) -> str:
    """The report's HTML for the finished run in ``output``."""
    stats_path = output / "stats.json"
    if not stats_path.is_file():
        raise FileNotFoundError(f"{stats_path} not found: {output} does not hold a finished saring run")
    stats = orjson.loads(stats_path.read_bytes())
    manifest_path = output / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes()) if manifest_path.exists() else {}
    notes: list[str] = []
    thresholds = stage_thresholds(manifest, notes)
    sample, tallies = sample_run(output, stats, max_documents)
    unreadable = sum(t.unreadable for t in tallies.values())
    if unreadable:
        notes.append(f"{unreadable:,} lines of the part files did not decode and were skipped")
    data = RunData(output, stats, manifest, sample, tallies, thresholds, notes)
    sections = [s for build in SECTIONS if (s := build(data)) is not None]
    nav = el("nav", [el("a", s.title, href=f"#{s.id}") for s in sections])
    header = el(
        "header",
        el("h1", "saring run report"),
        el("p", el("code", str(output)), " · finished ", manifest.get("finished", "?")),
    )
    body = join(
        header, nav, el("main", [el("section", el("h2", s.title), s.body, id=s.id) for s in sections])
    )
    return page(f"saring report: {output.name}", body, STYLE)


def write_report(output: str | os.PathLike[str], max_documents: int = DEFAULT_MAX_DOCUMENTS) -> Path:
    """Write ``OUT/report.html`` for the finished run in ``output``; returns its path.

    At most ``max_documents`` kept and removed documents are read (spread over every part file, in
    proportion to the run's counts); the report says when it sampled.
    """
    folder = Path(output)
    html = build_report(folder, max_documents)
    target = folder / "report.html"
    temporary = folder / f"report.html.tmp-{os.getpid()}"
    temporary.write_text(html, encoding="utf-8", errors="replace")
    os.replace(temporary, target)
    return target
