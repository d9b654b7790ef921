"""Line-level boilerplate removal with per-language whole-line patterns.

Each ``languages/<code>/boilerplate.yaml`` lists ``rules: {reason: regex}``; a line is boilerplate when,
stripped, it is at most ``max_line_chars`` long and one rule's pattern matches it whole
(case-insensitive). Removed lines are recorded with the reason ``boilerplate:<reason>``, so every
removal can be audited. The stage removes no documents.

Some scrapers glue a site's trailer to the article's last sentence ("...katanya.Ikuti Whatsapp Channel
Republika"). A file's ``glued: {reason: regex}`` rules match such a trailer at the end of a line, right
after a sentence's closing punctuation: the stage breaks the line there and removes the trailer as a line
of its own, with its reason. The article text before it is kept as it was.
"""

from __future__ import annotations

from functools import cached_property

import pyarrow as pa
import regex

from saring.core.registry import register
from saring.core.stage import DocView, Measured, PositiveCount, Stage, StageParams
from saring.resources import language_resource


class BoilerplateParams(StageParams):
    languages: tuple[str, ...] = ("ind_Latn", "zsm_Latn", "eng_Latn")
    max_line_chars: PositiveCount = 250


#: A glued trailer starts after a sentence's closing punctuation (matched, not looked behind: a leading
#: character class keeps the regex engine's fast scan), with or without spaces.
_SENTENCE_END = r"[.!?\"”’)][ \t]*"


def compile_rules(languages: tuple[str, ...], section: str = "rules") -> tuple[regex.Pattern, dict[str, str]]:
    """One alternation of every language's rules of ``section`` (``rules`` or ``glued``), and group name
    -> reason."""
    alternatives, reasons = [], {}
    for code in languages:
        data = language_resource(code, "boilerplate")
        if data is None:
            raise ValueError(
                f"no boilerplate rules for language {code!r} (languages/{code}/boilerplate.yaml)"
            )
        for reason, pattern in (data.get(section) or {}).items():
            group = f"r{len(reasons)}"
            reasons[group] = f"boilerplate:{reason}"
            alternatives.append(f"(?P<{group}>{pattern})")
    return regex.compile("|".join(alternatives) or r"(?!)", regex.IGNORECASE), reasons


@register
class Boilerplate(Stage):
    name = "boilerplate"
    Params = BoilerplateParams

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"lines_removed": pa.int32()}

    def setup(self) -> None:
        _ = self.rules, self.glued, self.glued_cues

    @cached_property
    def rules(self) -> tuple[regex.Pattern, dict[str, str]]:
        return compile_rules(self.params.languages)

    @cached_property
    def glued(self) -> tuple[regex.Pattern, dict[str, str]]:
        """Trailers glued to a line's last sentence: matched from after its punctuation to the line end."""
        pattern, reasons = compile_rules(self.params.languages, "glued")
        # one scan of the whole text finds them (``$`` at each line end), not a search per line
        glued = f"{_SENTENCE_END}(?:{pattern.pattern})[ \t]*$"
        return regex.compile(glued, pattern.flags | regex.MULTILINE), reasons

    @cached_property
    def glued_cues(self) -> tuple[str, ...] | None:
        """Words one of which a text must hold for the glued rules to be tried on it (``glued_cues`` of
        each language file; None, so always, when a language has glued rules but names no cues)."""
        cues: list[str] = []
        for code in self.params.languages:
            data = language_resource(code, "boilerplate") or {}
            if data.get("glued") and not data.get("glued_cues"):
                return None
            cues += [str(cue).lower() for cue in data.get("glued_cues") or ()]
        return tuple(cues)

    def line_reasons(self, text: str) -> tuple[str, list[tuple[int, str]]]:
        """``text`` with glued trailers broken onto lines of their own, and ``(line index, reason)`` of
        every boilerplate line of it. A line that is boilerplate as a whole stays whole."""
        glued, glued_reasons = self.glued
        trailers: dict[int, tuple[int, str]] = {}  # line index -> (trailer start in the line, reason group)
        cues = self.glued_cues
        lowered = text.lower() if cues else ""
        matches = glued.finditer(text) if cues is None or any(cue in lowered for cue in cues) else ()
        for match in matches:
            group = next(name for name in glued_reasons if match.group(name) is not None)
            line_start = text.rfind("\n", 0, match.start()) + 1
            trailers[text.count("\n", 0, match.start())] = (match.start(group) - line_start, group)
        lines: list[str] = []
        found: list[tuple[int, str]] = []
        for index, line in enumerate(text.split("\n")):
            reason = self._whole_line_reason(line)
            if reason is None and index in trailers:
                start, group = trailers[index]
                head = line[:start].rstrip(" \t")
                reason = self._whole_line_reason(head)
                if reason is not None:
                    found.append((len(lines), reason))
                lines.append(head)
                found.append((len(lines), glued_reasons[group]))
                lines.append(line[start:].strip())
                continue
            if reason is not None:
                found.append((len(lines), reason))
            lines.append(line)
        return ("\n".join(lines) if trailers else text), found  # without a trailer, the text as it was

    def _whole_line_reason(self, line: str) -> str | None:
        pattern, reasons = self.rules
        stripped = line.strip()
        if not stripped or len(stripped) > self.params.max_line_chars:
            return None
        match = pattern.fullmatch(stripped)
        return None if match is None else reasons[match.lastgroup]

    def measure(self, docs: DocView) -> Measured:
        results = [self.line_reasons(text) for text in docs.texts]
        texts = [text for text, _ in results]
        removals = [found for _, found in results]
        return Measured(
            signals={"lines_removed": [len(r) for r in removals]},
            texts=texts if texts != list(docs.texts) else None,
            line_removals=removals,
        )
