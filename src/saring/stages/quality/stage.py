"""The ``quality`` stage: Gopher quality and repetition, FineWeb and C4 rules, per-language presets."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import Field, ValidationInfo, field_validator

from saring.core.registry import register
from saring.core.stage import DocView, Measured, Stage, StageParams
from saring.resources import languages_with
from saring.stages.quality.lines import c4_signals, line_signals
from saring.stages.quality.presets import (
    DEFAULT_PRESET,
    DUP_NGRAMS,
    RULES,
    THRESHOLD_NAMES,
    TOP_NGRAMS,
    FilterName,
    Preset,
    Rule,
    load_preset,
    preset_for_language,
)
from saring.stages.quality.repetition import ngram_signals
from saring.stages.quality.words import Tokens, tokenize

_LINE_SIGNALS = (
    "dup_para_frac",
    "dup_para_char_frac",
    "dup_line_frac",
    "dup_line_char_frac",
    "hash_word_ratio",
    "ellipsis_word_ratio",
    "bullet_lines_ratio",
    "ellipsis_lines_ratio",
    "list_ratio",
    "line_punct_ratio",
    "short_line_ratio",
    "char_dup_ratio",
)
_C4_SIGNALS = ("c4_sentences", "c4_lorem_ipsum", "c4_curly_bracket")
_NGRAM_SIGNALS = (*(f"top_{n}gram_frac" for n in TOP_NGRAMS), *(f"dup_{n}gram_frac" for n in DUP_NGRAMS))


class QualityParams(StageParams):
    #: a language preset (``ind_Latn``: resources/languages/ind_Latn/quality.yaml) or ``auto``: each
    #: document's preset from its language label, else ``default_preset``
    preset: str = "auto"
    default_preset: str = DEFAULT_PRESET
    language_signal: str = "langid.language"
    score_signal: str = "langid.score"
    #: which model gave the label; when it is ``group_resolver`` (the close-language discriminator, whose
    #: score only ranks its classes against each other), the language score is instead
    #: ``group_share_signal``: the share of the text the first pass (lid.176) puts in that group
    resolver_signal: str = "langid.resolved_by"
    group_resolver: str = "discriminator"
    group_share_signal: str = "langid.main_language_share"
    #: switch filters on or off over the preset (``{c4: true}``)
    filters: dict[FilterName, bool] = Field(default_factory=dict)
    #: override preset thresholds (``{max_dup_line_frac: 0.3}``; null switches a check off)
    thresholds: dict[str, float | None] = Field(default_factory=dict)

    @field_validator("preset", "default_preset")
    @classmethod
    def _known_preset(cls, value: str, info: ValidationInfo) -> str:
        known = languages_with("quality")
        if value not in known and not (value == "auto" and info.field_name == "preset"):
            choices = ", ".join(["auto", *known] if info.field_name == "preset" else known)
            raise ValueError(f"no quality preset {value!r}; known: {choices}")
        return value

    @field_validator("thresholds")
    @classmethod
    def _known_thresholds(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        unknown = set(value) - THRESHOLD_NAMES
        if unknown:
            raise ValueError(f"unknown thresholds {sorted(unknown)}; known: {sorted(THRESHOLD_NAMES)}")
        return value


def _limit(preset: Preset, rule: Rule) -> float:
    """The preset's threshold for a rule, NaN when the rule is off (NaN never fails a comparison)."""
    threshold = preset.thresholds.get(rule.threshold)
    return np.nan if threshold is None or not preset.filters.get(rule.filter) else float(threshold)


def _clean(values: Sequence[float]) -> list[float | None]:
    return [None if value is None or math.isnan(value) else value for value in values]


