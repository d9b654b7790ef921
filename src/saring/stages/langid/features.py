"""Features of the close-language discriminator: hashed character n-grams and lexicon marker shares.

Shared by the runtime (``discriminator.py``) and the training script (``scripts/train_langid.py``) so both
featurize identically. Hashing runs in numpy over the UTF-8 bytes of a whole batch at once.

Text preparation: named entities are dropped (a capitalized word after a lowercase word or a comma), so
the model learns spelling and function words rather than place and outlet names of its training news;
then the text is lowercased and every run of non-letters becomes one space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import regex

from saring.resources import language_resource

_ENTITY = regex.compile(r"(?<=[\p{Ll},]\s{1,3})\p{Lu}[\p{L}\p{M}]*")
_NON_LETTERS = regex.compile(r"[^\p{L}\p{M}]+")
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def prepare(text: str, max_chars: int) -> str:
    """Lowercased letters-only text, framed by spaces, without mid-sentence capitalized words."""
    text = _ENTITY.sub(" ", text[:max_chars])
    return " " + _NON_LETTERS.sub(" ", text.lower()).strip() + " "


@dataclass(frozen=True)
class NgramHasher:
    """Byte n-grams of orders ``min_order..max_order`` hashed into ``2**bits`` buckets."""

    bits: int = 18
    min_order: int = 1
    max_order: int = 5

    def hash_batch(self, prepared: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(buckets, doc_of_ngram, ngrams_per_doc)`` for texts from :func:`prepare`.

        N-grams are grouped by document in input order, so per-document sums are ``np.add.reduceat``.
        """
        encoded = [t.encode("utf-8") for t in prepared]
        lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.uint64)
        doc = np.repeat(np.arange(len(encoded), dtype=np.int64), lengths)
        buckets, docs = [], []
        rolling = np.zeros(0, dtype=np.uint64)
        shift = np.uint64(64 - self.bits)
        for order in range(1, self.max_order + 1):
            rolling = data.copy() if order == 1 else rolling[:-1] * _PRIME + data[order - 1 :]
            if order < self.min_order:
                continue
            inside = doc[: len(rolling)] == doc[order - 1 :]
            keyed = (rolling[inside] + np.uint64(order)) * _MIX
            buckets.append((keyed >> shift).astype(np.int64))
            docs.append(doc[: len(rolling)][inside])
        doc_of_ngram = np.concatenate(docs)
        order_by_doc = np.argsort(doc_of_ngram, kind="stable")
        counts = np.bincount(doc_of_ngram, minlength=len(encoded))
        return np.concatenate(buckets)[order_by_doc], doc_of_ngram[order_by_doc], counts


class Lexicon:
    """Marker words per language (``languages/<code>_<Script>/lexicon.yaml``); features are marker shares."""

    def __init__(self, codes: Sequence[str]) -> None:
        self.languages: list[str] = []
        self.language_of: dict[str, int] = {}
        for code in codes:
            data = language_resource(code, "lexicon")
            if data is None:
                raise FileNotFoundError(f"no languages/{code}/lexicon.yaml")
            index = len(self.languages)
            self.languages.append(data["language"])
            for word in data["markers"]:
                if self.language_of.setdefault(str(word), index) != index:
                    raise ValueError(f"lexicon word {word!r} is listed for two languages")

    def shares(self, prepared: Sequence[str]) -> np.ndarray:
        """Per text and language, the share of words that are that language's markers."""
        out = np.zeros((len(prepared), len(self.languages)), dtype=np.float32)
        lookup = self.language_of.get
        for row, text in enumerate(prepared):
            words = text.split()
            hits = [index for index in map(lookup, words) if index is not None]
            if hits:
                out[row] = np.bincount(hits, minlength=len(self.languages)) / len(words)
        return out

    def fingerprint(self) -> str:
        """A stable string of the markers, stored with the model to detect a lexicon edited since."""
        return ";".join(f"{w}={i}" for w, i in sorted(self.language_of.items()))
