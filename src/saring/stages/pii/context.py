"""Reference data the detectors consult: keyword context, card networks, top-level domains."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import regex

from saring.resources import resource_path, resource_yaml

#: How far before a candidate a context keyword may stand (characters).
CONTEXT_WINDOW = 40


def _alternation(words: list[str]) -> str:
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class Context:
    """Keyword tests on the text just before a candidate (see ``resources/pii/context.yaml``)."""

    near: dict[str, regex.Pattern]
    directly_before: dict[str, regex.Pattern]

    def has_near(self, kind: str, text: str, start: int) -> bool:
        """A ``kind`` keyword stands within the window before ``start``."""
        return self.near[kind].search(text, max(0, start - CONTEXT_WINDOW), start) is not None

    def has_directly_before(self, kind: str, text: str, start: int) -> bool:
        """A ``kind`` keyword is the last token before ``start`` (``Rp 1.500``, ``v1.2.3.4``, ``WA: 8``)."""
        return self.directly_before[kind].search(text, max(0, start - 16), start) is not None


@cache
def context() -> Context:
    words = resource_yaml("pii", "context.yaml")
    # Whole words: no letter/digit right before or after the keyword (keywords may end in "$" or ".").
    near = {k: regex.compile(rf"(?<!\w)(?:{_alternation(v)})(?!\w)", regex.I) for k, v in words.items()}
    before = {
        k: regex.compile(rf"(?<!\w)(?:{_alternation(v)})[.:=(/ \t-]*\Z", regex.I) for k, v in words.items()
    }
    return Context(near, before)


@dataclass(frozen=True)
class CardNetwork:
    name: str
    prefixes: tuple[tuple[int, int, int], ...]  # (number of digits, low, high)
    lengths: frozenset[int]

    def matches(self, digits: str) -> bool:
        if len(digits) not in self.lengths:
            return False
        return any(low <= int(digits[:width]) <= high for width, low, high in self.prefixes)


def _prefix_range(spec: str) -> tuple[int, int, int]:
    low, _, high = spec.partition("-")
    return len(low), int(low), int(high or low)


@cache
def card_networks() -> tuple[CardNetwork, ...]:
    networks = resource_yaml("pii", "cards.yaml")["networks"]
    return tuple(
        CardNetwork(name, tuple(_prefix_range(p) for p in spec["prefixes"]), frozenset(spec["lengths"]))
        for name, spec in networks.items()
    )


@cache
def top_level_domains() -> frozenset[str]:
    lines = resource_path("pii", "tlds.txt").read_text(encoding="ascii").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
