"""Vectorized shingling and MinHash signatures (numpy + pyarrow; no per-token Python loop).

Texts are normalized (NFKC, lower case, every run of characters that are not letters or digits becomes
one separator), cut into tokens by pyarrow, and each token is hashed straight from the UTF-8 buffer with
a polynomial hash finished by splitmix64. Shingles are word n-grams (``word``) or character n-grams of
the space-joined tokens (``char``; over UTF-8 bytes, which equal characters for Latin-script text).
A signature holds, for each of ``num_perm`` hash functions ``h(x) = (a*x + b) >> 32`` (multiply-shift,
seeded and therefore deterministic), the minimum over the document's shingles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

_SEPARATORS = r"[^\p{L}\p{N}]+"
_MAX = np.uint32(0xFFFFFFFF)
_POLY = np.uint64(0x100000001B3)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A bijective 64-bit mixer (finalizer of SplitMix64), vectorized."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class Shingles:
    """Shingle hashes of a list of documents: ``hashes[starts[d]:starts[d+1]]`` belong to document d."""

    hashes: np.ndarray  # uint64
    counts: np.ndarray  # int64, shingles per document


def normalized_tokens(texts: list[str]) -> pa.ListArray:
    """Lower-cased NFKC tokens of letters and digits, one list per text (empty strings dropped)."""
    array = pc.utf8_lower(pc.utf8_normalize(pa.array(texts, type=pa.large_string()), "NFKC"))
    return pc.split_pattern_regex(pc.utf8_trim_whitespace(array), _SEPARATORS)


def _token_hashes(tokens: pa.Array) -> np.ndarray:
    """A 64-bit hash of every token: xxh3 of each distinct token of the batch (pyarrow dictionary)."""
    encoded = pc.dictionary_encode(tokens)
    distinct = encoded.dictionary.cast(pa.large_binary()).to_pylist()
    hashes = np.fromiter((xxhash.xxh3_64_intdigest(token) for token in distinct), np.uint64, len(distinct))
    return hashes[encoded.indices.to_numpy(zero_copy_only=False)]


def _window_hashes(
    values: np.ndarray, doc_of: np.ndarray, doc_end: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every window of ``n`` consecutive values inside a document, and the windows' documents.

    A document shorter than ``n`` values yields one window of all its values.
    """
    total = len(values)
    if total == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    index = np.arange(total)
    end_of = doc_end[doc_of]
    combined = values.copy()
    for shift in range(1, n):
        ahead = np.zeros(total, dtype=np.uint64)
        ahead[: total - shift] = values[shift:]
        ahead[index + shift >= end_of] = 0
        combined = splitmix64(combined ^ np.uint64(shift)) + ahead
    doc_start = np.concatenate(([0], doc_end[:-1]))
    short = (doc_end - doc_start) < n
    valid = (index + n <= end_of) | (short[doc_of] & (index == doc_start[doc_of]))
    return splitmix64(combined[valid]), doc_of[valid]


def shingle(texts: list[str], kind: Literal["word", "char"], n: int) -> Shingles:
    """Shingle hashes of each text: word n-grams or character n-grams of the normalized text."""
    tokens = normalized_tokens(texts)
    if kind == "word":
        flat = tokens.flatten()
        nonempty = pc.greater(pc.binary_length(flat), 0).to_numpy(zero_copy_only=False)
        token_doc = np.repeat(np.arange(len(texts)), np.diff(tokens.offsets.to_numpy()))
        values, doc_of = _token_hashes(flat.filter(pa.array(nonempty))), token_doc[nonempty]
    else:
        values, doc_of = _char_values(pc.binary_join(tokens, pa.scalar(" ", pa.large_string())))
    doc_end = np.cumsum(np.bincount(doc_of, minlength=len(texts)))
    hashes, shingle_doc = _window_hashes(values, doc_of, doc_end, n)
    return Shingles(hashes, np.bincount(shingle_doc, minlength=len(texts)).astype(np.int64))


def _char_values(joined: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of each joined text (mixed to uint64) and the text each byte belongs to."""
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[
        joined.offset : joined.offset + len(joined) + 1
    ]
    data_buffer = joined.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    values = splitmix64(data[offsets[0] : offsets[-1]].astype(np.uint64))
    return values, np.repeat(np.arange(len(joined)), np.diff(offsets))


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded multiply-shift hash functions: odd multipliers ``a`` and offsets ``b`` (uint64)."""
    generator = np.random.default_rng(seed)
    a = generator.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = generator.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def signatures(shingles: Shingles, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures, shape (documents, num_perm), uint32; documents without shingles get all-max."""
    counts = shingles.counts
    out = np.full((len(counts), len(a)), _MAX, dtype=np.uint32)
    present = counts > 0
    if not present.any():
        return out
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[present]
    hashed = np.empty(len(shingles.hashes), dtype=np.uint64)
    shift = np.uint64(32)
    for column, (multiplier, offset) in enumerate(zip(a, b, strict=True)):
        np.multiply(shingles.hashes, multiplier, out=hashed)
        hashed += offset
        hashed >>= shift
        out[present, column] = np.minimum.reduceat(hashed, starts)
    return out
