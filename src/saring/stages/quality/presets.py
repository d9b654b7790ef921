"""Per-language quality presets: which filters run, the word segmenter, stop words and thresholds.

A preset is ``resources/languages/<code>/quality.yaml``; the ``und`` (undetermined language) preset
holds the defaults every other preset starts from, so a language file names only what differs.
Thresholds are named ``min_<signal>`` / ``max_<signal>``; a null threshold switches that check off.
Where this project re-tuned a published threshold, ``fineweb2_thresholds`` keeps the published value
(``eval/quality.py`` compares both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal

from saring.resources import language_resource

DEFAULT_PRESET = "und"
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:_[A-Z][a-z]{3})?")  # ind, ind_Latn: never a path
FilterName = Literal["language", "placeholder", "gopher_repetition", "gopher_quality", "fineweb", "c4"]
FILTERS: tuple[FilterName, ...] = (
    "language",
    "placeholder",
    "gopher_repetition",
    "gopher_quality",
    "fineweb",
    "c4",
)


@dataclass(frozen=True)
class Rule:
    """One check: ``filter`` removes a document when ``signal`` is below a min or above a max threshold."""

    filter: FilterName
    signal: str
    bound: Literal["min", "max"]

    @property
    def threshold(self) -> str:
        return f"{self.bound}_{self.signal}"

    @property
    def reason(self) -> str:
        return f"{self.filter}:{self.signal}"


TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)

# In the order the reference pipeline applies them (FineWeb-2: language score, Gopher repetition,
# FineWeb quality, Gopher quality; C4 last), template placeholder text right after the language score;
# the first failing check names the removal reason.
RULES: tuple[Rule, ...] = (
    Rule("language", "language_score", "min"),
    Rule("placeholder", "placeholder_words_ratio", "max"),
    *(
        Rule("gopher_repetition", signal, "max")
        for signal in (
            "dup_para_frac",
            "dup_para_char_frac",
            "dup_line_frac",
            "dup_line_char_frac",
            *(f"top_{n}gram_frac" for n in TOP_NGRAMS),
            *(f"dup_{n}gram_frac" for n in DUP_NGRAMS),
        )
    ),
    Rule("fineweb", "line_punct_ratio", "min"),
    Rule("fineweb", "short_line_ratio", "max"),
    Rule("fineweb", "char_dup_ratio", "max"),
    Rule("fineweb", "list_ratio", "max"),
    Rule("gopher_quality", "word_count", "min"),
    Rule("gopher_quality", "word_count", "max"),
    Rule("gopher_quality", "mean_word_length", "min"),
    Rule("gopher_quality", "mean_word_length", "max"),
    Rule("gopher_quality", "hash_word_ratio", "max"),
    Rule("gopher_quality", "ellipsis_word_ratio", "max"),
    Rule("gopher_quality", "bullet_lines_ratio", "max"),
    Rule("gopher_quality", "ellipsis_lines_ratio", "max"),
    Rule("gopher_quality", "alpha_words_ratio", "min"),
    Rule("gopher_quality", "stop_words", "min"),
    Rule("c4", "c4_lorem_ipsum", "max"),
    Rule("c4", "c4_curly_bracket", "max"),
    Rule("c4", "c4_sentences", "min"),
)
THRESHOLD_NAMES = frozenset(rule.threshold for rule in RULES)


@dataclass(frozen=True)
class Preset:
    name: str
    source: str
    word_segmenter: str
    filters: dict[str, bool]
    stop_words: frozenset[str]
    #: words of template filler text ("lorem ipsum dolor sit amet, consectetur adipiscing elit ...")
    placeholder_words: frozenset[str]
    thresholds: dict[str, float | None]
    c4_require_terminal_punct: bool
    published: dict[str, float | None] = field(default_factory=dict)

    def with_overrides(self, filters: dict[str, bool], thresholds: dict[str, float | None]) -> Preset:
        if not filters and not thresholds:
            return self
        return replace(
            self, filters={**self.filters, **filters}, thresholds={**self.thresholds, **thresholds}
        )


def _check(name: str, data: dict[str, Any]) -> None:
    unknown = (set(data.get("thresholds", {})) | set(data.get("fineweb2_thresholds", {}))) - THRESHOLD_NAMES
    if unknown:
        raise ValueError(f"quality preset {name}: unknown thresholds {sorted(unknown)}")
    bad_filters = set(data.get("filters", {})) - set(FILTERS)
    if bad_filters:
        raise ValueError(f"quality preset {name}: unknown filters {sorted(bad_filters)}")


@cache
def load_preset(name: str) -> Preset:
    """The preset of a language code (``ind_Latn``), merged over the default preset."""
    base = language_resource(DEFAULT_PRESET, "quality")
    if base is None:
        raise FileNotFoundError("the default quality preset (languages/und/quality.yaml) is missing")
    data = base if name == DEFAULT_PRESET else language_resource(name, "quality")
    if data is None:
        raise KeyError(f"no quality preset for {name!r} (add resources/languages/{name}/quality.yaml)")
    _check(name, data)
    return Preset(
        name=name,
        source=data.get("source", base.get("source", "")),
        word_segmenter=data.get("word_segmenter", base["word_segmenter"]),
        filters={**base["filters"], **data.get("filters", {})},
        stop_words=frozenset(w.lower() for w in data.get("stop_words", base.get("stop_words", []))),
        placeholder_words=frozenset(
            w.lower() for w in data.get("placeholder_words", base.get("placeholder_words", []))
        ),
        thresholds={**base["thresholds"], **data.get("thresholds", {})},
        c4_require_terminal_punct=data.get(
            "c4_require_terminal_punct", base.get("c4_require_terminal_punct", True)
        ),
        published=data.get("fineweb2_thresholds", {}),
    )


@cache
def preset_for_language(language: str | None, default: str) -> str:
    """The preset name for a document's language label, or ``default`` when there is none for it."""
    if language and _LANGUAGE_CODE.fullmatch(language) and language_resource(language, "quality") is not None:
        return language
    return default
