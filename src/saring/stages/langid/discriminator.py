"""The close-language discriminator: a linear model over hashed n-grams and lexicon shares (numpy only).

Trained by ``scripts/train_langid.py`` (logistic regression) and shipped as
``resources/models/langid/discriminator.npz``. Its classes are the confusable group (``ind_Latn``,
``zsm_Latn``, ``jav_Latn``, ``sun_Latn``, ``min_Latn``) plus ``other``: text the first model sent here
that belongs to none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from saring.stages.langid.features import Lexicon, NgramHasher, prepare

OTHER = "other"
#: Bytes of prepared text scored at once; bounds the gathered weight matrix of a call (~bytes*5*classes*4).
_CHUNK_BYTES = 1 << 18


class Discriminator:
    def __init__(
        self,
        ngram_weights: np.ndarray,
        lexicon_weights: np.ndarray,
        bias: np.ndarray,
        classes: Sequence[str],
        hasher: NgramHasher,
        lexicon: Lexicon,
        max_chars: int,
    ) -> None:
        self.ngram_weights = ngram_weights.astype(np.float32)
        self.lexicon_weights = lexicon_weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.classes = list(classes)
        self.hasher = hasher
        self.lexicon = lexicon
        self.max_chars = max_chars

    @classmethod
    def load(cls, path: Path) -> Discriminator:
        with np.load(path, allow_pickle=False) as model:
            lexicon = Lexicon([str(c) for c in model["lexicon_codes"]])
            if lexicon.fingerprint() != str(model["lexicon_fingerprint"]):
                raise ValueError(
                    f"the lexicon files changed since {path.name} was trained: rerun scripts/train_langid.py"
                )
            bits, min_order, max_order, max_chars = (int(v) for v in model["config"])
            return cls(
                model["ngram_weights"],
                model["lexicon_weights"],
                model["bias"],
                [str(c) for c in model["classes"]],
                NgramHasher(bits, min_order, max_order),
                lexicon,
                max_chars,
            )

    def features(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Prepared texts and their lexicon shares."""
        prepared = [prepare(t, self.max_chars) for t in texts]
        return prepared, self.lexicon.shares(prepared)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text (columns follow ``self.classes``)."""
        prepared, shares = self.features(texts)
        logits = shares @ self.lexicon_weights + self.bias
        start = 0
        while start < len(prepared):
            end, size = start, 0
            while end < len(prepared) and (end == start or size + len(prepared[end]) <= _CHUNK_BYTES):
                size += len(prepared[end])
                end += 1
            buckets, _, counts = self.hasher.hash_batch(prepared[start:end])
            offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
            sums = np.add.reduceat(self.ngram_weights[buckets], offsets, axis=0)
            logits[start:end] += sums / counts[:, None]
            start = end
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Best class and its probability per text."""
        if not texts:
            return [], np.zeros(0, dtype=np.float32)
        probs = self.probabilities(texts)
        best = probs.argmax(axis=1)
        return [self.classes[i] for i in best], probs[np.arange(len(best)), best].astype(np.float32)
