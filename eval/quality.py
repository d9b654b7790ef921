"""Quality-stage calibration on the dev data (../shared/data): clean text kept vs junk removed.

Clean text: Indonesian news (id-news-raw-scrape), Malaysian news (ms-my-news-mesolitica) and, as
pseudo-documents, Javanese and Sundanese NusaX sentences (10 consecutive sentences, one per line).
Junk, derived from the same data or generated: the benchmark harness's index pages, articles buried in
navigation and teasers; pages of navigation/footer/share boilerplate only; gambling-promotion comments
(judol-yt-gbennnn, label 1) concatenated into pages; keyword-stuffed SEO pages; machine-generated
lists; pages of prices, numbers and tables; lorem ipsum.

Every document goes through ``langid`` then ``quality`` (``preset: auto``, as in the default pipeline),
in a dry run. Printed:

1. per document set: documents, share kept by the quality stage, the most frequent removal reasons;
2. per preset and per check (each check alone): removal rate on clean documents vs junk documents
   (a check that removes many clean documents and little junk is miscalibrated);
3. per language: clean kept / junk removed, with this repository's presets ("tuned") and with
   FineWeb-2's published values and the language model's raw score ("FineWeb-2"), re-decided from
   the same stored signals.

    python eval/quality.py
"""

from __future__ import annotations

import csv
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path[:0] = [str(REPO), str(REPO / "src")]

from benchmarks import harness  # noqa: E402

NEEDED = ("id-news-raw-scrape", "ms-my-news-mesolitica", "judol-yt-gbennnn", "lid-nusax-mt")
JUNK_PER_KIND = 150
BATCH = 256

# -- clean text -------------------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _news(folder: str, column: str) -> list[str]:
    texts = (row[column].strip() for path in sorted((DATA / folder).glob("*.csv")) for row in _rows(path))
    return [text for text in texts if text]


def _nusax_documents(column: str, sentences: int = 10) -> list[str]:
    lines = [
        row[column].strip()
        for name in ("train.csv", "valid.csv")
        for row in _rows(DATA / "lid-nusax-mt" / name)
    ]
    return ["\n".join(lines[i : i + sentences]) for i in range(0, len(lines) - sentences + 1, sentences)]


def clean_sets() -> dict[str, tuple[str, list[str]]]:
    """Set name -> (expected language, texts)."""
    return {
        "ind news": ("ind_Latn", _news("id-news-raw-scrape", "isi_berita")),
        "zsm news": ("zsm_Latn", _news("ms-my-news-mesolitica", "text")),
        "jav NusaX x10": ("jav_Latn", _nusax_documents("javanese")),
        "sun NusaX x10": ("sun_Latn", _nusax_documents("sundanese")),
    }


# -- junk -------------------------------------------------------------------------------------------

_BOILERPLATE = (
    "Beranda", "Berita Terkini", "Nasional", "Internasional", "Ekonomi", "Bisnis", "Olahraga", "Sepak Bola",
    "Teknologi", "Otomotif", "Gaya Hidup", "Kesehatan", "Hiburan", "Selebriti", "Indeks Berita", "Video",
    "Foto", "Terpopuler", "Terbaru", "Rekomendasi untuk Anda", "Baca Juga", "Bagikan artikel ini",
    "Bagikan ke Facebook", "Bagikan ke Twitter", "Salin tautan", "Ikuti kami di Instagram",
    "Dapatkan update berita pilihan setiap hari", "Gabung ke kanal WhatsApp kami", "Tentang Kami",
    "Redaksi", "Pedoman Media Siber", "Kebijakan Privasi", "Syarat dan Ketentuan", "Kontak", "Karir",
    "Info Iklan", "Hak Cipta © 2025. Seluruh hak cipta dilindungi undang-undang.",
    "Situs ini menggunakan cookie untuk meningkatkan pengalaman Anda.", "Terima", "Tolak", "Masuk",
    "Daftar", "Lupa kata sandi?", "Muat lebih banyak", "Halaman Utama", "Utama", "Semasa", "Dunia",
    "Sukan", "Hiburan", "Gaya Hidup", "Rencana", "Kongsi artikel ini", "Ikuti kami di Telegram",
    "Hakcipta Terpelihara © 2025", "Dasar Privasi", "Terma dan Syarat", "Hubungi Kami", "Langgan",
    "Log masuk", "Daftar sekarang", "Iklan", "ADVERTISEMENT", "SCROLL TO CONTINUE WITH CONTENT",
    "Tag: politik, ekonomi, pemilu, viral", "Editor: Redaksi", "Sumber: Antara", "Komentar (0)",
)  # fmt: skip
_CITIES = (
    "Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Palembang", "Depok", "Tangerang",
    "Bekasi", "Bogor", "Malang", "Yogyakarta", "Solo", "Denpasar", "Pekanbaru", "Kuala Lumpur",
    "Shah Alam", "Johor Bahru", "Ipoh", "Kota Kinabalu", "Kuching", "Pontianak", "Balikpapan",
)  # fmt: skip
_ITEMS = (
    "beras premium", "minyak goreng", "gula pasir", "cabai merah", "bawang merah", "telur ayam",
    "daging sapi", "emas Antam", "semen", "besi beton", "pupuk urea", "tepung terigu", "kopi bubuk",
    "iPhone 15", "Samsung Galaxy A55", "sepeda motor", "ban mobil", "oli mesin", "cat tembok",
)  # fmt: skip
_SEO_TEMPLATES = (
    "{kw} {city}", "jual {kw} {city} murah", "harga {kw} {city} terbaru {year}", "{kw} terdekat {city}",
    "promo {kw} {city} hari ini", "{kw} murah {city}", "{kw} terbaik di {city}", "cari {kw} di {city}",
)  # fmt: skip
_LOREM = str.split(
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip "
    "ex ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
    "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt in culpa qui officia deserunt "
    "mollit anim id est laborum"
)


