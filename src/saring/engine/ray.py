"""The Ray engine: each phase is a Ray Data pipeline; corpus plans spread their partitions as Ray tasks.

A phase runs as two Ray Data operators over a dataset of shards:

1. **read** (a task per shard, at most ``workers`` at once): reads the shard's blocks (the input in
   phase 0, the previous phase's intermediate tables after) and emits one row per block, the block as
   an Arrow IPC payload, then one summary row with what reading counted;
2. **stages and write** (a pool of actors, each holding the pipeline's stages set up once, reserving
   the CPUs and memory the stages declare: ``num_cpus``, ``memory_mb``): applies the phase's stages to
   a block and writes its files (intermediate tables and collected keys, or output parts), returning
   the block's statistics.

Blocks of one shard may be processed by different actors; their files are named by shard and block,
exactly as the local engine names them, so both engines write the same bytes. The driver merges the
statistics rows and marks a shard-phase done once its summary and all its blocks arrived.

Corpus plans run as a Ray task; the per-partition work of a plan (grouping by key, verifying
candidate pairs) runs as one Ray task per partition through :class:`RayPartitionPool`, so the heavy
part of deduplication spreads over the cluster instead of running where the plan was started.

Faults: Ray Data restarts a dead actor and retries its block, and retries a read whose worker died
(both without limit, its defaults).
Nothing is lost or counted twice: files are committed by rename under names fixed by shard and
block, a block retried rewrites the same bytes, and the driver counts each block once. Parts that a
killed attempt left under temporary names are swept when the final phase ends.

Workers read the inputs and write the output and work folders themselves, so on a cluster of several
machines these must be on storage every node sees (an fsspec URL for inputs and output; a shared
file system for the work folder, which is ``OUTPUT/_work``). The executor checks this before starting.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import ray
import ray.data
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from saring.config import Pipeline
from saring.core.accounting import ShardStats
from saring.core.batch import DocumentBatch
from saring.core.stage import CorpusStage
from saring.engine.shard import (
    READ_SUMMARY,
    Block,
    ProgressFn,
    ShardTally,
    ShardWorker,
    WorkLayout,
    block_jobs,
    decode_batches,
    split_segments,
    stored_block,
)
from saring.io.readers import Shard
from saring.io.writers import KINDS, OutputStore

#: Times a plan's task (or a partition's) is retried when its worker dies.
RETRIES = 4
#: The object store of a Ray started by the engine: blocks in flight between reading and the stages.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
_MB = 2**20


def _encode(batches: list[DocumentBatch]) -> bytes:
    """A block's batches as one Arrow IPC stream (a record batch per document batch)."""
    tables = [batch.to_arrow() for batch in batches]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, tables[0].schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as out:
        for table in tables:
            out.write_table(table)
    return sink.getvalue().to_pybytes()


def _row(shard: int, block: int, payload: bytes, input_bytes: int, stats: bytes) -> dict:
    return {
        "shard": np.array([shard]),
        "block": np.array([block]),
        "payload": np.array([payload], dtype=object),
        "input_bytes": np.array([input_bytes]),
        "stats": np.array([stats], dtype=object),
    }


