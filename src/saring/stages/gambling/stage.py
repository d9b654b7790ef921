"""Stage ``gambling``: score every line for gambling promotion, strip spam lines, drop promotion pages.

Every line of every document is folded (:mod:`.folding`) and scored by the line classifier
(:mod:`.model`); the scores are calibrated probabilities. Folding, hashing, scoring and word counts run
once per batch over the joined text (numpy), so no line is skipped and per-line Python work is limited
to the few candidate spam lines and the head and tail of each page.

Lines stripped (reason, audit trail in ``removed_lines``):

- ``gambling_spam_line``: a line scored at or above ``line_threshold`` (``reporting_threshold`` when
  it uses the vocabulary of reporting on gambling, ``resources/gambling/reporting.yaml``: police, trials,
  blocking, addiction);
- ``gambling_spam_edge``: at the head or tail of the page, a run of short lines that are gambling spam
  by the lower ``edge_threshold`` or by shape (``resources/gambling/edge_spam.yaml``: a bare keyword line,
  ``By <brand88>``, a brand handle, a daftar/login/link-alternatif line with a gambling word).

A long line that scores as spam but opens with article sentences (a link farm glues "Daftar sekarang di
situs slot88 gacor ..." onto a paragraph's last sentence) is first cut into sentences; when its spam is
a trailing run after at least ``MIN_SPLIT_WORDS`` words of clean sentences, that run is put on a line
of its own (the text is rewritten, in dry runs too; nothing is split without ``strip_lines``) and only
it is stripped.

A page is removed as ``gambling_promotion`` when promotion dominates it (``doc_score``, the
character-weighted mean line probability, i.e. the expected share of promotion text, reaches
``doc_threshold``) or when too little is left once its spam lines are stripped (``clean_words``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import regex

from saring.core.registry import register
from saring.core.stage import Count, DocView, Measured, Probability, Stage, StageParams
from saring.resources import resource_path, resource_yaml
from saring.stages.gambling.folding import code_point_table, code_points, fold_code_points
from saring.stages.gambling.model import GamblingModel

SPAM_LINE = "gambling_spam_line"
SPAM_EDGE = "gambling_spam_edge"
#: A spam line of at least this many words is cut into sentences, in case only some of them are spam.
MIN_SPLIT_WORDS = 15
#: A sentence ends at ".", "!" or "?" (and closing quotes) followed by a space.
_SENTENCE_END = regex.compile(r"(?<=[.!?][\"'”’)]*)\s+(?=\S)")


class GamblingParams(StageParams):
    line_threshold: Probability = 0.5
    reporting_threshold: Probability = 0.95
    edge_threshold: Probability = 0.3
    doc_threshold: Probability = 0.5
    min_clean_words: Count = 20
    strip_lines: bool = True
    #: A line with no gambling cue (keyword, call to action, brand-with-digits handle) is stripped only at
    #: ``reporting_threshold``: article lines about islands, football or photography look like spam to
    #: the model but never name a game, a site or a deposit.
    require_cue: bool = True


class EdgeSpamRules:
    """Shapes of short gambling-spam lines at a page's head or tail (on folded lines)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.keywords = frozenset(str(w) for w in data["keywords"])
        self.context = frozenset(str(w) for w in data["context_words"])
        self.keyword_context = frozenset(str(w) for w in data.get("keyword_context_words", ()))
        self.handle = regex.compile(rf"^{data['handle']}$")
        self.byline = regex.compile(rf"^by {data['handle']}$")
        self.calls = regex.compile(data["calls"])
        self.numbered_handle = regex.compile(rf"^{data['numbered_handle']}$")
        self.max_words = int(data["max_words"])

    def has_cue(self, folded_line: str) -> bool:
        """A gambling keyword, a call to action or a brand-with-digits handle anywhere in the line."""
        words = folded_line.split()
        return (
            any(w in self.keywords or self.numbered_handle.match(w) is not None for w in words)
            or self.calls.search(folded_line) is not None
        )

    def matches(self, folded_line: str) -> bool:
        words = folded_line.split()
        if not words or len(words) > self.max_words:
            return False
        gambling = [w in self.keywords or self.handle.match(w) is not None for w in words]
        context = self.context | self.keyword_context if self.keywords.intersection(words) else self.context
        if any(gambling) and all(g or w in context for g, w in zip(gambling, words, strict=True)):
            return True
        line = " ".join(words)
        return self.byline.match(line) is not None or (any(gambling) and self.calls.search(line) is not None)


@cache
def _whitespace() -> np.ndarray:
    """``chr(c).isspace()`` for every code point up to U+3000, the last whitespace character, and one more."""
    return np.array([chr(c).isspace() for c in range(0x3002)])


