"""Accuracy of near-duplicate detection: pairwise precision/recall/F1 and adjusted Rand index.

Three labelled sets, read from ../shared/data (skipped cleanly when absent):

* ``news``: Indonesian news articles (id-news-raw-scrape), each planted with five kinds of
  near-duplicate variants: its site boilerplate dropped and another site's header/footer added, real
  gambling-spam lines injected (judol-yt-gbennnn), the tail truncated by 15%, 2% of words edited, and all
  of these combined. The other articles of the scrape are distractors (same sites, same boilerplate).
  Recall is also reported per kind of variant.
* ``paws-id``: PAWS-Wiki pairs machine-translated to Indonesian: hard negatives (the same words in
  another order, a different meaning) must not be merged; positives are paraphrases.
* ``msrp``: English news sentence pairs (MSRP), paraphrase or not.

Paraphrase sets measure what a lexical near-duplicate detector should *not* do (merge hard negatives);
their positives are mostly rewordings that MinHash is not meant to find, so their recall is reported
but not a target.

Usage: python eval/dedup.py [--articles 600] [--threshold 0.7] [--shingle word] [--ngram 3]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from saring.core.accounting import StageStats
from saring.core.batch import DocumentBatch, order_key
from saring.core.partitions import LocalPartitionPool
from saring.core.runner import RunOptions, apply_stage, collect_keys
from saring.core.stage import CorpusStage
from saring.stages.near_dedup import NearDedup, NearDedupParams

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KINDS = ("boilerplate", "spam", "truncated", "edited", "combined")
NAV_WORDS = [
    "Beranda",
    "Berita",
    "Nasional",
    "Ekonomi",
    "Olahraga",
    "Hiburan",
    "Teknologi",
    "Otomotif",
    "Gaya Hidup",
    "Kesehatan",
    "Internasional",
    "Video",
    "Foto",
    "Indeks",
    "Terpopuler",
]


def read_news() -> list[str]:
    csv.field_size_limit(1 << 30)
    bodies: list[str] = []
    seen: set[str] = set()
    for path in sorted((DATA / "id-news-raw-scrape").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                body = row["isi_berita"].strip()
                if len(body.split()) >= 150 and body not in seen:
                    seen.add(body)
                    bodies.append(body)
    return bodies


def distinct_articles(bodies: Sequence[str], max_jaccard: float = 0.3) -> list[str]:
    """Articles kept in order, dropping any whose exact word 5-gram Jaccard with a kept one reaches
    ``max_jaccard``: the scrape has rewrites and daily templates of one story, which would otherwise be
    unlabelled duplicates (measured independently of MinHash, well below its threshold)."""
    kept: list[str] = []
    postings: dict[str, list[int]] = {}
    sizes: list[int] = []
    for body in bodies:
        words = body.lower().split()
        grams = {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}
        shared = Counter(k for gram in grams for k in postings.get(gram, ()))
        if any(count / (len(grams) + sizes[k] - count) >= max_jaccard for k, count in shared.items()):
            continue
        for gram in grams:
            postings.setdefault(gram, []).append(len(kept))
        sizes.append(len(grams))
        kept.append(body)
    return kept


def read_spam_lines() -> list[str]:
    path = DATA / "judol-yt-gbennnn" / "dataset_judol_labelled.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return sorted({r["comment_text"].strip() for r in csv.DictReader(handle) if r["label"] == "1"})


def site_boilerplate(bodies: Sequence[str], min_docs: int = 20) -> set[str]:
    """Lines that recur in many articles: the scraped sites' own boilerplate."""
    counts = Counter(line.strip() for body in bodies for line in set(body.split("\n")))
    return {line for line, count in counts.items() if count >= min_docs and line}


def other_site_frame(rng: random.Random) -> tuple[list[str], list[str]]:
    site = rng.choice(["beritaku", "infoterkini", "kabar24", "warta-online", "lensanusantara"])
    header = [f"{site}.com", " | ".join(rng.sample(NAV_WORDS, 7)), "Login  Daftar  Cari"]
    footer = [
        "Bagikan artikel ini: Facebook Twitter WhatsApp Telegram",
        "Tag: " + ", ".join(rng.sample(NAV_WORDS, 4)),
        f"Copyright © 2025 {site}.com. All rights reserved.",
        "Tentang Kami | Redaksi | Pedoman Media Siber | Kontak | Karir",
    ]
    return header[: rng.randint(1, 3)], footer[: rng.randint(2, 4)]


