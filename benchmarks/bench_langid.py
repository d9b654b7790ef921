"""Throughput of the langid stage on news-length documents, per core (CPU seconds of one process).

Documents: the Malaysian and Indonesian news articles of ``../shared/data`` (exits cleanly when absent).
Compared: saring ``langid`` (default, and per-line), and bare lid.176 (one fastText call per whole
document, whitespace-normalized: the issue's baseline). Writes ``benchmarks/results/langid.md``.

Run: ``.venv/bin/python benchmarks/bench_langid.py [--docs 2000]``
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import train_langid as data  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "langid.md"
ACCURACY_HEADING = "# langid accuracy"  # the eval/langid.py section of the results file, kept on rewrite


def cpu_seconds(run: Callable[[], object], repeats: int = 3) -> float:
    """Best CPU time of ``repeats`` runs (after one warm-up)."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def saring_run(texts: Sequence[str], **params: object) -> Callable[[], object]:
    from saring.stages.langid import LangId, LangIdParams
    from saring.testing import run_stages

    stage = LangId(LangIdParams(**params))
    stage.setup()
    stage.setup = lambda: None  # model loading is not part of the per-document cost
    return lambda: [run_stages([stage], texts[i : i + 512]) for i in range(0, len(texts), 512)]


def bare_lid176(texts: Sequence[str]) -> Callable[[], object]:
    import fasttext

    from saring.stages.langid.stage import lid176_path

    model = fasttext.load_model(str(lid176_path()))
    return lambda: [model.predict(" ".join(t.split()), k=1) for t in texts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    args = parser.parse_args()
    if not data.DATA.exists():
        print(f"no dev data at {data.DATA}; nothing to benchmark")
        return 0
    news = [i.text for i in data.load_corpus() if i.kind == "document"]
    texts = random.Random(3).sample(news, min(args.docs, len(news)))
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    runs = {
        "saring langid (default)": saring_run(texts),
        "saring langid (per_line: true)": saring_run(texts, per_line=True),
        "saring langid (discriminator: false)": saring_run(texts, discriminator=False),
        "lid.176 alone, whole document": bare_lid176(texts),
    }
    lines = [
        "# langid throughput",
        "",
        f"{len(texts)} news articles (Indonesian + Malaysian, mean {megabytes * 1e6 / len(texts):,.0f} "
        "bytes), one process, best of 3 CPU-time runs.",
        f"Command: `.venv/bin/python benchmarks/bench_langid.py --docs {args.docs}`",
        "",
        "The machine is shared, so absolute rates move with its load; the last column (CPU time relative to",
        "bare lid.176 in the same run) is the stable figure.",
        "",
        "| run | docs/s per core | MB/s per core | CPU time vs bare lid.176 |",
        "|---|---|---|---|",
    ]
    seconds = {name: cpu_seconds(run) for name, run in runs.items()}
    bare = seconds["lid.176 alone, whole document"]
    for name, spent in seconds.items():
        lines.append(
            f"| {name} | {len(texts) / spent:,.0f} | {megabytes / spent:.2f} | {spent / bare:.2f}x |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    kept = previous[previous.find(ACCURACY_HEADING) :] if ACCURACY_HEADING in previous else ""
    RESULTS.write_text(report.rstrip() + ("\n\n" + kept if kept else "\n"), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