def _boilerplate_only(rng: random.Random, _: list[str]) -> str:
    return "\n".join(rng.sample(_BOILERPLATE, rng.randint(15, 40)))


def _keyword_stuffed(rng: random.Random, words: list[str]) -> str:
    """SEO pages: one or two keywords crossed with city names and templates, a few filler sentences."""
    keyword = " ".join(rng.sample(words, rng.randint(1, 2)))
    phrases = [
        rng.choice(_SEO_TEMPLATES).format(kw=keyword, city=rng.choice(_CITIES), year=rng.choice((2024, 2025)))
        for _ in range(rng.randint(25, 70))
    ]
    cut = sorted(rng.sample(range(1, len(phrases)), 3))
    blocks = [phrases[a:b] for a, b in zip([0, *cut], [*cut, len(phrases)], strict=True)]
    separator = rng.choice((", ", " | ", "\n"))
    return f"{keyword.title()} Murah dan Terpercaya\n" + "\n\n".join(separator.join(b) for b in blocks)


def _generated_list(rng: random.Random, words: list[str]) -> str:
    """Machine-made lists: postcodes, directories, numbered titles built from templates."""
    template = rng.choice(
        (
            "Kode pos Kelurahan {w}, Kecamatan {w2}, {city}: {n5}",
            "{i}. Toko {w} {city} - alamat Jl. {w2} No. {n2}, telepon 0{n5}{n2}",
            "Jadwal sholat {city} {d} Juni 2025: Subuh 04:{n2}, Dzuhur 11:{n2}, Ashar 15:{n2}",
            "{i}. Cara {w} {w2} dengan mudah dan cepat terbaru {year}",
            "Nama bayi {w} {w2}: artinya {w} yang {w2}",
        )
    )
    return "\n".join(
        template.format(
            i=i + 1,
            w=rng.choice(words).title(),
            w2=rng.choice(words).title(),
            city=rng.choice(_CITIES),
            n5=rng.randint(10000, 99999),
            n2=rng.randint(10, 59),
            d=rng.randint(1, 30),
            year=rng.choice((2024, 2025)),
        )
        for i in range(rng.randint(20, 60))
    )


def _numbers_table(rng: random.Random, _: list[str]) -> str:
    """Price lists, result tables and number grids, with a title line."""
    kind = rng.randrange(3)
    if kind == 0:
        price = lambda: f"Rp {rng.randint(5, 900) * 1000:,}"  # noqa: E731
        rows = [
            f"{item} | {price()} | {price()} | {rng.choice('+-')}{rng.random() * 5:.2f}%"
            for item in rng.sample(_ITEMS, rng.randint(8, len(_ITEMS)))
        ]
        return "Harga Hari Ini\nKomoditas | Harga Lama | Harga Baru | Perubahan\n" + "\n".join(rows).replace(
            ",", "."
        )
    if kind == 1:
        rows = [
            f"{d:02d}/06/2025 {rng.choice(_CITIES)} {rng.randint(0, 5)} - {rng.randint(0, 5)} "
            f"{rng.choice(_CITIES)}"
            for d in range(1, rng.randint(15, 31))
        ]
        return "Hasil Pertandingan\n" + "\n".join(rows)
    rows = [
        " ".join(str(rng.randint(0, 9999)) for _ in range(rng.randint(4, 10)))
        for _ in range(rng.randint(10, 40))
    ]
    return "Data Keluaran\n" + "\n".join(rows)


