"""Train the gambling-promotion line classifier shipped in src/saring/resources/models/gambling/.

Data (read from ../shared/data, never copied into the repo; the script exits 0 when it is absent):

- judol-yt-gbennnn/dataset_judol_labelled.csv: Indonesian YouTube comments, 1 = online-gambling
  promotion. Deduplicated on folded text (spam templates repeat), texts with conflicting labels
  dropped, then split by a hash of the folded text: 80% train, 10% calibration, 10% test.
- id-news-raw-scrape: Indonesian news lines as negatives (honest prose, boilerplate, and reporting on
  gambling: raids, blocking, addiction). Articles are split by a hash of their URL; only the "train"
  half is used here; the "eval" half (its articles on gambling are the news dev set) is eval/gambling.py's.
- ms-my-news-mesolitica: Malaysian Malay news lines as negatives, including its few articles on
  gambling ("judi dalam talian", police raids), which teach that reporting on gambling is not promotion.
- Augmentation: obfuscated copies of training comments (styled letters, homoglyphs, spacing, leetspeak,
  zero-width characters), and short web-spam lines (a brand handle with gambling calls to action) built
  from the training half of situs_judol.csv's brand names; the other half is kept for the eval.

Model: hashed byte n-grams of folded lines (saring.stages.gambling.model) -> L2 logistic regression
(scikit-learn, training only), then Platt scaling on the calibration split. Writes model.npz,
metrics.json and README.md beside it.

    python scripts/train_gambling.py
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MODEL_DIR = REPO / "src" / "saring" / "resources" / "models" / "gambling"
SIZES = (3, 4, 5, 6)
BITS = 20
#: Words that mark an article as being about gambling (such articles form the eval's news dev set).
GAMBLING_WORDS = ("judi", "judol", "slot", "togel", "kasino", "casino", "taruhan", "betting")

csv.field_size_limit(1 << 30)


def bucket(key: str, parts: int) -> int:
    return xxhash.xxh3_64_intdigest(key.encode("utf-8")) % parts


def comment_split(folded: str) -> str:
    """``train`` / ``calib`` / ``test`` by a hash of the folded comment."""
    part = bucket(folded, 10)
    return "test" if part == 0 else "calib" if part == 1 else "train"


def news_split(url: str) -> str:
    """``train`` / ``eval`` half of the news scrape, by a hash of the URL."""
    return "train" if bucket(url, 2) == 0 else "eval"


def mentions_gambling(folded: str) -> bool:
    words = set(folded.split())
    return any(word in words for word in GAMBLING_WORDS)


def brand_split(brand: str) -> str:
    return "train" if bucket(brand, 2) == 0 else "eval"


@dataclass
class Comments:
    texts: dict[str, list[str]] = field(default_factory=lambda: {"train": [], "calib": [], "test": []})
    labels: dict[str, list[int]] = field(default_factory=lambda: {"train": [], "calib": [], "test": []})


def load_comments() -> Comments:
    from saring.stages.gambling.folding import fold

    by_folded: dict[str, tuple[str, set[int]]] = {}
    with (DATA / "judol-yt-gbennnn" / "dataset_judol_labelled.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = row["comment_text"]
            key = " ".join(fold(text).split())
            if not key:
                continue
            labels = by_folded.setdefault(key, (text, set()))[1]
            labels.add(int(row["label"]))
    comments = Comments()
    for key, (text, labels) in by_folded.items():
        if len(labels) != 1:
            continue
        split = comment_split(key)
        comments.texts[split].append(text)
        comments.labels[split].append(labels.pop())
    return comments


def news_articles() -> Iterator[dict[str, str]]:
    """Rows of the Indonesian news scrape (url, judul, isi_berita)."""
    for path in sorted((DATA / "id-news-raw-scrape").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as handle:
            yield from csv.DictReader(handle)


def news_bodies(split: str, about_gambling: bool | None = None) -> list[dict[str, str]]:
    """News articles of a split; only those with (True) or without (False) gambling words if asked."""
    from saring.stages.gambling.folding import fold

    return [
        row
        for row in news_articles()
        if news_split(row["url"]) == split
        and row["isi_berita"].strip()
        and (
            about_gambling is None
            or mentions_gambling(fold(row["judul"] + "\n" + row["isi_berita"])) == about_gambling
        )
    ]


def news_lines(split: str) -> list[str]:
    return [line for row in news_bodies(split) for line in row["isi_berita"].split("\n") if line.strip()]


def malay_news_lines(limit: int, rng: random.Random) -> list[str]:
    with (DATA / "ms-my-news-mesolitica" / "ms_news_dev.csv").open(encoding="utf-8") as handle:
        lines = [line for row in csv.DictReader(handle) for line in row["text"].split("\n") if line.strip()]
    from saring.stages.gambling.folding import fold

    gambling = [line for line in lines if mentions_gambling(fold(line))]
    rest = [line for line in lines if not mentions_gambling(fold(line))]
    return gambling + rng.sample(rest, min(limit, len(rest)))


def brands() -> list[str]:
    with (DATA / "judol-yt-gbennnn" / "situs_judol.csv").open(encoding="utf-8") as handle:
        return [row["site"].strip() for row in csv.DictReader(handle) if row["site"].strip()]


# --- obfuscation (augmentation; also used by eval/gambling.py to build obfuscated test sets) ---

_STYLE_OFFSETS = {
    "bold": 0x1D400,
    "italic": 0x1D434,
    "bold_italic": 0x1D468,
    "script": 0x1D4D0,
    "double": 0x1D538,
    "sans_bold": 0x1D5D4,
    "monospace": 0x1D670,
}
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ"}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def _styled(text: str, offset: int) -> str:
    out = []
    for char in text:
        if "A" <= char <= "Z":
            out.append(chr(offset + ord(char) - ord("A")))
        elif "a" <= char <= "z":
            out.append(chr(offset + 26 + ord(char) - ord("a")))
        else:
            out.append(char)
    return "".join(out)


def obfuscate(text: str, rng: random.Random) -> str:
    """One random spammer trick applied to a random stretch of ``text``."""
    words = text.split(" ")
    start = rng.randrange(len(words))
    span = " ".join(words[start : start + rng.randint(1, 3)])
    trick = rng.choice(["style", "homoglyph", "spaced", "dotted", "leet", "zero_width", "fullwidth"])
    if trick == "style":
        new = _styled(span, rng.choice(list(_STYLE_OFFSETS.values())))
    elif trick == "homoglyph":
        new = "".join(_HOMOGLYPHS.get(c, c) if rng.random() < 0.6 else c for c in span)
    elif trick == "spaced":
        new = " ".join(span.replace(" ", ""))
    elif trick == "dotted":
        new = ".".join(span.replace(" ", ""))
    elif trick == "leet":
        new = "".join(_LEET.get(c.lower(), c) if rng.random() < 0.5 else c for c in span)
    elif trick == "zero_width":
        new = "\u200b".join(span)
    else:
        new = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in span)
    return " ".join([*words[:start], new, *words[start + len(span.split(" ")) :]])


_CALLS = [
    "slot gacor hari ini",
    "link alternatif",
    "daftar sekarang",
    "login",
    "situs slot online terpercaya",
    "rtp live tertinggi",
    "bonus new member 100%",
    "deposit pulsa tanpa potongan",
    "gampang maxwin",
    "bandar togel resmi",
    "agen judi bola",
    "wd berapapun dibayar",
    "scatter hitam",
    "pola gacor",
    "link resmi",
    "situs toto 4d",
    "daftar & login",
    "jackpot setiap hari",
    "depo 10k",
]


def web_spam_lines(names: list[str], count: int, rng: random.Random) -> list[str]:
    """Short web-spam lines: a brand handle with one or two gambling calls to action."""
    lines = []
    for _ in range(count):
        brand = rng.choice(names)
        brand = brand.upper() if rng.random() < 0.5 else brand
        calls = rng.sample(_CALLS, rng.randint(1, 2))
        form = rng.randrange(4)
        if form == 0:
            lines.append(f"{brand} {' '.join(calls)}")
        elif form == 1:
            lines.append(f"{calls[0].title()} {brand}")
        elif form == 2:
            lines.append(f"By {brand}")
        else:
            lines.append(f"{brand} - {calls[0]} | {calls[-1]}")
    return lines


# --- training ---


def features(texts: list[str]):
    from scipy.sparse import csr_matrix

    from saring.stages.gambling.folding import fold
    from saring.stages.gambling.model import hashed_ngrams

    folded = [" ".join(fold(t).split()) for t in texts]
    line_index, buckets, weight = hashed_ngrams(folded, SIZES, BITS)
    matrix = csr_matrix((weight, (line_index, buckets)), shape=(len(texts), 1 << BITS), dtype=np.float64)
    matrix.sum_duplicates()
    return matrix


def binary_metrics(labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    predicted = probabilities >= threshold
    tp = int(np.sum(predicted & (labels == 1)))
    fp = int(np.sum(predicted & (labels == 0)))
    fn = int(np.sum(~predicted & (labels == 1)))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    bins = np.minimum((probabilities * 10).astype(int), 9)
    ece = sum(
        abs(probabilities[bins == b].mean() - labels[bins == b].mean()) * np.mean(bins == b)
        for b in range(10)
        if np.any(bins == b)
    )
    return {
        "n": len(labels),
        "positives": int(labels.sum()),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4),
        "false_positives": fp,
        "brier": round(float(np.mean((probabilities - labels) ** 2)), 4),
        "ece": round(float(ece), 4),
    }


def main() -> int:
    if not (DATA / "judol-yt-gbennnn").exists():
        print(f"training data not found under {DATA}; nothing to do")
        return 0
    sys.path.insert(0, str(REPO / "src"))
    from sklearn.linear_model import LogisticRegression

    from saring.stages.gambling.model import GamblingModel

    rng = random.Random(13)
    comments = load_comments()
    train_names = [b for b in brands() if brand_split(b) == "train"]
    news_train = news_lines("train")
    rng.shuffle(news_train)
    news_calib, news_fit = news_train[: len(news_train) // 10], news_train[len(news_train) // 10 :]
    malay = malay_news_lines(12000, rng)

    positives = [t for t, y in zip(comments.texts["train"], comments.labels["train"], strict=True) if y == 1]
    negatives = [t for t, y in zip(comments.texts["train"], comments.labels["train"], strict=True) if y == 0]
    augmented_pos = [obfuscate(t, rng) for t in rng.sample(positives, len(positives) // 2)]
    augmented_neg = [obfuscate(t, rng) for t in rng.sample(negatives, len(negatives) // 5)]
    web_spam = web_spam_lines(train_names, 3000, rng)
    train_texts = positives + augmented_pos + web_spam + negatives + augmented_neg + news_fit + malay
    train_labels = np.array(
        [1] * (len(positives) + len(augmented_pos) + len(web_spam))
        + [0] * (len(negatives) + len(augmented_neg) + len(news_fit) + len(malay))
    )
    print(f"training lines: {len(train_texts)} ({int(train_labels.sum())} promotion)")
    classifier = LogisticRegression(C=8.0, max_iter=2000, solver="liblinear")
    classifier.fit(features(train_texts), train_labels)
    weights = classifier.coef_.ravel().astype(np.float32)
    bias = float(classifier.intercept_[0])

    def raw_model() -> GamblingModel:
        return GamblingModel(weights, bias, 1.0, 0.0, SIZES, BITS)

    from saring.stages.gambling.folding import fold

    def margins(texts: list[str]) -> np.ndarray:
        return raw_model().margins([" ".join(fold(t).split()) for t in texts])

    calib_texts = comments.texts["calib"] + news_calib
    calib_labels = np.array(comments.labels["calib"] + [0] * len(news_calib))
    platt = LogisticRegression(C=1e4).fit(margins(calib_texts).reshape(-1, 1), calib_labels)
    scale, shift = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MODEL_DIR / "model.npz",
        weights=weights.astype(np.float16),
        bias=np.float64(bias),
        platt=np.array([scale, shift]),
        sizes=np.array(SIZES),
        bits=np.int64(BITS),
    )
    model = GamblingModel.load(MODEL_DIR / "model.npz")

    def probabilities(texts: list[str]) -> np.ndarray:
        return model.probabilities([" ".join(fold(t).split()) for t in texts])

    test_texts, test_labels = comments.texts["test"], np.array(comments.labels["test"])
    metrics = {
        "comments_test": binary_metrics(test_labels, probabilities(test_texts)),
        "comments_test_obfuscated": binary_metrics(
            test_labels, probabilities([obfuscate(t, random.Random(i)) for i, t in enumerate(test_texts)])
        ),
        "comments_calibration": binary_metrics(calib_labels, probabilities(calib_texts)),
    }
    info = {
        "model": "hashed byte n-grams of folded lines -> logistic regression, Platt-scaled",
        "ngram_sizes": list(SIZES),
        "hash_bits": BITS,
        "liblinear_C": 8.0,
        "platt": [scale, shift],
        "training_lines": {
            "comments_promotion": len(positives),
            "comments_promotion_obfuscated": len(augmented_pos),
            "web_spam_synthetic": len(web_spam),
            "comments_other": len(negatives),
            "comments_other_obfuscated": len(augmented_neg),
            "id_news_lines": len(news_fit),
            "ms_news_lines": len(malay),
        },
        "metrics": metrics,
    }
    (MODEL_DIR / "metrics.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
