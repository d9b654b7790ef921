"""The local engine: accounting, determinism across worker counts, resume after a crash or a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import orjson
import pytest
from conftest import article, basic_pipeline, output_bytes, read_output, write_jsonl

from saring.engine import run as run_module
from saring.engine import shard as shard_module
from saring.engine.run import RunError, run_pipeline


def quiet(message: str) -> None:
    pass


def test_every_record_is_accounted_for(corpus: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_pipeline(basic_pipeline(corpus, out), log=quiet)
    stats = orjson.loads((out / "stats.json").read_bytes())
    docs = stats["documents"]
    assert docs == {
        "in": 126,
        "kept": len(read_output(out, "kept")),
        "removed": docs["removed"],
        "quarantined": 3,
    }
    assert docs["in"] == docs["kept"] + docs["removed"] + docs["quarantined"]
    assert len(read_output(out, "removed")) == docs["removed"]
    assert len(read_output(out, "quarantine")) == 3
    assert result.stats.balanced
    # 130 distinct seeds over 120 documents: seeds 100..119 and 200..219 repeat 0..29 shifted; count them
    seeds = [(s * 100 + i) % 130 for s in range(3) for i in range(40)]
    expected_duplicates = len(seeds) - len(set(seeds))
    reasons = stats["stages"]["exact_dedup"]["removed"]
    assert reasons.get("duplicate_text", 0) == expected_duplicates
    assert stats["stages"]["length"]["removed"] == {"empty": 3}
    removed = read_output(out, "removed")
    duplicate = next(r for r in removed if r["removed"]["reason"] == "duplicate_text")
    assert duplicate["signals"]["exact_dedup.duplicate_of"].startswith("s")
    assert "manifest.json" in os.listdir(out) and not (out / "_work").exists()


def test_output_bytes_do_not_depend_on_worker_count(corpus: list[Path], tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    run_pipeline(basic_pipeline(corpus, one, workers=1), log=quiet)
    run_pipeline(basic_pipeline(corpus, two, workers=2), log=quiet)
    assert output_bytes(one) == output_bytes(two)
    assert len(output_bytes(one)) >= 6


def test_dry_run_removes_nothing_and_records_decisions(corpus: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "dry"
    pipeline = basic_pipeline(corpus, out).model_copy(update={"dry_run": True})
    run_pipeline(pipeline, log=quiet)
    kept = read_output(out, "kept")
    assert len(kept) == 123 and read_output(out, "removed") == []
    flagged = [r for r in kept if r["would_remove"]]
    assert {"length:empty"} <= {flag for r in flagged for flag in r["would_remove"]}
    assert any(flag == "exact_dedup:duplicate_text" for r in flagged for flag in r["would_remove"])
    assert all("length.words" in r["signals"] for r in kept)


def test_finished_run_is_not_overwritten_silently(
    corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = run_pipeline(basic_pipeline(corpus, out), log=quiet)
    before = output_bytes(out)
    # the same run again, with the folder spelled another way: nothing to do, and it says so
    monkeypatch.chdir(tmp_path)
    messages: list[str] = []
    again = run_pipeline(basic_pipeline(corpus, Path("out")), log=messages.append)
    assert any("nothing to do" in m for m in messages)
    assert (again.stats.kept, again.stats.removed) == (first.stats.kept, first.stats.removed)
    assert output_bytes(out) == before
    other = basic_pipeline(corpus, out, extra="  - stage: length\n    label: strict\n    min_words: 50\n")
    with pytest.raises(RunError, match=r"finished run with a different configuration.*--overwrite"):
        run_pipeline(other, log=quiet)
    run_pipeline(other, overwrite=True, log=quiet)
    assert output_bytes(out) != before


@pytest.fixture
def reference_bytes(corpus: list[Path], tmp_path: Path) -> dict[str, bytes]:
    """Output bytes of an uninterrupted run of the basic pipeline over ``corpus``."""
    reference = tmp_path / "reference"
    run_pipeline(basic_pipeline(corpus, reference), log=quiet)
    return output_bytes(reference)


def test_a_kill_while_the_outputs_are_finalized_is_resumed(
    corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_bytes: dict[str, bytes]
) -> None:
    out = tmp_path / "out"

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed while writing the dataset card")

    monkeypatch.setattr(run_module, "write_dataset_card", killed)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)
    assert (out / "manifest.json").exists() and (out / "_work" / "run.json").exists()
    monkeypatch.undo()
    messages: list[str] = []
    run_pipeline(basic_pipeline(corpus, out), log=messages.append)
    assert any("resuming" in m for m in messages)
    assert output_bytes(out) == reference_bytes and not (out / "_work").exists()
    assert (out / "README.md").exists() and "last of 2 attempts" in (out / "report.html").read_text()
    assert orjson.loads((out / "stats.json").read_bytes())["run"]["attempts"] == 2


def test_an_interrupted_run_is_not_resumed_by_other_code(
    corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(shard_module.ShardWorker, "run", _crash)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)
    monkeypatch.undo()
    monkeypatch.setattr(run_module, "_code_digest", lambda: "another version of saring")
    with pytest.raises(RunError, match="interrupted run with a different configuration, input or saring"):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)


def _crash(*args: object) -> None:
    raise KeyboardInterrupt("simulated crash")


def test_one_run_at_a_time_in_an_output_folder(corpus: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    held = run_module._exclusive(run_module.OutputStore(str(out)))
    with held, pytest.raises(RunError, match="another saring run is writing"):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)
    assert run_pipeline(basic_pipeline(corpus, out), log=quiet).stats.balanced


def _pool_parent(tmp_path: Path, then: str) -> list[str]:
    """The command of a script that starts a pool of one worker, holds its pid in ``worker``, then runs
    the lines ``then``."""
    body = "".join(f"    {line}\n" for line in then.splitlines())
    script = (
        "import os, signal, time\n"
        "from saring.core.processes import worker_pool\n"
        "if __name__ == '__main__':\n"
        "    pool = worker_pool(1)\n"
        "    worker = pool.submit(os.getpid).result()\n" + body
    )
    (tmp_path / "parent.py").write_text(script)
    return [sys.executable, str(tmp_path / "parent.py")]


def test_pool_workers_end_with_a_killed_parent(tmp_path: Path) -> None:
    command = _pool_parent(tmp_path, "print(worker, flush=True)\npool.submit(time.sleep, 60)\ntime.sleep(60)")
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(worker):
        time.sleep(0.1)
    assert not _running(worker)


def test_a_worker_whose_parent_died_while_it_started_exits() -> None:
    """A pool worker that starts after its parent was killed (adopted already) must not wait forever."""
    script = "import time\nfrom saring.core.processes import follow_parent as f\nf(1, 60)\ntime.sleep(30)"
    # the watch thread would need 60 s: only the check at start can end it this soon
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert (done.returncode, done.stderr) == (1, "") and time.monotonic() - started < 20


def test_ctrl_c_ends_a_pool_worker_at_once(tmp_path: Path) -> None:
    """Ctrl-C reaches the workers with their parent, which reports it and resumes later: a worker ends at
    once and quietly (one interrupted while importing had printed a traceback of the import)."""
    then = "os.kill(worker, signal.SIGINT)\ntime.sleep(1)\nprint(worker, flush=True)\nos._exit(0)"
    done = subprocess.run(_pool_parent(tmp_path, then), capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    assert not _running(int(done.stdout))


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its new parent to reap it is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_resume_after_a_crash_gives_the_same_output(
    corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_bytes: dict[str, bytes]
) -> None:
    out = tmp_path / "crashed"
    original = shard_module.ShardWorker.run
    calls = {"n": 0}

    def crash_on_fourth(self, shard, phase, progress):
        calls["n"] += 1
        if calls["n"] == 4:  # phase 0 done for 3 shards; crash in the first shard of phase 1
            raise KeyboardInterrupt("simulated crash")
        return original(self, shard, phase, progress)

    monkeypatch.setattr(shard_module.ShardWorker, "run", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)
    monkeypatch.setattr(shard_module.ShardWorker, "run", original)
    assert (out / "_work" / "done").exists()
    messages: list[str] = []
    run_pipeline(basic_pipeline(corpus, out), log=messages.append)
    assert any("resuming" in m for m in messages)
    assert output_bytes(out) == reference_bytes


def test_changed_configuration_does_not_resume_silently(corpus: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "run.json").write_bytes(b'{"fingerprint": "another run"}')
    with pytest.raises(RunError, match="different configuration"):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)


def test_resume_after_kill(tmp_path: Path) -> None:
    """SIGKILL a real `saring run` mid-run, restart it, and compare with an uninterrupted run."""
    inputs = []
    for shard in range(24):
        records = [{"id": f"{shard}-{i}", "text": article(shard * 1000 + i, 20)} for i in range(400)]
        inputs.append(write_jsonl(tmp_path / f"in-{shard:02d}.jsonl.zst", records, "zst"))
    pipeline_file = tmp_path / "pipeline.yaml"
    pipeline_file.write_text(
        "stages:\n  - stage: normalize\n  - stage: length\n    min_words: 3\n  - stage: exact_dedup\n"
    )

    def command(out: Path) -> list[str]:
        args = [sys.executable, "-m", "saring", "run", str(pipeline_file), "-o", str(out), "-w", "2", "-q"]
        return args + [arg for path in inputs for arg in ("-i", str(path))]

    reference = tmp_path / "reference"
    subprocess.run(command(reference), check=True, capture_output=True)

    out = tmp_path / "killed"
    process = subprocess.Popen(
        command(out), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    done = out / "_work" / "done"

    def finished() -> int:
        return len(list(done.glob("*.json"))) if done.exists() else 0

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and finished() < 3:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert 3 <= finished() < 48, "the kill must land mid-run"
    assert not (out / "manifest.json").exists()

    resumed = subprocess.run(command(out), check=True, capture_output=True, text=True)
    assert "resuming" in resumed.stderr + resumed.stdout
    assert output_bytes(out) == output_bytes(reference)
    stats = orjson.loads((out / "stats.json").read_bytes())
    assert stats["documents"]["in"] == 24 * 400


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stage_that_cannot_set_up_is_a_clear_error(
    corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.delenv("SARING_PII_KEY", raising=False)
    pipeline = basic_pipeline(
        corpus, tmp_path / "out", workers=workers, extra="  - stage: pii\n    replacement: hash\n"
    )
    with pytest.raises(RunError, match=r"setting up the pipeline's stages failed.*SARING_PII_KEY"):
        run_pipeline(pipeline, log=quiet)


def test_blocks_of_one_input_file_spread_over_workers(tmp_path: Path) -> None:
    """One file, 50 documents, blocks of 2 batches of 4: 7 blocks, each its own part whatever the
    worker count, in the order of the input."""
    records = [{"id": str(i), "text": article(i % 40)} for i in range(50)]  # 10 exact duplicates
    source = write_jsonl(tmp_path / "one.jsonl", records)
    outputs = {}
    for workers in (1, 2):
        pipeline = basic_pipeline([source], tmp_path / f"out{workers}", workers)
        engine = pipeline.engine.model_copy(update={"batch_size": 4, "block_batches": 2})
        result = run_pipeline(pipeline.model_copy(update={"engine": engine}), log=quiet)
        assert (result.stats.documents_in, result.stats.kept, result.stats.removed) == (50, 40, 10)
        outputs[workers] = output_bytes(tmp_path / f"out{workers}")
    assert outputs[1] == outputs[2]
    assert sorted(name for name in outputs[1] if name.startswith("kept/")) == [
        f"kept/part-00000-{block:05d}.jsonl.zst"
        for block in range(5)  # blocks 5 and 6 are all copies
    ]
    assert [r["id"] for r in read_output(tmp_path / "out2", "kept")] == [str(i) for i in range(40)]


def test_a_block_of_long_texts_ends_early(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks end once their texts reach the size cap, however many batches they may hold."""
    monkeypatch.setattr(shard_module, "MAX_BLOCK_TEXT_BYTES", 3 * len(article(0).encode()))
    source = write_jsonl(tmp_path / "one.jsonl", [{"id": str(i), "text": article(i)} for i in range(12)])
    pipeline = basic_pipeline([source], tmp_path / "out", workers=1)
    engine = pipeline.engine.model_copy(update={"batch_size": 2, "block_batches": 100})
    result = run_pipeline(pipeline.model_copy(update={"engine": engine}), log=quiet)
    assert result.stats.kept == 12
    parts = sorted(name for name in output_bytes(tmp_path / "out") if name.startswith("kept/"))
    assert parts == [f"kept/part-00000-{block:05d}.jsonl.zst" for block in range(3)]  # 2 batches each
    assert [r["id"] for r in read_output(tmp_path / "out", "kept")] == [str(i) for i in range(12)]


