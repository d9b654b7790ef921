"""Line-level boilerplate removal with per-language whole-line patterns.

Each ``languages/<code>/boilerplate.yaml`` lists ``rules: {reason: regex}``; a line is boilerplate when,
stripped, it is at most ``max_line_chars`` long and one rule's pattern matches it whole
(case-insensitive). Removed lines are recorded with the reason ``boilerplate:<reason>``, so every
removal can be audited. The stage removes no documents.
"""

from __future__ import annotations

from functools import cached_property

import pyarrow as pa
import regex

from saring.core.registry import register
from saring.core.stage import DocView, Measured, Stage, StageParams
from saring.resources import language_resource


class BoilerplateParams(StageParams):
    languages: tuple[str, ...] = ("ind_Latn", "zsm_Latn", "eng_Latn")
    max_line_chars: int = 250


def compile_rules(languages: tuple[str, ...]) -> tuple[regex.Pattern, dict[str, str]]:
    """One alternation of every language's rules, and group name -> reason."""
    alternatives, reasons = [], {}
    for code in languages:
        data = language_resource(code, "boilerplate")
        if data is None:
            raise ValueError(
                f"no boilerplate rules for language {code!r} (languages/{code}/boilerplate.yaml)"
            )
        for reason, pattern in data["rules"].items():
            group = f"r{len(reasons)}"
            reasons[group] = f"boilerplate:{reason}"
            alternatives.append(f"(?P<{group}>{pattern})")
    return regex.compile("|".join(alternatives), regex.IGNORECASE), reasons


@register
class Boilerplate(Stage):
    name = "boilerplate"
    Params = BoilerplateParams

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"lines_removed": pa.int32()}

    def setup(self) -> None:
        _ = self.rules

    @cached_property
    def rules(self) -> tuple[regex.Pattern, dict[str, str]]:
        return compile_rules(self.params.languages)

    def line_reasons(self, text: str) -> list[tuple[int, str]]:
        """``(line index, reason)`` of every boilerplate line of ``text``."""
        pattern, reasons = self.rules
        found = []
        for i, line in enumerate(text.split("\n")):
            line = line.strip()
            if not line or len(line) > self.params.max_line_chars:
                continue
            match = pattern.fullmatch(line)
            if match is not None:
                found.append((i, reasons[match.lastgroup]))
        return found

    def measure(self, docs: DocView) -> Measured:
        removals = [self.line_reasons(text) for text in docs.texts]
        return Measured(signals={"lines_removed": [len(r) for r in removals]}, line_removals=removals)
