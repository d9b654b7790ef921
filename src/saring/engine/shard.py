"""The work of one shard in one phase: what every engine runs in its workers.

A pipeline is cut into *segments* at each corpus-wide stage. Phase 0 reads the input shard and runs
segment 0; phase k > 0 reads the shard's intermediate tables, applies corpus stage k with its plan, and
runs the rest of segment k. A phase that is not the last writes intermediate tables (Arrow IPC) and
the keys the next corpus stage collects; the last phase writes kept/removed/quarantine parts.

A shard is read as a sequence of *blocks* (``engine.block_batches`` batches each). A block is the unit
that moves between the steps (reading, then stages and writing) and names its files, so an engine may
process the blocks of one shard in different workers (the Ray engine does) and still write the same
files as an engine that goes through a shard in one worker (the local engine). A block's marker,
written after its files, lets a resumed run skip it: a kill loses at most the blocks in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from saring.config import Pipeline
from saring.core.accounting import ShardStats, quarantine_reason
from saring.core.batch import DocumentBatch
from saring.core.runner import RunOptions, apply_stage, collect_keys
from saring.core.stage import CorpusStage, Stage
from saring.io.readers import Shard, ShardReader
from saring.io.writers import KINDS, OutputStore, ShardFileWriter

ProgressFn = Callable[[int, int], None]  # (documents, bytes) done since the last call

#: A block ends early once its texts reach this size, so blocks of long documents stay small in memory.
MAX_BLOCK_TEXT_BYTES = 64 * 2**20
#: Block number under which a shard's reading statistics (and its number of blocks) are counted.
READ_SUMMARY = -1


@dataclass
class Segment:
    """A corpus stage to apply first (except in segment 0), then per-batch stages."""

    corpus: CorpusStage | None
    stages: list[Stage] = field(default_factory=list)

    @property
    def all_stages(self) -> list[Stage]:
        return ([self.corpus] if self.corpus else []) + self.stages


def split_segments(stages: list[Stage]) -> list[Segment]:
    segments = [Segment(None)]
    for stage in stages:
        if isinstance(stage, CorpusStage):
            segments.append(Segment(stage))
        else:
            segments[-1].stages.append(stage)
    return segments


def signal_types(stages: list[Stage]) -> dict[str, pa.DataType]:
    """Every signal column the stages can produce, ``label.name`` -> type."""
    return {f"{s.label}.{name}": dtype for s in stages for name, dtype in s.signal_schema().items()}


@dataclass
class WorkLayout:
    """Where a run keeps its intermediate files and completion markers."""

    root: Path

    def intermediate(self, phase: int, shard: int, block: int) -> Path:
        return self.root / f"phase{phase}" / f"shard-{shard:05d}-{block:05d}.arrow"

    def intermediates(self, phase: int, shard: int) -> list[Path]:
        """A shard's intermediate tables of ``phase``, one per block, in block order."""
        return sorted((self.root / f"phase{phase}").glob(f"shard-{shard:05d}-*.arrow"))

    def collected(self, phase: int, shard: int, block: int) -> Path:
        return self.root / f"collect{phase}" / f"shard-{shard:05d}-{block:05d}.arrow"

    def collected_files(self, phase: int) -> list[Path]:
        """Every key file collected for the corpus stage of ``phase``, in document order."""
        return sorted((self.root / f"collect{phase}").glob("shard-*.arrow"))

    def plan_dir(self, phase: int) -> Path:
        return self.root / f"plan{phase}"

    def marker(self, phase: int, shard: int) -> Path:
        return self.root / "done" / f"phase{phase}-shard-{shard:05d}.json"

    def block_marker(self, phase: int, shard: int, block: int) -> Path:
        return self.root / "blocks" / f"phase{phase}-shard-{shard:05d}-{block:05d}.json"

    def mark_done(self, phase: int, shard: int, stats: ShardStats) -> None:
        """Record a finished shard-phase with its statistics (atomically: its files exist already)."""
        write_json_atomically(self.marker(phase, shard), stats.to_dict())

    def mark_block_done(self, phase: int, shard: int, block: int, stats: ShardStats) -> None:
        """Record a finished block of a shard-phase: a resumed run does not process it again."""
        write_json_atomically(self.block_marker(phase, shard, block), stats.to_dict())

    def block_stats(self, phase: int, shard: int, block: int) -> ShardStats | None:
        """The statistics of a block an earlier attempt finished, if any."""
        marker = self.block_marker(phase, shard, block)
        return ShardStats.from_dict(orjson.loads(marker.read_bytes())) if marker.exists() else None


