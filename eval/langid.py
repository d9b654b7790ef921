"""Language ID accuracy: saring's langid vs lid.176 alone vs lingua, on held-out dev sentences and documents.

Held-out items are the test splits of ``scripts/train_langid.py`` (never trained on): Tatoeba and NusaX
sentences; news articles by URL (ind: Indonesian scrape, zsm: Malaysian news); for jav/sun/min, which
have no documents here, pseudo-documents of 5-12 held-out sentences; and NusaX's own test file
(``lid-nusax-mt/test.csv``) when it sits beside the train and valid files. A last table checks text from
outside the training sources: Indonesian PAWS sentences (machine-translated Wikipedia), lorem-ipsum
filler, Spanish and English sentences (which must not come out as a group language), and colloquial
YouTube comments (not gambling; Indonesian with Sundanese, no language labels),
which the regional classes should leave alone. lingua (high-accuracy mode) runs from
``benchmarks/.venv-lingua`` when present (``python -m venv benchmarks/.venv-lingua &&
benchmarks/.venv-lingua/bin/pip install lingua-language-detector``), else its column is skipped.

Run: ``.venv/bin/python eval/langid.py [--per-language 1000]``
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import regex  # noqa: E402
import train_langid as data  # noqa: E402

WORD = regex.compile(r"[\p{L}\p{M}]+")
LINGUA_PYTHON = REPO / "benchmarks" / ".venv-lingua" / "bin" / "python"
LINGUA_SCRIPT = """
import json, sys, time
from lingua import LanguageDetectorBuilder
detector = LanguageDetectorBuilder.from_all_languages().build()
texts = json.load(sys.stdin)
detector.detect_language_of("warm up")
start = time.process_time()
found = [detector.detect_language_of(t) for t in texts]
seconds = time.process_time() - start
print(json.dumps({"codes": [f.iso_code_639_3.name if f else None for f in found], "seconds": seconds}))
"""
#: lingua's ISO 639-3 codes -> the GlotLID-style labels compared here (lingua's Malay is Standard Malay).
LINGUA_LABELS = {
    "IND": "ind_Latn",
    "MSA": "zsm_Latn",
    "ENG": "eng_Latn",
    "TGL": "tgl_Latn",
    "VIE": "vie_Latn",
    "THA": "tha_Thai",
}
LANGUAGES = [
    "ind_Latn",
    "zsm_Latn",
    "jav_Latn",
    "sun_Latn",
    "min_Latn",
    "eng_Latn",
    "tgl_Latn",
    "vie_Latn",
    "tha_Thai",
    *data.REGIONAL.values(),  # last, so that the other languages' samples stay those of earlier runs
]
Labeler = Callable[[Sequence[str]], tuple[list[str], float]]


def held_out(per_language: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """``{"sentences": [(text, label)], "news sentences": [...], "documents": [...]}`` sampled from the
    test splits. News sentences are formal written text, where Tatoeba is conversational: up to two
    sentences (of at least 25 characters) from each held-out ind and zsm article."""
    corpus = [i for i in data.load_corpus() if i.split == "test" and i.label in LANGUAGES]
    sets: dict[str, list[tuple[str, str]]] = {"sentences": [], "news sentences": [], "documents": []}
    news_rng = random.Random(11)  # apart from ``rng``, so the other sets stay as they were
    for label in LANGUAGES:
        sentences = [i.text for i in corpus if i.label == label and i.kind == "sentence"]
        documents = [i.text for i in corpus if i.label == label and i.kind == "document"]
        news_sentences = [s for d in documents for s in _draw(data.sentences_of(d), 2, news_rng)]
        if label in data.SENTENCE_ONLY:
            documents = data.pseudo_documents(sentences, 200, rng)
        for name, texts in (("sentences", sentences), ("documents", documents)):
            sample = rng.sample(texts, min(per_language, len(texts)))
            sets[name].extend((text, label) for text in sample)
        drawn = _draw(news_sentences, per_language, news_rng)
        sets["news sentences"].extend((text, label) for text in drawn if not is_boilerplate(text))
    return sets


def is_boilerplate(line: str) -> bool:
    """Page furniture the articles carry ("SCROLL TO CONTINUE WITH CONTENT" is English in an Indonesian
    article): not a sentence of the article's language. Dropped after drawing, so the other draws stay."""
    return bool(_boilerplate().line_reasons(line)[1])


@cache
def _boilerplate() -> Any:
    from saring.stages.boilerplate.stage import Boilerplate

    stage = Boilerplate()
    stage.setup()
    return stage


def _draw(items: Sequence[str], count: int, rng: random.Random) -> list[str]:
    return rng.sample(items, min(count, len(items)))


