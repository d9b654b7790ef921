"""The Ray engine gives the local engine's answers, byte for byte, also when a worker is killed mid-run.

Runs on a private local Ray cluster (2 CPUs, started once for the module); skipped without Ray.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pytest

ray = pytest.importorskip("ray")

from saring.api import apply_overrides  # noqa: E402
from saring.cli import sample_inputs  # noqa: E402
from saring.config import Pipeline, load_pipeline  # noqa: E402
from saring.core.partitions import LocalPartitionPool  # noqa: E402
from saring.engine.ray import RayExecutor, RayPartitionPool  # noqa: E402
from saring.engine.run import PhaseEvent, run_pipeline  # noqa: E402
from saring.engine.shard import split_segments  # noqa: E402
from saring.io.parts import ReadTally, part_files, records  # noqa: E402
from saring.stages.exact_dedup import ExactDedup, ExactDedupParams  # noqa: E402
from saring.stages.length import Length  # noqa: E402

SENTENCE = "saya makan nasi goreng di warung dekat rumah bersama teman kami setiap hari minggu pagi"


def write_corpus(folder: Path, shards: int = 3, per_shard: int = 600) -> Path:
    """JSONL shards with exact duplicates (text and URL), broken lines and empty documents."""
    rng = random.Random(11)
    words = SENTENCE.split()
    folder.mkdir(parents=True)
    for shard in range(shards):
        lines = []
        for row in range(per_shard):
            draw = rng.random()
            if draw < 0.05:
                lines.append('{"id": "broken", "text": "no closing quote}')
                continue
            if draw < 0.1:
                text = ""
            elif draw < 0.3:
                text = f"Dokumen yang sama muncul berkali-kali di korpus ini, nomor {rng.randrange(15)}"
            else:
                text = " ".join(rng.choice(words) for _ in range(rng.randrange(2, 60)))
            url = f"https://contoh.id/{rng.randrange(shards * per_shard)}"
            lines.append(json.dumps({"id": f"d{shard}-{row}", "text": text, "url": url}))
        (folder / f"part{shard}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def pipeline_for(corpus: Path, output: Path, engine: str, batch_size: int = 64) -> Pipeline:
    """The default pipeline over ``corpus`` and the bundled demo sample (JSONL and WARC)."""
    inputs = [str(corpus), *sample_inputs()]
    pipeline = apply_overrides(
        load_pipeline(None), inputs=inputs, output=str(output), workers=2, engine=engine
    )
    return pipeline.model_copy(
        update={"engine": pipeline.engine.model_copy(update={"batch_size": batch_size})}
    )


def comparable_stats(output: Path) -> dict:
    """stats.json without timings and run facts (engine, seconds)."""
    stats = json.loads((output / "stats.json").read_text())
    stats.pop("run")
    for stage in stats["stages"].values():
        stage.pop("seconds")
    return stats


def assert_same_output(expected: Path, actual: Path) -> None:
    def listing(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    parts = [name for name in listing(expected) if name.split("/")[0] in ("kept", "removed", "quarantine")]
    assert parts, "the reference run wrote no parts"
    assert listing(actual) == listing(expected)
    for name in parts:
        assert (actual / name).read_bytes() == (expected / name).read_bytes(), name
    assert comparable_stats(actual) == comparable_stats(expected)


def assert_same_records(expected: Path, actual: Path) -> None:
    """The same records of each kind and the same statistics, however they are split into parts."""
    for kind in ("kept", "removed", "quarantine"):
        found = {}
        for output in (expected, actual):
            tally = ReadTally()
            rows = [
                orjson.dumps(r, option=orjson.OPT_SORT_KEYS)
                for f in part_files(output, kind)
                for r in records(f, tally)
            ]
            found[output] = sorted(rows)
        assert found[actual] == found[expected], kind
        assert found[expected], f"the reference run wrote no {kind} records"
    assert comparable_stats(actual) == comparable_stats(expected)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("ray") / "corpus")


@pytest.fixture(scope="module")
def local_output(corpus: Path) -> Path:
    output = corpus.parent / "local"
    pipeline = pipeline_for(corpus, output, "local")
    run_pipeline(pipeline.model_copy(update={"engine": pipeline.engine.model_copy(update={"workers": 1})}))
    return output


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(
        address="local",
        num_cpus=2,
        object_store_memory=128 * 2**20,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
    )
    yield
    ray.shutdown()


def test_same_answers_as_the_local_engine(ray_cluster, corpus: Path, local_output: Path, tmp_path: Path):
    result = run_pipeline(pipeline_for(corpus, tmp_path / "ray", "ray"), log=lambda message: None)
    assert result.stats.documents_in > 1800  # the generated corpus and the demo sample
    assert result.stats.removed > 0 and result.stats.quarantined > 0
    assert json.loads((tmp_path / "ray" / "stats.json").read_text())["run"]["engine"] == "ray"
    assert_same_output(local_output, tmp_path / "ray")


def _busy_workers() -> list[int]:
    """Process ids of Ray workers reading a shard or running stages on a block (Ray names its worker
    processes after the task they run)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        reading = title.startswith(b"ray::MapBatches(_ReadShards)")
        processing = title.startswith(b"ray::MapWorker(MapBatches(_ProcessBlocks)).")
        if reading or (processing and b"__init__" not in title):
            found.append(int(entry.name))
    return found


