"""Throughput of whole saring runs: the default pipeline (what `make demo` runs) and the I/O ceiling.

Documents: the dev news articles plus derived low-quality pages (benchmarks/harness.py), as JSONL.zst.
Each configuration is a real `saring run` child process, measured for wall time, CPU seconds and peak
memory; per-stage seconds come from its stats.json. With Ray installed, the default pipeline also runs
on the Ray engine (a private local Ray with the same workers), on these documents and on the bundled
demo sample; Ray's worker processes are not children of `saring run`, so only its wall time counts.

    .venv/bin/python benchmarks/bench_pipeline.py [--copies 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import orjson
from harness import RESULTS, WORK, build_documents, markdown_table, measure, require_data

from saring.cli import sample_inputs

#: Ray >= 2.59 protects the clusters it starts with a token; a driver must opt in.
RAY_ENV = {"RAY_AUTH_MODE": "token"}


def saring(pipeline: Path | None, inputs: list[Path], out: Path, workers: int, engine: str) -> list[str]:
    command = [str(Path(sys.executable).with_name("saring")), "run"]
    command += [str(pipeline)] if pipeline else []
    for path in inputs:
        command += ["-i", str(path)]
    return [*command, "-o", str(out), "-w", str(workers), "-q", "--overwrite", "--engine", engine]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2, help="input shards, each the whole document set")
    args = parser.parse_args()
    require_data("id-news-raw-scrape", "ms-my-news-mesolitica")
    WORK.mkdir(parents=True, exist_ok=True)
    first = WORK / "pipeline-docs-0.jsonl.zst"
    count = build_documents(first)
    inputs = [first]
    for copy in range(1, args.copies):  # identical shards: exact dedup removes them, as crawls repeat
        inputs.append(WORK / f"pipeline-docs-{copy}.jsonl.zst")
        inputs[-1].write_bytes(first.read_bytes())
    docs = count * args.copies
    with tempfile.TemporaryDirectory() as scratch:
        io_only = Path(scratch) / "io.yaml"
        io_only.write_text("stages: []\noutput:\n  report: false\n")
        rows = []
        runs = [
            ("read + write only", io_only, inputs, 1, "local"),
            ("default pipeline", None, inputs, 1, "local"),
            ("default pipeline", None, inputs, 2, "local"),
        ]
        if importlib.util.find_spec("ray") is not None:
            demo = [Path(path) for path in sample_inputs()]
            runs += [
                ("default pipeline", None, inputs, 2, "ray"),
                ("demo sample", None, demo, 2, "local"),
                ("demo sample", None, demo, 2, "ray"),
            ]
        for index, (name, pipeline, files, workers, engine) in enumerate(runs):
            out = Path(scratch) / f"out-{index}"
            result = measure(f"{name} ({engine})", saring(pipeline, files, out, workers, engine), RAY_ENV)
            if result.returncode:
                print(result.stderr[-3000:])
                raise SystemExit(f"{name} failed")
            stats = orjson.loads((out / "stats.json").read_bytes())
            count = stats["documents"]["in"]
            mb = stats["bytes"]["in"] / 1e6
            slowest = sorted(stats["stages"].items(), key=lambda kv: -kv[1]["seconds"])[:3]
            rows.append(
                [
                    name,
                    engine,
                    workers,
                    count,
                    round(result.wall_seconds, 1),
                    round(count / result.wall_seconds),
                    round(mb / result.wall_seconds, 2),
                    round(count / result.cpu_seconds) if engine == "local" else "-",
                    round(result.peak_rss_mb) if engine == "local" else "-",
                    ", ".join(f"{label} {s['seconds']:.1f}s" for label, s in slowest),
                ]
            )
    header = [
        "run",
        "engine",
        "workers",
        "docs",
        "wall s",
        "docs/s",
        "MB/s",
        "docs per CPU-s",
        "peak MB",
        "slowest stages",
    ]
    table = markdown_table(header, rows)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pipeline.md").write_text(
        "# Whole runs: default pipeline and I/O ceiling\n\n"
        f"`.venv/bin/python benchmarks/bench_pipeline.py --copies {args.copies}` ({docs:,} documents;"
        " wall time includes start-up, model loading and the report; peak MB is the largest single"
        " process; on Ray, stage seconds add up over the actors).\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    main()
