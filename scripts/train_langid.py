"""Train the langid close-language discriminator (ind/zsm/jav/sun/min, tgl and seven regional languages of
Indonesia vs each other and vs ``other``).

Reads the dev data in ``../shared/data`` (relative to the repo root; exits cleanly when absent):
Tatoeba (LASER) sentences, NusaX-MT parallel sentences, Malaysian news articles and the Indonesian news
scrape. Held-out test splits are by document (news: by URL) and by parallel row (NusaX: a row's
translations are all train or all test), so no test item shares an article or a source sentence with
training. Writes ``src/saring/resources/models/langid/discriminator.npz`` and ``metrics.json``.

Run: ``nice .venv/bin/python scripts/train_langid.py``  (2-5 minutes on this shared machine)
"""

from __future__ import annotations

import csv
import json
import random
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regex

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MODEL_DIR = REPO / "src" / "saring" / "resources" / "models" / "langid"
#: Regional languages of Indonesia that lid.176 has no label for (NusaX translations, GlotLID codes): it
#: calls them Indonesian, Malay, Javanese or English, so without classes of their own an Indonesian corpus
#: took them in (NusaX pseudo-documents labelled ind_Latn: Ngaju 98%, Banjar 84%, Acehnese 82%).
REGIONAL = {
    "acehnese": "ace_Latn",
    "balinese": "ban_Latn",
    "banjarese": "bjn_Latn",
    "buginese": "bug_Latn",
    "madurese": "mad_Latn",
    "ngaju": "nij_Latn",
    "toba_batak": "bbc_Latn",
}
#: Log-odds taken off the regional classes' intercepts after the (class-balanced) fit, in the sentence
#: model and in the long-text model: they are far rarer on the web than Indonesian, and without it
#: Indonesian sentences went to them (held-out Tatoeba ind 92.7 -> 88.2%, PAWS 93.9 -> 86.0%), as did 157
#: of 3,000 colloquial YouTube comments (Indonesian and Sundanese, ``eval/langid.py``). Short texts carry
#: little evidence and slang the training data lacks, so the sentence model takes more off: with these,
#: 38 comments, Tatoeba ind 92.3%, PAWS 93.5%; regional sentences 60-93%, documents 99-100%.
REGIONAL_PRIOR = (2.5, 1.5)
#: Languages with a marker lexicon (``languages/<code>/lexicon.yaml``), whose shares are features.
LEXICON_CODES = ["ind_Latn", "zsm_Latn", "jav_Latn", "sun_Latn", "min_Latn"]
#: The languages lid.176 cannot tell apart (it scatters them over each other) or has no label for: the
#: stage routes texts whose first pass lands among them to the discriminator, and counts them as one
#: family in the main-language share.
CONFUSABLE = [*LEXICON_CODES, *REGIONAL.values()]
#: The discriminator's classes besides ``other``: the confusable ones, and Tagalog, on which lid.176 is
#: unsure in short texts (such texts are routed to the discriminator too).
GROUP = [*CONFUSABLE, "tgl_Latn"]
#: Group languages without news articles here: paragraph-like pseudo-documents of their sentences.
SENTENCE_ONLY = ["jav_Latn", "sun_Latn", "min_Latn", *REGIONAL.values(), "tgl_Latn"]
TATOEBA = {
    "ind": "ind_Latn",
    "zsm": "zsm_Latn",
    "jav": "jav_Latn",
    "tgl": "tgl_Latn",
    "vie": "vie_Latn",
    "tha": "tha_Thai",
}
NUSAX = {
    "indonesian": "ind_Latn",
    "javanese": "jav_Latn",
    "sundanese": "sun_Latn",
    "minangkabau": "min_Latn",
    "english": "eng_Latn",
    **REGIONAL,
}
#: Languages lid.176 knows, close to a group language, that the dev data has no text of (Tagalog's sister
#: languages): where the first pass names one of them, the discriminator's answer of that group language
#: does not overrule it, since it never learnt to tell them apart.
UNSEEN_NEIGHBOURS = {"tgl_Latn": ["ceb_Latn", "war_Latn", "ilo_Latn", "pam_Latn", "bcl_Latn"]}
#: Languages outside the group the discriminator learns to send back as ``other``.
OTHER_SOURCES = {"eng_Latn", "vie_Latn"}
TEST_PERCENT = 30
#: Sentences drawn from each training article as extra short texts (news sentences, outlet variety).
SENTENCES_PER_ARTICLE = 8
DISCRIMINATOR_CHARS = 1000
HASH_BITS = 16
#: wordfreq languages whose word-frequency ratio is a feature: Indonesian over Malay.
FREQUENCY_PAIR = ("id", "ms")
#: Texts of at most this many prepared characters go to the sentence model.
SHORT_CHARS = 250
SENTENCE_END = regex.compile(r"(?<=[.!?])\s+(?=[\p{Lu}\"“])")
csv.field_size_limit(1 << 26)