def make_variant(
    body: str, kind: str, rng: random.Random, boilerplate: set[str], spam: list[str], vocabulary: list[str]
) -> str:
    lines = body.split("\n")
    if kind in ("boilerplate", "combined"):
        header, footer = other_site_frame(rng)
        lines = header + [line for line in lines if line.strip() not in boilerplate] + footer
    if kind in ("spam", "combined"):
        for _ in range(rng.randint(2, 5)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(spam))
    text = "\n".join(lines)
    if kind in ("truncated", "combined"):
        cut = int(len(text) * 0.85)
        text = text[: text.rfind(" ", 0, cut) if " " in text[:cut] else cut]
    if kind in ("edited", "combined"):
        words = text.split(" ")
        for index in rng.sample(range(len(words)), max(1, round(0.02 * len(words)))):
            action = rng.random()
            if action < 0.5:
                words[index] = rng.choice(vocabulary)
            elif action < 0.75:
                words[index] = ""
            else:
                words[index] = f"{words[index]} {rng.choice(vocabulary)}"
        text = " ".join(w for w in words if w)
    return text


def news_set(articles: int, seed: int = 0) -> tuple[list[str], list[int], list[str]]:
    """Texts, true cluster labels and each text's kind ("original", a variant kind or "distractor")."""
    bodies = read_news()
    rng = random.Random(seed)
    rng.shuffle(bodies)
    boilerplate = site_boilerplate(bodies)
    bodies = distinct_articles(bodies)
    spam = read_spam_lines()
    vocabulary = sorted({w for body in bodies[:200] for w in body.split() if w.isalpha()})
    texts, labels, kinds = [], [], []
    for label, body in enumerate(bodies):
        texts.append(body)
        labels.append(label)
        kinds.append("original" if label < articles else "distractor")
        if label < articles:
            for kind in KINDS:
                texts.append(make_variant(body, kind, rng, boilerplate, spam, vocabulary))
                labels.append(label)
                kinds.append(kind)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order], [kinds[i] for i in order]


def pair_set(name: str) -> tuple[list[str], list[tuple[int, int, int]]]:
    """Distinct sentences and the labelled pairs between them (index, index, label)."""
    if name == "paws-id":
        path, columns = DATA / "paws-id-mt" / "dev.tsv", (1, 2, 3)
    else:
        path, columns = DATA / "msrp-paraphrase" / "msr_paraphrase_train.txt", (3, 4, 0)
    index: dict[str, int] = {}
    pairs = []
    with path.open(encoding="utf-8-sig") as handle:
        next(handle)
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) <= max(columns):
                continue
            first, second, label = (fields[c] for c in columns)
            a, b = (index.setdefault(s.strip(), len(index)) for s in (first, second))
            if a != b:
                pairs.append((a, b, int(label)))
    return list(index), pairs


def run_corpus_stage(
    stage: CorpusStage, texts: Sequence[str], workers: int = 1, shards: int = 4
) -> list[DocumentBatch]:
    """collect per shard -> plan -> load_plan -> measure/decide, in memory; returns the batches."""
    stage.setup()
    options = RunOptions()
    bounds = np.linspace(0, len(texts), shards + 1).astype(int)
    batches = []
    with tempfile.TemporaryDirectory() as work:
        paths = []
        for shard, (start, end) in enumerate(itertools.pairwise(bounds)):
            batch = DocumentBatch.from_rows(
                {
                    "id": f"doc-{i}",
                    "text": texts[i],
                    "url": None,
                    "source": "eval",
                    "metadata": "{}",
                    "order": order_key(shard, i - start),
                }
                for i in range(start, end)
            )
            keys = collect_keys(stage, batch, StageStats(), options)
            path = Path(work) / f"collect-{shard}.arrow"
            with (
                pa.OSFile(str(path), "wb") as sink,
                pa.ipc.new_stream(sink, stage.collect_schema()) as writer,
            ):
                writer.write_table(keys.cast(stage.collect_schema()))
            paths.append(path)
            batches.append(batch)
        plan_dir = Path(work) / "plan"
        plan_dir.mkdir()
        stage.plan(paths, plan_dir, LocalPartitionPool(workers))
        stage.load_plan(plan_dir)
        for batch in batches:
            apply_stage(stage, batch, StageStats(), options)
    return batches