def saring_labeler(discriminator: bool) -> Labeler:
    from saring.stages.langid import LangId, LangIdParams
    from saring.testing import run_stages

    stage = LangId(LangIdParams(discriminator=discriminator))
    stage.setup()
    stage.setup = lambda: None  # loaded once; run_stages would reload per call

    def label(texts: Sequence[str]) -> tuple[list[str], float]:
        labels: list[str] = []
        start = time.process_time()
        for offset in range(0, len(texts), 512):
            labels += run_stages([stage], texts[offset : offset + 512]).signals["langid.language"]
        return labels, time.process_time() - start

    return label


def lingua_labeler(texts: Sequence[str]) -> tuple[list[str], float]:
    done = subprocess.run(
        [str(LINGUA_PYTHON), "-c", LINGUA_SCRIPT],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    labels = [LINGUA_LABELS.get(code, (code or "none").lower()) for code in result["codes"]]
    return labels, result["seconds"]


def table(name: str, items: Sequence[tuple[str, str]], systems: dict[str, Labeler]) -> list[str]:
    texts = [t for t, _ in items]
    gold = [g for _, g in items]
    results = {system: labeler(texts) for system, labeler in systems.items()}
    print(f"\n## {name} ({len(items)} held-out items)\n")
    header = "| language | n | " + " | ".join(f"{s} acc (P / R)" for s in systems) + " |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for language in LANGUAGES:
        n = gold.count(language)
        if not n:
            continue
        cells = []
        for predicted, _ in results.values():
            true_positive = sum(p == g == language for p, g in zip(predicted, gold, strict=True))
            claimed = sum(p == language for p in predicted)
            precision = true_positive / claimed if claimed else 0.0
            cells.append(f"{true_positive / n:.1%} ({precision:.3f} / {true_positive / n:.3f})")
        print(f"| {language} | {n} | " + " | ".join(cells) + " |")
    overall = [
        sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold) for pred, _ in results.values()
    ]
    print("| **all** | " + f"{len(gold)} | " + " | ".join(f"{a:.1%}" for a in overall) + " |")
    speed = [f"{s}: {len(texts) / sec:,.0f}/s" for s, (_, sec) in results.items() if sec > 0]
    print(f"\nitems per CPU second: {', '.join(speed)}")
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p, g in zip(results["saring"][0], gold, strict=True):
        if p != g:
            confusion[g][p] += 1
    print("saring errors (gold -> predicted: count):", {g: dict(c) for g, c in confusion.items()})
    return results["saring"][0]


def distinguishing_words(min_count: int = 3, min_zipf_gap: float = 1.0) -> set[str]:
    """Words that tell ind from zsm: lexicon markers, words of the training split seen at least
    ``min_count`` times in one language and never in the other, and words at least ten times
    (``min_zipf_gap``) more frequent in one of wordfreq's id and ms lists than in the other."""
    from saring.resources import language_resource, wordfreq_zipf
    from saring.stages.langid.features import FrequencyRatio

    counts: dict[str, Counter[str]] = {"ind_Latn": Counter(), "zsm_Latn": Counter()}
    for item in data.load_corpus():
        if item.split == "train" and item.label in counts:
            counts[item.label].update(WORD.findall(item.text.lower()))
    ind, zsm = counts["ind_Latn"], counts["zsm_Latn"]
    found = {w for w, n in ind.items() if n >= min_count and w not in zsm}
    found |= {w for w, n in zsm.items() if n >= min_count and w not in ind}
    for code in counts:
        found |= {str(w) for w in language_resource(code, "lexicon")["markers"]}
    zipf = [wordfreq_zipf(code) for code in data.FREQUENCY_PAIR]
    for word in zipf[0].keys() | zipf[1].keys():
        gap = [z.get(word, FrequencyRatio.floor) for z in zipf]
        if abs(gap[0] - gap[1]) >= min_zipf_gap:
            found.add(word)
    return found


def explain_errors(items: Sequence[tuple[str, str]], predicted: Sequence[str]) -> None:
    """How many ind/zsm sentence errors hold no word that distinguishes the two languages at all, and the
    accuracy on the sentences that hold one (those a reader could decide from their words alone)."""
    words = distinguishing_words()
    for language, rival in (("ind_Latn", "zsm_Latn"), ("zsm_Latn", "ind_Latn")):
        mine = [(t, p) for (t, g), p in zip(items, predicted, strict=True) if g == language]
        decidable = [p for t, p in mine if words & set(WORD.findall(t.lower()))]
        errors = [t for t, p in mine if p == rival]
        telling = [t for t in errors if words & set(WORD.findall(t.lower()))]
        print(
            f"{language} sentences labelled {rival}: {len(errors)}; {len(telling)} contain a distinguishing "
            f"word, {len(errors) - len(telling)} contain none; accuracy on the {len(decidable)} of "
            f"{len(mine)} that contain one: {decidable.count(language) / max(len(decidable), 1):.1%}"
        )


