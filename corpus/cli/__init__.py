"""The ``corpus`` command line: small Typer commands over the library.

Each command group lives in its own module under ``corpus/cli/`` and registers itself on :data:`app`.
Commands only parse arguments, call the library and render results; errors meant for people
(:class:`corpus.errors.CorpusError`, a full disk) are printed as one line, never as a traceback, with the exit
codes of :mod:`corpus.errors` (``EXIT_*``).
"""

from __future__ import annotations

import importlib
import sys

from corpus.cli.common import app, console_err

# One module per command group; each adds its commands to `app` on import.
COMMAND_MODULES = (
    "corpus.cli.stages",  # build, ingest, segment, prelabel
    "corpus.cli.tasks",  # tasks
    "corpus.cli.validate",  # validate
    "corpus.cli.publish",  # publish
    "corpus.cli.eval",  # eval, bench
    "corpus.cli.annotations",  # annotations ingest / merge / agreement
    "corpus.cli.preview",  # preview
    "corpus.cli.doctor",  # doctor
    "corpus.cli.train",  # train
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    # Errors inside a command become one line and an exit code in `CorpusGroup.invoke` (corpus.cli.common);
    # this catches what is raised outside any command.
    from corpus.errors import EXIT_USAGE, CorpusError

    try:
        app()
    except CorpusError as exc:
        console_err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        console_err.print("[yellow]interrupted[/]: outputs already written are complete; others were not touched")
        sys.exit(130)
