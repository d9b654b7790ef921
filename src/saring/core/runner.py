"""Applying stages to batches: signals, decisions, line removals, time limits and statistics.

Engines (local, Ray) call :func:`apply_stage` and :func:`collect_keys`; the logic of what a
stage's output does to a batch lives here once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from saring.core.accounting import StageStats
from saring.core.batch import DocumentBatch
from saring.core.limits import RecordTimeout, time_limit
from saring.core.stage import CorpusStage, DocView, Measured, Stage

logger = logging.getLogger("saring")


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    record_seconds: float = 30.0  # per-record time limit of every stage
    batch_seconds_per_record: float = 0.05  # extra allowance per record when a whole batch runs at once


class _Guard:
    """Run ``work(view) -> result`` over a batch's active rows; isolate failing rows one by one.

    A batch that fails as a whole is counted in ``stats.retried_batches`` by its error and logged, so
    that a stage failing on every batch shows as an error, not only as a slowdown."""

    def __init__(self, label: str, options: RunOptions, stats: StageStats) -> None:
        self.label = label
        self.options = options
        self.stats = stats

    def run(
        self,
        batch: DocumentBatch,
        work: Callable[[DocumentBatch, np.ndarray], None],
        reset: Callable[[], None] = lambda: None,
        rows: np.ndarray | None = None,
    ) -> None:
        """``reset`` undoes a failed whole-batch attempt; ``rows`` defaults to the active rows."""
        rows = batch.active_rows() if rows is None else rows
        if len(rows) == 0:
            return
        limit = self.options.record_seconds + self.options.batch_seconds_per_record * len(rows)
        try:
            with time_limit(limit):
                work(batch, rows)
            return
        except Exception as error:  # retried row by row below, so that one bad record does not sink the batch
            problem = (
                "time limit" if isinstance(error, RecordTimeout) else f"{type(error).__name__}: {error}"[:200]
            )
            self.stats.retried_batches[problem] += 1
            logger.warning(
                "%s: a batch of %d failed as a whole (%s); retrying row by row",
                self.label,
                len(rows),
                problem,
            )
            reset()
        for row in rows:
            part = batch.take([int(row)])
            try:
                with time_limit(self.options.record_seconds):
                    work(part, np.array([0], dtype=np.int64))
            except RecordTimeout:
                part.quarantine(
                    0, self.label, f"exceeded the per-record time limit of {self.options.record_seconds:g} s"
                )
                self.stats.quarantined += 1
            except Exception as error:
                part.quarantine(0, self.label, f"{type(error).__name__}: {error}"[:1000])
                self.stats.quarantined += 1
            batch.put([int(row)], part)


def _strip_lines(text: str, removals: list[tuple[int, str]]) -> tuple[str, list[tuple[str, str]]]:
    lines = text.split("\n")
    drop = dict(removals)
    removed = [(drop[i], lines[i]) for i in sorted(drop) if 0 <= i < len(lines)]
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return kept, removed


def _commit(stage: Stage, batch: DocumentBatch, rows: np.ndarray, measured: Measured, dry_run: bool) -> None:
    """Write a stage's measurement and decisions into the batch (after all of it was computed)."""
    schema = stage.signal_schema()
    local = {name: list(values) for name, values in measured.signals.items()}
    reasons = stage.decide(local) if local else [None] * len(rows)
    unknown = set(local) - set(schema)
    if unknown:
        raise ValueError(f"stage {stage.label} returned undeclared signals {sorted(unknown)}")
    texts = batch.texts
    if measured.texts is not None:
        for row, text in zip(rows, measured.texts, strict=True):
            texts[row] = text
    if measured.line_removals is not None:
        for row, removals, reason in zip(rows, measured.line_removals, reasons, strict=True):
            # a document the stage removes leaves as it came in; a dry run records its lines all the same,
            # so that ``saring decide`` can keep it under other thresholds and strip them then
            if not removals or (reason is not None and not dry_run):
                continue
            stripped, removed = _strip_lines(texts[row], removals)
            batch.record_removed_lines(int(row), stage.label, removed)
            if not dry_run:
                texts[row] = stripped
    for name, values in local.items():
        batch.set_signal(f"{stage.label}.{name}", schema[name], rows, values)
    for row, reason in zip(rows, reasons, strict=True):
        if reason is not None:
            batch.remove(int(row), stage.label, reason, dry_run)


def apply_stage(stage: Stage, batch: DocumentBatch, stats: StageStats, options: RunOptions) -> None:
    """Measure, decide and record one stage on a batch, updating ``stats``."""
    started = time.perf_counter()
    rows_in = batch.active_rows()
    sizes_in = [batch.text_size(i) for i in rows_in]
    lines_before = [len(batch.columns["removed_lines"][i] or ()) for i in rows_in]

    def work(target: DocumentBatch, rows: np.ndarray) -> None:
        measured = stage.measure(DocView.of(target, rows))
        _commit(stage, target, rows, measured, options.dry_run)

    _Guard(stage.label, options, stats).run(batch, work)
    stats.docs_in += len(rows_in)
    stats.bytes_in += sum(s[0] for s in sizes_in)
    stats.words_in += sum(s[1] for s in sizes_in)
    for k, row in enumerate(rows_in):
        status = batch.status(row)
        entries = batch.columns["removed_lines"][row] or ()
        for entry in entries[lines_before[k] :]:
            stats.lines_removed[entry["reason"]] += 1
        flags = batch.columns["would_remove"][row] or ()
        for flag in flags:
            stage_label, _, reason = flag.partition(":")
            if stage_label == stage.label:
                stats.would_remove[reason] += 1
        if status == "kept":
            size = batch.text_size(row)
            stats.docs_out += 1
            stats.bytes_out += size[0]
            stats.words_out += size[1]
        elif status == "removed":
            stats.removed[batch.columns["removed_reason"][row]] += 1
    stats.seconds += time.perf_counter() - started


def collect_keys(
    stage: CorpusStage, batch: DocumentBatch, stats: StageStats, options: RunOptions
) -> pa.Table:
    """Run a corpus stage's collect step over a batch; rows that fail are quarantined."""
    started = time.perf_counter()
    parts: list[pa.Table] = []

    def work(target: DocumentBatch, rows: np.ndarray) -> None:
        parts.append(stage.collect(DocView.of(target, rows)))

    rows = batch.readable_rows() if stage.collect_removed else None
    _Guard(stage.label, options, stats).run(batch, work, reset=parts.clear, rows=rows)
    stats.seconds += time.perf_counter() - started
    if not parts:
        return stage.collect_schema().empty_table()
    return pa.concat_tables(parts)
