"""Folding for matching: styled, look-alike and spaced-out text -> plain lowercase, for detection only.

``fold("𝔭𝔲𝔩𝔞𝔲𝟽𝟽𝟽 g4cor s l o t")`` -> ``"pulau777 gacor slot"``.
Steps, all in C (``str.translate``, ``regex``):

1. one translation table over every code point: compatibility decomposition (NFKD: mathematical
   alphanumerics, fullwidth, circled, squared, superscripts), combining marks and format characters
   (zero-width, joiners, variation selectors) deleted, case folded, then look-alikes from
   ``resources/gambling/confusables.yaml`` (Cyrillic, Greek, small capitals, negative squared letters);
   in the same table, every character that is not a letter or digit (punctuation, symbols, emoji,
   controls other than the line break) becomes a space; runs of spaces then become one. Line breaks
   are kept, so ``fold(text).split("\\n")`` stays aligned with ``text.split("\\n")``;
2. spaced-out letters are joined (``"s l o t"``, ``"s.l.o.t"``, ``"P U L A U 7 7 7"``);
3. digits wedged between letters are read as letters (``resources/gambling/leet.yaml``).
"""

from __future__ import annotations

import unicodedata
from functools import cache

import regex
import yaml

from saring.resources import resource_path

#: Planes 0-1 (letters, styled alphanumerics, enclosed letters) and plane 14 (tags, variation selectors).
_CODE_POINTS = (*range(0x20000), *range(0xE0000, 0xE0200))
_MARK_OR_FORMAT = regex.compile(r"[\p{M}\p{Cf}]")
_SPACES = regex.compile(r" {2,}")
_SPACED_OUT = regex.compile(r"\b(?:\w ){2,}\w\b")
_WEDGED_DIGITS = regex.compile(r"(?<=\p{L})\p{N}+(?=\p{L})")


def _load(name: str) -> dict:
    with resource_path("gambling", name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def _confusables() -> dict[str, str]:
    data = _load("confusables.yaml")
    table = {char: target for target, chars in data["letters"].items() for char in chars}
    for start in data["alphabet_blocks"].values():
        table.update({chr(start + k): chr(ord("a") + k) for k in range(26)})
    return table


def _fold_char(char: str, confusables: dict[str, str]) -> str:
    folded = _MARK_OR_FORMAT.sub("", unicodedata.normalize("NFKD", char)).casefold()
    folded = "".join(confusables.get(c, c) for c in folded)
    return "".join(c if c.isalnum() else " " for c in folded)


@cache
def translation_table() -> dict[int, str]:
    """Code point -> folded string, for every code point that folding changes (built once, ~1 s)."""
    confusables = _confusables()
    table: dict[int, str] = {}
    for code in _CODE_POINTS:
        char = chr(code)
        if code == 0x0A or 0xD800 <= code <= 0xDFFF:
            continue
        plain = char.isalnum() and char.casefold() == char and char not in confusables
        if plain and not unicodedata.decomposition(char):
            continue
        folded = _fold_char(char, confusables)
        if folded != char:
            table[code] = folded
    return table


@cache
def _leet_table() -> dict[int, str]:
    return str.maketrans({str(digit): letter for digit, letter in _load("leet.yaml").items()})


def _join(match: regex.Match) -> str:
    return match.group(0).replace(" ", "")


def _unleet(match: regex.Match) -> str:
    return match.group(0).translate(_leet_table())


def fold(text: str) -> str:
    """Plain lowercase letters, digits and single spaces; one output line per input line."""
    text = _SPACES.sub(" ", text.translate(translation_table()))
    text = _SPACED_OUT.sub(_join, text)
    return _WEDGED_DIGITS.sub(_unleet, text)
