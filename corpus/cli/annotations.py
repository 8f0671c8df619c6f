"""`corpus annotations ingest` and `corpus annotations merge`: annotations back in, gold and agreement out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from corpus.cli.common import AllowOutsideOpt, app, console, console_err, make_reporter, output_path
from corpus.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL
from corpus.formats import FORMATS

annotations_app = typer.Typer(
    help=f"Annotations back in: ingest {' / '.join(t.title for t in FORMATS.values())} exports, merge annotators "
    "into gold.",
    no_args_is_help=True,
)
app.add_typer(annotations_app, name="annotations")

DocumentsOpt = Annotated[
    Path, typer.Option("--documents", "-d", help="The documents the tasks were made from.", exists=True, dir_okay=False)
]


@annotations_app.command("ingest")
def ingest_command(
    exports: Annotated[
        list[Path],
        typer.Argument(
            help=f"{', '.join(f'{t.title} {t.exports}' for t in FORMATS.values())} (format told by content).",
            exists=True,
            dir_okay=False,
        ),
    ],
    documents: DocumentsOpt = Path("data/documents.jsonl"),
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Normalised annotations JSONL (extended if it exists: re-ingesting an export changes nothing).",
        ),
    ] = Path("data/annotations.jsonl"),
    tasks: Annotated[
        Path | None,
        typer.Option(
            "--tasks",
            help="Folder of the task files `corpus tasks` wrote: annotations on any other task are rejected.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Start OUT afresh instead of adding to it.")] = False,
    annotator: Annotated[
        str | None,
        typer.Option(
            help="Annotator of doccano exports (they name nobody); default: "
            "the file name without extension, as doccano names per-user "
            "exports USERNAME.jsonl."
        ),
    ] = None,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Map every annotated span back to its document; reject (one line each) what does not fit.

    Prodigy and Label Studio offsets are code points; doccano offsets are UTF-16 code units and are converted
    back to code points (an offset inside a surrogate pair is rejected). doccano has no accept/reject: every
    exported example counts as accepted (export only approved documents).

    One bad item rejects that item only (a span, a relation, a line, the rest of a truncated file); every
    rejected item is written with its reason to OUT's rejects file (annotations.rejects.jsonl beside
    annotations.jsonl), to fix and ingest again. Exit 0: all accepted; 3: some rejected; 1: nothing usable.
    """
    from corpus.annotations import ingest_annotations
    from corpus.annotations.ingest import rejects_path

    output_path(out, "file", allow_outside)
    reporter = make_reporter()
    stats = ingest_annotations(exports, documents, out, reporter, tasks_dir=tasks, fresh=fresh, annotator=annotator)
    answers = ", ".join(f"{n} {a}" for a, n in stats.by_answer.items())
    console_err.print(
        f"[bold green]done[/]: {stats.read} annotations read ({answers}): {stats.added} new, {stats.replaced} "
        f"updated, {stats.unchanged} already there; {stats.rejected} items rejected",
        highlight=False,
        soft_wrap=True,
    )
    for name, counts in stats.files.items():
        partial = f" ({counts.partial} of them with items rejected)" if counts.partial else ""
        console_err.print(
            f"  {escape(name)}: {counts.accepted} annotations accepted{partial}, {counts.rejected} items rejected",
            highlight=False,
            soft_wrap=True,
        )
    rejects = f", rejected items with their reasons: {escape(str(rejects_path(out)))}" if stats.rejects else ""
    console_err.print(f"  wrote {escape(str(out))}{rejects}", highlight=False, soft_wrap=True)
    raise typer.Exit(_exit_code(bool(stats.rejects) or reporter.errors > 0, stats.read > 0))


@annotations_app.command("merge")
def merge_command(
    annotations: Annotated[
        Path, typer.Argument(help="annotations.jsonl from `corpus annotations ingest`.", exists=True, dir_okay=False)
    ],
    documents: DocumentsOpt = Path("data/documents.jsonl"),
    policy: Annotated[
        str, typer.Option(help="'majority' or 'adjudicator:NAME' (NAME's answers win where NAME annotated).")
    ] = "majority",
    out: Annotated[Path, typer.Option("--out", "-o", help="Gold documents JSONL.")] = Path("data/gold.jsonl"),
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Agreement and pre-label acceptance JSON.")
    ] = Path("data/agreement.json"),
    match: Annotated[
        str,
        typer.Option(
            "--match",
            help="When two spans are the same, for agreement and pre-label acceptance: 'exact', 'jaccard>=T' "
            "or 'overlap>=T' (0 < T <= 1). The report names it.",
        ),
    ] = "exact",
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Combine annotators per document and layer; report agreement and how many pre-labels were kept."""
    from corpus.annotations import Policy, merge_annotations
    from corpus.scoring import MatchRule

    # Options are checked before any file is read or written: a mistyped rule is one line, not a half run.
    merge_policy, match_rule = Policy.parse(policy), MatchRule.parse(match)
    output_path(out, "file", allow_outside)
    if report_path is not None:
        output_path(report_path, "file", allow_outside)
    reporter = make_reporter()
    summary = merge_annotations(annotations, documents, merge_policy, out, report_path, reporter, match_rule)
    _render(summary)
    console_err.print(f"  wrote {out}" + (f", {report_path}" if report_path else ""), highlight=False)
    raise typer.Exit(_exit_code(reporter.errors > 0, summary["documents"]["annotated"] > 0))


def _exit_code(problems: bool, wrote_something: bool) -> int:
    """0: everything used; 3: some inputs or items rejected, the rest written; 1: rejected and nothing usable."""
    if not problems:
        return EXIT_OK
    return EXIT_PARTIAL if wrote_something else EXIT_FAILED


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _render(summary: dict) -> None:
    from rich.table import Table

    docs, gold = summary["documents"], summary["gold"]
    console_err.print(
        f"[bold green]done[/]: {docs['annotated']} of {docs['total']} documents annotated by "
        f"{len(summary['annotators'])} annotators ({summary['policy']}); gold spans "
        + ", ".join(f"{n} {layer}" for layer, n in gold["spans"].items())
        + f", {gold['relations']} relations; {summary['ties']['count']} ties",
        highlight=False,
    )
    agreement = Table(title="inter-annotator agreement")
    for col in ("layer", "pairs", "micro F1", "mean F1", "kappa", "alpha"):
        agreement.add_column(col)
    for layer, numbers in summary["agreement"].items():
        if "pairs" in numbers and "micro_f1" in numbers:
            agreement.add_row(
                layer, str(len(numbers["pairs"])), _fmt(numbers["micro_f1"]), _fmt(numbers["mean_f1"]), "", ""
            )
        else:
            agreement.add_row(
                layer,
                str(len(numbers["pairs"])),
                "",
                "",
                _fmt(numbers["cohen_kappa"]),
                _fmt(numbers["krippendorff_alpha"]),
            )
    acceptance = Table(title="pre-label acceptance (against the merged gold)")
    for col in ("labeller", "layer", "pre-labels", "gold", "precision", "recall", "F1"):
        acceptance.add_column(col)
    for row in summary["acceptance"]:
        acceptance.add_row(
            row["labeller"],
            row["layer"],
            str(row.get("prelabels", row.get("items"))),
            str(row.get("gold", "")),
            _fmt(row["precision"]),
            _fmt(row["recall"]),
            _fmt(row["f1"]),
        )
    console.print(agreement)
    console.print(acceptance)
