"""A per-language machine-translation scorer: sub-signals per sentence, a calibrated combination.

Files (``resources/models/mt/<lang>.yaml`` + ``<lang>.npz``, written by ``scripts/train_mt.py``):

- style: logistic regression weights over hashed n-grams of abstracted tokens (:mod:`.features`);
- english: share of lower-case words that are common English and rare in the language (wordfreq);
- calque: hits per 100 tokens of the calque patterns that training kept;
- a calibrator: logistic regression over (style logit, english share, calque rate) fit on a held-out
  calibration split, so its output is a probability for a sentence under that split's class balance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import regex
import yaml

from saring.stages.mt.features import Abstraction, hashed_ngrams, tokenize

MIN_TOKENS = 5


def _zipf_table(code: str) -> dict[str, float]:
    import wordfreq  # slow to import (~0.2 s): only when a model is loaded

    return {word: math.log10(freq) + 9.0 for word, freq in wordfreq.get_frequency_dict(code, "small").items()}


class EnglishTokens:
    """Counts untranslated English words: lower-case, common in English, rare in the language."""

    def __init__(self, wordfreq_code: str, english_min_zipf: float, native_max_zipf: float) -> None:
        native = _zipf_table(wordfreq_code)
        self.words = frozenset(
            word
            for word, zipf in _zipf_table("en").items()
            if zipf >= english_min_zipf and native.get(word, 0.0) < native_max_zipf and len(word) >= 3
        )

    def share(self, tokens: list[str]) -> float:
        lower = [t for t in tokens if t.isalpha() and t.islower()]
        return sum(t in self.words for t in lower) / len(lower) if lower else 0.0


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
        self.abstraction = Abstraction(function_words, int(arrays["suffix_chars"]))
        self.max_n = int(arrays["max_n"])
        self.weights = arrays["weights"].astype(np.float32)
        self.bias = float(arrays["bias"])
        self.calques = [str(p) for p in arrays["calques"]]
        self.calque_re = regex.compile("|".join(f"(?:{p})" for p in self.calques)) if self.calques else None
        self.calibrator = arrays.get("calibrator")
        self.english = EnglishTokens(
            config["wordfreq"], config["english_min_zipf"], config["native_max_zipf"]
        )

    @classmethod
    def load(cls, yaml_path: Path, npz_path: Path) -> MtModel:
        with yaml_path.open(encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        return cls(config, arrays)

    def style_indices(self, tokens: list[str]) -> np.ndarray:
        return hashed_ngrams(self.abstraction.abstract(tokens), self.max_n, len(self.weights))

    def signals(self, sentences: list[str]) -> SentenceSignals:
        logits, english, calque = [], [], []
        for sentence in sentences:
            tokens = tokenize(sentence)
            index = self.style_indices(tokens)
            logits.append(float(self.weights[index].sum()) / math.sqrt(max(len(index), 1)) + self.bias)
            english.append(self.english.share(tokens))
            hits = len(self.calque_re.findall(sentence.lower())) if self.calque_re else 0
            calque.append(100.0 * hits / max(len(tokens), 1))
        return SentenceSignals(np.array(logits), np.array(english), np.array(calque))

    def probability(self, signals: SentenceSignals) -> np.ndarray:
        """Calibrated probability that each sentence is machine-translated."""
        coef = self.calibrator
        if coef is None:
            raise ValueError("model has no calibrator; rerun scripts/train_mt.py")
        z = signals.matrix() @ coef[:-1] + coef[-1]
        return 1.0 / (1.0 + np.exp(-z))
