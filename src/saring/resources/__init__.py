"""Packaged resources: per-language knowledge (``languages/<code>_<Script>/<topic>.yaml` (e.g. `ind_Latn/quality.yaml`)`) and model files.

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
    """``languages/<code>_<Script>/<topic>.yaml` (e.g. `ind_Latn/quality.yaml`)` as a mapping, or None when that language has none."""
    path = resource_path("languages", code, f"{topic}.yaml")
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def languages_with(topic: str) -> list[str]:
    """Language codes that have a ``<topic>.yaml`` file."""
    root = resource_path("languages")
    return sorted(p.parent.name for p in root.glob(f"*/{topic}.yaml"))
