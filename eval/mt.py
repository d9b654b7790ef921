"""Evaluate ``mt_score``: Indonesian held-out AUC and calibration, ablations, confound checks, Spanish.

Run: ``python eval/mt.py`` (after ``python scripts/train_mt.py``). Reads ../shared/data; exits 0 if absent.

What the Indonesian figure can and cannot show: the machine-translated class is Wikipedia (PAWS) and
the native classes are news, Tatoeba and reviews, so domain and translation are confounded. The checks
below bound how much of the score is domain: a model trained without two native domains, native news
sentences that a topic classifier finds most Wikipedia-like, and the same method on Spanish data where
machine and human translations share their source sentences (no topic difference at all).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import wordfreq
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from train_mt import (
    DATA,
    MODEL_DIR,
    Example,
    expected_calibration_error,
    fit_style,
    indonesian_examples,
    style_matrix,
)

from saring.stages.mt import MtScore, MtScoreParams
from saring.stages.mt.features import Abstraction, tokenize
from saring.stages.mt.model import EnglishTokens, MtModel
from saring.testing import run_stages


def auc(labels, scores) -> str:
    return f"{roc_auc_score(labels, scores):.3f}"


def row(name: str, value: str, note: str = "") -> None:
    print(f"| {name} | {value} | {note} |")


def reliability_table(labels: np.ndarray, probs: np.ndarray, bins: int = 10) -> None:
    print("\n| bin | n | mean predicted | share MT |\n|---|---|---|---|")
    index = np.minimum((probs * bins).astype(int), bins - 1)
    for b in range(bins):
        mask = index == b
        if mask.any():
            print(
                f"| {b / bins:.1f}-{(b + 1) / bins:.1f} | {mask.sum()} | {probs[mask].mean():.3f} | "
                f"{labels[mask].mean():.3f} |"
            )


def topic_only_scores(
    train: list[Example], test: list[Example], function_words: frozenset[str]
) -> np.ndarray:
    """A content-word (function words removed) classifier, PAWS vs news: how 'Wikipedia-like' a topic is."""
    vectorizer = TfidfVectorizer(
        tokenizer=lambda t: [
            w.lower() for w in tokenize(t) if w[0].isalpha() and w.lower() not in function_words
        ],
        lowercase=False,
        token_pattern=None,
        sublinear_tf=True,
        min_df=2,
    )
    x = vectorizer.fit_transform([e.text for e in train])
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, [e.label for e in train])
    return model.decision_function(vectorizer.transform([e.text for e in test]))


def indonesian(model: MtModel, config: dict) -> None:
    examples = indonesian_examples()
    train = [e for e in examples if e.split == "train"]
    test = [e for e in examples if e.split == "test"]
    labels = np.array([e.label for e in test])
    signals = model.signals([e.text for e in test])
    probs = model.probability(signals)
    lengths = np.array([len(tokenize(e.text)) for e in test])
    print(
        "## Indonesian (MT = PAWS-Wiki Google-translated; native = news, Tatoeba, NusaX), "
        "held-out test split\n"
    )
    print("| measure | value | note |\n|---|---|---|")
    row(
        "ROC AUC, mt_score, all test sentences",
        auc(labels, probs),
        f"{(labels == 1).sum()} MT / {(labels == 0).sum()} native",
    )
    for source in ("news", "tatoeba", "nusax"):
        mask = (labels == 1) | np.array([e.source == source for e in test])
        row(f"ROC AUC, PAWS vs {source} only", auc(labels[mask], probs[mask]))
    mask = (lengths >= 10) & (lengths <= 30)
    row("ROC AUC, sentences of 10-30 tokens only", auc(labels[mask], probs[mask]), "length control")
    row("ECE (10 bins)", f"{expected_calibration_error(labels, probs):.4f}", "calibrated on the calib split")
    row("ablation: style n-grams only", auc(labels, signals.style_logit))
    row("ablation: calque rate only", auc(labels, signals.calque_rate))
    row("ablation: English-token share only", auc(labels, signals.english_share))

    function_words = model.abstraction.function_words
    # Confound 1: native domains never seen in training.
    seen = [e for e in train if e.source in ("paws", "news")]
    weights, bias = fit_style(
        [e.text for e in seen], [e.label for e in seen], model.abstraction, model.max_n, config["dim"]
    )
    unseen = [e for e in test if e.source == "paws"] + [
        e for e in examples if e.source in ("tatoeba", "nusax")
    ]
    logits = (
        style_matrix([e.text for e in unseen], model.abstraction, model.max_n, config["dim"]) @ weights + bias
    )
    row(
        "confound: style trained on PAWS+news only, PAWS vs Tatoeba+NusaX (unseen domains)",
        auc([e.label for e in unseen], logits),
    )
    # Confound 2: how separable the domains are by topic, and the score on the most Wikipedia-like news.
    paws_news_train = [e for e in train if e.source in ("paws", "news")]
    paws_news_test = [e for e in test if e.source in ("paws", "news")]
    topic = topic_only_scores(paws_news_train, paws_news_test, function_words)
    pn_labels = np.array([e.label for e in paws_news_test])
    row(
        "topic-only classifier (content words), PAWS vs news",
        auc(pn_labels, topic),
        "how much topic alone separates the sources",
    )
    pn_probs = model.probability(model.signals([e.text for e in paws_news_test]))
    news_topic = topic[pn_labels == 0]
    for name, keep in (
        ("top 20%", news_topic >= np.quantile(news_topic, 0.8)),
        ("bottom 20%", news_topic <= np.quantile(news_topic, 0.2)),
    ):
        native_probs = pn_probs[pn_labels == 0][keep]
        scores = np.concatenate([pn_probs[pn_labels == 1], native_probs])
        row(
            f"mt_score AUC, PAWS vs news sentences in the {name} of Wikipedia-likeness",
            auc(np.r_[np.ones((pn_labels == 1).sum()), np.zeros(len(native_probs))], scores),
            f"mean mt_score of those news sentences {native_probs.mean():.3f}",
        )
    native = pn_labels == 0
    row(
        "correlation of mt_score with topic Wikipedia-likeness, native news",
        f"{np.corrcoef(pn_probs[native], topic[native])[0, 1]:.3f}",
        "Pearson",
    )
    # Unmasked comparison: content visible.
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=2)
    x = char.fit_transform([e.text for e in train])
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(x, [e.label for e in train])
    row(
        "comparison: unmasked char 1-4-gram classifier (topic visible)",
        auc(labels, clf.decision_function(char.transform([e.text for e in test]))),
    )
    reliability_table(labels, probs)


def spanish_rows() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (1 = MT; upstream label 0) and pair groups: near-identical MT/human versions of one
    source sentence (TF-IDF cosine > 0.5) are joined so that a pair never straddles the split."""
    texts, labels = [], []
    for line in (
        (DATA / "mt-detect-es-unbabel" / "train_dataset.txt").read_text(encoding="utf-8").splitlines()
    ):
        label, _, text = line.partition("\t")
        if text.strip():
            texts.append(text)
            labels.append(1 if label == "0" else 0)
    x = TfidfVectorizer(token_pattern=r"\S+").fit_transform(texts)
    similar = x @ x.T
    similar.data = (similar.data > 0.5).astype(np.int8)
    similar.eliminate_zeros()
    _, groups = connected_components(similar, directed=False)
    return texts, np.array(labels), groups