def _writing_parts(output: Path) -> list[int]:
    """Process ids of workers writing an output part now (its temporary name ends with the pid)."""
    return [int(path.name.rsplit(".tmp-", 1)[1]) for path in output.glob("*/part-*.tmp-*")]


class WorkerKiller(threading.Thread):
    """In each phase, kills a worker reading or processing; in the last phase, one writing a part."""

    def __init__(self, output: Path, last_phase: int) -> None:
        super().__init__(daemon=True)
        self.output = output
        self.last_phase = last_phase
        self.armed: int | None = None
        self.killed: dict[int, int] = {}
        self.stopped = threading.Event()

    def on_phase(self, event: PhaseEvent) -> None:
        self.armed = event.phase

    def run(self) -> None:
        while not self.stopped.wait(0.01):
            phase = self.armed
            if phase is None or phase in self.killed:
                continue
            busy = _writing_parts(self.output) if phase == self.last_phase else _busy_workers()
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                self.killed[phase] = busy[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds worker processes in /proc")
def test_a_worker_killed_mid_shard_loses_and_duplicates_nothing(
    ray_cluster, corpus: Path, local_output: Path, tmp_path: Path
):
    """Kill a busy worker in each phase (the last: one writing its output parts); Ray Data retries."""
    pipeline = pipeline_for(corpus, tmp_path / "ray", "ray", batch_size=16)
    phases = len(split_segments(pipeline.build_stages()))
    killer = WorkerKiller(tmp_path / "ray", last_phase=phases - 1)
    killer.start()
    try:
        result = run_pipeline(pipeline, on_phase=killer.on_phase, log=lambda message: None)
    finally:
        killer.stopped.set()
        killer.join()
    assert sorted(killer.killed) == list(range(phases)), "a busy worker should have been killed in each phase"
    assert (
        result.stats.balanced and result.stats.documents_in > 1800
    )  # the generated corpus and the demo sample
    assert_same_records(local_output, tmp_path / "ray")  # smaller batches: other part files


def test_a_worker_no_node_can_hold_is_an_error(ray_cluster, corpus: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(Length, "memory_mb", 10**9)
    with pytest.raises(RuntimeError, match="no Ray node can hold a worker"):
        run_pipeline(pipeline_for(corpus, tmp_path / "ray", "ray"), log=lambda message: None)


def test_nodes_that_cannot_see_the_work_folder_are_named(ray_cluster, corpus: Path, tmp_path: Path):
    pipeline = pipeline_for(corpus, tmp_path / "ray", "ray")
    executor = RayExecutor(pipeline, tmp_path / "missing", str(tmp_path / "ray"), 2, lambda d, b: None)
    try:
        with pytest.raises(RuntimeError, match="cannot see the work folder"):
            executor._check_shared_storage(remote_driver=True)
    finally:
        executor.close()


def _duplicate_keys(folder: Path, shards: int = 3, per_shard: int = 400) -> list[Path]:
    """Collected exact_dedup keys: every text hash occurs about four times across the shards."""
    rng = np.random.default_rng(5)
    paths = []
    for shard in range(shards):
        table = pa.table(
            {
                "text_hash": rng.integers(0, 300, per_shard, dtype=np.uint64),
                "url_hash": pa.nulls(per_shard, pa.uint64()),
                "order": np.arange(per_shard, dtype=np.int64) + shard * per_shard,
                "id": [f"d{shard}-{row}" for row in range(per_shard)],
            },
            schema=ExactDedup().collect_schema(),
        )
        paths.append(folder / f"shard-{shard:05d}-00000.arrow")
        with pa.OSFile(str(paths[-1]), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return paths


def test_plan_partitions_run_as_ray_tasks_and_agree_with_local_processes(ray_cluster, tmp_path: Path):
    assert os.getpid() not in RayPartitionPool(2).map(lambda: os.getpid(), [()] * 4)
    collected = _duplicate_keys(tmp_path)
    stage = ExactDedup(ExactDedupParams(memory_budget_mb=0.01))  # forces many partitions
    plans = {}
    for name, pool in {"local": LocalPartitionPool(2), "ray": RayPartitionPool(2)}.items():
        (tmp_path / name).mkdir()
        stage.plan(collected, tmp_path / name, pool)
        plans[name] = pa.ipc.open_file(pa.memory_map(str(tmp_path / name / "duplicates.arrow"))).read_all()
    assert plans["ray"].num_rows > 800
    assert plans["ray"].equals(plans["local"])


def cli_command(config: Path, corpus: Path, output: Path, *options: str) -> list[str]:
    saring = Path(sys.executable).with_name("saring")
    inputs = [option for path in [str(corpus), *sample_inputs()] for option in ("-i", path)]
    return [str(saring), "run", str(config), *inputs, "-o", str(output), "-w", "2", "-q", *options]


#: Ray >= 2.59 protects the clusters it starts with a token (~/.ray/auth_token); a driver must opt in.
CLI_ENV = {**os.environ, "RAY_AUTH_MODE": "token"}


def run_cli(config: Path, corpus: Path, output: Path, *options: str) -> str:
    """Run ``saring run`` to the end; its output."""
    command = cli_command(config, corpus, output, *options)
    finished = subprocess.run(command, capture_output=True, text=True, timeout=180, env=CLI_ENV)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout + finished.stderr


def default_pipeline_file(folder: Path, engine: str = "local") -> Path:
    config = folder / "pipeline.yaml"
    config.write_text(
        (Path(__file__).parents[1] / "src/saring/pipelines/default.yaml")
        .read_text(encoding="utf-8")
        .replace("kind: local", f"kind: {engine}")
        .replace("batch_size: 512", "batch_size: 64"),
        encoding="utf-8",
    )
    return config


def test_cli_with_engine_in_yaml_starts_and_stops_its_own_ray(
    corpus: Path, local_output: Path, tmp_path: Path
):
    """``engine: {kind: ray}`` without an address: the run starts a private local Ray and stops it."""
    run_cli(default_pipeline_file(tmp_path, engine="ray"), corpus, tmp_path / "ray")
    assert_same_output(local_output, tmp_path / "ray")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds Ray's processes in /proc")
def test_a_killed_ray_run_resumes_to_the_same_output(corpus: Path, local_output: Path, tmp_path: Path):
    """SIGKILL ``saring run`` on its private Ray once a shard-phase is done: the process group (the
    driver, Ray's GCS and raylet) at once; Ray starts its workers in process groups of their own, and
    they exit when their raylet is gone. The same command resumes the run and writes the uninterrupted
    run's bytes."""
    config = default_pipeline_file(tmp_path, engine="ray")
    output = tmp_path / "ray"
    process = subprocess.Popen(
        cli_command(config, corpus, output),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=CLI_ENV,
    )
    done = output / "_work" / "done"
    try:
        deadline = time.monotonic() + 180
        while process.poll() is None and time.monotonic() < deadline and not any(done.glob("*.json")):
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert any(done.glob("*.json")) and not (output / "manifest.json").exists(), (
            "the kill must land mid-run"
        )
        assert not _session_processes(process.pid, seconds=60), "Ray's processes should end with the run"
    finally:
        for pid in _session_processes(process.pid, seconds=0):  # nothing of it may outlive the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert "resuming" in run_cli(config, corpus, output)
    assert_same_output(local_output, output)


def _session_processes(session: int, seconds: float) -> list[int]:
    """Process ids alive in a session (zombies aside), once none is left or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for entry in Path("/proc").iterdir():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if entry.name.isdigit() and int(fields[3]) == session and fields[0] != "Z":
                alive.append(int(entry.name))
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def test_cli_joins_a_running_cluster_by_address(
    ray_cluster, corpus: Path, local_output: Path, tmp_path: Path
):
    """``--engine ray --address HOST:PORT``: the run uses that cluster; its nodes must see the output."""
    address = ray.get_runtime_context().gcs_address
    run_cli(
        default_pipeline_file(tmp_path), corpus, tmp_path / "ray", "--engine", "ray", "--address", address
    )
    assert_same_output(local_output, tmp_path / "ray")


def test_blocks_spread_over_the_nodes_of_a_multi_node_cluster(
    corpus: Path, local_output: Path, tmp_path: Path
):
    """Two worker nodes of one CPU each (and a head with none): both run blocks, answers unchanged."""
    from ray.cluster_utils import Cluster

    store = 100 * 2**20
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "include_dashboard": False, "object_store_memory": store},
    )
    try:
        for _ in range(2):
            cluster.add_node(num_cpus=1, object_store_memory=store)
        cluster.wait_for_nodes()
        run_cli(
            default_pipeline_file(tmp_path),
            corpus,
            tmp_path / "ray",
            "--engine",
            "ray",
            "--address",
            cluster.address,
        )
    finally:
        cluster.shutdown()
    assert_same_output(local_output, tmp_path / "ray")
    run = json.loads((tmp_path / "ray" / "stats.json").read_text())["run"]
    assert run["ray_nodes"] == 2, run["blocks_by_node"]
