"""Packaged resources: per-language knowledge and model files.

Per-language files live in ``languages/<iso639-3>_<Script>/<topic>.yaml`` (``ind_Latn/quality.yaml``).

Per-language files are data, not code: adding a language means adding a folder. Every number in them
names its source in a comment or a ``source:`` key.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def resource_path(*parts: str) -> Path:
    """Filesystem path of a packaged resource (``resource_path("models", "x.bin")``)."""
    return Path(str(resources.files("saring.resources").joinpath(*parts)))


@cache
def language_resource(code: str, topic: str) -> dict[str, Any] | None:
    """``languages/<code>/<topic>.yaml`` (``code`` like ``ind_Latn``) as a mapping, or None if absent."""
    path = resource_path("languages", code, f"{topic}.yaml")
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def languages_with(topic: str) -> list[str]:
    """Language codes that have a ``<topic>.yaml`` file."""
    root = resource_path("languages")
    return sorted(p.parent.name for p in root.glob(f"*/{topic}.yaml"))