def test_damaged_or_foreign_output_state_needs_overwrite(corpus: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "run.json").write_bytes(b"")  # killed while it was written
    with pytest.raises(RunError, match="interrupted run"):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)
    assert run_pipeline(basic_pipeline(corpus, out), overwrite=True, log=quiet).stats.balanced

    (out / "stats.json").unlink()  # a finished run that lost its statistics
    with pytest.raises(RunError, match=r"without stats\.json"):
        run_pipeline(basic_pipeline(corpus, out), log=quiet)

    other = tmp_path / "other"  # parts with no run.json and no manifest: not this run's
    (other / "kept").mkdir(parents=True)
    (other / "kept" / "part-00000-00000.jsonl.zst").write_bytes(b"")
    with pytest.raises(RunError, match="interrupted run"):
        run_pipeline(basic_pipeline(corpus, other), log=quiet)


def test_outputs_that_are_not_local_folders_are_locked_by_address() -> None:
    def lock() -> AbstractContextManager[None]:
        return run_module._exclusive(run_module.OutputStore("memory://saring-lock-test/out"))

    with lock(), pytest.raises(RunError, match="another saring run is writing"), lock():
        pass
    with lock():  # released
        pass


def test_a_resumed_run_does_not_process_finished_blocks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One input file of 7 blocks, 2 phases: killed after 3 blocks of phase 0, the resumed run processes
    the 11 others only, and writes the same bytes as an uninterrupted run."""
    records = [{"id": str(i), "text": article(i % 40)} for i in range(50)]
    source = write_jsonl(tmp_path / "one.jsonl", records)

    def pipeline(out: Path):
        base = basic_pipeline([source], out, workers=1)
        engine = base.engine.model_copy(update={"batch_size": 4, "block_batches": 2})
        return base.model_copy(update={"engine": engine})

    run_pipeline(pipeline(tmp_path / "reference"), log=quiet)
    original = shard_module.WorkLayout.mark_block_done
    marked: list[tuple[int, int]] = []

    def mark(self, phase: int, shard: int, block: int, stats) -> None:
        if len(marked) == 3 and not resumed:
            raise KeyboardInterrupt("killed")
        marked.append((phase, block))
        original(self, phase, shard, block, stats)

    monkeypatch.setattr(shard_module.WorkLayout, "mark_block_done", mark)
    resumed = False
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(pipeline(tmp_path / "out"), log=quiet)
    resumed = True
    run_pipeline(pipeline(tmp_path / "out"), log=quiet)
    assert marked[:3] == [(0, 0), (0, 1), (0, 2)] and len(marked) == 3 + 11
    assert output_bytes(tmp_path / "out") == output_bytes(tmp_path / "reference")

    def counts(out: Path) -> dict:
        stats = orjson.loads((out / "stats.json").read_bytes())
        stages = {name: {k: v for k, v in s.items() if k != "seconds"} for name, s in stats["stages"].items()}
        return {"documents": stats["documents"], "bytes": stats["bytes"], "stages": stages}

    assert counts(tmp_path / "out") == counts(tmp_path / "reference")


def test_quarantine_reasons_are_counted_by_kind() -> None:
    from saring.core.accounting import quarantine_reason

    assert quarantine_reason("read", "unreadable from line 1,234 on: corrupt gzip data") == (
        "read: unreadable from line N on"
    )
    assert quarantine_reason("langid", "TimeoutError: over 30 s") == "langid: TimeoutError"
