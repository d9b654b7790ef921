"""``mt_score``: how likely each document is machine-translated, with interpretable sub-signals.

Reads the language from ``langid.language`` (labels like ``ind_Latn``), scores languages that have a model
in ``resources/models/mt/`` (see :mod:`.model`) and gives null for others. A document's score is the
mean calibrated probability of its sentences (evenly sampled, at most ``max_sentences``), i.e. the
expected share of machine-translated sentences. Removes nothing unless ``max_score`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from saring.core.registry import register
from saring.core.stage import DocView, Measured, PositiveCount, Probability, Stage, StageParams
from saring.resources import resource_path
from saring.stages.mt.features import split_sentences, tokenize
from saring.stages.mt.model import MIN_TOKENS, MtModel


class MtScoreParams(StageParams):
    language_signal: str = "langid.language"
    #: language assumed where the language signal is absent (None: such documents get null)
    default_language: str | None = None
    max_sentences: PositiveCount = 64
    #: remove documents whose mt_score exceeds this (None: remove nothing)
    max_score: Probability | None = None


def model_code(label: str) -> str:
    """``ind_Latn`` -> ``ind``: the model files are named by language, not script."""
    return label.split("_")[0]


@register
class MtScore(Stage):
    name = "mt_score"
    Params = MtScoreParams
    decide_params = frozenset({"max_score"})

    def __init__(self, params: MtScoreParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._models: dict[str, MtModel] = {}

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {
            "mt_score": pa.float32(),
            "style_score": pa.float32(),
            "english_share": pa.float32(),
            "calque_rate": pa.float32(),
            "sentences": pa.int32(),
        }

    def setup(self) -> None:
        folder = resource_path("models", "mt")
        for npz in sorted(folder.glob("*.npz")):
            self._models[npz.stem] = MtModel.load(folder / f"{npz.stem}.yaml", npz)

    def _sample(self, text: str) -> tuple[list[str], list[list[str]]]:
        """The scored sentences of a text (evenly spread, at most ``max_sentences``) and their tokens."""
        kept = [(s, tokens) for s in split_sentences(text) if len(tokens := tokenize(s)) >= MIN_TOKENS]
        if len(kept) > self.params.max_sentences:
            picks = np.linspace(0, len(kept) - 1, self.params.max_sentences).astype(int)
            kept = [kept[i] for i in picks]
        return [s for s, _ in kept], [tokens for _, tokens in kept]

    def measure(self, docs: DocView) -> Measured:
        names = list(self.signal_schema())
        out: dict[str, list[Any]] = {name: [None] * len(docs.texts) for name in names}
        # Per language model: the documents it scores, and all their sentences, scored in one call.
        work: dict[str, tuple[list[int], list[str], list[list[str]], list[int]]] = {}
        languages = docs.signal(self.params.language_signal)
        for i, (text, language) in enumerate(zip(docs.texts, languages, strict=True)):
            language = language or self.params.default_language
            code = model_code(language) if language else None
            if code not in self._models:
                continue
            sentences, tokens = self._sample(text)
            if sentences:
                indexes, all_sentences, all_tokens, counts = work.setdefault(code, ([], [], [], []))
                indexes.append(i)
                all_sentences += sentences
                all_tokens += tokens
                counts.append(len(sentences))
        for code, (indexes, sentences, tokens, counts) in work.items():
            model = self._models[code]
            signals = model.signals(sentences, tokens)
            per_sentence = {
                "mt_score": model.probability(signals),
                "style_score": 1.0 / (1.0 + np.exp(-signals.style_logit)),
                "english_share": signals.english_share,
                "calque_rate": signals.calque_rate,
            }
            sizes = np.array(counts)
            starts = np.cumsum(sizes) - sizes
            for name, values in per_sentence.items():  # per document: the mean over its sentences
                means = np.add.reduceat(values, starts) / sizes
                for doc, mean in zip(indexes, means.tolist(), strict=True):
                    out[name][doc] = mean
            for doc, count in zip(indexes, counts, strict=True):
                out["sentences"][doc] = count
        return Measured(signals=out)

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        limit = self.params.max_score
        return [
            "machine_translated" if limit is not None and score is not None and score > limit else None
            for score in signals["mt_score"]
        ]

    def thresholds(self) -> dict[str, float]:
        return {} if self.params.max_score is None else {"mt_score": self.params.max_score}
