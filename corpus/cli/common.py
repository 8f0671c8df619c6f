"""Shared Typer app, consoles and small rendering helpers for the command modules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from corpus.report import Reporter

app = typer.Typer(
    name="corpus",
    help="Turn raw news articles into pre-labelled annotation tasks and a Hugging Face dataset.\n\n"
    "Quick start: `corpus build` reads seeds/ and writes everything to data/.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
console_err = Console(stderr=True)


class RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f} docs/s", style="progress.data.speed")


def make_reporter(quiet: bool = False) -> Reporter:
    """A reporter that prints each problem as one line on stderr."""

    def echo(line: str) -> None:
        style = "red" if line.startswith("error") else "yellow"
        console_err.print(f"[{style}]{escape(line)}[/]", highlight=False, soft_wrap=True)

    return Reporter(echo=None if quiet else echo)


@contextmanager
def progress_bar(total: int | None, description: str, enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar with rate and ETA, on stderr, shown only on a terminal."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               RateColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
    progress = Progress(*columns, console=console_err, transient=True,
                        disable=not enabled or not console_err.is_terminal)
    with progress:
        progress.add_task(description, total=total)
        yield progress


def track(items: Iterable, description: str, total: int | None = None, enabled: bool = True) -> Iterator:
    """Iterate ``items`` with a progress bar (rate and ETA) when stderr is a terminal."""
    with progress_bar(total, description, enabled) as progress:
        task_id = progress.task_ids[0]
        for item in items:
            yield item
            progress.advance(task_id)


def fail(message: str, code: int = 2) -> None:
    console_err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