@dataclass(frozen=True)
class Item:
    text: str
    label: str
    kind: str  # sentence | document
    source: str
    split: str  # train | test


def is_test(group: str, percent: int = TEST_PERCENT) -> bool:
    return zlib.crc32(group.encode()) % 100 < percent


def _split(group: str) -> str:
    return "test" if is_test(group) else "train"


def _tatoeba(root: Path) -> Iterator[Item]:
    english_seen: set[str] = set()
    for code, label in TATOEBA.items():
        for side, side_label in ((code, label), ("eng", "eng_Latn")):
            path = root / "lid-tatoeba-laser" / f"tatoeba.{code}-eng.{side}"
            for index, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                if not line.strip() or (side == "eng" and line in english_seen):
                    continue
                english_seen.add(line)
                yield Item(line, side_label, "sentence", "tatoeba", _split(f"tatoeba:{code}:{index}"))


def _nusax(root: Path) -> Iterator[Item]:
    for name in ("train.csv", "valid.csv"):
        with (root / "lid-nusax-mt" / name).open(encoding="utf-8", newline="") as handle:
            for index, row in enumerate(csv.DictReader(handle)):
                split = "test" if name == "valid.csv" else _split(f"nusax:{index}")
                for column, label in NUSAX.items():
                    yield Item(row[column], label, "sentence", "nusax", split)


def _news(path: Path, label: str, text_field: str, source: str) -> Iterator[Item]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield Item(row[text_field], label, "document", source, _split(f"news:{row['url']}"))


def load_corpus(root: Path = DATA) -> list[Item]:
    """Every labelled item of the dev data with its train/test split; news deduplicated by URL and text."""
    news = [
        *_news(root / "ms-my-news-mesolitica" / "ms_news_dev.csv", "zsm_Latn", "text", "ms-news"),
        *(
            item
            for path in sorted((root / "id-news-raw-scrape").glob("*.csv"))
            for item in _news(path, "ind_Latn", "isi_berita", "id-news")
        ),
    ]
    seen: set[str] = set()
    unique_news = []
    for item in news:
        if item.text.strip() and item.text not in seen:
            seen.add(item.text)
            unique_news.append(item)
    return [*_tatoeba(root), *_nusax(root), *unique_news]


def sentences_of(document: str, min_chars: int = 25) -> list[str]:
    """Sentences of a news article (split at sentence ends and line breaks), of at least ``min_chars``."""
    parts = (s.strip() for line in document.splitlines() for s in SENTENCE_END.split(line))
    return [s for s in parts if len(s) >= min_chars]


