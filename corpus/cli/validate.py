"""`corpus validate`: JSON Schemas + semantic checks on documents, task files of every tool and annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corpus.cli.common import app, console_err
from corpus.errors import EXIT_FAILED
from corpus.formats import FORMATS

PATHS_HELP = (
    "documents.jsonl, the task files of "
    + ", ".join(f"{tool.title} ({', '.join([*tool.kinds, *tool.label_kinds])})" for tool in FORMATS.values())
    + ", annotations.jsonl, or folders (every known file inside, recursively)."
)


@app.command()
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(help=PATHS_HELP),
    ],
    max_problems: Annotated[int, typer.Option(help="Problems listed per file (all are counted).")] = 100,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary line.")] = False,
) -> None:
    """Check files against schemas/ and the semantic rules; one line per problem (file:line: [field] problem).

    Semantic rules: offsets inside the text, text[start:end] equals the span text, spans on token boundaries,
    tokens tile the text, sentences inside paragraphs, labels in the label set, relation ends exist, unique ids
    and _task_hash (per file). Label Studio tasks.json: region offsets in range, value.text equal to the text,
    unique region ids, relation ends and per-region choices pointing at regions, names and labels from the
    config.xml beside it. doccano: UTF-16 offsets in range and on code-point boundaries, unique entity ids,
    relation ends. Tasks validated together with documents.jsonl are checked against their documents.
    Exit code 1 when any error is found.
    """
    from corpus.validate import validate_files

    result = validate_files(paths, max_problems_per_file=max(1, max_problems))
    if not quiet:
        for problem in result.problems:
            typer.echo(f"{problem.severity}: {problem}")
    checked = [f for f in result.files if f.kind is not None]
    records = sum(f.records for f in checked)
    kinds = ", ".join(f"{Path(f.path).name} ({f.records})" for f in checked) or "none"
    errors, warnings = result.errors, result.warnings
    if not result.files and errors == 0:
        console_err.print(
            f"[bold red]error:[/] no documents, task or annotation files found in {', '.join(map(str, paths))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FAILED)
    status = "[bold red]invalid[/]" if errors else "[bold green]valid[/]"
    console_err.print(
        f"{status}: {len(checked)} files, {records:,} records checked: {errors} errors, {warnings} warnings",
        highlight=False,
        soft_wrap=True,
    )
    console_err.print(f"  files: {kinds}", highlight=False, soft_wrap=True, markup=False)
    if errors:
        raise typer.Exit(EXIT_FAILED)
