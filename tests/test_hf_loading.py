"""Outputs load as they are with the Hugging Face `datasets` JSON and Parquet loaders."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import basic_pipeline

from saring.engine.run import run_pipeline

datasets = pytest.importorskip("datasets")


@pytest.mark.parametrize("fmt", ["jsonl.zst", "parquet"])
def test_outputs_load_with_datasets(corpus: list[Path], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out"
    pipeline = basic_pipeline(corpus, out)
    pipeline = pipeline.model_copy(update={"output": pipeline.output.model_copy(update={"format": fmt})})
    result = run_pipeline(pipeline, log=lambda m: None)
    cache = str(tmp_path / "hf-cache")
    stats = result.stats
    expected = {"kept": stats.kept, "removed": stats.removed, "quarantine": stats.quarantined}
    for kind, rows in expected.items():
        if fmt == "parquet":  # typed parts with one schema: the plain Parquet loader works
            files = sorted(str(p) for p in (out / kind).glob("part-*"))
            dataset = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache)
        else:  # JSON has no types: the dataset card (README.md) in the output folder declares them
            dataset = datasets.load_dataset(str(out), kind, split="train", cache_dir=cache)
        assert dataset.num_rows == rows
        if kind != "quarantine":
            assert {"id", "text", "signals", "removed_lines"} <= set(dataset.column_names)
            assert dataset.features["signals"]["length.words"].dtype == "int64"
