"""Re-deciding a dry run: new thresholds applied to stored signals, without recomputing anything.

The workflow: ``saring run --dry-run`` computes every signal for every document (nothing is removed;
decisions are recorded as ``would_remove``), the report shows the distributions, and
``saring decide DRY_RUN_OUT PIPELINE.yaml --output FINAL`` applies the thresholds of PIPELINE.yaml to
the stored signals. Each document is removed by the first stage, in pipeline order, whose ``decide``
returns a reason; as in a run, the documents a stage keeps lose the lines it recorded, and those it
removes leave with them. A change to a parameter that shaped the stored signals (anything outside a
stage's ``decide_params`` and ``resource_params``) is refused: that needs a new dry run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from saring.config import Pipeline
from saring.core.accounting import ShardStats
from saring.core.batch import DocumentBatch
from saring.core.stage import Stage
from saring.engine.run import RunError, RunResult
from saring.engine.shard import signal_types
from saring.io.parts import ReadTally, part_files, records
from saring.io.writers import KINDS, OUTPUT_FILES, OutputStore, ShardFileWriter, write_dataset_card

BATCH = 1024


def _strip_recorded_lines(text: str, removed: list[dict[str, Any]], label: str) -> str:
    """Remove, in order, the lines the stage ``label`` recorded (a dry run records without stripping)."""
    pending = [entry["line"] for entry in removed if entry["stage"] == label]
    if not pending:
        return text
    kept, index = [], 0
    for line in text.split("\n"):
        if index < len(pending) and line == pending[index]:
            index += 1
            continue
        kept.append(line)
    return "\n".join(kept)


def _batch(rows: list[dict[str, Any]], types: dict[str, Any], labels: set[str]) -> DocumentBatch:
    batch = DocumentBatch.from_rows(
        {
            "id": r.get("id"),
            "text": r.get("text") or "",
            "url": r.get("url"),
            "source": r.get("source"),
            "metadata": m if isinstance(m := r.get("metadata"), str) else orjson.dumps(m or {}).decode(),
            "removed_lines": [e for e in r.get("removed_lines") or [] if e["stage"] in labels],
            "order": 0,
        }
        for r in rows
    )
    for key, dtype in types.items():
        batch.set_signal(key, dtype, range(len(rows)), [(r.get("signals") or {}).get(key) for r in rows])
    return batch


def _decide(stages: list[Stage], batch: DocumentBatch, stats: ShardStats) -> None:
    """Each stage's decisions in pipeline order; as in a run, the documents a stage keeps lose the lines it
    recorded (counted), and those it removes leave with their lines."""
    texts, removed_lines = batch.texts, batch.columns["removed_lines"]
    for stage in stages:
        rows = batch.active_rows()
        stage_stats = stats.stage(stage.label)
        names = list(stage.signal_schema())
        signals = {name: [batch.signals[f"{stage.label}.{name}"][i] for i in rows] for name in names}
        reasons = stage.decide(signals) if len(rows) and names else [None] * len(rows)
        if names:  # a stage without signals decides nothing and is not counted
            stage_stats.docs_in += len(rows)
            stage_stats.docs_out += reasons.count(None)
        for row, reason in zip(rows.tolist(), reasons, strict=True):
            entries = removed_lines[row] or []
            if reason is None:
                texts[row] = _strip_recorded_lines(texts[row], entries, stage.label)
                for entry in entries:
                    if entry["stage"] == stage.label:
                        stage_stats.lines_removed[entry["reason"]] += 1
            else:
                removed_lines[row] = [e for e in entries if e["stage"] != stage.label]
                batch.remove(row, stage.label, reason, dry_run=False)
                stage_stats.removed[reason] += 1


def _check_unchanged_measurements(
    stages: list[Stage], dry_run_stages: list[dict[str, Any]], source: Path
) -> None:
    """Refuse parameters that shaped the stored signals but changed since the dry run (a new
    near_dedup threshold needs new clusters; a gambling line threshold, new spam lines): applying the
    pipeline would silently keep the dry run's values for them."""
    measured = {spec.get("label") or spec["stage"]: spec.get("params") or {} for spec in dry_run_stages}
    for stage in stages:
        if stage.label not in measured:
            continue  # a stage the dry run did not have: its signals are missing (checked on reading)
        try:
            before = type(stage.params)(**measured[stage.label]).model_dump()
        except ValidationError as error:
            raise RunError(
                f"stage {stage.label!r}: the parameters the dry run in {source} stored are no longer valid "
                f"({error.error_count()} problems: {error.errors()[0]['msg']}); rerun the dry run"
            ) from None
        after = stage.params.model_dump()
        free = stage.decide_params | stage.resource_params
        changed = sorted(k for k in after if after[k] != before.get(k) and k not in free)
        if changed:
            values = ", ".join(f"{k}: {before.get(k)!r} -> {after[k]!r}" for k in changed)
            allowed = ", ".join(sorted(stage.decide_params)) or "none"
            raise RunError(
                f"stage {stage.label!r}: {values} changed since the dry run in {source}, but they shape the "
                f"signals it stored; rerun the dry run with them (decide re-applies only: {allowed})"
            )


