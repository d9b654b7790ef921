"""The command line: init, stages, run (errors, dry run), report, decide."""

from __future__ import annotations

from pathlib import Path

import orjson
from conftest import article, write_jsonl
from typer.testing import CliRunner

from saring.cli import app
from saring.config import load_pipeline

runner = CliRunner()


def test_init_writes_the_default_pipeline_which_loads(tmp_path: Path) -> None:
    target = tmp_path / "pipeline.yaml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0 and target.exists()
    assert "# saring pipeline" in target.read_text()
    assert [s.stage for s in load_pipeline(target).stages] == [s.stage for s in load_pipeline(None).stages]
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2 and "exists" in again.output


def test_stages_lists_every_stage_with_parameters() -> None:
    result = runner.invoke(app, ["stages"], terminal_width=200)
    assert result.exit_code == 0
    for name in ("normalize", "langid", "quality", "gambling", "near_dedup", "pii"):
        assert name in result.output
    assert "Undefined" not in result.output  # defaults made by a factory show their value


def test_a_bad_pipeline_file_is_a_message_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages:\n  - stage: length\n    min_wrds: 3\n")
    result = runner.invoke(app, ["run", str(bad), "-i", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "bad.yaml:3: stages[0].min_wrds: unknown key" in " ".join(result.output.split())


def test_bad_options_and_unwritable_outputs_are_messages_and_exit_code_2(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": article(1)}])
    (tmp_path / "a_file").write_text("x")
    cases = {
        ("-w", "-1"): "--workers: Input should be greater than or equal to 0",
        ("--engine", "spark"): "--engine: Input should be 'local' or 'ray'",
        ("-o", str(tmp_path / "a_file")): "is a file, not a folder",
        ("-o", str(tmp_path / "a_file" / "sub")): "cannot write the output folder",
    }
    for options, message in cases.items():
        arguments = ["run", "-i", str(source), "-o", str(tmp_path / "out"), "-q", *options]
        result = runner.invoke(app, arguments, terminal_width=300)
        assert result.exit_code == 2 and message in result.output, (options, result.output)


def test_run_dry_run_report_and_decide(tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl", [{"id": str(i), "text": article(i % 5, 8)} for i in range(12)]
    )
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("stages:\n  - stage: length\n    min_words: 3\n  - stage: exact_dedup\n")
    dry = tmp_path / "dry"
    result = runner.invoke(
        app, ["run", str(pipeline), "-i", str(source), "-o", str(dry), "-w", "1", "-q", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "in = kept + removed + quarantined: 12 = 12 + 0 + 0 [OK]" in result.output
    assert (dry / "report.html").exists()
    (dry / "report.html").unlink()
    rebuilt = runner.invoke(app, ["report", str(dry)])
    assert rebuilt.exit_code == 0 and (dry / "report.html").exists()
    final = tmp_path / "final"
    decided = runner.invoke(app, ["decide", str(dry), str(pipeline), "-o", str(final)])
    assert decided.exit_code == 0, decided.output
    assert orjson.loads((final / "stats.json").read_bytes())["documents"] == {
        "in": 12,
        "kept": 5,
        "removed": 7,
        "quarantined": 0,
    }


def test_summary_names_the_most_frequent_reasons_and_counts_the_rest() -> None:
    from saring.cli import SUMMARY_REASONS, _top_reasons

    counts = {f"reason_{i}": i for i in range(1, SUMMARY_REASONS + 3)}
    shown = _top_reasons(counts)
    assert shown.startswith(f"reason_{SUMMARY_REASONS + 2} {SUMMARY_REASONS + 2}, ")
    assert shown.endswith(", 2 more (3)")  # reason_1 and reason_2
    assert _top_reasons({"b": 1, "a": 1}) == "a 1, b 1"
