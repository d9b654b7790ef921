"""The ``saring`` command line."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from saring.api import apply_overrides
from saring.config import ConfigError, Pipeline, default_pipeline_text, load_pipeline
from saring.core.registry import stage_class, stage_names
from saring.engine.run import PhaseEvent, RunError, RunResult, run_pipeline

app = typer.Typer(
    help="saring: clean, deduplicated, documented text corpora from web crawls (Indonesian and SEA first).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)
if not console.is_terminal:  # a log file or pipe: rich would fold the summary table into 80 columns
    console.width = max(console.width, 132)
#: Removal reasons a stage's summary row names; the rest are counted (stats.json and the report have all).
SUMMARY_REASONS = 4


class _Rate(ProgressColumn):
    """Documents per second and MB per second of the running phase."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if not elapsed:
            return Text("")
        docs = task.fields.get("docs", 0) / elapsed
        mb = task.fields.get("mb", 0.0) / elapsed
        return Text(f"{docs:,.0f} docs/s  {mb:,.2f} MB/s", style="cyan")


class _Display:
    """Rich progress for a run: a bar per phase (bytes for reading, documents after)."""

    def __init__(self, quiet: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=quiet,
            transient=False,
        )
        self.task: int | None = None
        self.by_bytes = True

    def on_phase(self, event: PhaseEvent) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total)
        self.by_bytes = event.total_bytes > 0
        total = event.total_bytes if self.by_bytes else event.total_docs or None
        name = "reading + stages" if event.phase == 0 else f"phase {event.phase + 1}/{event.phases}"
        self.task = self.progress.add_task(name, total=total, docs=0, mb=0.0)

    def on_progress(self, docs: int, nbytes: int) -> None:
        if self.task is None:
            return
        task = self.progress.tasks[self.task]
        self.progress.update(
            self.task,
            advance=nbytes if self.by_bytes else docs,
            docs=task.fields["docs"] + docs,
            mb=task.fields["mb"] + nbytes / 1e6,
        )


def _summary(result: RunResult) -> None:
    stats = result.stats
    table = Table(title="stages", show_lines=False)
    for column in ("stage", "in", "out", "removed (by reason)", "lines removed", "quarantined", "seconds"):
        table.add_column(column, justify="left" if column in ("stage", "removed (by reason)") else "right")
    for label, s in stats.stages.items():
        reasons = _top_reasons(s.removed)
        if s.would_remove:
            reasons += " would: " + _top_reasons(s.would_remove)
        table.add_row(
            label,
            f"{s.docs_in:,}",
            f"{s.docs_out:,}",
            reasons,
            f"{sum(s.lines_removed.values()):,}",
            f"{s.quarantined:,}",
            f"{s.seconds:.2f}",
        )
    console.print(table)
    for label, s in stats.stages.items():
        for problem, count in s.retried_batches.items():
            console.print(
                f"[yellow]warning:[/] {label}: {count:,} batch(es) failed as a whole and were retried"
                f" row by row: {problem}"
            )
    if stats.quarantine_reasons:
        reasons = sorted(stats.quarantine_reasons.items(), key=lambda item: (-item[1], item[0]))
        console.print("quarantined: " + "; ".join(f"{k} ({v})" for k, v in reasons))
    console.print(
        f"{stats.documents_in:,} documents in {result.seconds:.1f} s with {result.workers} worker(s):"
        f" {result.docs_per_second:,.0f} docs/s, {result.mb_per_second:.2f} MB/s"
    )
    typer.echo(stats.balance_line())
    typer.echo(f"output: {result.output}")
    report = Path(result.output) / "report.html"
    if report.exists():
        typer.echo(f"report: {report}")


