"""Shared helpers for saring's tests: small corpora written in the test, and output readers."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

from saring.api import apply_overrides
from saring.config import Pipeline, parse_pipeline

WORDS = [
    "pemerintah",
    "daerah",
    "warga",
    "kota",
    "desa",
    "pasar",
    "harga",
    "sekolah",
    "jalan",
    "sungai",
    "hujan",
    "petani",
    "pedagang",
    "polisi",
    "rumah",
    "sakit",
    "kereta",
    "bandara",
    "pelabuhan",
    "menteri",
    "presiden",
    "gubernur",
    "bupati",
    "kampung",
    "anak",
    "guru",
    "murid",
]


def article(seed: int, sentences: int = 6) -> str:
    """A deterministic Indonesian-looking article, different for each seed."""
    lines = []
    for s in range(sentences):
        words = [WORDS[(seed * 7 + s * 3 + k * k) % len(WORDS)] for k in range(12)]
        lines.append(f"Kalimat {seed}-{s}: " + " ".join(words) + " dan yang di pada dari ini.")
    return "\n".join(lines)


def write_jsonl(
    path: Path, records: Iterable[dict[str, Any] | bytes], compression: str | None = None
) -> Path:
    lines = [r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode() for r in records]
    data = b"\n".join(lines) + b"\n"
    if compression == "gz":
        data = gzip.compress(data, mtime=0)
    elif compression == "zst":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def read_part(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    if path.name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    elif path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return [orjson.loads(line) for line in data.splitlines() if line]


def read_output(out: Path, kind: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for part in sorted((out / kind).glob("part-*")):
        records += read_part(part)
    return records


def output_bytes(out: Path) -> dict[str, bytes]:
    """Every output part's bytes, by relative path (to compare runs)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.glob("*/part-*"))}


def basic_pipeline(inputs: list[Path], out: Path, workers: int = 1, extra: str = "") -> Pipeline:
    text = (
        "stages:\n  - stage: normalize\n  - stage: length\n    min_words: 3\n  - stage: exact_dedup\n" + extra
    )
    pipeline = parse_pipeline(text, "test pipeline")
    return apply_overrides(pipeline, inputs=[str(p) for p in inputs], output=str(out), workers=workers)


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    """Three shards with duplicates, empty and broken records."""
    shards = []
    for shard in range(3):
        records: list[dict[str, Any] | bytes] = []
        for i in range(40):
            seed = shard * 100 + i
            records.append(
                {"id": f"s{shard}-{i}", "text": article(seed % 130), "url": f"https://x.example/{seed}"}
            )
        records.append({"id": f"s{shard}-empty", "text": ""})
        records.append(b'{"id": "broken", "text": "unterminated')
        shards.append(write_jsonl(tmp_path / f"in-{shard}.jsonl.gz", records, "gz"))
    return shards