def write_json_atomically(path: Path, value: Any) -> None:
    """Write a work file as JSON, atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(orjson.dumps(value))
    temporary.replace(path)


def part_name(kind: str, shard: int, block: int) -> str:
    return f"{kind}/part-{shard:05d}-{block:05d}"


@dataclass
class Block:
    """Consecutive batches of one shard, numbered within the shard from 0."""

    shard: int
    index: int
    batches: list[DocumentBatch]
    input_bytes: int = 0  # input bytes read for this block (phase 0), for progress

    @property
    def documents(self) -> int:
        return sum(len(batch) for batch in self.batches)


def decode_batches(source: pa.NativeFile | pa.Buffer) -> list[DocumentBatch]:
    """The document batches of an Arrow IPC stream (a file, or a block's payload in memory)."""
    with pa.ipc.open_stream(source) as stream:
        return [DocumentBatch.from_arrow(batch) for batch in stream]


def stored_block(layout: WorkLayout, phase: int, shard: int, index: int) -> Block:
    """Block ``index`` of a shard as phase ``phase - 1`` left it."""
    return Block(shard, index, decode_batches(pa.OSFile(str(layout.intermediate(phase - 1, shard, index)))))


def block_jobs(
    shard: Shard, phase: int, pipeline: Pipeline, layout: WorkLayout, stats: ShardStats
) -> Iterator[Block | int]:
    """The work of a shard in ``phase``, block by block: in phase 0 the blocks read from the input
    (counting what was read into ``stats``; a block holds ``engine.block_batches`` batches, fewer at
    the end of the shard or once its texts reach :data:`MAX_BLOCK_TEXT_BYTES`); after, the numbers
    of the blocks the previous phase stored, which a worker loads itself (:func:`stored_block`)."""
    if phase > 0:
        yield from range(len(layout.intermediates(phase - 1, shard.index)))
        return
    reader = ShardReader(shard, pipeline.limits, pipeline.limits.record_seconds)
    pending: list[DocumentBatch] = []
    read_before = index = pending_bytes = 0
    for batch in reader.batches(pipeline.engine.batch_size):
        text_bytes = sum(batch.text_size(row)[0] for row in range(len(batch)))
        stats.documents_in += len(batch)
        stats.bytes_in += text_bytes
        pending.append(batch)
        pending_bytes += text_bytes
        if len(pending) == pipeline.engine.block_batches or pending_bytes >= MAX_BLOCK_TEXT_BYTES:
            yield Block(shard.index, index, pending, reader.bytes_read - read_before)
            pending, read_before, index, pending_bytes = [], reader.bytes_read, index + 1, 0
    if pending:
        yield Block(shard.index, index, pending, reader.bytes_read - read_before)
    stats.skipped.update(reader.rows.skipped)
    stats.inputs[shard.path] = {"bytes": reader.bytes_read, "xxh64": reader.checksum}


class ShardTally:
    """An engine driver's view of a phase: each block counted once (a retried block is not counted
    again), a shard done when its read summary (block :data:`READ_SUMMARY`) and all its blocks are."""

    def __init__(self) -> None:
        self.stats: dict[int, ShardStats] = {}
        self.blocks: dict[int, set[int]] = {}
        self.expected: dict[int, int] = {}
        self._finished: list[int] = []  # shards finished since the last take_finished

    def add(self, shard: int, block: int, stats: ShardStats, expected: int | None) -> bool:
        """Count a row; returns False for a row seen before (a retried read or block)."""
        seen = self.blocks.setdefault(shard, set())
        if block in seen:
            return False
        seen.add(block)
        if expected is not None:
            self.expected[shard] = expected
        self.stats.setdefault(shard, ShardStats()).merge(stats)
        if self.finished(shard):
            self._finished.append(shard)
        return True

    def take_finished(self) -> list[int]:
        """The shards that became finished since the last call."""
        finished, self._finished = self._finished, []
        return finished

    def finished(self, shard: int) -> bool:
        """All of the shard's blocks and its summary arrived."""
        expected = self.expected.get(shard)
        return expected is not None and len(self.blocks[shard]) == expected + 1


class ShardWorker:
    """Built once per worker process: the pipeline's stages, set up, and the plans they need.

    ``phase`` limits the set-up to the stages of that phase (a worker that serves one phase only)."""

    def __init__(self, pipeline: Pipeline, work_root: str, output_url: str, phase: int | None = None) -> None:
        self.pipeline = pipeline
        self.stages = pipeline.build_stages()
        self.segments = split_segments(self.stages)
        for segment in self.segments if phase is None else [self.segments[phase]]:
            for stage in segment.all_stages:
                stage.setup()
        self.types = signal_types(self.stages)
        self.layout = WorkLayout(Path(work_root))
        self.store = OutputStore(output_url)
        self.options = RunOptions(dry_run=pipeline.dry_run, record_seconds=pipeline.limits.record_seconds)
        self._loaded_plans: set[int] = set()

    def process(self, block: Block, phase: int) -> ShardStats:
        """Apply the phase's stages to a block and write its files; returns the block's statistics. A
        block an interrupted attempt finished (files written, then its marker) is not processed again."""
        done = self.layout.block_stats(phase, block.shard, block.index)
        if done is not None:
            return done
        segment = self.segments[phase]
        if segment.corpus is not None and phase not in self._loaded_plans:
            segment.corpus.load_plan(self.layout.plan_dir(phase))
            self._loaded_plans.add(phase)
        stats = ShardStats()
        last = phase == len(self.segments) - 1
        sink = _FinalSink(self, block, stats) if last else _IntermediateSink(self, block, phase, stats)
        for batch in block.batches:
            for stage in segment.all_stages:
                apply_stage(stage, batch, stats.stage(stage.label), self.options)
            sink.write(batch)
        sink.close()
        self.layout.mark_block_done(phase, block.shard, block.index, stats)
        return stats

    def run(self, shard: Shard, phase: int, progress: ProgressFn) -> ShardStats:
        """Process one shard through one phase, block after block; returns its statistics (also saved
        in its completion marker)."""
        stats = ShardStats()
        for job in block_jobs(shard, phase, self.pipeline, self.layout, stats):
            block = job if isinstance(job, Block) else stored_block(self.layout, phase, shard.index, job)
            stats.merge(self.process(block, phase))
            progress(block.documents, block.input_bytes)
        self.layout.mark_done(phase, shard.index, stats)
        return stats


class _FinalSink:
    """Splits rows into kept / removed / quarantine parts."""

    def __init__(self, worker: ShardWorker, block: Block, stats: ShardStats) -> None:
        output = worker.pipeline.output
        self.stats = stats
        self.write_removed = output.write_removed
        self.writers = {
            kind: ShardFileWriter(
                worker.store, part_name(kind, block.shard, block.index), output.format, worker.types
            )
            for kind in KINDS
        }

    def write(self, batch: DocumentBatch) -> None:
        rows: dict[str, list[int]] = {kind: [] for kind in ("kept", "removed", "quarantined")}
        for row in range(len(batch)):
            rows[batch.status(row)].append(row)
        for row in rows["quarantined"]:
            stage = batch.columns["quarantine_stage"][row]
            error = batch.columns["quarantine_error"][row]
            self.stats.quarantine_reasons[quarantine_reason(stage, error)] += 1
        self.stats.kept += len(rows["kept"])
        self.stats.removed += len(rows["removed"])
        self.stats.quarantined += len(rows["quarantined"])
        self.stats.bytes_kept += sum(batch.text_size(row)[0] for row in rows["kept"])
        self.writers["kept"].write(batch, rows["kept"], "kept")
        if self.write_removed:
            self.writers["removed"].write(batch, rows["removed"], "removed")
        self.writers["quarantine"].write(batch, rows["quarantined"], "quarantine")

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


class _IntermediateSink:
    """Writes the shard's rows for the next phase, and the keys its corpus stage collects."""

    def __init__(self, worker: ShardWorker, block: Block, phase: int, stats: ShardStats) -> None:
        self.worker = worker
        self.stats = stats
        self.next_stage = worker.segments[phase + 1].corpus
        assert self.next_stage is not None
        self.paths = [
            worker.layout.intermediate(phase, block.shard, block.index),
            worker.layout.collected(phase + 1, block.shard, block.index),
        ]
        self.schemas = [DocumentBatch.empty().to_arrow(worker.types).schema, self.next_stage.collect_schema()]
        self.writers: list[pa.ipc.RecordBatchStreamWriter] = []
        self.sinks: list[pa.OSFile] = []
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        for path, schema in zip(self.paths, self.schemas, strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            self.sinks.append(pa.OSFile(str(path.with_suffix(".tmp")), "wb"))
            self.writers.append(pa.ipc.new_stream(self.sinks[-1], schema, options=options))

    def write(self, batch: DocumentBatch) -> None:
        keys = collect_keys(
            self.next_stage, batch, self.stats.stage(self.next_stage.label), self.worker.options
        )
        self.writers[0].write_table(batch.to_arrow(self.worker.types))
        self.writers[1].write_table(keys.cast(self.schemas[1]))

    def close(self) -> None:
        for writer, sink, path in zip(self.writers, self.sinks, self.paths, strict=True):
            writer.close()
            sink.close()
            path.with_suffix(".tmp").replace(path)
