"""A per-language machine-translation scorer: sub-signals per sentence, a calibrated combination.

Files (``resources/models/mt/<lang>.yaml`` + ``<lang>.npz``, written by ``scripts/train_mt.py``):

- style: logistic regression weights over hashed n-grams of abstracted tokens (:mod:`.features`);
- english: share of lower-case words that are common English and rare in the language (wordfreq);
- calque: hits per 100 tokens of the calque patterns that training kept;
- a calibrator: logistic regression over (style logit, english share, calque rate) fit on a held-out
  calibration split, so its output is a probability for a sentence under that split's class balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import regex

from saring.resources import load_yaml, wordfreq_zipf
from saring.stages.mt.features import Abstraction, StyleHasher, memo_lookup, sentence_norms, tokenize

MIN_TOKENS = 5


class EnglishTokens:
    """Counts untranslated English words: lower-case, common in English, rare in the language."""

    def __init__(self, wordfreq_code: str, english_min_zipf: float, native_max_zipf: float) -> None:
        native = wordfreq_zipf(wordfreq_code)
        self.words = frozenset(
            word
            for word, zipf in wordfreq_zipf("en").items()
            if zipf >= english_min_zipf and native.get(word, 0.0) < native_max_zipf and len(word) >= 3
        )
        self._kinds: dict[str, int] = {}  # token -> 0 not a lower-case word, 1 a word, 2 an English one

    def _kind(self, token: str) -> int:
        return (2 if token in self.words else 1) if token.isalpha() and token.islower() else 0

    def shares(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """Per tokenized sentence: the share of its lower-case words that are English ones (0 if none)."""
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        kinds = np.array(
            memo_lookup(self._kinds, list(chain.from_iterable(sentences)), self._kind), dtype=np.int8
        )
        sentence_of = np.repeat(np.arange(len(sentences)), lengths)
        words = np.bincount(sentence_of, weights=kinds > 0, minlength=len(sentences))
        english = np.bincount(sentence_of, weights=kinds == 2, minlength=len(sentences))
        return np.divide(english, words, out=np.zeros(len(sentences)), where=words > 0)

    def share(self, tokens: list[str]) -> float:
        return float(self.shares([tokens])[0])


@dataclass
class SentenceSignals:
    style_logit: np.ndarray
    english_share: np.ndarray
    calque_rate: np.ndarray

    def matrix(self) -> np.ndarray:
        return np.column_stack([self.style_logit, self.english_share, self.calque_rate])


class MtModel:
    """Scores sentences of one language; see the module docstring for the files."""

    def __init__(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.config = config
        function_words = frozenset(arrays["function_words"].tolist())
        self.weights = arrays["weights"].astype(np.float32)
        self.hasher = StyleHasher(
            Abstraction(function_words, int(arrays["suffix_chars"])), int(arrays["max_n"]), len(self.weights)
        )
        self.bias = float(arrays["bias"])
        self.calques = [str(p) for p in arrays["calques"]]
        self.calque_re = regex.compile("|".join(f"(?:{p})" for p in self.calques)) if self.calques else None
        self.calibrator = arrays.get("calibrator")
        self.english = EnglishTokens(
            config["wordfreq"], config["english_min_zipf"], config["native_max_zipf"]
        )

    @classmethod
    def load(cls, yaml_path: Path, npz_path: Path) -> MtModel:
        config = load_yaml(yaml_path)
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        return cls(config, arrays)

    def signals(self, sentences: Sequence[str], tokens: Sequence[list[str]] | None = None) -> SentenceSignals:
        """Sub-signals of each sentence (``tokens``: the sentences' :func:`tokenize`, if already known)."""
        tokens = [tokenize(s) for s in sentences] if tokens is None else tokens
        sentence_of, buckets = self.hasher.rows(tokens)
        count = len(sentences)
        sums = np.bincount(sentence_of, weights=self.weights[buckets], minlength=count)
        logits = sums * sentence_norms(sentence_of, count) + self.bias
        english = self.english.shares(tokens)
        calque = np.array(
            [
                100.0 * (len(self.calque_re.findall(s.lower())) if self.calque_re else 0) / max(len(t), 1)
                for s, t in zip(sentences, tokens, strict=True)
            ]
        )
        return SentenceSignals(logits, english, calque)

    def probability(self, signals: SentenceSignals) -> np.ndarray:
        """Calibrated probability that each sentence is machine-translated."""
        coef = self.calibrator
        if coef is None:
            raise ValueError("model has no calibrator; rerun scripts/train_mt.py")
        # Element by element, not a matrix product: BLAS would round a row differently by its place in
        # the batch, and a document's score must not depend on its neighbours.
        z = (
            signals.style_logit * coef[0]
            + signals.english_share * coef[1]
            + signals.calque_rate * coef[2]
            + coef[3]
        )
        return 1.0 / (1.0 + np.exp(-z))
