"""Throughput of whole saring runs: the default pipeline (what `make demo` runs) and the I/O ceiling.

Documents: the dev news articles plus derived low-quality pages (benchmarks/harness.py), as JSONL.zst.
Each configuration is a real `saring run` child process, measured for wall time, CPU seconds and peak
memory; per-stage seconds come from its stats.json.

    .venv/bin/python benchmarks/bench_pipeline.py [--copies 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import orjson
from harness import RESULTS, WORK, build_documents, markdown_table, measure, require_data


def saring(pipeline: Path | None, inputs: list[Path], out: Path, workers: int) -> list[str]:
    command = [str(Path(sys.executable).with_name("saring")), "run"]
    command += [str(pipeline)] if pipeline else []
    for path in inputs:
        command += ["-i", str(path)]
    return [*command, "-o", str(out), "-w", str(workers), "-q", "--overwrite"]


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
            ("read + write only", io_only, 1),
            ("default pipeline", None, 1),
            ("default pipeline", None, 2),
        ]
        for name, pipeline, workers in runs:
            out = Path(scratch) / f"out-{workers}-{pipeline is None}"
            result = measure(name, saring(pipeline, inputs, out, workers))
            if result.returncode:
                print(result.stderr[-3000:])
                raise SystemExit(f"{name} failed")
            stats = orjson.loads((out / "stats.json").read_bytes())
            mb = stats["bytes"]["in"] / 1e6
            slowest = sorted(stats["stages"].items(), key=lambda kv: -kv[1]["seconds"])[:3]
            rows.append(
                [
                    name,
                    workers,
                    docs,
                    round(result.wall_seconds, 1),
                    round(docs / result.wall_seconds),
                    round(mb / result.wall_seconds, 2),
                    round(docs / result.cpu_seconds),
                    round(result.peak_rss_mb),
                    ", ".join(f"{label} {s['seconds']:.1f}s" for label, s in slowest),
                ]
            )
    header = [
        "run",
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
        " process).\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    main()