def pseudo_documents(sentences: list[str], count: int, rng: random.Random) -> list[str]:
    """Paragraph-like documents of 5-12 sentences drawn from ``sentences`` (for languages without news)."""
    return ["\n".join(rng.sample(sentences, min(len(sentences), rng.randint(5, 12)))) for _ in range(count)]


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    labels: list[str]
    #: Where each text comes from (source and kind): every origin of a class weighs the same in training.
    origins: list[str]

    def add(self, text: str, label: str, origin: str) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.origins.append(origin)

    def sample_weights(self, rows: np.ndarray) -> np.ndarray:
        """Weights of the selected rows giving each origin of a class an equal share of that class."""
        labels = np.array(self.labels)[rows].tolist()
        origins = np.array(self.origins)[rows].tolist()
        per_origin = Counter(zip(labels, origins, strict=True))
        per_label = Counter(labels)
        origins_of = Counter(label for label, _ in per_origin)
        return np.array(
            [
                per_label[label] / (origins_of[label] * per_origin[label, origin])
                for label, origin in zip(labels, origins, strict=True)
            ]
        )


def training_texts(items: Iterable[Item], rng: random.Random) -> TrainingSet:
    """Texts and discriminator classes: sentences, articles, sentences drawn from articles, pseudo-docs."""
    out = TrainingSet([], [], [])
    sentences_by_label: dict[str, list[str]] = {}
    for item in items:
        label = item.label if item.label in GROUP else "other"
        if item.label not in GROUP and item.label not in OTHER_SOURCES:
            continue
        out.add(item.text, label, f"{item.source}/{item.kind}")
        if item.kind == "document":
            drawn = sentences_of(item.text)
            for sentence in rng.sample(drawn, min(SENTENCES_PER_ARTICLE, len(drawn))):
                out.add(sentence, label, f"{item.source}/sentence")
        else:
            sentences_by_label.setdefault(label, []).append(item.text)
    for label in [*SENTENCE_ONLY, "other"]:
        for document in pseudo_documents(sentences_by_label[label], 300, rng):
            out.add(document, label, "pseudo-document")
    return out


def feature_matrix(texts: list[str]):
    """Sparse rows as the runtime sees them (n-gram counts / n-gram total, then lexicon shares), and the
    length of each prepared text (which picks its regime)."""
    from scipy import sparse

    from saring.stages.langid.features import (
        FrequencyRatio,
        Lexicon,
        NgramHasher,
        dense_features,
        document_of,
        prepare_batch,
    )

    hasher = NgramHasher(bits=HASH_BITS)
    lexicon = Lexicon(LEXICON_CODES, hasher)
    ratio = FrequencyRatio.from_wordfreq(*FREQUENCY_PAIR, hasher)
    prepared = prepare_batch(texts, DISCRIMINATOR_CHARS)
    batch = hasher.hash_batch(prepared)
    buckets = np.concatenate([b for b, _ in batch.groups])
    docs = np.concatenate([document_of(per_doc) for _, per_doc in batch.groups])
    values = 1.0 / np.maximum(batch.counts, 1)[docs]
    ngrams = sparse.csr_matrix(
        (values, (docs, buckets)), shape=(len(texts), 1 << HASH_BITS), dtype=np.float32
    )
    dense = sparse.csr_matrix(dense_features(texts, batch, lexicon, ratio, DISCRIMINATOR_CHARS))
    lengths = np.array([len(p) for p in prepared])
    return sparse.hstack([ngrams, dense], format="csr"), lengths, hasher, lexicon, ratio


def fit(matrix, labels: np.ndarray, sample_weight: np.ndarray | None = None):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=100.0, max_iter=1000, class_weight="balanced")
    return model.fit(matrix, labels, sample_weight=sample_weight)


