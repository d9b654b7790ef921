"""The close-language discriminator: a linear model over hashed n-grams, lexicon shares (of marker words,
and of cased markers such as Indonesian *Anda* / Malay *anda*) and the Indonesian / Malay word-frequency
ratio (numpy and a scipy sparse product).

Trained by ``scripts/train_langid.py`` (logistic regression) and shipped as
``resources/models/langid/discriminator.npz``. Its classes are the confusable group (``ind_Latn``,
``zsm_Latn``, ``jav_Latn``, ``sun_Latn``, ``min_Latn`` and the regional languages lid.176 has no label
for: ``ace_Latn``, ``ban_Latn``, ``bjn_Latn``, ``bug_Latn``, ``mad_Latn``, ``nij_Latn``, ``bbc_Latn``),
Tagalog, plus ``other``: text the first model sent here that belongs to none of them.

Indonesian and Malay answers need evidence that the text is made of their words: at least
``MIN_KNOWN_SHARE`` of its words must be in wordfreq's id or ms list (held-out ind and zsm text: 1% of
sentences below 0.75), else the answer is ``other``. A linear model still picks a class for text unlike
anything it was trained on, and lorem-ipsum filler (30% known words) had come out Indonesian.

Two weight sets ("regimes") share the features: one trained on sentences, for texts whose prepared form
has at most ``short_chars`` characters, and one trained on all texts, for longer ones. Short texts need
their own fit: what separates two close languages in a sentence (a few function words and spellings) is
drowned out in a model fitted mostly to articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from saring.stages.langid.features import (
    FrequencyRatio,
    HashedBatch,
    Lexicon,
    NgramHasher,
    dense_features,
    prepare_batch,
)

OTHER = "other"
#: Classes that the frequency-ratio word lists describe, and the share of a text's words they must know.
VOCABULARY_CLASSES = frozenset({"ind_Latn", "zsm_Latn"})
MIN_KNOWN_SHARE = 0.5


class Discriminator:
    def __init__(
        self,
        ngram_weights: np.ndarray,
        dense_weights: np.ndarray,
        bias: np.ndarray,
        classes: Sequence[str],
        hasher: NgramHasher,
        lexicon: Lexicon,
        ratio: FrequencyRatio,
        max_chars: int,
        short_chars: int,
        confusable: Sequence[str],
        unseen_neighbours: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Weights are stacked by regime (short texts first): ``ngram_weights`` is regimes x buckets x
        classes, ``dense_weights`` regimes x dense features x classes (the lexicon languages' marker
        shares, then the frequency-ratio features), ``bias`` regimes x classes. ``confusable``: the
        classes lid.176 cannot tell apart; ``unseen_neighbours``: ``(class, language)`` pairs of a class
        and a close language the model has seen no text of."""
        regimes, buckets, width = ngram_weights.shape
        self.ngram_weights = ngram_weights.astype(np.float32).reshape(regimes * buckets, width)
        self.buckets = buckets
        self.dense_weights = dense_weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.classes = list(classes)
        self.hasher = hasher
        self.lexicon = lexicon
        self.ratio = ratio
        self.max_chars = max_chars
        self.short_chars = short_chars
        self.confusable = frozenset(confusable)
        self.unseen_neighbours = frozenset(unseen_neighbours)
        self.unseen_languages = frozenset(language for _, language in unseen_neighbours)

    @classmethod
    def load(cls, path: Path) -> Discriminator:
        with np.load(path, allow_pickle=False) as model:
            bits, min_order, max_order, max_chars, short_chars = (int(v) for v in model["config"])
            hasher = NgramHasher(bits, min_order, max_order)
            lexicon = Lexicon([str(c) for c in model["lexicon_codes"]], hasher)
            if lexicon.fingerprint() != str(model["lexicon_fingerprint"]):
                raise ValueError(
                    f"the lexicon files changed since {path.name} was trained: rerun scripts/train_langid.py"
                )
            return cls(
                model["ngram_weights"],
                model["dense_weights"],
                model["bias"],
                [str(c) for c in model["classes"]],
                hasher,
                lexicon,
                FrequencyRatio(model["ratio_hashes"], model["ratio_values"]),
                max_chars,
                short_chars,
                [str(c) for c in model["confusable"]],
                [(str(c), str(n)) for c, n in model["unseen_neighbours"]],
            )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text (columns follow ``self.classes``)."""
        return self._scores(texts)[0]

    def _scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities, and the share of each text's words that the frequency lists know."""
        prepared = prepare_batch(texts, self.max_chars)
        regime = np.fromiter((len(p) > self.short_chars for p in prepared), dtype=np.int64, count=len(texts))
        batch = self.hasher.hash_batch(prepared)
        dense = dense_features(texts, batch, self.lexicon, self.ratio, self.max_chars)
        logits = self._ngram_sums(batch, regime * self.buckets) / np.maximum(batch.counts, 1)[:, None]
        logits += np.einsum("df,dfc->dc", dense, self.dense_weights[regime]) + self.bias[regime]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True), self.ratio.known_share(batch)

    def _ngram_sums(self, batch: HashedBatch, offsets: np.ndarray) -> np.ndarray:
        """Per document, the sum of its n-grams' weight rows (``offsets``: each document's regime's first
        row). Each feature group is a sparse documents x rows count matrix times the weights, so no
        features x classes array is gathered (3.4x faster than a gather and ``np.add.reduceat``)."""
        from scipy.sparse import csr_matrix

        sums = np.zeros((batch.documents, self.ngram_weights.shape[1]), dtype=np.float32)
        for buckets, per_doc in batch.groups:
            row_starts = np.zeros(batch.documents + 1, dtype=np.int64)
            np.cumsum(per_doc, out=row_starts[1:])
            rows = np.repeat(offsets, per_doc) + buckets
            counts = csr_matrix(
                (np.ones(len(rows), dtype=np.float32), rows, row_starts),
                shape=(batch.documents, self.ngram_weights.shape[0]),
            )
            sums += counts @ self.ngram_weights
        return sums

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Best class and its probability per text (``other`` for an Indonesian or Malay answer on text
        whose words the word lists mostly do not know)."""
        if not texts:
            return [], np.zeros(0, dtype=np.float32)
        probs, known = self._scores(texts)
        best = probs.argmax(axis=1)
        labels = [
            OTHER if self.classes[i] in VOCABULARY_CLASSES and share < MIN_KNOWN_SHARE else self.classes[i]
            for i, share in zip(best.tolist(), known.tolist(), strict=True)
        ]
        return labels, probs[np.arange(len(best)), best].astype(np.float32)

    def overrules(self, label: str, first_pass: str) -> bool:
        """Whether the discriminator's ``label`` replaces the first pass's: not when it is ``other``, nor
        when the first pass named a close language of ``label`` that the model never saw."""
        return label != OTHER and (label, first_pass) not in self.unseen_neighbours
