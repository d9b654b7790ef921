"""The local engine: shard work in a pool of worker processes on this machine (no server)."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from saring.config import Pipeline
from saring.core.accounting import ShardStats
from saring.core.partitions import LocalPartitionPool
from saring.core.stage import CorpusStage
from saring.engine.errors import RunError
from saring.engine.shard import ProgressFn, ShardWorker
from saring.io.readers import Shard

_worker: ShardWorker | None = None
_setup_error: str | None = None
_progress_queue: multiprocessing.Queue | None = None


def _init_process(
    pipeline_json: str, work_root: str, output_url: str, progress: multiprocessing.Queue
) -> None:
    global _worker, _progress_queue, _setup_error
    _progress_queue = progress
    try:
        _worker = ShardWorker(Pipeline.model_validate_json(pipeline_json), work_root, output_url)
    except Exception as error:  # reported with the first task: a failing initializer breaks the pool
        _setup_error = f"{type(error).__name__}: {error}"


def _report(docs: int, nbytes: int) -> None:
    assert _progress_queue is not None
    _progress_queue.put((docs, nbytes))


def _run_in_process(shard: Shard, phase: int) -> ShardStats:
    if _worker is None:
        raise RunError(f"setting up the pipeline's stages failed in a worker: {_setup_error}")
    return _worker.run(shard, phase, _report)


class LocalExecutor:
    """Runs shard work in ``workers`` processes; with one worker, in this process."""

    def __init__(
        self, pipeline: Pipeline, work_root: Path, output_url: str, workers: int, progress: ProgressFn
    ):
        self.progress = progress
        self.workers = workers
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
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue()
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_process,
            initargs=(pipeline.model_dump_json(), str(work_root), output_url, self._queue),
        )

    def _drain(self) -> None:
        while True:
            try:
                self.progress(*self._queue.get_nowait())
            except queue.Empty:
                return

    def map(self, phase: int, shards: list[Shard]) -> Iterator[tuple[Shard, ShardStats]]:
        if self._inline is not None:
            for shard in shards:
                yield shard, self._inline.run(shard, phase, self.progress)
            return
        assert self._pool is not None
        pending: dict[Future[ShardStats], Shard] = {
            self._pool.submit(_run_in_process, shard, phase): shard for shard in shards
        }
        while pending:
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            self._drain()
            for future in done:
                shard = pending.pop(future)
                yield shard, future.result()
        self._drain()

    def plan(self, stage: CorpusStage, collected: list[Path], plan_dir: Path, workers: int) -> None:
        """Plans run in this process; their partitions in ``workers`` processes."""
        stage.plan(collected, plan_dir, LocalPartitionPool(workers))

    def facts(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
