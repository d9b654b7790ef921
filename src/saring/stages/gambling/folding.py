"""Folding for matching: styled, look-alike and spaced-out text -> plain lowercase, for detection only.

``fold("𝔭𝔲𝔩𝔞𝔲𝟽𝟽𝟽 g4cor s l o t")`` -> ``"pulau777 gacor slot"``.
Steps, all in compiled code (numpy over code points, ``regex``), so a whole batch folds in one call:

1. one translation of every code point: compatibility decomposition (NFKD: mathematical
   alphanumerics, fullwidth, circled, squared, superscripts), combining marks and format characters
   (zero-width, joiners, variation selectors) deleted, case folded, then look-alikes from
   ``resources/gambling/confusables.yaml`` (Cyrillic, Greek, small capitals, negative squared letters);
   in the same table, every character that is not a letter or digit (punctuation, symbols, emoji,
   controls other than the line break) becomes a space. The table is a numpy array indexed by code
   point (one-to-one foldings) plus the few foldings to several or no characters;
2. runs of spaces become one, and spaces at the ends of lines go. Line breaks are kept, so
   ``fold(text).split("\\n")`` stays aligned with ``text.split("\\n")``;
3. spaced-out letters are joined (``"s l o t"``, ``"s.l.o.t"``, ``"P U L A U 7 7 7"``);
4. digits wedged between letters are read as letters (``resources/gambling/leet.yaml``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import regex
import yaml

from saring.resources import resource_path

#: Planes 0-1 (letters, styled alphanumerics, enclosed letters) and plane 14 (tags, variation selectors).
_CODE_POINTS = (*range(0x20000), *range(0xE0000, 0xE0200))
_MARK_OR_FORMAT = regex.compile(r"[\p{M}\p{Cf}]")
_SPACED_OUT = regex.compile(r"\b(?:\w ){2,}\w\b")
_WEDGED_DIGITS = regex.compile(r"(?<=\p{L})\p{N}+(?=\p{L})")
_SPACE, _NEWLINE = 0x20, 0x0A
#: Markers in the code point table for characters that fold to nothing or to several characters.
_DELETED = np.uint32(0xFFFFFFFF)
_EXPANDED = np.uint32(0xFFFFFFFE)


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
        if code == _NEWLINE or 0xD800 <= code <= 0xDFFF:
            continue
        plain = char.isalnum() and char.casefold() == char and char not in confusables
        if plain and not unicodedata.decomposition(char):
            continue
        folded = _fold_char(char, confusables)
        if folded != char:
            table[code] = folded
    return table


@dataclass(frozen=True)
class CodePointTable:
    """:func:`translation_table` as arrays: ``single[c]`` is the folded code point of ``c``, or
    ``_DELETED``, or ``_EXPANDED`` when ``c`` folds to the several code points ``expansions[c]``."""

    single: np.ndarray
    expansions: dict[int, np.ndarray]


@cache
def code_point_table() -> CodePointTable:
    single = np.arange(0x110000, dtype=np.uint32)
    expansions: dict[int, np.ndarray] = {}
    for code, folded in translation_table().items():
        if len(folded) == 1:
            single[code] = ord(folded)
        elif not folded:
            single[code] = _DELETED
        else:
            single[code] = _EXPANDED
            expansions[code] = np.array([ord(c) for c in folded], dtype=np.uint32)
    return CodePointTable(single, expansions)


@cache
def _leet_table() -> dict[int, str]:
    return str.maketrans({str(digit): letter for digit, letter in _load("leet.yaml").items()})


def _join(match: regex.Match) -> str:
    return match.group(0).replace(" ", "")


def _unleet(match: regex.Match) -> str:
    return match.group(0).translate(_leet_table())


def _translate(text: str) -> str:
    """Steps 1-2: code points through the table, then spaces collapsed and trimmed at line ends."""
    table = code_point_table()
    code = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    folded = table.single[code]
    expanded = np.flatnonzero(folded == _EXPANDED)
    if expanded.size:
        pieces = [table.expansions[int(c)] for c in code[expanded]]
        folded = np.insert(folded, np.repeat(expanded, [len(p) for p in pieces]), np.concatenate(pieces))
    folded = folded[folded < _EXPANDED]  # drops the deleted characters and the expanded markers
    space = folded == _SPACE
    folded = folded[~(space & np.concatenate(([False], space[:-1])))]
    newline = folded == _NEWLINE
    line_end = np.concatenate(([True], newline[:-1])) | np.concatenate((newline[1:], [True]))
    folded = folded[~((folded == _SPACE) & line_end)]
    return folded.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


def fold(text: str) -> str:
    """Plain lowercase letters, digits and single spaces; one output line per input line."""
    text = _SPACED_OUT.sub(_join, _translate(text))
    return _WEDGED_DIGITS.sub(_unleet, text)