def predicted_clusters(batches: list[DocumentBatch], label: str) -> np.ndarray:
    """A cluster label per document in input order: its cluster id, or its own id when alone."""
    clusters = []
    for batch in batches:
        cluster_ids = batch.signals[f"{label}.cluster_id"]
        ids = batch.columns["id"]
        clusters.extend(c if c is not None else f"self:{i}" for c, i in zip(cluster_ids, ids, strict=True))
    _, codes = np.unique(np.array(clusters, dtype=object).astype(str), return_inverse=True)
    return codes


def _pairs_within(labels: np.ndarray) -> int:
    counts = np.unique(labels, return_counts=True)[1].astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Pairwise precision, recall, F1 over all document pairs, and the adjusted Rand index."""
    joint = truth.astype(np.int64) * (int(predicted.max()) + 1) + predicted
    both, same_true, same_pred = _pairs_within(joint), _pairs_within(truth), _pairs_within(predicted)
    total = len(truth) * (len(truth) - 1) // 2
    precision = both / same_pred if same_pred else 1.0
    recall = both / same_true if same_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = same_true * same_pred / total if total else 0.0
    maximum = (same_true + same_pred) / 2
    ari = (both - expected) / (maximum - expected) if maximum != expected else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari}


def stage_for(args: argparse.Namespace) -> NearDedup:
    params = NearDedupParams(
        threshold=args.threshold, shingle=args.shingle, ngram=args.ngram, num_perm=args.num_perm
    )
    return NearDedup(params)


def evaluate_news(args: argparse.Namespace) -> None:
    texts, labels, kinds = news_set(args.articles)
    stage = stage_for(args)
    started = time.perf_counter()
    predicted = predicted_clusters(run_corpus_stage(stage, texts, workers=args.workers), stage.label)
    seconds = time.perf_counter() - started
    truth = np.asarray(labels)
    scores = pairwise_scores(truth, predicted)
    print(
        f"\n## news: {args.articles} articles x {len(KINDS)} planted variants + "
        f"{kinds.count('distractor')} distractors = {len(texts)} documents ({seconds:.1f} s)\n"
    )
    print(f"{stage.describe()}\n")
    print("| precision | recall | F1 | ARI |\n|---|---|---|---|")
    print("| {precision:.4f} | {recall:.4f} | {f1:.4f} | {ari:.4f} |".format(**scores))
    original = {labels[i]: predicted[i] for i in range(len(texts)) if kinds[i] == "original"}
    print("\n| variant | documents | recall (same cluster as the original) |\n|---|---|---|")
    for kind in KINDS:
        rows = [i for i in range(len(texts)) if kinds[i] == kind]
        found = sum(predicted[i] == original[labels[i]] for i in rows)
        print(f"| {kind} | {len(rows)} | {found / len(rows):.4f} |")
    merged_distractors = sum(
        1 for i in range(len(texts)) if kinds[i] == "distractor" and (predicted == predicted[i]).sum() > 1
    )
    print(f"\ndistractor articles merged with anything: {merged_distractors} of {kinds.count('distractor')}")


def evaluate_pairs(name: str, args: argparse.Namespace) -> None:
    texts, pairs = pair_set(name)
    stage = stage_for(args)
    predicted = predicted_clusters(run_corpus_stage(stage, texts, workers=args.workers), stage.label)
    outcome = Counter((label, bool(predicted[a] == predicted[b])) for a, b, label in pairs)
    true_pos, false_pos = outcome[(1, True)], outcome[(0, True)]
    positives, negatives = true_pos + outcome[(1, False)], false_pos + outcome[(0, False)]
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / positives if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"\n## {name}: {len(pairs)} labelled pairs ({positives} paraphrase, {negatives} not), "
        f"{len(texts)} sentences\n"
    )
    print("| hard negatives merged | pair precision | pair recall | F1 |\n|---|---|---|---|")
    print(
        f"| {false_pos} of {negatives} ({false_pos / max(negatives, 1):.2%}) | {precision:.4f} | "
        f"{recall:.4f} | {f1:.4f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--threshold", type=float, default=NearDedupParams().threshold)
    parser.add_argument("--shingle", default=NearDedupParams().shingle)
    parser.add_argument("--ngram", type=int, default=NearDedupParams().ngram)
    parser.add_argument("--num-perm", type=int, default=NearDedupParams().num_perm)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sets", default="news,paws-id,msrp")
    args = parser.parse_args()
    if not (DATA / "id-news-raw-scrape").exists():
        print(f"eval data not found under {DATA}; skipping")
        return 0
    for name in args.sets.split(","):
        evaluate_news(args) if name == "news" else evaluate_pairs(name, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
