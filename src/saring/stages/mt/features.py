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
from itertools import chain
from typing import Any

import numpy as np
import regex
import xxhash

TOKEN_RE = regex.compile(r"\p{L}+(?:['’-]\p{L}+)*|\p{N}+(?:[.,:]\p{N}+)*|[^\s\p{L}\p{N}]")
SENTENCE_RE = regex.compile(r"(?<=[.!?…])\s+(?=[\p{Lu}\p{N}\"“'(])|\s*\n\s*")
_SEPARATOR = "\x1f"


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

    An n-gram's bucket is the xxh32 hash of its symbols joined by U+001F, modulo ``dim``, with ``<s>`` and
    ``</s>`` around each sentence. Each distinct token is abstracted once and each distinct n-gram hashed
    once (both remembered across batches, up to 2**18 of each); the n-grams of a batch are found in
    numpy as integer keys over symbol ids (ids from 1, in base ``2**bits``, so orders never share a key).
    """

    def __init__(self, abstraction: Abstraction, max_n: int, dim: int) -> None:
        self.abstraction = abstraction
        self.max_n = max_n
        self.dim = dim
        self._bits = 62 // max_n
        self._symbols: list[str] = ["", "<s>", "</s>"]  # id 0 is never used
        self._symbol_ids: dict[str, int] = {"<s>": 1, "</s>": 2}
        self._token_ids: dict[str, int] = {}
        self._buckets: dict[int, int] = {}

    def _token_id(self, token: str) -> int:
        symbol = self.abstraction.symbol(token)
        found = self._symbol_ids.get(symbol)
        if found is None:
            found = self._symbol_ids[symbol] = len(self._symbols)
            if found >= 1 << self._bits:
                raise ValueError(f"more than {1 << self._bits} distinct symbols")
            self._symbols.append(symbol)
        self._token_ids[token] = found
        return found

    def _bucket(self, key: int) -> int:
        """Hash the n-gram of ``key`` (its symbol ids, most significant first) and remember it."""
        symbols = []
        rest = key
        while rest:
            rest, digit = divmod(rest, 1 << self._bits)
            symbols.append(self._symbols[digit])
        bucket = xxhash.xxh32_intdigest(_SEPARATOR.join(reversed(symbols)).encode()) % self.dim
        self._buckets[key] = bucket
        return bucket

    def rows(self, sentences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """``(sentence, bucket)`` arrays, sorted, one entry per distinct bucket of each tokenized sentence."""
        if not sentences:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences)) + 2
        sentence_of = np.repeat(np.arange(len(sentences), dtype=np.int64), lengths)
        ends = np.cumsum(lengths)
        ids = np.ones(int(ends[-1]), dtype=np.int64)  # <s> (1) where no token goes
        ids[ends - 1] = 2  # </s>
        inner = np.ones(len(ids), dtype=bool)
        inner[ends - 1] = inner[ends - lengths] = False
        ids[inner] = memo_lookup(self._token_ids, list(chain.from_iterable(sentences)), self._token_id)
        keys, owners = [], []
        for n in range(1, self.max_n + 1):
            windows = len(ids) - n + 1
            if windows <= 0:
                break
            key = ids[:windows].copy()
            for offset in range(1, n):
                key <<= self._bits
                key += ids[offset : offset + windows]
            inside = sentence_of[:windows] == sentence_of[n - 1 :]
            keys.append(key[inside])
            owners.append(sentence_of[:windows][inside])
        unique_keys, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        buckets = np.array(memo_lookup(self._buckets, unique_keys.tolist(), self._bucket), dtype=np.int64)
        pairs = np.sort(np.concatenate(owners) * self.dim + buckets[inverse])
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]  # (numpy's unique hashes: slower here)
        return pairs // self.dim, pairs % self.dim


def memo_lookup(memo: dict, keys: list, compute: Callable[[Any], int], limit: int = 1 << 18) -> list[int]:
    """``memo[key]`` for every key, ``compute(key)`` (which fills the memo) where it is missing; a memo
    grown past ``limit`` entries starts afresh."""
    if len(memo) > limit:
        memo.clear()
    found = list(map(memo.get, keys))
    if None in found:
        found = [compute(k) if v is None else v for k, v in zip(keys, found, strict=True)]
    return found
