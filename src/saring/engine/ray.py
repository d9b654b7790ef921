"""The Ray engine: the same shard work as the local engine, scheduled on a Ray cluster.

The shard stays the unit of work, as on the local engine: each Ray actor holds one :class:`ShardWorker`
(the pipeline's stages, set up once per actor) and processes whole shards, reserving the CPUs and
memory its stages declare (``num_cpus``, ``memory_mb``). Corpus-wide plans run as Ray tasks on the
cluster, not in the driver, in the resources the idle workers hold between phases (so the workers stay
set up). Workers report progress to a small tally actor the driver polls.

Faults: an actor whose process dies is restarted and its shard retried. Nothing is lost or counted
twice because a shard-phase commits its files by rename and marks completion last; the parts a
killed attempt left under temporary names are swept when the final phase ends.

Workers read the inputs and write the output and work folders themselves, so on a cluster of several
machines these must be on storage every node sees (an fsspec URL for inputs and output; a shared
file system for the work folder, which is ``OUTPUT/_work``). The executor checks this before starting.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from saring.config import Pipeline
from saring.core.accounting import ShardStats
from saring.core.stage import CorpusStage
from saring.engine.shard import ProgressFn, ShardWorker, split_segments
from saring.io.readers import Shard
from saring.io.writers import KINDS, OutputStore

#: Times a dead actor is restarted, and a shard interrupted by its death is retried.
ACTOR_RESTARTS = 4
#: Seconds between two looks at finished shards and progress.
POLL_SECONDS = 0.2
#: The object store of a Ray started by the engine: only shard statistics travel through it.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20
_MB = 2**20


class _ProgressTally:
    """Documents and bytes the workers finished since the driver last asked."""

    def __init__(self) -> None:
        self.docs = 0
        self.nbytes = 0

    def add(self, docs: int, nbytes: int) -> None:
        self.docs += docs
        self.nbytes += nbytes

    def take(self) -> tuple[int, int]:
        taken = (self.docs, self.nbytes)
        self.docs = self.nbytes = 0
        return taken


class _ShardActor:
    """One worker: a :class:`ShardWorker` built (stages set up) once, then shard after shard."""

    def __init__(self, pipeline_json: str, work_root: str, output_url: str, tally_name: str) -> None:
        self.worker = ShardWorker(Pipeline.model_validate_json(pipeline_json), work_root, output_url)
        self.tally = ray.get_actor(tally_name)

    def _report(self, docs: int, nbytes: int) -> None:
        self.tally.add.remote(docs, nbytes)  # fire and forget: calls from one actor arrive in order

    def run(self, shard: Shard, phase: int) -> dict[str, Any]:
        return self.worker.run(shard, phase, self._report).to_dict()

    def node(self) -> str:
        return ray.get_runtime_context().get_node_id()


def _plan(stage: CorpusStage, collected: list[Path], plan_dir: Path, workers: int) -> None:
    stage.plan(collected, plan_dir, workers)


def _exists(path: str) -> bool:
    return os.path.exists(path)


def actor_resources(pipeline: Pipeline) -> tuple[float, int]:
    """CPUs and memory (bytes) one worker reserves: its stages run in turn but stay loaded together."""
    stages = pipeline.build_stages()
    cpus = max((stage.num_cpus for stage in stages), default=1.0)
    return cpus, int(sum(stage.memory_mb for stage in stages) * _MB)


class RayExecutor:
    """Runs shard work on Ray actors and corpus plans as Ray tasks.

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
        self.progress = progress
        self.work_root = work_root
        self.output_url = output_url
        self.pipeline_json = pipeline.model_dump_json()
        self.last_phase = len(split_segments(pipeline.build_stages())) - 1
        # On a cluster, an unset worker count means as many workers as the cluster holds.
        self.max_workers = pipeline.engine.workers or (None if address else workers)
        self.cpus, self.memory = actor_resources(pipeline)
        self._actor_class = ray.remote(_ShardActor).options(
            num_cpus=self.cpus,
            memory=self.memory or None,
            max_restarts=ACTOR_RESTARTS,
            max_task_retries=ACTOR_RESTARTS,
        )
        self._actors: list[Any] = []
        # Found by name, so a restarted worker needs no argument kept in the object store.
        self._tally_name = f"saring-progress-{uuid.uuid4().hex}"
        self._tally = ray.remote(_ProgressTally).options(num_cpus=0, name=self._tally_name).remote()
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

    def _workers_for(self, shards: int) -> list[Any]:
        capacity = self._capacity()
        wanted = min(self.max_workers or capacity, capacity, shards)
        while len(self._actors) < wanted:
            self._actors.append(
                self._actor_class.remote(
                    self.pipeline_json, str(self.work_root), self.output_url, self._tally_name
                )
            )
        return self._actors[:wanted]

    def _drain(self) -> None:
        docs, nbytes = ray.get(self._tally.take.remote())
        if docs or nbytes:
            self.progress(docs, nbytes)

    def map(self, phase: int, shards: list[Shard]) -> Iterator[tuple[Shard, ShardStats]]:
        if not shards:
            return
        idle = deque(self._workers_for(len(shards)))
        todo = deque(shards)
        running: dict[Any, tuple[Any, Shard]] = {}
        while todo or running:
            while idle and todo:
                actor, shard = idle.popleft(), todo.popleft()
                running[actor.run.remote(shard, phase)] = (actor, shard)
            done, _ = ray.wait(list(running), num_returns=len(running), timeout=POLL_SECONDS)
            self._drain()
            for ref in done:
                actor, shard = running.pop(ref)
                idle.append(actor)
                yield shard, ShardStats.from_dict(ray.get(ref))
        self._drain()
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
        """Run ``stage.plan`` as a Ray task while the workers are idle.

        The task borrows what the idle workers hold on their busiest node (they wait for it, so
        nothing else uses those CPUs), which keeps them set up for the next phase. When they hold too
        little memory there, or none exist yet, they are released and the task reserves its own.
        """
        held = self._held_on_busiest_node()
        if held is not None and held[2] >= int(stage.memory_mb * _MB):
            node, cpus, _memory = held
            strategy = NodeAffinitySchedulingStrategy(node, soft=True)
            options: dict[str, Any] = {"num_cpus": 0, "scheduling_strategy": strategy}
        else:
            self._release_workers()
            largest_node = max(int(node["Resources"].get("CPU", 1)) for node in self._alive_nodes())
            cpus = max(1, min(workers, largest_node))
            options = {"num_cpus": cpus, "memory": int(stage.memory_mb * _MB) or None}
        task = ray.remote(_plan).options(max_retries=ACTOR_RESTARTS, **options)
        ray.get(task.remote(stage, collected, plan_dir, max(1, int(cpus))))

    def _held_on_busiest_node(self) -> tuple[str, float, int] | None:
        """The node holding most of our workers, with the CPUs and memory (bytes) they reserve there."""
        if not self._actors:
            return None
        node, count = Counter(ray.get([actor.node.remote() for actor in self._actors])).most_common(1)[0]
        return node, count * self.cpus, count * self.memory

    def _release_workers(self) -> None:
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []

    def close(self) -> None:
        self._release_workers()
        ray.kill(self._tally)
        if self._owns_ray:
            ray.shutdown()
