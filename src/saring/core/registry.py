"""Stage registry: name -> stage class, discovered from ``saring.stages`` and entry points."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib.metadata import entry_points

from saring.core.stage import Stage

_REGISTRY: dict[str, type[Stage]] = {}


def register(cls: type[Stage]) -> type[Stage]:
    """Class decorator: make a stage available to pipelines under ``cls.name``."""
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise ValueError(f"two stages are named {cls.name!r}: {existing.__module__} and {cls.__module__}")
    _REGISTRY[cls.name] = cls
    return cls


@cache
def _discover() -> None:
    import saring.stages as package

    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
    for entry in entry_points(group="saring.stages"):
        register(entry.load())


def stage_names() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def stage_class(name: str) -> type[Stage]:
    """The stage class named ``name``: from the module of that name when there is one (so a pipeline
    imports only the stages it uses), else found by importing every stage module."""
    module = f"saring.stages.{name}"
    if name not in _REGISTRY and name.isidentifier():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:  # the stage's module exists but lacks what it imports
                raise
    if name not in _REGISTRY:
        _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(name) from None
