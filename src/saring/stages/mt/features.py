"""Topic-neutral features for machine-translation detection.

A sentence becomes a sequence of *abstract tokens*: frequent function words stay as they are; every
other word becomes its shape (``w`` lower-case, ``C`` capitalised, ``U`` all capitals), lower-case
words keep their last ``suffix_chars`` letters (inflection and affixes, not the stem); numbers become
``0``; punctuation stays. Hashed 1..``max_n``-grams of that sequence describe word order,
function-word use and punctuation while hiding most of the topic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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

    def abstract(self, tokens: Iterable[str]) -> list[str]:
        out = []
        for token in tokens:
            low = token.lower()
            if low in self.function_words:
                out.append(low)
            elif token[0].isalpha():
                if token[0].isupper():
                    out.append("U" if len(token) > 1 and token.isupper() else "C")
                else:
                    out.append("w" + low[-self.suffix_chars :] if self.suffix_chars else "w")
            elif token[0].isdigit():
                out.append("0")
            else:
                out.append(token)
        return out


def hashed_ngrams(symbols: list[str], max_n: int, dim: int) -> np.ndarray:
    """Sorted unique hashed indices of the 1..max_n-grams of ``symbols`` with sentence boundaries."""
    padded = ["<s>", *symbols, "</s>"]
    grams = {
        _SEPARATOR.join(padded[i : i + n]) for n in range(1, max_n + 1) for i in range(len(padded) - n + 1)
    }
    return np.unique(np.fromiter((xxhash.xxh32_intdigest(g.encode()) % dim for g in grams), dtype=np.int64))
