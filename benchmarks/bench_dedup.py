"""Near-duplicate removal side by side: saring, datatrove (4-stage MinHash) and text-dedup (MinHash).

All three read the same ~20,000 web-like documents (JSONL shards under benchmarks/work/dedup/): Indonesian
news articles from ../shared/data/id-news-raw-scrape, each planted with near-duplicate variants
(another site's boilerplate, injected spam lines, the tail truncated by 15%, 2% of words edited; the
generator of eval/dedup.py), and filler documents stitched from random sentences of other articles.
Each tool runs in its own process (2 workers); the benchmark measures wall time, CPU time (all child
processes), peak memory (the sum of the resident memory of the tool's process tree, sampled every
50 ms) and removal precision/recall against the planted clusters:

* recall: of the planted duplicates (cluster size - 1 per cluster), how many were removed;
* precision: of the removed documents, how many were planted duplicates (a cluster losing every copy,
  or a removed filler document, counts as a false removal).

Peers install into their own virtual environments (gitignored):
  python -m venv benchmarks/.venv-datatrove && benchmarks/.venv-datatrove/bin/pip install datatrove==0.10.1
  python -m venv benchmarks/.venv-textdedup && benchmarks/.venv-textdedup/bin/pip install text-dedup==0.4.0
A peer whose environment is missing is skipped. Usage:
  python benchmarks/bench_dedup.py [--docs 20000] [--tools saring,datatrove,textdedup] [--scale 1,10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "benchmarks" / "work" / "dedup"
VARIANTS = ("boilerplate", "spam", "truncated", "edited")
THRESHOLD, NGRAM, BANDS, ROWS = 0.5, 5, 42, 3  # saring's defaults; peers get the same banding
sys.path.insert(0, str(ROOT / "eval"))


def build_corpus(docs: int, folder: Path, shards: int = 8, seed: int = 0) -> dict[str, tuple[int, str]]:
    """Write the corpus as JSONL shards; returns id -> (planted cluster, kind)."""
    from dedup import distinct_articles, make_variant, read_news, read_spam_lines, site_boilerplate

    rng = random.Random(seed)
    bodies = read_news()
    rng.shuffle(bodies)
    boilerplate, spam = site_boilerplate(bodies), read_spam_lines()
    bodies = distinct_articles(bodies)
    vocabulary = sorted({w for body in bodies[:200] for w in body.split() if w.isalpha()})
    bases = bodies[: min(len(bodies) // 2, docs // (2 * (len(VARIANTS) + 1)))]
    sentences = sorted(
        {s.strip() for body in bodies[len(bases) :] for s in body.replace("\n", ". ").split(". ")}
    )
    sentences = [s for s in sentences if len(s.split()) >= 6]
    records: list[tuple[str, str, int, str]] = []
    for cluster, body in enumerate(bases):
        records.append((f"c{cluster}-original", body, cluster, "original"))
        for kind in VARIANTS:
            text = make_variant(body, kind, rng, boilerplate, spam, vocabulary)
            records.append((f"c{cluster}-{kind}", text, cluster, kind))
    filler = 0
    while len(records) < docs:
        picked = rng.sample(sentences, rng.randint(12, 36))
        text = "\n".join(". ".join(picked[i : i + 4]) + "." for i in range(0, len(picked), 4))
        records.append((f"f{filler}", text, -1 - filler, "filler"))
        filler += 1
    rng.shuffle(records)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    per_shard = -(-len(records) // shards)
    for shard in range(shards):
        with (folder / f"part-{shard:03d}.jsonl").open("w", encoding="utf-8") as handle:
            for doc_id, text, _, _ in records[shard * per_shard : (shard + 1) * per_shard]:
                handle.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    return {doc_id: (cluster, kind) for doc_id, _, cluster, kind in records}


# -- the tools, each a script run in its own interpreter ------------------------------------------

SARING = """
import glob, json, sys, saring
from saring.api import apply_overrides
from saring.config import parse_pipeline
from saring.core.partitions import LocalPartitionPool
inputs, out, budget = sys.argv[1], sys.argv[2], sys.argv[3]
stages = "stages:\\n  - stage: near_dedup\\n    memory_budget_mb: " + budget
text = "output: {format: jsonl, write_removed: true, report: false}\\n" + stages
pipeline = apply_overrides(parse_pipeline(text, "bench"), inputs=[inputs], output=out, workers=2)
saring.run(pipeline, overwrite=True)
removed = [json.loads(line)["id"] for path in glob.glob(out + "/removed/part-*") for line in open(path)]
json.dump(removed, open(out + "/removed_ids.json", "w"))
import resource  # the driver ran the plan; the workers collected signatures and applied it
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) benchmark process across fork+exec
driver = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
peaks = {"driver_peak_mb": int(driver) / 1024,
         "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
json.dump(peaks, open(out + "/peaks.json", "w"))
"""

DATATROVE = """
import glob, json, sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
    MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
inputs, out = sys.argv[1], sys.argv[2]
ngram, bands, rows = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
config = MinhashConfig(n_grams=ngram, num_buckets=bands, hashes_per_bucket=rows)
tasks = len(glob.glob(inputs + "/*.jsonl"))
def reader():
    return JsonlReader(inputs, text_key="text", id_key="id")
def run(steps, tasks, step):
    LocalPipelineExecutor(steps, tasks=tasks, workers=2, logging_dir=f"{out}/logs/{step}").run()
run([reader(), MinhashDedupSignature(out + "/sigs", config=config)], tasks, 1)
run([MinhashDedupBuckets(out + "/sigs", out + "/buckets", config=config)], bands, 2)
run([MinhashDedupCluster(out + "/buckets", out + "/remove", config=config)], 1, 3)
removed_writer = JsonlWriter(out + "/removed", compression=None)
run([reader(), MinhashDedupFilter(out + "/remove", exclusion_writer=removed_writer),
     JsonlWriter(out + "/kept", compression=None)], tasks, 4)
removed = [json.loads(line)["id"] for path in glob.glob(out + "/removed/*") for line in open(path)]
json.dump(removed, open(out + "/removed_ids.json", "w"))
"""

TEXTDEDUP = """
import glob, json, sys
from text_dedup.minhash import main
from text_dedup.utils import IOArgs, MetaArgs, MinHashArgs
inputs, out = sys.argv[1], sys.argv[2]
ngram, bands, rows = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
threshold = float(sys.argv[6])
io_args = IOArgs(path="json", data_files=inputs + "/*.jsonl", output=out + "/kept", split="train",
                 cache_dir=out + "/cache", num_proc=2, clean_cache=True)
meta_args = MetaArgs(column="text", batch_size=10000)
num_perm = bands * rows or 250  # 0 x 0: text-dedup's defaults (250 permutations, its own b x r)
minhash_args = MinHashArgs(num_perm=num_perm, ngram=ngram, min_length=0, threshold=threshold,
                           b=bands or None, r=rows or None)
main.callback(io_args=io_args, meta_args=meta_args, minhash_args=minhash_args)
from datasets import load_from_disk
kept = set(load_from_disk(out + "/kept")["id"])
ids = [json.loads(line)["id"] for path in sorted(glob.glob(inputs + "/*.jsonl")) for line in open(path)]
json.dump([i for i in ids if i not in kept], open(out + "/removed_ids.json", "w"))
"""


def _tree_usage(root: int) -> tuple[int, dict[int, float]]:
    """Resident bytes of a process tree, and the CPU seconds of each process in it (from /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children[int(fields[1])].append(int(entry))
            cpu = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
            stats[int(entry)] = (int(fields[21]) * os.sysconf("SC_PAGE_SIZE"), cpu)
        except (OSError, IndexError, ValueError):
            continue
    rss, cpu_by_pid, stack = 0, {}, [root]
    while stack:
        pid = stack.pop()
        if pid in stats:
            rss += stats[pid][0]
            cpu_by_pid[pid] = stats[pid][1]
        stack.extend(children.get(pid, []))
    return rss, cpu_by_pid


def run_tool(command: list[str], log: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
        peak = 0
        cpu_seen: dict[int, float] = {}  # processes not reaped by a waiting parent (forkservers) count too
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                rss, cpu = _tree_usage(process.pid)
                peak = max(peak, rss)
                cpu_seen.update(cpu)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        code = process.wait()
        done.set()
        sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise RuntimeError(f"{command[0]} failed ({code}); see {log}")
    cpu = max(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, sum(cpu_seen.values()))
    return {"wall": wall, "cpu": cpu, "peak_mb": peak / 2**20}


def scores(removed: list[str], truth: dict[str, tuple[int, str]]) -> dict[str, float]:
    removed_set = set(removed)
    size = Counter(cluster for cluster, _ in truth.values())
    lost = Counter(truth[i][0] for i in removed_set if i in truth)
    true_removals = sum(min(count, size[cluster] - 1) for cluster, count in lost.items())
    duplicates = sum(s - 1 for s in size.values())
    result = {
        "removed": len(removed_set),
        "precision": true_removals / len(removed_set) if removed_set else 1.0,
        "recall": true_removals / duplicates if duplicates else 1.0,
    }
    result["f1"] = (
        2 * result["precision"] * result["recall"] / max(result["precision"] + result["recall"], 1e-9)
    )
    original_removed = {truth[i][0] for i in removed_set if truth.get(i, (0, ""))[1] == "original"}
    for kind in VARIANTS:
        members = [(i, c) for i, (c, k) in truth.items() if k == kind]
        found = sum((i in removed_set) != (c in original_removed) or (i in removed_set) for i, c in members)
        result[f"recall_{kind}"] = found / len(members) if members else 1.0
    return result


NOTES = "<!-- notes below are kept when the table is rewritten -->\n"
SAME = [NGRAM, BANDS, ROWS, THRESHOLD]  # the peers with saring's shingles and banding
TOOLS = {  # name -> (interpreter, script, arguments after the input and output folders)
    "saring": (ROOT / ".venv" / "bin" / "python", SARING, None),
    "datatrove": (ROOT / "benchmarks" / ".venv-datatrove" / "bin" / "python", DATATROVE, SAME),
    "datatrove-defaults": (
        ROOT / "benchmarks" / ".venv-datatrove" / "bin" / "python",
        DATATROVE,
        [5, 14, 8, 0],
    ),
    "textdedup": (ROOT / "benchmarks" / ".venv-textdedup" / "bin" / "python", TEXTDEDUP, SAME),
    "textdedup-defaults": (
        ROOT / "benchmarks" / ".venv-textdedup" / "bin" / "python",
        TEXTDEDUP,
        [5, 0, 0, 0.7],
    ),
}


def compare_rensa(inputs: Path, docs: int = 5000) -> None:
    """CPU seconds for word 5-gram MinHash signatures (128 permutations): saring's numpy path vs rensa."""
    import rensa

    from saring.stages.near_dedup import minhash

    lines = [line for path in sorted(inputs.glob("*.jsonl")) for line in path.read_text().splitlines()]
    texts = [json.loads(line)["text"] for line in lines[:docs]]
    a, b = minhash.permutations(128, 42)
    started = time.process_time()
    for first in range(0, len(texts), 512):
        minhash.signatures(minhash.shingle(texts[first : first + 512], "word", 5), a, b)
    ours = time.process_time() - started
    started = time.process_time()
    for words in minhash.normalized_tokens(texts).to_pylist():
        signature = rensa.RMinHash(num_perm=128, seed=42)
        signature.update([" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))])
        signature.digest()
    theirs = time.process_time() - started
    print(
        f"signatures of {len(texts)} documents: saring numpy {ours:.2f} s CPU, rensa {theirs:.2f} s CPU "
        "(same tokens; rensa needs the shingles as Python strings)"
    )


def plan_memory(docs: int, budget_mb: int, workers: int = 2) -> None:
    """Peak memory of near_dedup's plan alone over ``docs`` synthetic signatures (10% planted copies)."""
    import numpy as np
    import pyarrow as pa

    from saring.core.partitions import LocalPartitionPool
    from saring.stages.near_dedup import NearDedup, NearDedupParams

    stage = NearDedup(NearDedupParams(memory_budget_mb=budget_mb))
    schema, rng = stage.collect_schema(), np.random.default_rng(0)
    folder = WORK / f"plan-{docs}"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "plan").mkdir(parents=True)
    paths, shard_docs = [], 40_000
    for shard in range(-(-docs // shard_docs)):
        count = min(shard_docs, docs - shard * shard_docs)
        signatures = rng.integers(0, 2**32, (count, 128), dtype=np.uint32)
        signatures[1::10] = signatures[0::10][: len(signatures[1::10])]
        columns = [
            pa.array(np.arange(count, dtype=np.int64) + (shard << 32)),
            pa.array([f"d{shard}-{i}" for i in range(count)]),
            pa.array(np.full(count, 1000)),
            pa.nulls(count, pa.float64()),
            pa.FixedSizeBinaryArray.from_buffers(
                schema.field("signature").type, count, [None, pa.py_buffer(signatures.tobytes())]
            ),
        ]
        paths.append(folder / f"collect-{shard:05d}.arrow")
        with pa.OSFile(str(paths[-1]), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
            for batch in pa.Table.from_arrays(columns, schema=schema).to_batches(512):
                writer.write_batch(batch)
    del signatures, columns
    with open("/proc/self/clear_refs", "w") as handle:  # resets VmHWM to the current resident size
        handle.write("5")
    before = _status_mb("VmRSS")
    started = time.process_time()
    stage.plan(paths, folder / "plan", LocalPartitionPool(workers))
    print(
        f"plan over {docs} documents, budget {budget_mb} MB, {workers} workers: driver peak "
        f"{_status_mb('VmHWM'):.0f} MB (+{_status_mb('VmHWM') - before:.0f} MB over {before:.0f} MB), "
        f"{time.process_time() - started:.1f} s CPU in the driver; "
        + (folder / "plan" / "plan.json").read_text().replace("\n", " ")
    )
    shutil.rmtree(folder)


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key)) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument(
        "--scale", default="1", help="corpus sizes as multiples of --docs (saring only above 1)"
    )
    parser.add_argument("--budget-mb", type=int, default=256)
    parser.add_argument("--write", default=str(ROOT / "benchmarks" / "results" / "dedup.md"))
    parser.add_argument("--compare-rensa", action="store_true", help="only time signatures vs rensa")
    parser.add_argument("--plan-memory", type=int, default=0, help="only measure the plan's memory on N docs")
    args = parser.parse_args()
    if args.plan_memory:
        plan_memory(args.plan_memory, args.budget_mb)
        return 0
    if args.compare_rensa:
        compare_rensa(WORK / f"input-{args.docs}")
        return 0
    if not (DATA / "id-news-raw-scrape").exists():
        print(f"benchmark data not found under {DATA}; skipping")
        return 0
    stored = WORK / f"results-{args.scale.replace(',', '-')}.json"  # rows of earlier runs, tool by tool
    rows = json.loads(stored.read_text()) if stored.exists() else {}
    for scale in [int(s) for s in args.scale.split(",")]:
        docs = args.docs * scale
        inputs = WORK / f"input-{docs}"
        truth = build_corpus(docs, inputs, shards=8 * scale)
        size_mb = sum(p.stat().st_size for p in inputs.glob("*.jsonl")) / 1e6
        for tool in args.tools.split(","):
            if scale > 1 and tool != "saring":
                continue
            python, script, tool_args = TOOLS[tool]
            if not python.exists():
                print(f"{tool}: {python} not found; skipping")
                continue
            out = WORK / f"out-{tool}-{docs}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            extra = [str(a) for a in (tool_args or [args.budget_mb])]
            command = [str(python), "-c", textwrap.dedent(script), str(inputs), str(out), *extra]
            measured = run_tool(command, out.parent / f"{tool}-{docs}.log")
            measured.update(scores(json.loads((out / "removed_ids.json").read_text()), truth))
            if (out / "peaks.json").exists():
                measured.update(json.loads((out / "peaks.json").read_text()))
            measured.update({"tool": tool, "docs": len(truth), "mb": size_mb})
            rows[f"{tool}:{len(truth)}"] = measured
            print(json.dumps(measured), flush=True)
            stored.write_text(json.dumps(rows, indent=1))
    every = {
        k: v for path in sorted(WORK.glob("results-*.json")) for k, v in json.loads(path.read_text()).items()
    }
    write_table(sorted(every.values(), key=lambda r: (r["docs"], r["tool"])), Path(args.write), args)
    return 0


def _driver(row: dict) -> str:
    return f"{row['driver_peak_mb']:.0f}" if "driver_peak_mb" in row else "-"


def write_table(rows: list[dict], path: Path, args: argparse.Namespace) -> None:
    lines = [
        "# Near-duplicate removal: saring vs datatrove vs text-dedup",
        "",
        "`python benchmarks/bench_dedup.py` (every tool, 20,000 documents) and "
        f"`--tools saring --scale 1,10`, on {os.cpu_count()} cores (shared machine); {NGRAM}-gram words, "
        f"{BANDS} bands x {ROWS} rows for every tool; saring verifies candidates (estimated Jaccard >= "
        f"{THRESHOLD}), memory budget {args.budget_mb} MB.",
        "",
        "Peak MB: resident memory of the whole process tree; saring's driver (which runs the plan) "
        "is also shown alone. docs/CPU-s: documents per CPU-second (the machine was shared, so wall "
        "times are inflated; 2 x docs/CPU-s is the rate on 2 free cores).",
        "",
        "| tool | docs | MB | wall s | CPU s | docs/CPU-s | peak MB | driver MB | removed | precision | "
        "recall | F1 | " + " | ".join(f"recall {k}" for k in VARIANTS) + " |",
        "|---" * (12 + len(VARIANTS)) + "|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tool']} | {r['docs']} | {r['mb']:.0f} | {r['wall']:.1f} | {r['cpu']:.1f} | "
            f"{r['docs'] / r['cpu']:.0f} | {r['peak_mb']:.0f} | {_driver(r)} | "
            f"{r['removed']} | {r['precision']:.4f} | "
            f"{r['recall']:.4f} | {r['f1']:.4f} | "
            + " | ".join(f"{r[f'recall_{k}']:.4f}" for k in VARIANTS)
            + " |"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    notes = path.read_text().partition(NOTES)[2] if path.exists() else ""  # hand-written, kept
    path.write_text("\n".join(lines) + "\n\n" + NOTES + notes)
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
