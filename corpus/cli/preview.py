"""`corpus preview DOCUMENTS.jsonl -o DIR`: static HTML pages to eyeball pre-labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corpus.cli import common
from corpus.cli.common import WRITES, AllowOutsideOpt, app, console_err, finish, make_reporter, output_path
from corpus.errors import EXIT_FAILED


@app.command(**WRITES)
def preview(
    documents: Annotated[
        Path, typer.Argument(help="Pre-labelled (or gold) documents JSONL.", exists=True, dir_okay=False)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for index.html and the pages.")] = Path(
        "data/preview"
    ),
    per_page: Annotated[int, typer.Option(help="Documents per page.", min=1)] = 20,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Write static, self-contained HTML pages showing entities, claims and sources highlighted."""
    from corpus.pipeline import read_document_records
    from corpus.preview import PreviewStats, write_preview

    output_path(out, "dir", allow_outside)
    reporter = make_reporter()
    stats = PreviewStats()
    docs = common.track(read_document_records(documents, reporter), "preview")
    paths = write_preview(docs, out, per_page=per_page, stats=stats)
    console_err.print(
        f"[bold green]done[/]: {stats.documents} documents on {stats.pages} pages, spans "
        + ", ".join(f"{n} {layer}" for layer, n in stats.spans.items())
        + f", {stats.relations} relations; {reporter.errors} errors\n  open {paths[0]}",
        highlight=False,
    )
    if stats.documents == 0:
        console_err.print("[bold red]error:[/] no usable document record; the preview is empty")
        raise typer.Exit(EXIT_FAILED)
    finish(reporter, "document records")
