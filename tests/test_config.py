"""Pipeline files: clear errors naming the file, the line and the key, before any work starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from saring.config import ConfigError, load_pipeline


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stages:\n  - stage: nosuch\n", "pipeline.yaml:2: stages[0].stage: unknown stage 'nosuch'"),
        (
            "stages:\n  - stage: langid.stage\n",
            "pipeline.yaml:2: stages[0].stage: unknown stage 'langid.stage'",
        ),
        ("stages:\n  - stage: ../x\n", "pipeline.yaml:2: stages[0].stage: unknown stage '../x'"),
        ("stages:\n  - stage: length\n    min_word: 3\n", "pipeline.yaml:3: stages[0].min_word: unknown key"),
        (
            "stages:\n  - stage: length\n    min_words: many\n",
            "pipeline.yaml:3: stages[0].min_words: Input should be",
        ),
        (
            "engine:\n  workers: -1\n",
            "pipeline.yaml:2: engine.workers: Input should be greater than or equal to 0",
        ),
        ("output:\n  formt: parquet\n", "pipeline.yaml:2: output.formt: unknown key; expected one of"),
        ("outputs: {}\n", "pipeline.yaml:1: outputs: unknown key"),
        ("ouput:\n  path: x\n", "pipeline.yaml:1: ouput: unknown key"),  # the key's line, not its value's
        (
            "stages:\n  - stage: near_dedup\n    threshold: 1.5\n",
            "pipeline.yaml:3: stages[0].threshold: Input should be less than or equal to 1",
        ),
        (
            "stages:\n  - stage: near_dedup\n    num_perm: 0\n",
            "pipeline.yaml:3: stages[0].num_perm: Input should be greater than or equal to 8",
        ),
        (
            "stages:\n  - stage: langid\n    min_score: 5\n",
            "pipeline.yaml:3: stages[0].min_score: Input should be less than or equal to 1",
        ),
        (
            "stages:\n  - stage: quality\n    preset: ind_latn\n",
            "pipeline.yaml:3: stages[0].preset: Value error, no quality preset 'ind_latn'; known: auto,",
        ),
        (
            "stages:\n  - stage: length\n    min_words: -2\n",
            "pipeline.yaml:3: stages[0].min_words: Input should be greater than or equal to 0",
        ),
        ("stages: [normalize, normalize]\n", "appear twice"),
        ("stages:\n  - [1, 2]\n", "expected a mapping with a 'stage' key"),
        ("inputs: [a.jsonl\n", "not valid YAML"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_pipeline(write(tmp_path, text))
    assert expected in str(error.value)


def test_default_pipeline_is_valid_and_has_stages() -> None:
    pipeline = load_pipeline(None)
    assert [s.stage for s in pipeline.stages][:1] == ["normalize"]
    assert all(stage.label for stage in pipeline.build_stages())


def test_labels_let_a_stage_appear_twice(tmp_path: Path) -> None:
    text = "stages:\n  - stage: length\n  - stage: length\n    label: length_strict\n    min_words: 50\n"
    stages = load_pipeline(write(tmp_path, text)).build_stages()
    assert [s.label for s in stages] == ["length", "length_strict"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_pipeline(tmp_path / "absent.yaml")


def test_a_file_without_stages_runs_the_default_stages_and_an_empty_list_none(tmp_path: Path) -> None:
    default = load_pipeline().stages
    assert load_pipeline(write(tmp_path, "engine:\n  workers: 1\n")).stages == default
    assert load_pipeline(write(tmp_path, "")).stages == default
    assert load_pipeline(write(tmp_path, "stages: []\n")).stages == []
    with pytest.raises(ConfigError, match="expected a list of stages"):
        load_pipeline(write(tmp_path, "stages: {}\n"))
