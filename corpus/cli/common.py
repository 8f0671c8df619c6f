"""Shared Typer app, consoles and small rendering helpers for the command modules."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

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
from typer.core import TyperGroup
from typer.exceptions import TyperException

from corpus.errors import (
    EXIT_CODES_HELP,
    EXIT_INTERNAL,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CorpusError,
    describe_os_error,
)
from corpus.report import Reporter

DEBUG_ENV = "CORPUS_DEBUG"  # set to 1 to see the traceback of an internal error

console = Console()
console_err = Console(stderr=True)


class CorpusGroup(TyperGroup):
    """Turns what a command raises into one line and the documented exit code, for every command (also
    under typer's test runner, where :func:`corpus.cli.main` is not in the way)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # usage errors: typer prints them, exit code 2
            raise
        except CorpusError as exc:
            _exit_with(str(exc), EXIT_USAGE)
        except OSError as exc:  # a full disk, a read-only folder, ...: the environment, not a bug
            _exit_with(describe_os_error(exc), EXIT_USAGE)
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            _exit_with(
                f"internal error ({type(exc).__name__}: {exc}); this is a bug: rerun with {DEBUG_ENV}=1 "
                "for the traceback and report it",
                EXIT_INTERNAL,
            )


def _exit_with(message: str, code: int) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else message
    console_err.print(f"[bold red]error:[/] {escape(first_line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


app = typer.Typer(
    name="corpus",
    cls=CorpusGroup,
    help="Turn raw news articles into pre-labelled annotation tasks and a Hugging Face dataset.\n\n"
    "Quick start: `corpus build` reads seeds/ and writes everything to data/.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Every command that writes shows the exit codes and takes the same --allow-outside option.
WRITES = {"epilog": EXIT_CODES_HELP}
AllowOutsideOpt = Annotated[
    bool,
    typer.Option(
        "--allow-outside", help="Allow an output outside the current folder (refused by default, like `corpus build`)."
    ),
]


def output_path(path: Path, kind: str = "dir", allow_outside: bool = False, inputs: Iterable[Path] = ()) -> Path:
    """The output-path rule of every writing command (:func:`corpus.safety.check_output_path`): inside the
    working folder unless ``allow_outside``, not inside an input folder, and writable as a ``kind`` ("dir" or
    "file"). Returns ``path`` unchanged so messages keep the user's spelling."""
    from corpus.safety import check_output_path

    check_output_path(path, kind, allow_outside=allow_outside, inputs=inputs)
    return path


def finish(reporter: Reporter, what: str = "inputs") -> None:
    """Exit 3 (outputs written, but some inputs skipped or items rejected) when errors were reported."""
    if reporter.errors:
        console_err.print(
            f"[yellow]incomplete[/]: {reporter.errors} {what} skipped or rejected (see above); "
            f"exit code {EXIT_PARTIAL}",
            highlight=False,
        )
        raise typer.Exit(EXIT_PARTIAL)


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
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    progress = Progress(
        *columns, console=console_err, transient=True, disable=not enabled or not console_err.is_terminal
    )
    with progress:
        progress.add_task(description, total=total)
        yield progress


@contextmanager
def phase_progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress callback for the library (``corpus.build.Progress``): a bar giving ``advance(n)`` (a spinner
    with the elapsed time when ``total`` is None)."""
    with progress_bar(total, description, enabled=True) as progress:
        task_id = progress.task_ids[0]
        yield lambda n: progress.advance(task_id, n)


def track(items: Iterable, description: str, total: int | None = None, enabled: bool = True) -> Iterator:
    """Iterate ``items`` with a progress bar (rate and ETA) when stderr is a terminal."""
    with progress_bar(total, description, enabled) as progress:
        task_id = progress.task_ids[0]
        for item in items:
            yield item
            progress.advance(task_id)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    console_err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
