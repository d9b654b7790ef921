"""Gambling-promotion targets on the dev data (../shared/data); prints the tables. Exits 0 without data.

1. Held-out test split of the judol-yt-gbennnn comments (split of scripts/train_gambling.py): F1 >= 0.97.
2. News about gambling (the eval half of id-news-raw-scrape, articles with gambling words; all are
   honest reporting or other senses of "slot"/"taruhan" by their titles, so all must be kept): >= 99% kept.
3. Pages with injected spam: eval-half news bodies (without gambling words) + 1-3 held-out spam
   comments at the tail (and sometimes a "By <brand>" line from the eval half of the brand list):
   >= 95% of spam lines removed, <= 1% of article lines removed.

    python eval/gambling.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "src")]

import train_gambling as data  # noqa: E402


def main() -> int:
    if not (data.DATA / "judol-yt-gbennnn").exists():
        print(f"dev data not found under {data.DATA}; skipping")
        return 0
    from saring.stages.gambling.stage import Gambling
    from saring.testing import run_stages

    stage = Gambling()
    stage.setup()
    comments = data.load_comments()
    texts, labels = comments.texts["test"], np.array(comments.labels["test"])
    probabilities = stage.score_lines([" ".join(t.split()) for t in texts]).scores
    rows = [("comments test", data.binary_metrics(labels, probabilities))]
    rng = random.Random(7)
    obfuscated = [data.obfuscate(t, rng) for t in texts]
    probabilities = stage.score_lines([" ".join(t.split()) for t in obfuscated]).scores
    rows.append(("comments test, obfuscated", data.binary_metrics(labels, probabilities)))
    print("| set | n | promotion | precision | recall | F1 | FP | Brier | ECE |\n" + "|---" * 9 + "|")
    for name, m in rows:
        print(
            f"| {name} | {m['n']} | {m['positives']} | {m['precision']} | {m['recall']} | **{m['f1']}** | "
            f"{m['false_positives']} | {m['brier']} | {m['ece']} |"
        )

    news = data.news_bodies("eval", about_gambling=True)
    batch = run_stages([Gambling()], [r["isi_berita"] for r in news])
    kept = sum(batch.status(i) == "kept" for i in range(len(news)))
    lines = sum(len([x for x in r["isi_berita"].split("\n") if x.strip()]) for r in news)
    stripped = sum(len(batch.columns["removed_lines"][i] or ()) for i in range(len(news)))
    print(
        f"\nnews about gambling (eval half): {kept}/{len(news)} kept ({100 * kept / max(len(news), 1):.1f}%, "
        f"target >= 99%); lines stripped {stripped}/{lines}"
    )
    for i, r in enumerate(news):
        if batch.status(i) != "kept" or batch.columns["removed_lines"][i]:
            print("  FP:", r["url"], batch.columns["removed_reason"][i], batch.columns["removed_lines"][i])

    spam = [t for t, y in zip(texts, labels, strict=True) if y == 1]
    brands = [b for b in data.brands() if data.brand_split(b) == "eval"]
    bodies = [r["isi_berita"].strip() for r in data.news_bodies("eval", about_gambling=False)]
    pages, spam_lines = [], []
    for body in bodies:
        injected = rng.sample(spam, rng.randint(1, 3))
        if rng.random() < 0.3:
            injected.append(f"By {rng.choice(brands)}")
        pages.append(body + "\n" + "\n".join(" ".join(s.split()) for s in injected))
        spam_lines.append(len(injected))
    batch = run_stages([Gambling()], pages)
    spam_removed = article_removed = article_total = 0
    docs_removed = 0
    for i, body in enumerate(bodies):
        n_body = len(body.split("\n"))
        article_total += sum(1 for x in body.split("\n") if x.strip())
        if batch.status(i) != "kept":
            docs_removed += 1
            continue
        stripped_lines = {e["line"] for e in batch.columns["removed_lines"][i] or ()}
        page_lines = pages[i].split("\n")
        spam_removed += sum(1 for x in page_lines[n_body:] if x in stripped_lines)
        article_removed += sum(1 for x in page_lines[:n_body] if x in stripped_lines and x.strip())
    total_spam = sum(spam_lines)
    print(
        f"\ninjected tail spam: {len(pages)} pages, {docs_removed} removed whole; spam lines removed "
        f"{spam_removed}/{total_spam} ({100 * spam_removed / total_spam:.1f}%, target >= 95%); article lines "
        f"removed {article_removed}/{article_total} "
        f"({100 * article_removed / article_total:.2f}%, target <= 1%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