def main() -> int:
    if not DATA.exists():
        print(f"no dev data at {DATA}; nothing to train")
        return 0
    rng = random.Random(13)
    corpus = load_corpus()
    train = [i for i in corpus if i.split == "train"]
    test = [i for i in corpus if i.split == "test" and i.label in GROUP]
    training = training_texts(train, rng)
    labels = np.array(training.labels)
    print("training texts per class:", dict(sorted(Counter(training.labels).items())))
    matrix, lengths, hasher, lexicon, ratio = feature_matrix(training.texts)
    short = lengths <= SHORT_CHARS
    # Short texts: a sentence model, every data origin of a class weighing the same (conversational
    # Tatoeba and NusaX as much as news sentences). Longer texts: a model fitted to everything.
    models = [fit(matrix[short], labels[short], training.sample_weights(short)), fit(matrix, labels)]
    classes = [str(c) for c in models[0].classes_]
    assert all(list(m.classes_) == classes for m in models)

    regional = [classes.index(code) for code in REGIONAL.values()]
    for model, prior in zip(models, REGIONAL_PRIOR, strict=True):
        model.intercept_[regional] -= prior

    width = 1 << HASH_BITS
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        MODEL_DIR / "discriminator.npz",
        ngram_weights=np.stack([m.coef_[:, :width].T for m in models]).astype(np.float16),
        dense_weights=np.stack([m.coef_[:, width:].T for m in models]).astype(np.float32),
        bias=np.stack([m.intercept_ for m in models]).astype(np.float32),
        classes=np.array(classes),
        lexicon_codes=np.array(LEXICON_CODES),
        confusable=np.array(CONFUSABLE),
        unseen_neighbours=np.array([[g, n] for g, ns in UNSEEN_NEIGHBOURS.items() for n in ns]),
        lexicon_fingerprint=np.array(lexicon.fingerprint()),
        ratio_hashes=ratio.hashes,
        ratio_values=ratio.ratios,
        config=np.array([hasher.bits, hasher.min_order, hasher.max_order, DISCRIMINATOR_CHARS, SHORT_CHARS]),
    )

    from saring.stages.langid.discriminator import Discriminator

    discriminator = Discriminator.load(MODEL_DIR / "discriminator.npz")
    held_out = {}
    for kind in ("sentence", "document"):
        items = [i for i in test if i.kind == kind]
        predicted, _ = discriminator.predict([i.text for i in items])
        for label in GROUP:
            hits = [p == i.label for p, i in zip(predicted, items, strict=True) if i.label == label]
            if hits:
                held_out[f"{kind}/{label}"] = {"n": len(hits), "accuracy": round(float(np.mean(hits)), 4)}
    metrics = {
        "model": "two logistic regressions (scikit-learn, C=100, balanced classes) over hashed byte "
        f"1-5-grams + word unigrams and pairs (2^{HASH_BITS} buckets, first {DISCRIMINATOR_CHARS} chars) "
        "+ lexicon marker and cased-marker shares + the wordfreq "
        f"{FREQUENCY_PAIR[0]}/{FREQUENCY_PAIR[1]} Zipf-frequency ratio of the words (mean, saturated sum): "
        f"one for texts of at most {SHORT_CHARS} prepared chars, fitted to the "
        "short training texts with every data origin of a class weighing the same, one for longer texts, "
        "fitted to all training texts; the regional classes' intercepts lowered by "
        f"{REGIONAL_PRIOR[0]} (sentence model) and {REGIONAL_PRIOR[1]} (a prior: they are far rarer than "
        "Indonesian)",
        "classes": classes,
        "training_texts": dict(sorted(Counter(training.labels).items())),
        "short_training_texts": dict(sorted(Counter(labels[short].tolist()).items())),
        "data": {
            "lid-tatoeba-laser": "ind, zsm, jav, tgl sentences; eng/vie as 'other'; 70/30 by sentence",
            "lid-nusax-mt": "indonesian, javanese, sundanese, minangkabau, english and the seven regional "
            "columns; "
            "test = valid.csv + 30% of train.csv rows (all translations of a row on one side)",
            "ms-my-news-mesolitica": "zsm articles (Utusan Malaysia, Kosmo!, Harian Metro); 70/30 by URL",
            "id-news-raw-scrape": "ind articles (both crawl days, deduplicated); 70/30 by URL",
        },
        "held_out_discriminator_only": held_out,
    }
    (MODEL_DIR / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(held_out, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    raise SystemExit(main())
