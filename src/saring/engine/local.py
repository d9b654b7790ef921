"""The local engine: block work in a pool of worker processes on this machine (no server).

With one worker, shards are processed in this process. With more, this process reads the shards'
blocks (phase 0; later phases name the stored blocks) and the worker processes run the stages on them
and write their files, so the blocks of one big input file spread over all workers. At most
:data:`BLOCKS_IN_FLIGHT_PER_WORKER` blocks per worker wait in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from saring.config import Pipeline
from saring.core.accounting import ShardStats
from saring.core.partitions import LocalPartitionPool
from saring.core.processes import worker_pool
from saring.core.stage import CorpusStage
from saring.engine.errors import RunError
from saring.engine.shard import (
    READ_SUMMARY,
    Block,
    ProgressFn,
    ShardTally,
    ShardWorker,
    WorkLayout,
    block_jobs,
    stored_block,
)
from saring.io.readers import Shard

#: Blocks read ahead per worker process.
BLOCKS_IN_FLIGHT_PER_WORKER = 2

_worker: ShardWorker | None = None
_setup_error: str | None = None


def _init_process(pipeline_json: str, work_root: str, output_url: str) -> None:
    global _worker, _setup_error
    try:
        _worker = ShardWorker(Pipeline.model_validate_json(pipeline_json), work_root, output_url)
    except Exception as error:  # reported with the first task: a failing initializer breaks the pool
        _setup_error = f"{type(error).__name__}: {error}"


def _process_in_process(block: Block | tuple[int, int], phase: int) -> tuple[ShardStats, int]:
    """Run the phase on a block (one read by the engine, or (shard, index) of a stored one); returns
    its statistics and its number of documents."""
    if _worker is None:
        raise RunError(f"setting up the pipeline's stages failed in a worker: {_setup_error}")
    if isinstance(block, tuple):
        block = stored_block(_worker.layout, phase, *block)
    return _worker.process(block, phase), block.documents


class LocalExecutor:
    """Runs block work in ``workers`` processes; with one worker, in this process."""

    def __init__(
        self, pipeline: Pipeline, work_root: Path, output_url: str, workers: int, progress: ProgressFn
    ):
        self.pipeline = pipeline
        self.progress = progress
        self.workers = workers
        self.layout = WorkLayout(work_root)
        self._inline: ShardWorker | None = None
        self._pool: ProcessPoolExecutor | None = None
        if workers == 1:
            try:
                self._inline = ShardWorker(pipeline, str(work_root), output_url)
            except Exception as error:
                raise RunError(
                    f"setting up the pipeline's stages failed: {type(error).__name__}: {error}"
                ) from error
            return
        setup = (pipeline.model_dump_json(), str(work_root), output_url)
        self._pool = worker_pool(workers, _init_process, setup)

    def _jobs(self, phase: int, shards: list[Shard], tally: ShardTally) -> Iterator[Block | tuple[int, int]]:
        """The blocks to process, shard after shard; a shard's read summary goes to ``tally`` once
        its blocks are all handed out."""
        for shard in shards:
            stats = ShardStats()
            count = 0
            for job in block_jobs(shard, phase, self.pipeline, self.layout, stats):
                yield job if isinstance(job, Block) else (shard.index, job)
                count += 1
            tally.add(shard.index, READ_SUMMARY, stats, count)

    def map(self, phase: int, shards: list[Shard]) -> Iterator[tuple[Shard, ShardStats]]:
        if self._inline is not None:
            for shard in shards:
                yield shard, self._inline.run(shard, phase, self.progress)
            return
        assert self._pool is not None
        by_index = {shard.index: shard for shard in shards}
        tally = ShardTally()
        jobs = self._jobs(phase, shards, tally)
        pending: dict[Future[tuple[ShardStats, int]], Block | tuple[int, int]] = {}
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < self.workers * BLOCKS_IN_FLIGHT_PER_WORKER:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                else:
                    pending[self._pool.submit(_process_in_process, job, phase)] = job
            done, _ = wait(pending, return_when=FIRST_COMPLETED) if pending else (set(), set())
            for future in done:
                job = pending.pop(future)
                stats, documents = future.result()
                if isinstance(job, Block):
                    tally.add(job.shard, job.index, stats, None)
                    self.progress(documents, job.input_bytes)
                else:
                    tally.add(*job, stats, None)
                    self.progress(documents, 0)
            for shard in tally.take_finished():
                self.layout.mark_done(phase, shard, tally.stats[shard])
                yield by_index[shard], tally.stats[shard]

    def plan(self, stage: CorpusStage, collected: list[Path], plan_dir: Path, workers: int) -> None:
        """Plans run in this process; their partitions in ``workers`` processes."""
        stage.plan(collected, plan_dir, LocalPartitionPool(workers))

    def facts(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
