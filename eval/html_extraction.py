"""HTML-to-text extraction for WARC input: resiliparse vs trafilatura, quality and speed.

The dev data has no raw HTML, so pages are built around real Indonesian news bodies
(../shared/data/id-news-raw-scrape) in the layout of a news portal: a navigation menu, a
"terpopuler" sidebar of other headlines, the article, related links, a comment box and a footer.
Quality is measured per page against what we put there: recall = share of article paragraphs found in
the extraction, precision = share of extracted lines that belong to the article. Synthetic layout,
real text: it ranks extractors on boilerplate handling, it does not replace an evaluation on crawls.

    .venv/bin/python eval/html_extraction.py [--pages 400]
"""

from __future__ import annotations

import argparse
import csv
import html
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "id-news-raw-scrape"


def load_articles(limit: int) -> list[tuple[str, list[str]]]:
    csv.field_size_limit(1 << 30)
    articles = []
    for path in sorted(DATA.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                paragraphs = [p.strip() for p in row["isi_berita"].split("\n") if len(p.strip()) > 60]
                if row["judul"] and len(paragraphs) >= 3:
                    articles.append((row["judul"].strip(), paragraphs))
    random.Random(7).shuffle(articles)
    return articles[:limit]


def build_page(title: str, paragraphs: list[str], others: list[str], rng: random.Random) -> str:
    e = html.escape
    menu = "".join(
        f"<li><a href='/{m.lower()}'>{m}</a></li>" for m in ["Beranda", "Nasional", "Ekonomi", "Olahraga"]
    )
    popular = "".join(f"<li><a href='/b/{i}'>{e(t)}</a></li>" for i, t in enumerate(others[:6]))
    related = "".join(f"<li><a href='/r/{i}'>{e(t)}</a></li>" for i, t in enumerate(others[6:10]))
    body = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    ad = "<div class='ads'>Advertisement</div>" if rng.random() < 0.5 else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
        "<script>window.dataLayer=[];function track(){}</script><style>.ads{height:90px}</style></head><body>"
        f"<header><nav><ul>{menu}</ul></nav><form><input placeholder='Cari berita'></form></header>"
        f"<main><article><h1>{e(title)}</h1><div class='meta'>Reporter: Tim Redaksi</div>{ad}{body}</article>"
        f"<section class='related'><h3>Berita Terkait</h3><ul>{related}</ul></section>"
        "<section class='comments'><h3>Komentar</h3><p>Login untuk berkomentar.</p></section></main>"
        f"<aside><h3>Terpopuler</h3><ol>{popular}</ol></aside>"
        "<footer><p>Tentang Kami | Pedoman Media Siber | Kontak</p>"
        "<p>Hak cipta 2026. Semua hak dilindungi.</p></footer></body></html>"
    )


def extractors() -> dict[str, Callable[[str], str]]:
    from resiliparse.extract.html2text import extract_plain_text

    found: dict[str, Callable[[str], str]] = {
        "resiliparse main_content": lambda page: extract_plain_text(
            page, main_content=True, alt_texts=False, links=False, form_fields=False
        ),
        "resiliparse full page": lambda page: extract_plain_text(page, main_content=False, alt_texts=False),
    }
    try:
        import trafilatura

        found["trafilatura"] = lambda page: trafilatura.extract(page, include_comments=False) or ""
    except ImportError:
        print("trafilatura not installed: pip install 'saring[trafilatura]' to compare it")
    return found


def score(extracted: str, paragraphs: list[str]) -> tuple[float, float]:
    lines = [line.strip() for line in extracted.split("\n") if line.strip()]
    found = sum(1 for p in paragraphs if p in extracted)
    belongs = sum(1 for line in lines if any(line in p for p in paragraphs))
    return found / len(paragraphs), (belongs / len(lines) if lines else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: dev data not found at {DATA}")
        return
    articles = load_articles(args.pages)
    rng = random.Random(11)
    titles = [t for t, _ in articles]
    pages = [build_page(t, ps, rng.sample(titles, 10), rng) for t, ps in articles]
    print(f"{len(pages)} pages, {sum(map(len, pages)) / len(pages) / 1024:.1f} KiB each on average\n")
    print(f"{'extractor':28} {'recall':>7} {'precision':>9} {'pages/s':>8}")
    for name, extract in extractors().items():
        started = time.perf_counter()
        outputs = [extract(page) for page in pages]
        seconds = time.perf_counter() - started
        scores = [score(out, ps) for out, (_, ps) in zip(outputs, articles, strict=True)]
        recall = sum(s[0] for s in scores) / len(scores)
        precision = sum(s[1] for s in scores) / len(scores)
        print(f"{name:28} {recall:7.3f} {precision:9.3f} {len(pages) / seconds:8.0f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
