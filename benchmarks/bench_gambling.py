"""Throughput of the gambling and boilerplate stages (docs/s) on the news scrape, beside the quality stage
when it is installed. Writes benchmarks/results/gambling.md. Skips (exit 0) without ../shared/data.

    python benchmarks/bench_gambling.py
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEWS = REPO.parent / "shared" / "data" / "id-news-raw-scrape"


#: documents per batch, as in the default engine settings (``engine.batch_size``)
BATCH_SIZE = 512


def docs_per_second(stage_name: str, texts: list[str], repeats: int = 3) -> float:
    from saring.core.registry import stage_class
    from saring.testing import run_stages

    stage = stage_class(stage_name)()
    stage.setup()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for start in range(0, len(texts), BATCH_SIZE):
            run_stages([stage], texts[start : start + BATCH_SIZE])
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> int:
    if not NEWS.exists():
        print(f"{NEWS} not found; skipping")
        return 0
    from saring.core.registry import stage_names

    texts = []
    for path in sorted(NEWS.glob("*.csv")):
        with path.open(encoding="utf-8-sig") as handle:
            texts.extend(row["isi_berita"] for row in csv.DictReader(handle) if row["isi_berita"].strip())
    names = [n for n in ("gambling", "boilerplate", "quality") if n in stage_names()]
    rates = {name: docs_per_second(name, texts) for name in names}
    average_chars = sum(map(len, texts)) / len(texts)
    lines = [
        "# gambling and boilerplate throughput",
        "",
        f"{len(texts)} news bodies (id-news-raw-scrape, {average_chars:,.0f} characters on "
        f"average), one process, in memory (saring.testing.run_stages) in batches of {BATCH_SIZE} documents, "
        "best of 3, `python benchmarks/bench_gambling.py`.",
        "",
        "| stage | docs/s |",
        "|---|---|",
        *(f"| {name} | {rate:,.0f} |" for name, rate in rates.items()),
    ]
    if "quality" in rates:
        lines += ["", f"gambling / quality = {rates['gambling'] / rates['quality']:.2f} (target >= 0.5)"]
    report = "\n".join(lines) + "\n"
    (REPO / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (REPO / "benchmarks" / "results" / "gambling.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