def outside_checks(systems: dict[str, Labeler], rng: random.Random) -> None:
    """Texts from outside the training sources: Indonesian PAWS sentences (Google-translated Wikipedia:
    formal, names and numbers; never trained on), the same joined four at a time, and lorem-ipsum filler
    (which must not come out as a confusable language)."""
    paws_folder = data.DATA / "paws-id-mt"
    if not (paws_folder / "dev.tsv").exists():
        return
    paws = _first_sentences(paws_folder / "dev.tsv")
    paws = rng.sample(paws, min(1500, len(paws)))
    words = LOREM.split()
    lengths = [rng.randint(40, 120) for _ in range(200)]
    lorem = [" ".join(rng.choice(words) for _ in range(n)).capitalize() + "." for n in lengths]
    sets = {
        "PAWS-id sentences, labelled ind_Latn": (paws, {"ind_Latn"}),
        "PAWS-id, 4 sentences joined, labelled ind_Latn": (
            [" ".join(rng.sample(paws, 4)) for _ in range(300)],
            {"ind_Latn"},
        ),
        "lorem-ipsum filler, labelled a confusable language (should be 0)": (lorem, set(data.CONFUSABLE)),
    }
    spanish = data.DATA / "mt-detect-es-unbabel" / "train_dataset.txt"
    if spanish.exists():
        lines = spanish.read_text(encoding="utf-8").splitlines()
        sets["Spanish sentences (Unbabel), labelled a group language (should be ~0)"] = (
            [line.partition("\t")[2] for line in rng.sample(lines, 2000)],
            set(data.GROUP),
        )
    english = data.DATA / "msrp-paraphrase" / "msr_paraphrase_train.txt"
    if english.exists():
        with english.open(encoding="utf-8-sig") as handle:
            rows = [line.rstrip("\n").split("\t") for line in handle][1:]
        sets["English sentences (MSRP), labelled a group language (should be ~0)"] = (
            [row[3] for row in rng.sample(rows, 2000)],
            set(data.GROUP),
        )
    if (paws_folder / "test.tsv").exists():
        sets["PAWS-id test file sentences, labelled ind_Latn"] = (
            _first_sentences(paws_folder / "test.tsv"),
            {"ind_Latn"},
        )
    comments = data.DATA / "judol-yt-gbennnn" / "dataset_judol_labelled.csv"
    if comments.exists():
        with comments.open(encoding="utf-8", newline="") as handle:
            rows = [r["comment_text"] for r in csv.DictReader(handle) if r["label"] == "0"]
        colloquial = [t for t in rows if len(t.split()) >= 5][:3000]
        sets["colloquial YouTube comments (Indonesian, Sundanese), labelled a regional language"] = (
            colloquial,
            set(data.REGIONAL.values()),
        )
    print("\n## outside the training sources\n")
    print("| set | n | " + " | ".join(systems) + " |")
    print("|---|---|" + "---|" * len(systems))
    for name, (texts, labels) in sets.items():
        shares = [sum(p in labels for p in labeler(texts)[0]) / len(texts) for labeler in systems.values()]
        print(f"| {name} | {len(texts)} | " + " | ".join(f"{share:.1%}" for share in shares) + " |")


def _first_sentences(path: Path) -> list[str]:
    """sentence1 of every row of a PAWS-id TSV file (fields with quotes are quoted CSV-style)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["sentence1"] for row in csv.DictReader(handle, delimiter="\t")]


LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip "
    "ex ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
    "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt in culpa qui officia deserunt "
    "mollit anim id est laborum"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=1000, help="held-out items per language and set")
    args = parser.parse_args()
    if not data.DATA.exists():
        print(f"no dev data at {data.DATA}; nothing to evaluate")
        return 0
    sets = held_out(args.per_language, random.Random(7))
    systems: dict[str, Labeler] = {"saring": saring_labeler(True), "lid.176": saring_labeler(False)}
    if LINGUA_PYTHON.exists():
        systems["lingua"] = lingua_labeler
    else:
        print(f"lingua not installed at {LINGUA_PYTHON}: its column is skipped")
    nusax_test = data.DATA / "lid-nusax-mt" / "test.csv"
    if nusax_test.exists():  # NusaX's own test split, not in the dev data: never trained on
        with nusax_test.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        sets["NusaX test file sentences"] = [
            (row[column], label)
            for column, label in data.NUSAX.items()
            for row in rows
            if row[column].strip()
        ]
    for name, items in sets.items():
        predicted = table(name, items, systems)
        if name.endswith("sentences"):
            explain_errors(items, predicted)
    outside_checks(systems, random.Random(5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
