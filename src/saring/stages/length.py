"""Length filter: empty, too short or too long documents, in characters and words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from saring.core.registry import register
from saring.core.stage import Count, DocView, Measured, Stage, StageParams


class LengthParams(StageParams):
    min_chars: Count = 1
    max_chars: Count | None = None
    min_words: Count = 0
    max_words: Count | None = None


@register
class Length(Stage):
    name = "length"
    Params = LengthParams
    decide_params = frozenset({"min_chars", "max_chars", "min_words", "max_words"})

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"chars": pa.int64(), "words": pa.int64()}

    def thresholds(self) -> dict[str, float]:
        p = self.params
        return {"chars": p.min_chars, "words": p.min_words}

    def measure(self, docs: DocView) -> Measured:
        chars = [len(text.strip()) for text in docs.texts]
        words = [len(text.split()) for text in docs.texts]
        return Measured(signals={"chars": chars, "words": words})

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        p = self.params
        reasons: list[str | None] = []
        for chars, words in zip(signals["chars"], signals["words"], strict=True):
            if chars == 0:
                reasons.append("empty")
            elif chars < p.min_chars or words < p.min_words:
                reasons.append("too_short")
            elif (p.max_chars is not None and chars > p.max_chars) or (
                p.max_words is not None and words > p.max_words
            ):
                reasons.append("too_long")
            else:
                reasons.append(None)
        return reasons
