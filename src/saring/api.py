"""The Python API: the same runs as the command line.

import saring
result = saring.run("pipeline.yaml", inputs=["crawl/"], output="out", workers=2)
print(result.stats.balance_line())
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from saring.config import ConfigError, InputSpec, Pipeline, load_pipeline
from saring.engine.run import RunResult, run_pipeline

#: The command-line options behind the settings :func:`apply_overrides` replaces, for error messages.
_OPTIONS = {
    ("output", "path"): "--output",
    ("engine", "workers"): "--workers",
    ("engine", "kind"): "--engine",
    ("engine", "address"): "--address",
}


def apply_overrides(
    pipeline: Pipeline,
    *,
    inputs: Sequence[str] | None = None,
    output: str | None = None,
    workers: int | None = None,
    engine: str | None = None,
    address: str | None = None,
    dry_run: bool | None = None,
) -> Pipeline:
    """A copy of ``pipeline`` with the everyday settings replaced (None leaves a setting as it is)."""
    data = pipeline.model_dump()
    if inputs:
        data["inputs"] = [InputSpec(path=str(p)).model_dump() for p in inputs]
    if output is not None:
        data["output"]["path"] = output
    if workers is not None:
        data["engine"]["workers"] = workers
    if engine is not None:
        data["engine"]["kind"] = engine
    if address is not None:
        data["engine"]["address"] = address
    if dry_run is not None:
        data["dry_run"] = dry_run
    try:
        return Pipeline.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{_OPTIONS.get(e['loc'], '.'.join(map(str, e['loc'])))}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"invalid option: {problems}") from None


def run(
    pipeline: str | Path | Pipeline | None = None,
    *,
    inputs: Sequence[str] | None = None,
    output: str | None = None,
    workers: int | None = None,
    dry_run: bool | None = None,
    overwrite: bool = False,
) -> RunResult:
    """Run a pipeline (a file, a :class:`Pipeline`, or None for the default pipeline)."""
    config = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    config = apply_overrides(config, inputs=inputs, output=output, workers=workers, dry_run=dry_run)
    return run_pipeline(config, overwrite=overwrite, log=lambda message: None)
