"""Packaged resources: per-language knowledge and model files.

Per-language files live in ``languages/<iso639-3>_<Script>/<topic>.yaml`` (``ind_Latn/quality.yaml``).

Per-language files are data, not code: adding a language means adding a folder. Every number in them
names its source in a comment or a ``source:`` key.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def resource_path(*parts: str) -> Path:
    """Filesystem path of a packaged resource (``resource_path("models", "x.bin")``)."""
    return Path(str(resources.files("saring.resources").joinpath(*parts)))


def load_yaml(path: Path) -> Any:
    """A YAML file, parsed safely by libyaml when PyYAML has it (several times faster to start up)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def resource_yaml(*parts: str) -> Any:
    """A packaged YAML resource (``resource_yaml("gambling", "leet.yaml")``), parsed."""
    return load_yaml(resource_path(*parts))


@cache
def language_resource(code: str, topic: str) -> dict[str, Any] | None:
    """``languages/<code>/<topic>.yaml`` (``code`` like ``ind_Latn``) as a mapping, or None if absent."""
    path = resource_path("languages", code, f"{topic}.yaml")
    if not path.exists():
        return None
    return load_yaml(path) or {}


def languages_with(topic: str) -> list[str]:
    """Language codes that have a ``<topic>.yaml`` file."""
    root = resource_path("languages")
    return sorted(p.parent.name for p in root.glob(f"*/{topic}.yaml"))


def wordfreq_zipf(code: str) -> dict[str, float]:
    """Zipf frequency (log10 of uses per billion words) of every word in wordfreq's ``small`` list for
    ``code`` (``"id"``, ``"ms"``, ``"en"``; the lists ship inside the wordfreq wheel)."""
    import wordfreq  # slow to import (~0.2 s): only when needed

    return {word: math.log10(freq) + 9.0 for word, freq in wordfreq.get_frequency_dict(code, "small").items()}