def _read(source: Path, kind: str) -> Iterator[tuple[Path, Iterator[dict[str, Any]]]]:
    for path in part_files(source, kind):
        yield path, records(path, ReadTally())


def redecide(
    source: str | Path,
    pipeline: Pipeline,
    output: str,
    overwrite: bool = False,
    log: Callable[[str], None] = print,
) -> RunResult:
    """Apply ``pipeline``'s decisions to the signals stored by a finished dry run in ``source``."""
    started = time.perf_counter()
    source = Path(source)
    try:
        manifest = orjson.loads((source / "manifest.json").read_bytes())
    except OSError:
        raise RunError(f"{source} holds no finished run (manifest.json is missing)") from None
    if not manifest["pipeline"].get("dry_run"):
        raise RunError(
            f"{source} is not a dry run: documents removed there lack later signals; rerun with --dry-run"
        )
    stages = pipeline.build_stages()
    _check_unchanged_measurements(stages, manifest["pipeline"].get("stages", []), source)
    types = signal_types(stages)
    store = OutputStore(output)
    if store.exists("manifest.json") and not overwrite:
        raise RunError(f"{store.display()} holds a finished run; pass --overwrite or choose another --output")
    for name in OUTPUT_FILES:
        store.remove(name)
    labels = {stage.label for stage in stages}
    stats = ShardStats()
    for path, rows in _read(source, "kept"):
        stem = path.name.split(".")[0]
        writers = {
            kind: ShardFileWriter(store, f"{kind}/{stem}", pipeline.output.format, types) for kind in KINDS
        }
        pending: list[dict[str, Any]] = []
        for row in [*rows, None]:
            if row is not None:
                pending.append(row)
                if len(pending) < BATCH:
                    continue
            if not pending:
                break
            missing = sorted(key for key in types if key not in (pending[0].get("signals") or {}))
            if missing:
                raise RunError(
                    f"{source}: stored documents have no signals {missing}; run them with these stages"
                )
            batch = _batch(pending, types, labels)
            _decide(stages, batch, stats)
            kept = [i for i in range(len(batch)) if batch.status(i) == "kept"]
            removed = [i for i in range(len(batch)) if batch.status(i) == "removed"]
            writers["kept"].write(batch, kept, "kept")
            if pipeline.output.write_removed:
                writers["removed"].write(batch, removed, "removed")
            stats.documents_in += len(batch)
            stats.kept += len(kept)
            stats.removed += len(removed)
            stats.bytes_in += sum(batch.text_size(i)[0] for i in range(len(batch)))
            stats.bytes_kept += sum(batch.text_size(i)[0] for i in kept)
            pending = []
        for writer in writers.values():
            writer.close()
    for path in part_files(source, "quarantine"):
        store.write_bytes(f"quarantine/{path.name}", path.read_bytes())
    source_stats = orjson.loads((source / "stats.json").read_bytes())
    stats.quarantined = source_stats["documents"]["quarantined"]
    stats.documents_in += stats.quarantined
    stats.quarantine_reasons.update(source_stats.get("quarantine_reasons", {}))
    seconds = time.perf_counter() - started
    summary = stats.to_dict()
    summary["run"] = {"seconds": round(seconds, 3), "decided_from": str(source), "dry_run": False}
    store.write_json("stats.json", summary)
    store.write_json(
        "manifest.json",
        {**manifest, "pipeline": pipeline.model_dump(mode="json"), "decided_from": str(source)},
    )
    write_dataset_card(store, types, f"# saring output (decided from {source})\n\n{stats.balance_line()}")
    if pipeline.output.report and store.local:
        from saring.report import write_report

        write_report(store.root)
    log(f"re-decided {stats.documents_in - stats.quarantined:,} stored documents in {seconds:.1f} s")
    return RunResult(store.display(), stats, seconds, 1)