def words_per_line(code: np.ndarray) -> np.ndarray:
    """``len(line.split())`` for each line (``text.split("\\n")``) of the text with code points ``code``."""
    whitespace = _whitespace()
    space = whitespace[np.minimum(code, len(whitespace) - 1)]
    word_starts = np.flatnonzero(~space & np.concatenate(([True], space[:-1])))
    line_ends = np.concatenate(([0], np.flatnonzero(code == ord("\n")), [len(code)]))
    return np.diff(np.searchsorted(word_starts, line_ends))


@dataclass(frozen=True)
class ScoredLines:
    """The lines of a batch of documents: folded, scored, and where each document's lines are."""

    folded: list[str]
    #: calibrated promotion probability of each line (0 for lines that fold to nothing)
    scores: np.ndarray
    #: words of each (original) line, as ``len(line.split())``
    words: np.ndarray
    #: document ``d`` has lines ``bounds[d]:bounds[d + 1]``
    bounds: np.ndarray


@register
class Gambling(Stage):
    name = "gambling"
    Params = GamblingParams
    decide_params = frozenset({"doc_threshold", "min_clean_words"})

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
        code_point_table()
        _whitespace()
        _ = self.model, self.edge_rules, self.reporting_words

    @cached_property
    def model(self) -> GamblingModel:
        return GamblingModel.load(resource_path("models", "gambling", "model.npz"))

    @cached_property
    def reporting_words(self) -> frozenset[str]:
        return frozenset(resource_yaml("gambling", "reporting.yaml")["words"])

    @cached_property
    def edge_rules(self) -> EdgeSpamRules:
        return EdgeSpamRules(resource_yaml("gambling", "edge_spam.yaml"))

    def score_lines(self, texts: Sequence[str]) -> ScoredLines:
        """All lines of ``texts`` folded, scored and their words counted at once (blank lines score 0)."""
        if not texts:
            return ScoredLines([], np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64))
        code = code_points("\n".join(texts))
        folded_text = fold_code_points(code)
        folded = folded_text.split("\n")
        scores = self.model.text_probabilities(folded_text)
        scores[[not line for line in folded]] = 0.0
        bounds = np.cumsum([0] + [text.count("\n") + 1 for text in texts])
        return ScoredLines(folded, scores, words_per_line(code), bounds)

    def _is_reporting(self, folded_line: str) -> bool:
        return not self.reporting_words.isdisjoint(folded_line.split())

    def _line_threshold(self, folded_line: str) -> float:
        p = self.params
        if self._is_reporting(folded_line) or (p.require_cue and not self.edge_rules.has_cue(folded_line)):
            return p.reporting_threshold
        return p.line_threshold

    def _edge_run(self, lines: ScoredLines, order: range) -> list[int]:
        """The run of edge-spam lines from one end of a document (blank lines pass through)."""
        run = []
        for i in order:
            line, score = lines.folded[i], lines.scores[i]
            if not line:
                continue
            short = len(line.split()) <= self.edge_rules.max_words
            threshold = self.params.edge_threshold if short else self.params.line_threshold
            spam = score >= threshold and not self._is_reporting(line)
            if not (spam or self.edge_rules.matches(line)):
                break
            run.append(i)
        return run

    def spam_lines(self, lines: ScoredLines, doc: int) -> list[tuple[int, str]]:
        """``(line index in the document, reason)`` of the document's spam lines."""
        p = self.params
        first, end = int(lines.bounds[doc]), int(lines.bounds[doc + 1])
        scores = lines.scores[first:end]
        candidates = np.flatnonzero(scores >= min(p.line_threshold, p.reporting_threshold)) + first
        found = {
            i: SPAM_LINE
            for i in candidates.tolist()
            if lines.scores[i] >= self._line_threshold(lines.folded[i])
        }
        for i in self._edge_run(lines, range(first, end)) + self._edge_run(
            lines, range(end - 1, first - 1, -1)
        ):
            found.setdefault(i, SPAM_EDGE)
        return sorted((i - first, reason) for i, reason in found.items())

    def _separate_spam_sentences(
        self, texts: list[str], lines: ScoredLines, spam_by_doc: list[list[tuple[int, str]]]
    ) -> dict[int, str]:
        """The rewritten texts (by document) whose mixed spam lines (``spam_by_doc``, from
        :meth:`spam_lines`) got their trailing spam sentences on a line of their own."""
        if not self.params.strip_lines:
            return {}
        mixed: list[tuple[int, int, list[str]]] = []  # (document, line index in it, sentences)
        for doc, spam_lines in enumerate(spam_by_doc):
            first, doc_lines = int(lines.bounds[doc]), None
            for i, reason in spam_lines:
                if reason == SPAM_LINE and lines.words[first + i] >= MIN_SPLIT_WORDS:
                    doc_lines = doc_lines or texts[doc].split("\n")
                    sentences = _SENTENCE_END.split(doc_lines[i].strip())
                    if len(sentences) > 1:
                        mixed.append((doc, i, sentences))
        if not mixed:
            return {}
        scored = self.score_lines([sentence for _, _, sentences in mixed for sentence in sentences])
        split_lines: dict[int, list[str]] = {}
        position = 0
        for doc, i, sentences in mixed:
            spam = [self._sentence_is_spam(scored, position + k) for k in range(len(sentences))]
            article = spam.index(True) if any(spam) else len(spam)  # the sentences before the first spam one
            article_words = int(scored.words[position : position + article].sum())
            position += len(sentences)
            # only a trailing run of spam after article sentences: a spam comment that opens with a brand
            # and goes on with harmless praise stays whole
            if all(spam[article:]) and article_words >= MIN_SPLIT_WORDS:
                doc_lines = split_lines.setdefault(doc, texts[doc].split("\n"))
                doc_lines[i] = " ".join(sentences[:article]) + "\n" + " ".join(sentences[article:])
        return {doc: "\n".join(doc_lines) for doc, doc_lines in split_lines.items()}

    def _rescored(self, lines: ScoredLines, texts: list[str], changed: dict[int, str]) -> ScoredLines:
        """``lines`` with the lines of the ``changed`` documents scored again (the others as they were)."""
        order = sorted(changed)
        new = self.score_lines([changed[doc] for doc in order])
        where = {doc: (new, k) for k, doc in enumerate(order)}
        folded: list[str] = []
        scores, words, counts = [], [], []
        for doc in range(len(texts)):
            source, k = where.get(doc, (lines, doc))
            a, b = int(source.bounds[k]), int(source.bounds[k + 1])
            folded += source.folded[a:b]
            scores.append(source.scores[a:b])
            words.append(source.words[a:b])
            counts.append(b - a)
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return ScoredLines(folded, np.concatenate(scores), np.concatenate(words), bounds)

    def _sentence_is_spam(self, scored: ScoredLines, k: int) -> bool:
        """A sentence of a mixed line stays with the article only when nothing in it looks like spam: a low
        score (below ``edge_threshold``) and no gambling cue (spam comments mix cue-less sentences in)."""
        folded = scored.folded[k]
        return scored.scores[k] >= self.params.edge_threshold or self.edge_rules.has_cue(folded)

    def measure(self, docs: DocView) -> Measured:
        texts = list(docs.texts)
        lines = self.score_lines(texts)
        spam_by_doc = [self.spam_lines(lines, doc) for doc in range(len(texts))]
        changed = self._separate_spam_sentences(texts, lines, spam_by_doc)
        if changed:
            lines = self._rescored(lines, texts, changed)
            texts = [changed.get(doc, text) for doc, text in enumerate(texts)]
            for doc in changed:
                spam_by_doc[doc] = self.spam_lines(lines, doc)
        docs_of_lines = np.repeat(np.arange(len(docs.texts)), np.diff(lines.bounds))
        lengths = np.fromiter(map(len, lines.folded), dtype=np.float64, count=len(lines.folded))
        folded_chars = np.bincount(docs_of_lines, weights=lengths, minlength=len(docs.texts))
        promotion_chars = np.bincount(
            docs_of_lines, weights=lines.scores * lengths, minlength=len(docs.texts)
        )
        doc_scores = np.divide(
            promotion_chars, folded_chars, out=np.zeros(len(docs.texts)), where=folded_chars > 0
        )
        rounded = np.round(lines.scores, 4)
        starts = lines.bounds[:-1]
        signals: dict[str, list[Any]] = {
            "doc_score": doc_scores.tolist(),
            "max_line_score": np.maximum.reduceat(lines.scores, starts).tolist() if len(starts) else [],
            "line_scores": [rounded[a:b].tolist() for a, b in zip(starts, lines.bounds[1:], strict=True)],
            "spam_lines": [],
            "clean_words": [],
        }
        removals: list[list[tuple[int, str]]] = []
        doc_words = np.add.reduceat(lines.words, starts).tolist() if len(starts) else []
        for first, words, spam in zip(starts.tolist(), doc_words, spam_by_doc, strict=True):
            clean_words = words - sum(int(lines.words[first + i]) for i, _ in spam)
            signals["spam_lines"].append(len(spam))
            signals["clean_words"].append(clean_words)
            # recorded even for a page that goes: the runner leaves a removed page whole, and a dry run
            # keeps them for ``saring decide`` under another doc_threshold
            removals.append(spam if self.params.strip_lines else [])
        return Measured(signals=signals, texts=texts if changed else None, line_removals=removals)

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
