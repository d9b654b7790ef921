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
from saring.core.stage import DocView, Measured, Stage, StageParams
from saring.resources import resource_path
from saring.stages.mt.features import split_sentences, tokenize
from saring.stages.mt.model import MIN_TOKENS, MtModel


class MtScoreParams(StageParams):
    language_signal: str = "langid.language"
    #: language assumed where the language signal is absent (None: such documents get null)
    default_language: str | None = None
    max_sentences: int = 64
    #: remove documents whose mt_score exceeds this (None: remove nothing)
    max_score: float | None = None


def model_code(label: str) -> str:
    """``ind_Latn`` -> ``ind``: the model files are named by language, not script."""
    return label.split("_")[0]


@register
class MtScore(Stage):
    name = "mt_score"
    Params = MtScoreParams

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

    def _sample(self, text: str) -> list[str]:
        sentences = [s for s in split_sentences(text) if len(tokenize(s)) >= MIN_TOKENS]
        if len(sentences) > self.params.max_sentences:
            picks = np.linspace(0, len(sentences) - 1, self.params.max_sentences).astype(int)
            sentences = [sentences[i] for i in picks]
        return sentences

    def measure(self, docs: DocView) -> Measured:
        names = list(self.signal_schema())
        out: dict[str, list[Any]] = {name: [] for name in names}
        for text, language in zip(docs.texts, docs.signal(self.params.language_signal), strict=True):
            language = language or self.params.default_language
            model = self._models.get(model_code(language)) if language else None
            sentences = self._sample(text) if model else []
            if not sentences:
                for name in names:
                    out[name].append(None)
                continue
            signals = model.signals(sentences)
            values = (
                float(model.probability(signals).mean()),
                float((1.0 / (1.0 + np.exp(-signals.style_logit))).mean()),
                float(signals.english_share.mean()),
                float(signals.calque_rate.mean()),
                len(sentences),
            )
            for name, value in zip(names, values, strict=True):
                out[name].append(value)
        return Measured(signals=out)

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        limit = self.params.max_score
        return [
            "machine_translated" if limit is not None and score is not None and score > limit else None
            for score in signals["mt_score"]
        ]

    def thresholds(self) -> dict[str, float]:
        return {} if self.params.max_score is None else {"mt_score": self.params.max_score}
