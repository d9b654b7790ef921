"""Topic-neutral features for machine-translation detection.

A sentence becomes a sequence of *abstract tokens*: frequent function words stay as they are; every
other word becomes its shape (``w`` lower-case, ``C`` capitalised, ``U`` all capitals), lower-case
words keep their last ``suffix_chars`` letters (inflection and affixes, not the stem); numbers become
``0``; punctuation stays. Hashed 1..``max_n``-grams of that sequence describe word order,
function-word use and punctuation while hiding most of the topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

import numpy as np
import regex
import xxhash

TOKEN_RE = regex.compile(r"\p{L}+(?:['’-]\p{L}+)*|\p{N}+(?:[.,:]\p{N}+)*|[^\s\p{L}\p{N}]")
SENTENCE_RE = regex.compile(r"(?<=[.!?…])\s+(?=[\p{Lu}\p{N}\"“'(])|\s*\n\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences (and lines) of a text, stripped, empty ones dropped."""
    return [s for s in (part.strip() for part in SENTENCE_RE.split(text)) if s]


def tokenize(sentence: str) -> list[str]:
    return TOKEN_RE.findall(sentence)


@dataclass(frozen=True)
class Abstraction:
    """How words are masked: the kept function words and the suffix length of other lower-case words."""

    function_words: frozenset[str]
    suffix_chars: int

    def symbol(self, token: str) -> str:
        low = token.lower()
        if low in self.function_words:
            return low
        if token[0].isalpha():
            if token[0].isupper():
                return "U" if len(token) > 1 and token.isupper() else "C"
            return "w" + low[-self.suffix_chars :] if self.suffix_chars else "w"
        if token[0].isdigit():
            return "0"
        return token


class StyleHasher:
    """The hashed 1..``max_n``-grams of many abstracted sentences at once, as sorted unique buckets.

    Each symbol (with ``<s>`` and ``</s>`` around each sentence) has a 64-bit hash, xxh64 of its text; an
    n-gram's hash mixes its order and its symbols' hashes in numpy over the whole batch, so no n-gram
    is ever a Python string, and a sentence's buckets do not depend on the rest of its batch. Each
    distinct token's symbol hash is computed once (remembered up to :func:`memo_lookup`'s limit).
    """

    def __init__(self, abstraction: Abstraction, max_n: int, dim: int) -> None:
        self.abstraction = abstraction
        self.max_n = max_n
        self.dim = dim
        self._token_hashes: dict[str, int] = {}
        self._start, self._end = _symbol_hash("<s>"), _symbol_hash("</s>")

    def _token_hash(self, token: str) -> int:
        return _symbol_hash(self.abstraction.symbol(token))

    def rows(self, sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """``(sentence, bucket)`` arrays, sorted, one entry per distinct bucket of each tokenized sentence."""
        if not sentences:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences)) + 2
        sentence_of = np.repeat(np.arange(len(sentences), dtype=np.int64), lengths)
        ends = np.cumsum(lengths)
        hashes = np.full(int(ends[-1]), self._start, dtype=np.uint64)
        hashes[ends - 1] = self._end
        inner = np.ones(len(hashes), dtype=bool)
        inner[ends - 1] = inner[ends - lengths] = False
        tokens = list(chain.from_iterable(sentences))
        hashes[inner] = np.array(memo_lookup(self._token_hashes, tokens, self._token_hash), dtype=np.uint64)
        buckets, owners = [], []
        for n in range(1, self.max_n + 1):
            windows = len(hashes) - n + 1
            if windows <= 0:
                break
            mixed = np.full(windows, n, dtype=np.uint64)
            for offset in range(n):
                mixed ^= hashes[offset : offset + windows]
                mixed *= _MULTIPLIER
            inside = sentence_of[:windows] == sentence_of[n - 1 :]
            buckets.append(_avalanche(mixed[inside]) % np.uint64(self.dim))
            owners.append(sentence_of[:windows][inside])
        pairs = np.sort(np.concatenate(owners) * self.dim + np.concatenate(buckets).astype(np.int64))
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]  # (numpy's unique hashes: slower here)
        return pairs // self.dim, pairs % self.dim


def sentence_norms(sentence_of: np.ndarray, count: int) -> np.ndarray:
    """Per sentence, 1 / sqrt(its number of distinct buckets): the L2 norm of its binary feature row, by
    which training divides the row and scoring divides the summed weights."""
    return 1.0 / np.sqrt(np.maximum(np.bincount(sentence_of, minlength=count), 1))


def _symbol_hash(symbol: str) -> int:
    return xxhash.xxh64_intdigest(symbol.encode("utf-8", "surrogatepass"))


_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime, applied to whole symbol hashes


def _avalanche(values: np.ndarray) -> np.ndarray:
    """Spread every input bit over the low bits (the finalizer of MurmurHash3's 64-bit hash)."""
    values ^= values >> np.uint64(33)
    values *= np.uint64(0xFF51AFD7ED558CCD)
    values ^= values >> np.uint64(33)
    values *= np.uint64(0xC4CEB9FE1A85EC53)
    values ^= values >> np.uint64(33)
    return values


def memo_lookup(memo: dict, keys: list, compute: Callable[[Any], int], limit: int = 1 << 18) -> list[int]:
    """``memo[key]`` for every key, ``compute(key)`` where it is missing; new keys are remembered until
    the memo holds ``limit`` of them (frequent keys tend to come early), then only computed."""
    found = list(map(memo.get, keys))
    if None in found:
        found = [compute(k) if v is None else v for k, v in zip(keys, found, strict=True)]
        room = limit - len(memo)
        if room > 0:
            new = ((k, v) for k, v in zip(keys, found, strict=True) if k not in memo)
            memo.update(islice(new, room))
    return found
