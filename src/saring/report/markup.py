"""Safe HTML building: every value is escaped unless it is :class:`Markup` this package built itself.

Document text is scraped web content (``<script>``, event handlers, broken markup on purpose), so the
report never formats strings into HTML by hand: :func:`el` escapes every child and attribute value.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable
from typing import Any

import regex

# C0 controls (but tab and newline), DEL and lone surrogates: shown as U+FFFD, never written raw.
_UNSAFE_CHARACTERS = regex.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


class Markup(str):
    """HTML built by this package (never from document content)."""


def esc(value: Any) -> Markup:
    """``value`` as HTML text: escaped with quotes, unsafe characters replaced; Markup passes through."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(_UNSAFE_CHARACTERS.sub("\ufffd", str(value)), quote=True))


def _children(items: Iterable[Any]) -> Iterable[Markup]:
    for item in items:
        if item is None:
            continue
        if isinstance(item, str | int | float):
            yield esc(item)
        else:
            yield from _children(item)


def el(tag: str, *children: Any, **attributes: Any) -> Markup:
    """An element; attribute ``class_`` is ``class``, ``text_anchor`` ``text-anchor``; None is left out."""
    attrs = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"'
        for name, value in attributes.items()
        if value is not None
    )
    return Markup(f"<{tag}{attrs}>{''.join(_children(children))}</{tag}>")


def join(*parts: Any) -> Markup:
    """Several pieces of content side by side (strings escaped)."""
    return Markup("".join(_children(parts)))


def page(title: str, body: Markup, style: str) -> str:
    """A whole document whose Content-Security-Policy forbids scripts, loads and all but our own style."""
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{style}</style></head>\n<body>{body}</body></html>\n"
    )