def _lorem_ipsum(rng: random.Random, _: list[str]) -> str:
    paragraphs = []
    for _ in range(rng.randint(2, 6)):
        words = [rng.choice(_LOREM) for _ in range(rng.randint(30, 90))]
        paragraphs.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(paragraphs)


def _gambling_page(rng: random.Random, spam: list[str]) -> str:
    return "\n".join(rng.sample(spam, rng.randint(8, 30)))


def junk_sets(articles: list[dict[str, str]], seed: int = 0) -> dict[str, list[str]]:
    """Kind -> texts; ``articles`` as ``benchmarks.harness.news_articles`` yields them."""
    rng = random.Random(seed)
    words = sorted(
        {w.lower() for a in articles[:300] for w in a["text"].split() if w.isalpha() and len(w) > 4}
    )
    comments = _rows(DATA / "judol-yt-gbennnn" / "dataset_judol_labelled.csv")
    spam = [row["comment_text"] for row in comments if row["label"] == "1"]
    makers: dict[str, Callable[[], str]] = {
        "index page": lambda: harness._index_page(articles, rng),
        "templated": lambda: harness._templated_page(rng.choice(articles), rng),
        "snippet": lambda: harness._snippet(rng.choice(articles), rng),
        "boilerplate only": lambda: _boilerplate_only(rng, words),
        "gambling comments": lambda: _gambling_page(rng, spam),
        "keyword stuffed": lambda: _keyword_stuffed(rng, words),
        "generated list": lambda: _generated_list(rng, words),
        "numbers/tables": lambda: _numbers_table(rng, words),
        "lorem ipsum": lambda: _lorem_ipsum(rng, words),
    }
    return {kind: [make() for _ in range(JUNK_PER_KIND)] for kind, make in makers.items()}


# -- running and deciding ----------------------------------------------------------------------------


def run(texts: list[str]) -> dict[str, list]:
    """``langid`` then ``quality`` (preset auto) in a dry run: every signal, per document."""
    from saring.stages.langid.stage import LangId
    from saring.stages.quality import Quality
    from saring.testing import run_stages

    stages = [LangId(), Quality()]
    columns: dict[str, list] = defaultdict(list)
    for start in range(0, len(texts), BATCH):
        batch = run_stages(stages, texts[start : start + BATCH], dry_run=True)
        for key, values in batch.signals.items():
            columns[key].extend(values)
    return dict(columns)


def _quality_signals(columns: dict[str, list], published: bool) -> dict[str, list]:
    signals = {k.removeprefix("quality."): v for k, v in columns.items() if k.startswith("quality.")}
    if published:  # FineWeb-2's meaning: the language model's score of the label, whatever model gave it
        signals["language_score"] = [
            None if label is None or score is None else score if label == preset else 0.0
            for label, score, preset in zip(
                columns["langid.language"], columns["langid.score"], signals["preset"], strict=True
            )
        ]
    return signals


def failures(columns: dict[str, list], published: bool) -> tuple[list, dict[str, np.ndarray]]:
    """The stage's decision per document, and per check (threshold name) whether it alone fails, with
    this repository's presets or with FineWeb-2's published values where they were re-tuned."""
    from saring.stages.quality import Quality, QualityParams
    from saring.stages.quality.presets import RULES, load_preset
    from saring.stages.quality.stage import _limit

    signals = _quality_signals(columns, published)
    names = np.asarray(signals["preset"], dtype=object)
    reasons = np.full(len(names), None, dtype=object)
    checks = {rule.threshold: np.zeros(len(names), dtype=bool) for rule in RULES}
    for name in set(names.tolist()):
        rows = np.flatnonzero(names == name)
        overrides = load_preset(name).published if published else {}
        stage = Quality(QualityParams(preset=name, thresholds=overrides))
        part = {key: [values[i] for i in rows] for key, values in signals.items()}
        reasons[rows] = stage.decide(part)
        preset = stage.preset(name)
        for rule in RULES:
            values = np.array(part[rule.signal], dtype=np.float64)
            limit = _limit(preset, rule)
            checks[rule.threshold][rows] = values < limit if rule.bound == "min" else values > limit
    return reasons.tolist(), checks