def spanish(config: dict) -> None:
    texts, labels, groups = spanish_rows()
    bucket = (groups.astype(np.int64) * 2654435761 % 2**32) % 10
    train, test = bucket < 8, bucket >= 8
    sizes = np.bincount(groups)
    print("\n## Spanish method check (mt-detect-es-unbabel train file; own pair-grouped 80/20 split)\n")
    print("| measure | value | note |\n|---|---|---|")
    row(
        "sentences in an MT/human pair group",
        f"{(sizes[groups] > 1).mean():.2f}",
        "the file is paired, contrary to its SOURCE note",
    )
    abstraction = Abstraction(
        frozenset(wordfreq.top_n_list("es", config["function_words"])), config["suffix_chars"]
    )
    tr = [t for t, k in zip(texts, train, strict=True) if k]
    te = [t for t, k in zip(texts, test, strict=True) if k]
    weights, bias = fit_style(tr, labels[train], abstraction, config["max_n"], config["dim"])
    style = style_matrix(te, abstraction, config["max_n"], config["dim"]) @ weights + bias
    row(
        "ROC AUC, same method (masked style n-grams) trained on Spanish",
        auc(labels[test], style),
        "target 0.85",
    )
    english = EnglishTokens("es", config["english_min_zipf"], config["native_max_zipf"])
    row(
        "ROC AUC, English-token share (transferred sub-signal)",
        auc(labels[test], [english.share(tokenize(t)) for t in te]),
    )
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=2)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(char.fit_transform(tr), labels[train])
    row("ROC AUC, unmasked char 1-4-grams", auc(labels[test], clf.decision_function(char.transform(te))))
    rng = np.random.default_rng(0)
    random_train = rng.random(len(texts)) < 0.8
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(
        char.fit_transform([t for t, k in zip(texts, random_train, strict=True) if k]), labels[random_train]
    )
    scores = clf.decision_function(
        char.transform([t for t, k in zip(texts, random_train, strict=True) if not k])
    )
    row(
        "ROC AUC, unmasked char 1-4-grams, RANDOM split (pairs straddle it)",
        auc(labels[~random_train], scores),
        "no better than chance: the partner in train has the other label",
    )


def throughput() -> None:
    import csv

    csv.field_size_limit(1 << 30)
    with next((DATA / "id-news-raw-scrape").glob("*.csv")).open(encoding="utf-8-sig") as handle:
        texts = [r["isi_berita"] for _, r in zip(range(400), csv.DictReader(handle), strict=False)]
    stage = MtScore(MtScoreParams(default_language="ind_Latn"))
    start = time.perf_counter()
    run_stages([stage], texts)
    elapsed = time.perf_counter() - start
    print(
        f"\n## Speed\n\n{len(texts)} news articles ({sum(map(len, texts)) / len(texts):.0f} chars avg, "
        f"<= 64 sentences scored each): {len(texts) / elapsed:.0f} docs/s on one core (incl. setup)"
    )


def main() -> int:
    if not (DATA / "paws-id-mt").exists():
        print(f"evaluation data not found under {DATA}; nothing to do")
        return 0
    import yaml

    config = yaml.safe_load((MODEL_DIR / "ind.yaml").read_text(encoding="utf-8"))
    model = MtModel.load(MODEL_DIR / "ind.yaml", MODEL_DIR / "ind.npz")
    indonesian(model, config)
    spanish(config)
    throughput()
    return 0


if __name__ == "__main__":
    sys.exit(main())
