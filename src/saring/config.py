"""Pipeline configuration: YAML -> validated objects. Errors name the file, the key and what was expected."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from saring.core.registry import stage_class, stage_names
from saring.core.stage import Stage


class ConfigError(ValueError):
    """A pipeline file that cannot be used, with the place and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldMap(_Strict):
    """Which input fields (JSON keys, CSV/Parquet columns) hold the text, id and URL."""

    text: str = "text"
    id: str = "id"
    url: str = "url"


class InputSpec(_Strict):
    path: str
    format: Literal["auto", "jsonl", "parquet", "csv", "tsv", "text", "warc"] = "auto"
    fields: FieldMap = FieldMap()
    html_extractor: Literal["resiliparse", "trafilatura"] = "resiliparse"


class OutputSpec(_Strict):
    path: str = "out"
    format: Literal["jsonl.zst", "jsonl.gz", "jsonl", "parquet"] = "jsonl.zst"
    write_removed: bool = True
    report: bool = True


class EngineSpec(_Strict):
    kind: Literal["local", "ray"] = "local"
    workers: int = Field(0, ge=0, description="worker processes; 0 means one per CPU core")
    batch_size: int = Field(512, ge=1, le=1_000_000)
    block_batches: int = Field(
        8, ge=1, le=100_000, description="batches per block: the unit of parallel work and of output parts"
    )
    address: str | None = None  # Ray cluster address; None starts a local Ray
    work_dir: str | None = Field(
        None, description="intermediate files; default OUTPUT/_work (local output) or a temporary folder"
    )


class LimitsSpec(_Strict):
    record_seconds: float = Field(30.0, gt=0, description="per-record time limit of every stage")
    max_document_bytes: int = Field(16 * 2**20, gt=0, description="larger records are quarantined")
    max_decompressed_bytes: int = Field(64 * 2**30, gt=0, description="per input file")
    max_compression_ratio: float = Field(
        250.0, gt=1, description="decompressed/compressed beyond this (after 64 MiB) is a decompression bomb"
    )
    max_html_bytes: int = Field(
        4 * 2**20, gt=0, description="larger HTML payloads are truncated before extraction"
    )


class StageSpec(_Strict):
    """One entry of ``stages:``: ``{stage: NAME, label: optional, ...params}``."""

    stage: str
    label: str | None = None
    params: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _flat_params(cls, value: Any) -> Any:
        """Accept parameters beside ``stage`` (as in YAML) as well as under ``params``."""
        if isinstance(value, str):
            return {"stage": value}
        if isinstance(value, dict):
            extra = {k: v for k, v in value.items() if k not in ("stage", "label", "params")}
            if extra:
                return {k: v for k, v in value.items() if k not in extra} | {
                    "params": {**value.get("params", {}), **extra}
                }
        return value

    @model_validator(mode="after")
    def _known_stage(self) -> StageSpec:
        try:
            cls = stage_class(self.stage)
        except KeyError:
            raise ValueError(f"unknown stage {self.stage!r}; expected one of {stage_names()}") from None
        cls.Params(**self.params)  # a ValidationError names the parameter
        return self

    def build(self) -> Stage:
        cls = stage_class(self.stage)
        return cls(cls.Params(**self.params), label=self.label)


class Pipeline(_Strict):
    inputs: list[InputSpec] = []
    output: OutputSpec = OutputSpec()
    engine: EngineSpec = EngineSpec()
    limits: LimitsSpec = LimitsSpec()
    dry_run: bool = False
    stages: list[StageSpec] = []

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str | dict):
            value = [value]
        if isinstance(value, list):
            return [{"path": item} if isinstance(item, str) else item for item in value]
        return value

    def build_stages(self) -> list[Stage]:
        return [spec.build() for spec in self.stages]


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (keys and list indices; for a key, the line of the key
    itself, not of its value), or of its nearest parent."""
    node: yaml.Node | None = root
    line = None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            entry = next(((k, v) for k, v in node.value if k.value == key), None)
            node = entry[1] if entry else None
            line = entry[0].start_mark.line + 1 if entry else line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            node = None
    return line


def _where(source: str, root: yaml.Node | None, loc: tuple[Any, ...]) -> str:
    line = _node_line(root, loc)
    key = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in loc).lstrip(".") or "(top level)"
    return f"{source}{f':{line}' if line else ''}: {key}"


def _stage_specs(raw: list[Any], source: str, root: yaml.Node | None) -> list[dict[str, Any]]:
    specs = []
    for index, item in enumerate(raw):
        where = _where(source, root, ("stages", index))
        if isinstance(item, str):
            item = {"stage": item}
        if not isinstance(item, dict) or "stage" not in item:
            raise ConfigError(f"{where}: expected a mapping with a 'stage' key, one of {stage_names()}")
        name = item["stage"]
        try:
            stage_class(str(name))
        except KeyError:
            raise ConfigError(
                f"{where}.stage: unknown stage {name!r}; expected one of {stage_names()}"
            ) from None
        params = {k: v for k, v in item.items() if k not in ("stage", "label")}
        try:
            stage_class(name).Params(**params)
        except ValidationError as error:
            problems = []
            for e in error.errors():
                key_loc = ("stages", index, *e["loc"])
                problems.append(f"{_where(source, root, key_loc)}: {_explain(e, stage_class(name).Params)}")
            raise ConfigError("\n".join(problems)) from None
        specs.append({"stage": name, "label": item.get("label"), "params": params})
    labels = [s["label"] or s["stage"] for s in specs]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ConfigError(f"{source}: stages: {duplicates} appear twice; give each a distinct 'label'")
    return specs


def _explain(error: dict[str, Any], model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown key; expected one of {sorted(model.model_fields)}"
    return f"{error['msg']} (got {error.get('input')!r})"


def _model_for(loc: tuple[Any, ...]) -> type[BaseModel]:
    model: type[BaseModel] = Pipeline
    for key in loc[:-1]:
        field = model.model_fields.get(str(key))
        if field is None:
            continue
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return model


def parse_pipeline(text: str, source: str = "<pipeline>") -> Pipeline:
    """Validate pipeline YAML text; ``source`` names it in errors."""
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(raw).__name__}")
    if "stages" not in raw:  # a file that only sets inputs, output or engine runs the default stages
        raw = {**raw, "stages": yaml.safe_load(default_pipeline_text())["stages"]}
    stages = raw["stages"] if raw["stages"] is not None else []
    if not isinstance(stages, list):
        raise ConfigError(f"{_where(source, root, ('stages',))}: expected a list of stages")
    raw = {**raw, "stages": _stage_specs(stages, source, root)}
    try:
        return Pipeline(**raw)
    except ValidationError as error:
        problems = [
            f"{_where(source, root, tuple(e['loc']))}: {_explain(e, _model_for(tuple(e['loc'])))}"
            for e in error.errors()
        ]
        raise ConfigError("\n".join(problems)) from None


def load_pipeline(path: str | Path | None = None) -> Pipeline:
    """Load a pipeline file, or the default pipeline when ``path`` is None."""
    if path is None:
        return parse_pipeline(default_pipeline_text(), "default pipeline")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text: {error}") from None
    return parse_pipeline(text, str(path))


def default_pipeline_text() -> str:
    """The commented default pipeline that ``saring init`` writes and ``saring run`` uses without a file."""
    return resources.files("saring.pipelines").joinpath("default.yaml").read_text(encoding="utf-8")