def _top_reasons(counts: dict[str, int]) -> str:
    """The most frequent reasons first (ties by name), then how many others there are."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{reason} {count:,}" for reason, count in ranked[:SUMMARY_REASONS])
    rest = ranked[SUMMARY_REASONS:]
    if rest:
        shown += f", {len(rest)} more ({sum(count for _, count in rest):,})"
    return shown


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


@app.command()
def run(
    pipeline: Annotated[
        Path | None, typer.Argument(help="pipeline YAML; default: the built-in pipeline")
    ] = None,
    input: Annotated[
        list[str] | None, typer.Option("--input", "-i", help="input file, folder or glob")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="output folder")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="worker processes (0 = all cores)")
    ] = None,
    engine: Annotated[str | None, typer.Option(help="local or ray")] = None,
    address: Annotated[str | None, typer.Option(help="Ray cluster address")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="remove nothing; record every decision")] = False,
    overwrite: Annotated[
        bool, typer.Option(help="start over, replacing the finished or different run the output folder holds")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Run a pipeline (resumes an interrupted run in the same output folder)."""

    def configure() -> Pipeline:
        return apply_overrides(
            load_pipeline(pipeline),
            inputs=input,
            output=output,
            workers=workers,
            engine=engine,
            address=address,
            dry_run=dry_run or None,
        )

    _run_and_summarize(configure, overwrite=overwrite, quiet=quiet)


def _run_and_summarize(configure: Callable[[], Pipeline], overwrite: bool, quiet: bool = False) -> None:
    """Build the configuration, run it with a progress display, print the summary; errors as messages."""
    try:
        config = configure()
        display = _Display(quiet)
        with display.progress:
            result = run_pipeline(
                config,
                overwrite=overwrite,
                on_phase=display.on_phase,
                on_progress=display.on_progress,
                log=console.print,
            )
    except (ConfigError, RunError) as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        console.print("interrupted: run the same command again to resume where it stopped", highlight=False)
        raise typer.Exit(130) from None
    _summary(result)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the pipeline")] = Path("pipeline.yaml"),
) -> None:
    """Write the default pipeline, commented, to start your own."""
    if path.exists():
        raise _fail(f"{path} exists; choose another name or remove it")
    path.write_text(default_pipeline_text(), encoding="utf-8")
    typer.echo(f"wrote {path}; edit it, then: saring run {path} --input YOUR_DATA --output OUT")


def sample_inputs() -> list[str]:
    """The bundled demo corpus."""
    folder = resources.files("saring") / "samples"
    return sorted(
        str(p) for p in Path(str(folder)).iterdir() if not p.name.startswith(("_", ".")) and p.is_file()
    )


@app.command()
def demo(
    output: Annotated[str, typer.Option("--output", "-o")] = "out/demo",
    workers: Annotated[int, typer.Option("--workers", "-w")] = 0,
) -> None:
    """Run the default pipeline on the bundled sample corpus."""
    _run_and_summarize(
        lambda: apply_overrides(load_pipeline(None), inputs=sample_inputs(), output=output, workers=workers),
        overwrite=True,
    )


@app.command()
def decide(
    source: Annotated[str, typer.Argument(help="a finished --dry-run output folder")],
    pipeline: Annotated[
        Path | None, typer.Argument(help="pipeline YAML with the thresholds to apply")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="output folder")] = "out-decided",
    overwrite: Annotated[bool, typer.Option(help="replace a finished run in the output folder")] = False,
) -> None:
    """Apply a pipeline's thresholds to the signals a dry run stored: no stage is recomputed."""
    from saring.decide import redecide

    try:
        result = redecide(source, load_pipeline(pipeline), output, overwrite=overwrite, log=console.print)
    except (ConfigError, RunError) as error:
        raise _fail(str(error)) from None
    _summary(result)


@app.command()
def report(
    output: Annotated[str, typer.Argument(help="a finished run's output folder")],
    max_documents: Annotated[
        int, typer.Option("--max-documents", help="documents read for distributions and samples")
    ] = 100_000,
) -> None:
    """Rebuild OUT/report.html from a finished run's outputs (nothing is rerun)."""
    from saring.report import write_report

    try:
        typer.echo(write_report(output, max_documents=max_documents))
    except FileNotFoundError as error:
        raise _fail(str(error)) from None


@app.command()
def stages() -> None:
    """List the available stages and their parameters."""
    table = Table()
    table.add_column("stage")
    table.add_column("parameters (default)")
    table.add_column("saring decide may change")
    for name in stage_names():
        cls = stage_class(name)
        fields = cls.Params.model_fields
        defaults = ", ".join(f"{k}={f.get_default(call_default_factory=True)!r}" for k, f in fields.items())
        table.add_row(name, defaults, ", ".join(sorted(cls.decide_params)) or "-")
    Console().print(table)