@register
class Quality(Stage):
    """Heuristic quality filters sharing one word split per document; thresholds per language."""

    name = "quality"
    Params = QualityParams
    decide_params = frozenset({"thresholds"})

    def __init__(self, params: QualityParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._presets: dict[str, Preset] = {}

    def signal_schema(self) -> dict[str, pa.DataType]:
        schema: dict[str, pa.DataType] = {"preset": pa.string(), "language_score": pa.float32()}
        schema |= {
            "word_count": pa.int32(),
            "mean_word_length": pa.float32(),
            "alpha_words_ratio": pa.float32(),
        }
        schema["stop_words"] = pa.int32()
        schema |= {name: pa.float32() for name in (*_LINE_SIGNALS, *_NGRAM_SIGNALS)}
        schema |= {name: pa.int32() for name in _C4_SIGNALS}
        schema["placeholder_words_ratio"] = pa.float32()
        return schema

    def setup(self) -> None:
        self.preset(self.params.default_preset)
        if self.params.preset != "auto":
            self.preset(self.params.preset)

    def preset(self, name: str) -> Preset:
        """A preset with this stage's filter and threshold overrides applied."""
        preset = self._presets.get(name)
        if preset is None:
            preset = load_preset(name).with_overrides(dict(self.params.filters), dict(self.params.thresholds))
            self._presets[name] = preset
        return preset

    def _preset_names(self, docs: DocView) -> list[str]:
        if self.params.preset != "auto":
            return [self.params.preset] * len(docs)
        default = self.params.default_preset
        return [preset_for_language(label, default) for label in docs.signal(self.params.language_signal)]

    def _language_scores(self, docs: DocView, names: list[str]) -> list[float | None]:
        """How surely the document is in its preset's language: 0 when labelled with another language,
        None without a label; else the language model's score, or, when the close-language discriminator
        chose the label, the first pass's share of the text in the close group (the discriminator's
        probability says ind rather than zsm, not whether the text is language at all: an Indonesian
        article at ind 0.6 / zsm 0.4 is sure Malay-or-Indonesian text)."""
        labels = docs.signal(self.params.language_signal)
        scores = docs.signal(self.params.score_signal)
        resolvers = docs.signal(self.params.resolver_signal)
        shares = docs.signal(self.params.group_share_signal)
        by_group = self.params.group_resolver
        return [
            None
            if label is None or score is None
            else 0.0
            if label != name
            else float(share)
            if resolver == by_group and share is not None
            else float(score)
            for label, score, resolver, share, name in zip(
                labels, scores, resolvers, shares, names, strict=True
            )
        ]

    def _word_hits(
        self, tokens: Tokens, names: list[str], words_of: Callable[[Preset], frozenset[str]], distinct: bool
    ) -> np.ndarray:
        """Per document, how many of its tokens (``distinct``: how many different words) belong to its
        preset's word list (case-folded)."""
        found = np.zeros(len(names), dtype=np.int64)
        doc_of = np.repeat(np.arange(len(names)), tokens.counts)
        names_array = np.array(names, dtype=object)
        for name in set(names):
            words = sorted(words_of(self.preset(name)))
            if not words:
                continue
            token_word = tokens.vocabulary_index(words)[tokens.ids]
            in_doc = (token_word >= 0) & (names_array == name)[doc_of]
            if distinct:
                pairs = np.unique(doc_of[in_doc] * len(words) + token_word[in_doc])
                found += np.bincount(pairs // len(words), minlength=len(names))
            else:
                found += np.bincount(doc_of[in_doc], minlength=len(names))
        return found

    def measure(self, docs: DocView) -> Measured:
        names = self._preset_names(docs)
        presets = [self.preset(name) for name in names]
        texts = docs.texts
        tokens = tokenize(texts, [preset.word_segmenter for preset in presets])
        counts = tokens.counts
        is_word = tokens.is_word[tokens.ids]
        word_count = tokens.per_document_sum(is_word.astype(np.int64))
        word_chars = tokens.per_document_sum(np.where(is_word, tokens.length[tokens.ids], 0))
        letters = tokens.per_document_sum(tokens.has_letter[tokens.ids].astype(np.int64))
        filler_words = self._word_hits(tokens, names, lambda p: p.placeholder_words, distinct=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_word_length = word_chars / word_count
            alpha_words_ratio = letters / counts
            placeholder_ratio = filler_words / word_count
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        signals: dict[str, Sequence[Any]] = {
            "preset": names,
            "language_score": self._language_scores(docs, names),
            "word_count": word_count.tolist(),
            "mean_word_length": _clean(mean_word_length.tolist()),
            "alpha_words_ratio": _clean(alpha_words_ratio.tolist()),
            "stop_words": self._word_hits(tokens, names, lambda p: p.stop_words, distinct=True).tolist(),
            "placeholder_words_ratio": _clean(placeholder_ratio.tolist()),
        }
        ngrams = ngram_signals(tokens, lengths, TOP_NGRAMS, DUP_NGRAMS)
        signals |= {name: _clean(values.tolist()) for name, values in ngrams.items()}
        per_doc = [line_signals(text, n) for text, n in zip(texts, counts.tolist(), strict=True)]
        signals |= {name: [values[name] for values in per_doc] for name in _LINE_SIGNALS}
        c4_values: dict[str, list[int | None]] = {name: [None] * len(texts) for name in _C4_SIGNALS}
        removals: list[list[tuple[int, str]]] = [[] for _ in texts]
        for i, (text, preset) in enumerate(zip(texts, presets, strict=True)):
            if preset.filters.get("c4"):
                found, removals[i] = c4_signals(text, preset.c4_require_terminal_punct)
                for name, value in found.items():
                    c4_values[name][i] = value
        signals |= c4_values
        return Measured(signals=signals, line_removals=removals if any(removals) else None)

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        """The first failing check of each document's preset, in ``RULES`` order."""
        names, codes = np.unique(np.asarray(signals["preset"], dtype=object), return_inverse=True)
        presets = [self.preset(name) for name in names]
        reasons = np.full(len(codes), None, dtype=object)
        open_ = np.ones(len(codes), dtype=bool)
        for rule in RULES:
            limits = np.array([_limit(preset, rule) for preset in presets], dtype=np.float64)[codes]
            if np.isnan(limits).all():
                continue
            values = np.array(signals[rule.signal], dtype=np.float64)  # None -> NaN: never fails
            failing = open_ & ((values < limits) if rule.bound == "min" else (values > limits))
            reasons[failing] = rule.reason
            open_ &= ~failing
        return reasons.tolist()

    def thresholds(self) -> dict[str, float]:
        """Thresholds of the fixed preset (or the default one under ``auto``); the lower bound where
        a signal has both."""
        preset = self.preset(
            self.params.default_preset if self.params.preset == "auto" else self.params.preset
        )
        lines: dict[str, float] = {}
        for rule in RULES:
            threshold = preset.thresholds.get(rule.threshold)
            if threshold is not None and preset.filters.get(rule.filter):
                lines.setdefault(rule.signal, float(threshold))
        return lines