@dataclass
class _ReadShards:
    """Ray Data's read step: a shard in; out, a row per block (in phase 0 the block itself, after that
    its number: the worker loads what the previous phase stored), then a summary row."""

    shards: dict[int, Shard]
    pipeline_json: str
    work_root: str
    phase: int

    def __call__(self, rows: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
        pipeline = Pipeline.model_validate_json(self.pipeline_json)
        layout = WorkLayout(Path(self.work_root))
        for index in rows["shard"].tolist():
            stats = ShardStats()
            count = 0
            for job in block_jobs(self.shards[index], self.phase, pipeline, layout, stats):
                if isinstance(job, Block):
                    yield _row(index, job.index, _encode(job.batches), job.input_bytes, b"")
                else:
                    yield _row(index, job, b"", 0, b"")
                count += 1
            summary = orjson.dumps({"blocks": count, "stats": stats.to_dict()})
            yield _row(index, READ_SUMMARY, b"", 0, summary)


class _ProcessBlocks:
    """Ray Data's stages-and-write step: one actor holds a :class:`ShardWorker` (stages set up once)."""

    def __init__(self, pipeline_json: str, work_root: str, output_url: str, phase: int) -> None:
        self.worker = ShardWorker(Pipeline.model_validate_json(pipeline_json), work_root, output_url, phase)
        self.phase = phase

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        stats = rows["stats"].copy()
        documents = np.zeros(len(stats), dtype=np.int64)
        for row, (shard, index) in enumerate(
            zip(rows["shard"].tolist(), rows["block"].tolist(), strict=True)
        ):
            if index == READ_SUMMARY:
                continue
            payload = rows["payload"][row]
            block = (
                Block(shard, index, decode_batches(pa.py_buffer(payload)))
                if payload
                else stored_block(self.worker.layout, self.phase, shard, index)
            )
            stats[row] = orjson.dumps(self.worker.process(block, self.phase).to_dict())
            documents[row] = block.documents
        passed = {name: rows[name] for name in ("shard", "block", "input_bytes")} | {"documents": documents}
        node = np.array([ray.get_runtime_context().get_node_id()] * len(stats))
        return passed | {"stats": stats, "node": node}


@dataclass(frozen=True)
class RayPartitionPool:
    """A corpus plan's partitions as Ray tasks spread over the cluster (retried when a worker dies).

    Partition files live in the work folder, which every node sees."""

    workers: int

    def map(self, function: Callable[..., Any], arguments: Sequence[tuple]) -> list[Any]:
        task = ray.remote(function).options(num_cpus=1, max_retries=RETRIES)
        return ray.get([task.remote(*args) for args in arguments])


def _plan(stage: CorpusStage, collected: list[Path], plan_dir: Path, workers: int) -> None:
    stage.plan(collected, plan_dir, RayPartitionPool(workers))


def _exists(path: str) -> bool:
    return os.path.exists(path)


def actor_resources(pipeline: Pipeline) -> tuple[float, int]:
    """CPUs and memory (bytes) one worker reserves: its stages run in turn but stay loaded together."""
    stages = pipeline.build_stages()
    cpus = max((stage.num_cpus for stage in stages), default=1.0)
    return cpus, int(sum(stage.memory_mb for stage in stages) * _MB)


class RayExecutor:
    """Runs each phase as a Ray Data pipeline and corpus plans as Ray tasks.

    ``pipeline.engine.address`` names the cluster (``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``);
    without one, a private local Ray with ``workers`` CPUs is started and stopped with the run.
    """

    def __init__(
        self, pipeline: Pipeline, work_root: Path, output_url: str, workers: int, progress: ProgressFn
    ):
        address = pipeline.engine.address
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            ray.init(
                address=address or "local",
                num_cpus=None if address else workers,
                object_store_memory=None if address else LOCAL_OBJECT_STORE_BYTES,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.enable_auto_log_stats = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        self.progress = progress
        self.work_root = work_root
        self.layout = WorkLayout(work_root)
        self.output_url = output_url
        self.pipeline_json = pipeline.model_dump_json()
        self.last_phase = len(split_segments(pipeline.build_stages())) - 1
        # On a cluster, an unset worker count means as many workers as the cluster holds.
        self.max_workers = pipeline.engine.workers or (None if address else workers)
        self.cpus, self.memory = actor_resources(pipeline)
        self.blocks_by_node: Counter[str] = Counter()
        try:
            self._check_shared_storage(address is not None)
        except RuntimeError:
            self.close()
            raise

    def _alive_nodes(self) -> list[dict[str, Any]]:
        return [node for node in ray.nodes() if node["Alive"]]

    def _check_shared_storage(self, remote_driver: bool) -> None:
        """Every node must see the work folder (it holds this run's ``run.json`` already)."""
        nodes = self._alive_nodes()
        if len(nodes) < 2 and not remote_driver:
            return
        probe = str(self.work_root / "run.json")
        checks = [
            ray.remote(_exists)
            .options(
                num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            )
            .remote(probe)
            for node in nodes
        ]
        blind = [
            node["NodeManagerAddress"] for node, seen in zip(nodes, ray.get(checks), strict=True) if not seen
        ]
        if blind:
            raise RuntimeError(
                f"Ray nodes {', '.join(blind)} cannot see the work folder {self.work_root}: put the output "
                "on a file system every node mounts at the same path (the work folder is OUTPUT/_work)"
            )

    def _capacity(self) -> int:
        """How many workers the cluster can hold at once, given what one worker reserves."""
        fits = 0
        for node in self._alive_nodes():
            resources = node["Resources"]
            by_cpu = int(resources.get("CPU", 0) // self.cpus) if self.cpus else sys.maxsize
            by_memory = int(resources.get("memory", 0) // self.memory) if self.memory else by_cpu
            fits += min(by_cpu, by_memory)
        if fits == 0:
            raise RuntimeError(
                f"no Ray node can hold a worker needing {self.cpus} CPUs and {self.memory // _MB} MB "
                "(the sum of the stages' memory_mb)"
            )
        return fits

    def _dataset(self, phase: int, shards: list[Shard]) -> ray.data.Dataset:
        capacity = self._capacity()
        actors = min(self.max_workers or capacity, capacity)
        items = [{"shard": shard.index} for shard in shards]
        reader = _ReadShards({s.index: s for s in shards}, self.pipeline_json, str(self.work_root), phase)
        return (
            ray.data.from_items(items, override_num_blocks=len(items))
            .map_batches(
                reader,
                batch_size=1,
                compute=ray.data.TaskPoolStrategy(size=max(1, min(actors, len(items)))),
                num_cpus=0,  # reading is light next to the stages, which reserve the CPUs
            )
            .map_batches(
                _ProcessBlocks,
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors, initial_size=actors),
                fn_constructor_kwargs={
                    "pipeline_json": self.pipeline_json,
                    "work_root": str(self.work_root),
                    "output_url": self.output_url,
                    "phase": phase,
                },
                num_cpus=self.cpus,
                memory=self.memory or None,
            )
        )

    def map(self, phase: int, shards: list[Shard]) -> Iterator[tuple[Shard, ShardStats]]:
        if not shards:
            return
        by_index = {shard.index: shard for shard in shards}
        tally = ShardTally()
        for row in self._dataset(phase, shards).iter_rows():
            shard, block = int(row["shard"]), int(row["block"])
            data = orjson.loads(row["stats"])
            summary = block == READ_SUMMARY
            stats = ShardStats.from_dict(data["stats"] if summary else data)
            if not tally.add(shard, block, stats, data["blocks"] if summary else None):
                continue
            if not summary:
                self.blocks_by_node[row["node"]] += 1
            self.progress(int(row["documents"]), int(row["input_bytes"]))
            for finished in tally.take_finished():
                self.layout.mark_done(phase, finished, tally.stats[finished])
                yield by_index[finished], tally.stats[finished]
        missing = sorted(index for index in by_index if not tally.finished(index))
        if missing:
            raise RuntimeError(f"Ray Data finished phase {phase} without all blocks of shards {missing}")
        if phase == self.last_phase:
            self._sweep_leftovers()

    def _sweep_leftovers(self) -> None:
        """Remove parts that killed attempts left under temporary names (no attempt is running now)."""
        store = OutputStore(self.output_url)
        for kind in KINDS:
            for name in store.list(kind):
                if ".tmp-" in name:
                    store.remove(f"{kind}/{name}")

    def plan(self, stage: CorpusStage, collected: list[Path], plan_dir: Path, workers: int) -> None:
        """Run ``stage.plan`` as a Ray task (between phases, when no actor holds resources); its
        partitions run as Ray tasks, sized for the configured worker count or the cluster's CPUs
        (``workers``, the driver's CPU count, does not apply to a cluster)."""
        cpus = int(ray.cluster_resources().get("CPU", 1))
        task = ray.remote(_plan).options(
            num_cpus=1, memory=int(stage.memory_mb * _MB) or None, max_retries=RETRIES
        )
        ray.get(task.remote(stage, collected, plan_dir, max(1, self.max_workers or cpus)))

    def facts(self) -> dict[str, Any]:
        """The Ray nodes that ran blocks, and how many blocks each ran (over all phases)."""
        return {
            "ray_nodes": len(self.blocks_by_node),
            "blocks_by_node": dict(sorted(self.blocks_by_node.items())),
        }

    def close(self) -> None:
        if self._owns_ray:
            ray.shutdown()
