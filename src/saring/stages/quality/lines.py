"""Line, paragraph and character signals of one document (str methods and C-level regexes).

Definitions follow the filters' reference implementations in datatrove (Gopher: Rae et al. 2021,
appendix A; FineWeb: Penedo et al. 2024; C4: Raffel et al. 2020, section 2.2).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cache
from itertools import repeat

import regex

# Sentence terminals (Unicode Sentence_Terminal, plus three Khmer signs datatrove also counts).
_TERMINAL = regex.compile(r"[\p{STerm}\u17d6\u17d9\u17da]")
_SENTENCE_END = regex.compile(r"\p{STerm}+[\"'”’)\]]*(?=\s|$)")
_PARAGRAPH_BREAK = re.compile("\n\n+")  # the text stripped, split here: its paragraphs
_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_C4_END_PUNCTUATION = (".", "?", "!", '"', "'")
_C4_POLICY = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)
_C4_MAX_WORD_CHARS = 1000
_BULLETS = ("•", "-")
_ELLIPSES = ("...", "…")
SHORT_LINE_CHARS = 30  # FineWeb's short_line_length


def _duplicates(items: Sequence[str]) -> tuple[int, int]:
    """Number of items that repeat an earlier one, and their characters."""
    extra = len(items) - len(set(items))
    if extra == 0:
        return 0, 0
    return extra, sum(len(item) * (count - 1) for item, count in Counter(items).items() if count > 1)


@cache
def _is_terminal(char: str) -> bool:
    return _TERMINAL.match(char) is not None


def line_signals(text: str, n_tokens: int) -> dict[str, float | None]:
    """Gopher repetition (lines, paragraphs), Gopher quality (symbols, lines) and FineWeb signals."""
    length = max(len(text), 1)
    pieces = text.split("\n")
    # Lines as split by "\n+": empty pieces between consecutive breaks dropped, the ends kept.
    lines = pieces if len(pieces) < 3 else [pieces[0], *filter(None, pieces[1:-1]), pieces[-1]]
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    para_dups, para_dup_chars = _duplicates(paragraphs)
    line_dups, line_dup_chars = _duplicates(lines)
    physical = text.splitlines() or [""]
    nonempty = [line for line in lines if line and not line.isspace()]
    words = max(n_tokens, 1)
    bullet_lines = sum(map(str.startswith, map(str.lstrip, physical), repeat(_BULLETS)))
    ellipsis_lines = sum(map(str.endswith, map(str.rstrip, physical), repeat(_ELLIPSES)))
    signals: dict[str, float | None] = {
        "dup_para_frac": para_dups / len(paragraphs),
        "dup_para_char_frac": para_dup_chars / length,
        "dup_line_frac": line_dups / len(lines),
        "dup_line_char_frac": line_dup_chars / length,
        "hash_word_ratio": text.count("#") / words,
        "ellipsis_word_ratio": sum(map(text.count, _ELLIPSES)) / words,
        "bullet_lines_ratio": bullet_lines / len(physical),
        "ellipsis_lines_ratio": ellipsis_lines / len(physical),
        "list_ratio": text.count("\n") / words,
        "line_punct_ratio": None,
        "short_line_ratio": None,
        "char_dup_ratio": None,
    }
    if nonempty:
        terminal = sum(map(_is_terminal, [line[-1] for line in nonempty]))
        short = sum(map(SHORT_LINE_CHARS.__ge__, map(len, nonempty)))
        signals["line_punct_ratio"] = terminal / len(nonempty)
        signals["short_line_ratio"] = short / len(nonempty)
        signals["char_dup_ratio"] = _duplicates(nonempty)[1] / max(length - text.count("\n"), 1)
    return signals


def c4_signals(text: str, require_terminal_punct: bool) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """C4's line rules: lines to strip (index over ``text.split("\\n")``, reason) and document signals.

    Blank lines are not reported. ``c4_sentences`` counts sentences in the lines kept;
    ``c4_lorem_ipsum`` and ``c4_curly_bracket`` count kept-candidate lines with those marks.
    """
    removals: list[tuple[int, str]] = []
    sentences = lorem = curly = 0
    for index, raw in enumerate(text.split("\n")):
        line = raw.strip()
        if not line:
            continue
        if len(line) > _C4_MAX_WORD_CHARS and any(len(word) > _C4_MAX_WORD_CHARS for word in line.split()):
            removals.append((index, "c4_long_word"))
            continue
        if "[" in line:
            line = _CITATION.sub("", line)
        if require_terminal_punct and (not line.endswith(_C4_END_PUNCTUATION) or line.endswith("...")):
            removals.append((index, "c4_no_terminal_punct"))
            continue
        if len(line.split(maxsplit=2)) < 3:  # fewer than three words
            removals.append((index, "c4_too_few_words"))
            continue
        lowered = line.lower()
        lorem += "lorem ipsum" in lowered
        if "javascript" in lowered:
            removals.append((index, "c4_javascript"))
            continue
        curly += "{" in line
        if any(phrase in lowered for phrase in _C4_POLICY):
            removals.append((index, "c4_policy"))
            continue
        sentences += max(1, len(_SENTENCE_END.findall(line)))
    signals = {"c4_sentences": sentences, "c4_lorem_ipsum": lorem, "c4_curly_bracket": curly}
    return signals, removals
