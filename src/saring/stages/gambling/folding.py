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

from saring.resources import resource_yaml

#: Planes 0-1 (letters, styled alphanumerics, enclosed letters) and plane 14 (tags, variation selectors).
_CODE_POINTS = (*range(0x20000), *range(0xE0000, 0xE0200))
_MARK_OR_FORMAT = regex.compile(r"[\p{M}\p{Cf}]")
_SPACE, _NEWLINE = 0x20, 0x0A
#: Markers in the code point table for characters that fold to nothing or to several characters.
_DELETED = np.uint32(0xFFFFFFFF)
_EXPANDED = np.uint32(0xFFFFFFFE)


@cache
def _confusables() -> dict[str, str]:
    data = resource_yaml("gambling", "confusables.yaml")
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
    """Folding as arrays indexed by code point. ``single[c]`` is the folded code point of ``c``, or
    ``_DELETED``, or ``_EXPANDED`` when ``c`` folds to the several code points ``expansions[c]``;
    ``word``, ``letter`` and ``number`` are the classes ``\\w``, ``\\p{L}`` and ``\\p{N}`` of the
    ``regex`` module; ``leet[c]`` is the letter a digit stands for (``c`` itself otherwise)."""

    single: np.ndarray
    expansions: dict[int, np.ndarray]
    word: np.ndarray
    letter: np.ndarray
    number: np.ndarray
    leet: np.ndarray


def _class_mask(every_character: str, character_class: str) -> np.ndarray:
    mask = np.zeros(len(every_character), dtype=bool)
    for match in regex.finditer(f"{character_class}+", every_character):
        mask[match.start() : match.end()] = True
    return mask


@cache
def code_point_table() -> CodePointTable:
    """The folding tables (built once, ~1 s)."""
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
    every_character = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    leet = np.arange(0x110000, dtype=np.uint32)
    for digit, letter in resource_yaml("gambling", "leet.yaml").items():
        leet[ord(str(digit))] = ord(letter)
    return CodePointTable(
        single,
        expansions,
        word=_class_mask(every_character, r"\w"),
        letter=_class_mask(every_character, r"\p{L}"),
        number=_class_mask(every_character, r"\p{N}"),
        leet=leet,
    )


def _before(mask: np.ndarray, step: int = 1) -> np.ndarray:
    """``mask[i - step]`` at each ``i`` (False before the start)."""
    return np.concatenate((np.zeros(step, dtype=bool), mask[:-step]))[: len(mask)]


def _after(mask: np.ndarray, step: int = 1) -> np.ndarray:
    """``mask[i + step]`` at each ``i`` (False after the end)."""
    return np.concatenate((mask[step:], np.zeros(step, dtype=bool)))[-len(mask) :] if len(mask) else mask


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _translate(code: np.ndarray, table: CodePointTable) -> np.ndarray:
    """Steps 1-2: code points through the table, then spaces collapsed and trimmed at line ends."""
    folded = table.single[code]
    expanded = np.flatnonzero(folded == _EXPANDED)
    if expanded.size:
        pieces = [table.expansions[int(c)] for c in code[expanded]]
        folded = np.insert(folded, np.repeat(expanded, [len(p) for p in pieces]), np.concatenate(pieces))
    folded = folded[folded < _EXPANDED]  # drops the deleted characters and the expanded markers
    space = folded == _SPACE
    folded = folded[~(space & _before(space))]
    newline = folded == _NEWLINE
    line_end = _before(newline) | _after(newline)
    line_end[[0, -1] if len(line_end) else []] = True
    return folded[~((folded == _SPACE) & line_end)]


def _join_spaced_out(folded: np.ndarray, table: CodePointTable) -> np.ndarray:
    """Step 3, like ``regex.sub(r"\\b(?:\\w ){2,}\\w\\b", <without spaces>)``: the spaces inside a chain
    of three or more one-character words are dropped."""
    word = table.word[folded]
    single = word & ~_before(word) & ~_after(word)
    joinable = (folded == _SPACE) & _before(single) & _after(single)
    chained = joinable & (_before(joinable, 2) | _after(joinable, 2))
    return folded[~chained]


def _unleet_wedged_digits(folded: np.ndarray, table: CodePointTable) -> np.ndarray:
    """Step 4, like ``regex.sub(r"(?<=\\p{L})\\p{N}+(?=\\p{L})", <digits as letters>)``; works on the
    positions of digits only."""
    digits = np.flatnonzero(table.number[folded])
    if not digits.size:
        return folded
    new_run = np.concatenate(([True], np.diff(digits) != 1))
    run_start = digits[new_run]
    run_end = digits[np.concatenate((new_run[1:], [True]))]
    before = table.letter[folded[np.maximum(run_start - 1, 0)]] & (run_start > 0)
    after = table.letter[folded[np.minimum(run_end + 1, len(folded) - 1)]] & (run_end < len(folded) - 1)
    wedged = before & after
    if not wedged.any():
        return folded
    positions = digits[wedged[np.cumsum(new_run) - 1]]
    folded = folded.copy()
    folded[positions] = table.leet[folded[positions]]
    return folded


def fold_code_points(code: np.ndarray) -> str:
    """:func:`fold` of the text whose code points are ``code``."""
    table = code_point_table()
    folded = _unleet_wedged_digits(_join_spaced_out(_translate(code, table), table), table)
    return folded.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


def fold(text: str) -> str:
    """Plain lowercase letters, digits and single spaces; one output line per input line."""
    return fold_code_points(code_points(text))
