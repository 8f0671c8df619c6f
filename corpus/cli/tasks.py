"""`corpus tasks`: annotation tasks for Prodigy, Label Studio or doccano from pre-labelled documents."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from corpus.cli.common import WRITES, AllowOutsideOpt, app, console_err, fail, finish, make_reporter, output_path, track
from corpus.errors import EXIT_FAILED
from corpus.formats import FORMAT_NAMES, FORMATS

TASKS_HELP = (
    """Write annotation tasks for a labelling tool from pre-labelled documents (JSONL).

One task per unit (paragraph, sentence or whole document); a unit is widened over several sentences or
paragraphs rather than cut through a span or an attribution. Each task records doc_id, unit, unit_index
and offset, so document offset = offset + task offset.

\b
"""
    + "\n".join(
        f"{name:<13}{line}" if i == 0 else f"{'':13}{line}"
        for name, tool in FORMATS.items()
        for i, line in enumerate(tool.help.splitlines())
    )
    + "\n"
)


@app.command(help=TASKS_HELP, **WRITES)
def tasks(
    documents: Annotated[
        Path,
        typer.Argument(
            help="Pre-labelled documents JSONL (from `corpus prelabel` or `corpus build`: data/documents.jsonl)."
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"{', '.join(FORMAT_NAMES[:-1])} or {FORMAT_NAMES[-1]}.")
    ] = "prodigy",
    unit: Annotated[
        str,
        typer.Option(
            "--unit",
            "-u",
            help="paragraph, sentence or document (the span views; "
            "Prodigy choice tasks always use the claim's sentence).",
        ),
    ] = "paragraph",
    order: Annotated[
        str,
        typer.Option(
            "--order",
            help="document (default) or uncertain: tasks whose unit holds what a model labeller is least sure "
            "of first (claims scored near 0.5, entity/source spans the rules disagree with); needs model "
            "pre-labels (--backend LAYER=model:PATH).",
        ),
    ] = "document",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: data/tasks/FORMAT).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    from corpus.pipeline import read_document_records
    from corpus.tasks import ORDERS, UNITS, TaskStats, write_tasks

    if fmt not in FORMATS:
        fail(f"unknown format '{fmt}' (choose from {', '.join(FORMAT_NAMES)})")
    if unit not in UNITS:
        fail(f"unknown unit '{unit}' (choose from {', '.join(UNITS)})")
    if order not in ORDERS:
        fail(f"unknown order '{order}' (choose from {', '.join(ORDERS)})")
    if not documents.is_file():
        fail(f"{documents}: no such file")
    out = output_path(out or Path("data") / "tasks" / fmt, "dir", allow_outside)
    reporter = make_reporter()
    stats = TaskStats()
    started = time.perf_counter()
    docs = track(read_document_records(documents, reporter), f"tasks ({fmt})", enabled=not quiet)
    paths = write_tasks(docs, out, fmt=fmt, unit=unit, report=reporter, stats=stats, order=order)
    left_out = []
    if stats.skipped_documents:
        left_out.append(f"{stats.skipped_documents} unsegmented documents")
    if stats.skipped_spans:
        left_out.append(f"{stats.skipped_spans} spans off token boundaries or malformed")
    if stats.skipped_relations:
        left_out.append(f"{stats.skipped_relations} relations")
    if stats.overlapping_entities:
        left_out.append(f"{stats.overlapping_entities} overlapping entities (ner.manual only)")
    console_err.print(
        f"[bold green]done[/]: {stats.documents} documents, {stats.units} {unit} units "
        f"({stats.widened_units} widened to keep a span or relation whole) in "
        f"{time.perf_counter() - started:.1f}s" + (f"; left out: {', '.join(left_out)}" if left_out else ""),
        highlight=False,
    )
    if stats.hash_collisions:
        console_err.print(
            f"  {stats.hash_collisions} 32-bit hash collisions re-hashed with a salt (hashes stay unique per file)",
            highlight=False,
        )
    for path in paths:
        count = stats.tasks.get(path.name)
        console_err.print(f"  wrote {path}" + (f" ({count} tasks)" if count is not None else ""), highlight=False)
    if stats.documents == 0:
        console_err.print("[bold red]error:[/] no document could be turned into tasks")
        raise typer.Exit(EXIT_FAILED)
    finish(reporter, "document records")
