"""Train the machine-translation scorer (``saring.stages.mt``) for Indonesian.

Data (read from ../shared/data, never copied): machine-translated = PAWS-Wiki sentences Google-translated
into Indonesian (paws-id-mt); native = Indonesian news sentences (id-news-raw-scrape), Tatoeba (ind) and
NusaX (the Indonesian column: original SmSA review text). Groups (article, PAWS source sentence) are hashed
into train 60% / calibration 20% / test 20%. Writes ind.npz and metrics.json to
src/saring/resources/models/mt/. Run: ``python scripts/train_mt.py``.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regex
import scipy.sparse as sp
import wordfreq
import xxhash
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from saring.resources import resource_path
from saring.stages.mt.features import Abstraction, StyleHasher, sentence_norms, split_sentences, tokenize
from saring.stages.mt.model import MIN_TOKENS, MtModel

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MODEL_DIR = resource_path("models", "mt")
MAX_TOKENS = 80
NEWS_SENTENCES = 9000
NEWS_BOILERPLATE = regex.compile(
    r"^(baca juga|advertisement|scroll to continue|simak video|lihat juga)", regex.IGNORECASE
)
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 = machine-translated
    source: str
    group: str

    @property
    def split(self) -> str:
        bucket = xxhash.xxh32_intdigest(self.group.encode()) % 10
        return "train" if bucket < 6 else "calib" if bucket < 8 else "test"


def usable(sentence: str) -> bool:
    return MIN_TOKENS <= len(tokenize(sentence)) <= MAX_TOKENS


def paws_sentences(file: str = "dev.tsv") -> list[Example]:
    """sentence1 of every pair and sentence2 of paraphrase pairs (label 1) of a PAWS-id file, PTB quotes
    undone."""
    out, seen = [], set()
    with (DATA / "paws-id-mt" / file).open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            _, first, second, label = line.rstrip("\n").split("\t")[:4]
            for text in [first, second] if label == "1" else [first]:
                text = text.replace("``", '"').replace("''", '"')
                if text not in seen and usable(text):
                    seen.add(text)
                    out.append(Example(text, 1, "paws", "paws:" + first))
    return out


def news_sentences() -> list[Example]:
    """Body sentences of distinct articles; first sentence (dateline) and boilerplate lines dropped."""
    out, seen_urls = [], set()
    for path in sorted((DATA / "id-news-raw-scrape").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                if row["url"] in seen_urls:
                    continue
                seen_urls.add(row["url"])
                body = "\n".join(
                    line for line in row["isi_berita"].split("\n") if not NEWS_BOILERPLATE.match(line.strip())
                )
                out += [Example(s, 0, "news", row["url"]) for s in split_sentences(body)[1:] if usable(s)]
    random.Random(0).shuffle(out)
    return out[:NEWS_SENTENCES]


def tatoeba_sentences() -> list[Example]:
    path = DATA / "lid-tatoeba-laser" / "tatoeba.ind-eng.ind"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Example(s.strip(), 0, "tatoeba", s.strip()) for s in lines if usable(s)]


def nusax_sentences() -> list[Example]:
    out = []
    for name in ("train.csv", "valid.csv"):
        with (DATA / "lid-nusax-mt" / name).open(encoding="utf-8") as handle:
            out += [
                Example(r["indonesian"].strip(), 0, "nusax", r["indonesian"])
                for r in csv.DictReader(handle)
                if usable(r["indonesian"])
            ]
    return out


def indonesian_examples() -> list[Example]:
    return paws_sentences() + news_sentences() + tatoeba_sentences() + nusax_sentences()


def style_matrix(texts: Sequence[str], hasher: StyleHasher) -> sp.csr_matrix:
    """Binary hashed n-gram features, L2-normalised per sentence (as MtModel scores them)."""
    sentence_of, buckets = hasher.rows([tokenize(t) for t in texts])
    values = sentence_norms(sentence_of, len(texts))[sentence_of]
    return sp.csr_matrix((values, (sentence_of, buckets)), shape=(len(texts), hasher.dim))


def fit_style(texts: Sequence[str], labels: Sequence[int], hasher: StyleHasher) -> tuple[np.ndarray, float]:
    model = LogisticRegression(C=1.0, max_iter=3000)
    model.fit(style_matrix(texts, hasher), labels)
    return model.coef_[0], float(model.intercept_[0])


def calque_rates(patterns: Sequence[str], examples: Sequence[Example]) -> dict[str, dict[str, float]]:
    """Per pattern: hits per 1000 tokens in MT and native sentences."""
    tokens = {y: sum(len(tokenize(e.text)) for e in examples if e.label == y) for y in (0, 1)}
    rates = {}
    for pattern in patterns:
        compiled = regex.compile(pattern)
        hits = {y: 0 for y in (0, 1)}
        for e in examples:
            hits[e.label] += len(compiled.findall(e.text.lower()))
        rates[pattern] = {"mt": 1000 * hits[1] / tokens[1], "native": 1000 * hits[0] / tokens[0]}
    return rates


def build_model(config: dict, train: Sequence[Example], calib: Sequence[Example]) -> tuple[MtModel, dict]:
    """Fit the style weights and calque selection on ``train``, the calibrator on ``calib``."""
    abstraction = Abstraction(
        frozenset(wordfreq.top_n_list(config["wordfreq"], config["function_words"])), config["suffix_chars"]
    )
    hasher = StyleHasher(abstraction, config["max_n"], config["dim"])
    weights, bias = fit_style([e.text for e in train], [e.label for e in train], hasher)
    rates = calque_rates(config["calques"], train)
    kept = [p for p, r in rates.items() if r["mt"] >= config["min_ratio"] * max(r["native"], 1e-3)]
    arrays = {
        "weights": weights.astype(np.float16),
        "bias": np.float32(bias),
        "function_words": np.array(sorted(abstraction.function_words)),
        "suffix_chars": np.int32(config["suffix_chars"]),
        "max_n": np.int32(config["max_n"]),
        "calques": np.array(kept, dtype=str),
    }
    model = MtModel(config, arrays)
    signals = model.signals([e.text for e in calib]).matrix()
    calibrator = LogisticRegression(C=100.0, max_iter=1000).fit(signals, [e.label for e in calib])
    arrays["calibrator"] = np.append(calibrator.coef_[0], calibrator.intercept_[0]).astype(np.float64)
    return MtModel(config, arrays), {"arrays": arrays, "calque_rates": rates, "calques_kept": kept}


def expected_calibration_error(labels: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    index = np.minimum((probs * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(labels[index == b].mean() - probs[index == b].mean()) * (index == b).mean()
            for b in range(bins)
            if (index == b).any()
        )
    )


def main() -> int:
    if not (DATA / "paws-id-mt").exists():
        print(f"training data not found under {DATA}; nothing to do")
        return 0
    config = yaml.safe_load((MODEL_DIR / "ind.yaml").read_text(encoding="utf-8"))
    examples = indonesian_examples()
    split = {name: [e for e in examples if e.split == name] for name in ("train", "calib", "test")}
    model, fitted = build_model(config, split["train"], split["calib"])
    np.savez_compressed(MODEL_DIR / "ind.npz", **fitted["arrays"])
    test = split["test"]
    labels = np.array([e.label for e in test])
    probs = model.probability(model.signals([e.text for e in test]))
    metrics = {
        "language": "ind",
        "data": {
            name: {s: sum(e.source == s for e in part) for s in ("paws", "news", "tatoeba", "nusax")}
            for name, part in split.items()
        },
        "test_roc_auc": round(float(roc_auc_score(labels, probs)), 4),
        "test_ece_10_bins": round(expected_calibration_error(labels, probs), 4),
        "calibrator_coef_style_english_calque_bias": fitted["arrays"]["calibrator"].round(4).tolist(),
        "calques_kept": fitted["calques_kept"],
        "calque_rates_per_1000_tokens_train": {
            p: {k: round(v, 3) for k, v in r.items()} for p, r in fitted["calque_rates"].items()
        },
        "full_evaluation": "python eval/mt.py (confound checks, ablations, Spanish method check)",
    }
    (MODEL_DIR / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(metrics, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