# -- report -----------------------------------------------------------------------------------------


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main() -> int:
    missing = [name for name in NEEDED if not (DATA / name).is_dir()]
    if missing:
        print(f"dev data not found: {', '.join(missing)} under {DATA}; skipping")
        return 0
    clean = clean_sets()
    junk = junk_sets(list(harness.news_articles()))
    sets = {name: texts for name, (_, texts) in clean.items()} | {f"junk: {k}": v for k, v in junk.items()}
    runs = {name: run(texts) for name, texts in sets.items()}
    decided = {
        name: {mode: failures(columns, mode == "FineWeb-2") for mode in ("FineWeb-2", "tuned")}
        for name, columns in runs.items()
    }

    print("## Per document set (langid + quality, preset auto)\n")
    print("| set | docs | kept, FineWeb-2 values | kept, tuned | top removal reasons, tuned |")
    print("|---|---|---|---|---|")
    for name, texts in sets.items():
        kept = {mode: sum(r is None for r in decided[name][mode][0]) for mode in decided[name]}
        reasons = Counter(r for r in decided[name]["tuned"][0] if r is not None).most_common(3)
        top = ", ".join(f"{r} {_pct(c, len(texts))}" for r, c in reasons)
        before, after = _pct(kept["FineWeb-2"], len(texts)), _pct(kept["tuned"], len(texts))
        print(f"| {name} | {len(texts)} | {before} | {after} | {top} |")

    by_preset: dict[tuple[str, bool], list[tuple[dict, dict, int]]] = defaultdict(list)
    for name, columns in runs.items():
        is_junk = name.startswith("junk")
        presets = np.asarray(columns["quality.preset"], dtype=object)
        for preset in set(presets.tolist()):
            mask = presets == preset
            checks = {mode: {k: v[mask] for k, v in decided[name][mode][1].items()} for mode in decided[name]}
            by_preset[(preset, is_junk)].append((checks["FineWeb-2"], checks["tuned"], int(mask.sum())))
    print("\n## Each check alone: share of documents it removes, clean vs junk (FineWeb-2 values -> tuned)\n")
    for preset in ("ind_Latn", "zsm_Latn", "jav_Latn", "sun_Latn"):
        clean_parts, junk_parts = by_preset.get((preset, False), []), by_preset.get((preset, True), [])
        n_clean, n_junk = sum(p[2] for p in clean_parts), sum(p[2] for p in junk_parts)
        print(f"\n### {preset}: {n_clean} clean, {n_junk} junk documents\n")
        print("| check | clean removed | junk removed |")
        print("|---|---|---|")
        for check in (clean_parts or junk_parts or [({}, {}, 0)])[0][0]:
            cells = []
            for parts, total in ((clean_parts, n_clean), (junk_parts, n_junk)):
                before = sum(int(p[0][check].sum()) for p in parts)
                after = sum(int(p[1][check].sum()) for p in parts)
                cells.append(_pct(before, total) + ("" if before == after else f" -> {_pct(after, total)}"))
            if any(cell not in ("0.0%", "-") for cell in cells):
                print(f"| {check} | {cells[0]} | {cells[1]} |")

    print("\n## Clean kept / junk removed by language (junk: the language langid gave it)\n")
    print("| language | clean docs | clean kept, FW-2 -> tuned | junk docs | junk removed, FW-2 -> tuned |")
    print("|---|---|---|---|---|")
    totals: dict[str, Counter] = defaultdict(Counter)
    for name, columns in runs.items():
        group = "junk" if name.startswith("junk") else "clean"
        for i, preset in enumerate(columns["quality.preset"]):
            totals[preset][group] += 1
            for mode in ("FineWeb-2", "tuned"):
                removed = decided[name][mode][0][i] is not None
                totals[preset][f"{group} {mode}"] += removed if group == "junk" else not removed
    totals["all"] = sum(totals.values(), Counter())
    for preset, t in sorted(totals.items(), key=lambda item: -item[1]["clean"] - item[1]["junk"]):
        clean_kept = f"{_pct(t['clean FineWeb-2'], t['clean'])} -> {_pct(t['clean tuned'], t['clean'])}"
        junk_removed = f"{_pct(t['junk FineWeb-2'], t['junk'])} -> {_pct(t['junk tuned'], t['junk'])}"
        print(f"| {preset} | {t['clean']} | {clean_kept} | {t['junk']} | {junk_removed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
