"""Stage ``gambling``: score every line for gambling promotion, strip spam lines, drop promotion pages.

Per document, every line is folded (:mod:`.folding`) and scored by the line classifier (:mod:`.model`);
the scores are calibrated probabilities. Lines stripped (reason, audit trail in ``removed_lines``):

- ``gambling_spam_line``: a line scored at or above ``line_threshold`` (``reporting_threshold`` when
  it uses the vocabulary of reporting on gambling, ``resources/gambling/reporting.yaml``: police, trials,
  blocking, addiction);
- ``gambling_spam_edge``: at the head or tail of the page, a run of short lines that are gambling spam
  by the lower ``edge_threshold`` or by shape (``resources/gambling/edge_spam.yaml``: a bare keyword line,
  ``By <brand88>``, a brand handle, a daftar/login/link-alternatif line with a gambling word).

A page is removed as ``gambling_promotion`` when promotion dominates it (``doc_score``, the
character-weighted mean line probability, i.e. the expected share of promotion text, reaches
``doc_threshold``) or when too little is left once its spam lines are stripped (``clean_words``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import regex
import yaml

from saring.core.registry import register
from saring.core.stage import DocView, Measured, Stage, StageParams
from saring.resources import resource_path
from saring.stages.gambling.folding import fold, translation_table
from saring.stages.gambling.model import GamblingModel

SPAM_LINE = "gambling_spam_line"
SPAM_EDGE = "gambling_spam_edge"


class GamblingParams(StageParams):
    line_threshold: float = 0.5
    reporting_threshold: float = 0.95
    edge_threshold: float = 0.3
    doc_threshold: float = 0.5
    min_clean_words: int = 20
    strip_lines: bool = True


class EdgeSpamRules:
    """Shapes of short gambling-spam lines at a page's head or tail (on folded lines)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.keywords = frozenset(str(w) for w in data["keywords"])
        self.context = frozenset(str(w) for w in data["context_words"])
        self.handle = regex.compile(rf"^{data['handle']}$")
        self.byline = regex.compile(rf"^by {data['handle']}$")
        self.calls = regex.compile(data["calls"])
        self.max_words = int(data["max_words"])

    def matches(self, folded_line: str) -> bool:
        words = folded_line.split()
        if not words or len(words) > self.max_words:
            return False
        gambling = [w in self.keywords or self.handle.match(w) is not None for w in words]
        if any(gambling) and all(g or w in self.context for g, w in zip(gambling, words, strict=True)):
            return True
        line = " ".join(words)
        return self.byline.match(line) is not None or (any(gambling) and self.calls.search(line) is not None)


def _edge_run(spam: Sequence[bool], blank: Sequence[bool], order: range) -> list[int]:
    """Indices of the run of spam lines from one end of the page (blank lines pass through)."""
    run = []
    for i in order:
        if blank[i]:
            continue
        if not spam[i]:
            break
        run.append(i)
    return run


@register
class Gambling(Stage):
    name = "gambling"
    Params = GamblingParams

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {
            "doc_score": pa.float32(),
            "max_line_score": pa.float32(),
            "line_scores": pa.list_(pa.float32()),
            "spam_lines": pa.int32(),
            "clean_words": pa.int32(),
        }

    def thresholds(self) -> dict[str, float]:
        return {"doc_score": self.params.doc_threshold, "max_line_score": self.params.line_threshold}

    def setup(self) -> None:
        translation_table()
        _ = self.model, self.edge_rules, self.reporting_words

    @cached_property
    def model(self) -> GamblingModel:
        return GamblingModel.load(resource_path("models", "gambling", "model.npz"))

    @cached_property
    def reporting_words(self) -> frozenset[str]:
        with resource_path("gambling", "reporting.yaml").open(encoding="utf-8") as handle:
            return frozenset(yaml.safe_load(handle)["words"])

    @cached_property
    def edge_rules(self) -> EdgeSpamRules:
        with resource_path("gambling", "edge_spam.yaml").open(encoding="utf-8") as handle:
            return EdgeSpamRules(yaml.safe_load(handle))

    def score_lines(self, texts: Sequence[str]) -> list[tuple[list[str], np.ndarray]]:
        """Per text: its folded lines and their promotion probabilities (0 for blank lines)."""
        folded = [[" ".join(line.split()) for line in fold(text).split("\n")] for text in texts]
        flat = [line for lines in folded for line in lines]
        probabilities = self.model.probabilities(flat)
        probabilities[[not line for line in flat]] = 0.0
        bounds = np.cumsum([0] + [len(lines) for lines in folded])
        return [
            (lines, probabilities[a:b]) for lines, a, b in zip(folded, bounds[:-1], bounds[1:], strict=True)
        ]

    def spam_lines(self, folded: list[str], scores: np.ndarray) -> list[tuple[int, str]]:
        p = self.params
        blank = [not line for line in folded]
        reporting = np.array(
            [not self.reporting_words.isdisjoint(line.split()) for line in folded], dtype=bool
        )
        edge = [
            (s >= p.edge_threshold and not r) or self.edge_rules.matches(line)
            for line, s, r in zip(folded, scores, reporting, strict=True)
        ]
        threshold = np.where(reporting, p.reporting_threshold, p.line_threshold)
        found = {i: SPAM_LINE for i in np.flatnonzero(scores >= threshold).tolist()}
        for i in _edge_run(edge, blank, range(len(folded))) + _edge_run(
            edge, blank, range(len(folded) - 1, -1, -1)
        ):
            found.setdefault(i, SPAM_EDGE)
        return sorted(found.items())

    def measure(self, docs: DocView) -> Measured:
        signals: dict[str, list[Any]] = {name: [] for name in self.signal_schema()}
        removals: list[list[tuple[int, str]]] = []
        for text, (folded, scores) in zip(docs.texts, self.score_lines(docs.texts), strict=True):
            lengths = np.array([len(line) for line in folded], dtype=np.float64)
            doc_score = float(scores @ lengths / lengths.sum()) if lengths.sum() else 0.0
            spam = self.spam_lines(folded, scores)
            dropped = {i for i, _ in spam}
            clean_words = sum(
                len(line.split()) for i, line in enumerate(text.split("\n")) if i not in dropped
            )
            signals["doc_score"].append(doc_score)
            signals["max_line_score"].append(float(scores.max()) if len(scores) else 0.0)
            signals["line_scores"].append([round(float(s), 4) for s in scores])
            signals["spam_lines"].append(len(spam))
            signals["clean_words"].append(clean_words)
            removed = self._removal(doc_score, len(spam), clean_words) is not None
            removals.append(spam if self.params.strip_lines and not removed else [])
        return Measured(signals=signals, line_removals=removals)

    def _removal(self, doc_score: float, spam_lines: int, clean_words: int) -> str | None:
        p = self.params
        if doc_score >= p.doc_threshold or (spam_lines and clean_words < p.min_clean_words):
            # promotion dominates, or what is left once spam lines are stripped is no real document
            return "gambling_promotion"
        return None

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        return [
            self._removal(score, spam, words)
            for score, spam, words in zip(
                signals["doc_score"], signals["spam_lines"], signals["clean_words"], strict=True
            )
        ]
