"""Unicode repair and normalization: mojibake (ftfy), line breaks, control characters, NFC/NFKC."""

from __future__ import annotations

import unicodedata
from typing import Literal

import ftfy
import pyarrow as pa
import regex

from saring.core.registry import register
from saring.core.stage import DocView, Measured, Stage, StageParams

# C0/C1 control characters except tab and newline, plus other invisible format noise that never
# carries meaning in running text: BOM, object replacement, and soft hyphens (hyphenation hints that
# split words for every later stage: "ter\u00adsebut"; 3,744 lines of the Malaysian news dev file have them).
_CONTROL = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\ufeff\ufffc]")
# Cheap test for UTF-8 read as Latin-1/cp1252: a lead byte (Â..ô) followed by what a continuation
# byte (0x80-0xBF) decodes to. Only texts that match pay for ftfy's full analysis.
_MOJIBAKE_HINT = regex.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


class NormalizeParams(StageParams):
    fix_mojibake: bool = True
    unicode_form: Literal["NFC", "NFKC", "none"] = "NFC"
    remove_control_characters: bool = True


@register
class Normalize(Stage):
    """Repairs text so later stages see it as a reader would; records whether anything changed."""

    name = "normalize"
    Params = NormalizeParams

    def __init__(self, params: NormalizeParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._ftfy = ftfy.TextFixerConfig(
            unescape_html=False,
            uncurl_quotes=False,
            fix_latin_ligatures=False,
            fix_character_width=False,
            explain=False,
            normalization=None,
        )

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"changed": pa.bool_()}

    def _fix(self, text: str) -> str:
        p = self.params
        fixed = text.replace("\r\n", "\n").replace("\r", "\n")
        if p.fix_mojibake and not fixed.isascii() and _MOJIBAKE_HINT.search(fixed):
            fixed = ftfy.fix_text(fixed, self._ftfy)
        if p.remove_control_characters:
            fixed = _CONTROL.sub("", fixed)
        if p.unicode_form != "none" and not fixed.isascii():
            fixed = unicodedata.normalize(p.unicode_form, fixed)
        return fixed

    def measure(self, docs: DocView) -> Measured:
        texts = [self._fix(text) for text in docs.texts]
        changed = [new != old for new, old in zip(texts, docs.texts, strict=True)]
        return Measured(signals={"changed": changed}, texts=texts)
