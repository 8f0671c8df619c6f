"""`corpus eval`: score segmentation and pre-labels against a gold JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from corpus.cli.common import WRITES, AllowOutsideOpt, app, console, console_err, finish, make_reporter, output_path
from corpus.errors import EXIT_FAILED
from corpus.jsonl import dumps
from corpus.prelabel import parse_backends


@app.command("eval", **WRITES)
def eval_command(
    gold: Annotated[
        Path,
        typer.Argument(help="Gold JSONL (id, text and any of paragraphs, sentences, entities, attributions, claims)."),
    ],
    label_map: Annotated[
        str | None,
        typer.Option(
            "--label-map",
            help="Map our entity labels onto the gold ones: 'conll' (built-in), a file (JSON object "
            "or OURS=GOLD lines), or 'A=B,C=-' ('-' drops a label).",
        ),
    ] = None,
    backend: Annotated[
        list[str] | None,
        typer.Option(
            "--backend",
            "-b",
            help="Labeller per layer: NAME (entities) or LAYER=NAME, e.g. 'spacy:en_core_web_sm'. Repeatable.",
        ),
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="Write the predictions to this JSONL, in the gold format.")
    ] = None,
    match: Annotated[
        list[str] | None,
        typer.Option(
            "--match",
            help="Matching rule per layer, LAYER=RULE (entities, attributions, claims; rules: exact, "
            "jaccard>=T, overlap>=T). Defaults: entities=exact, attributions=jaccard>=0.5, claims=overlap>=0.5. "
            "Repeatable.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    limit: Annotated[int | None, typer.Option(help="Score only the first N gold documents.", min=1)] = None,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Score segmentation and pre-labels against gold data; print precision / recall / F1 per layer."""
    from corpus.evaluate import evaluate, parse_label_map, parse_rules

    if predictions is not None:
        output_path(predictions, "file", allow_outside)
    map_name, mapping = parse_label_map(label_map)
    rules = parse_rules(match or [])
    reporter = make_reporter()
    result = evaluate(
        gold,
        backends=parse_backends(backend or []),
        label_map=mapping,
        predictions_out=predictions,
        limit=limit,
        report=reporter,
        rules=rules,
    )
    if map_name is not None:
        result["label_map_name"] = map_name
    if as_json:
        console.file.write(dumps(result).decode("utf-8") + "\n")
        console.file.flush()
    else:
        _print_table(gold, result, map_name)
    for note in result["notes"]:
        console_err.print(f"[yellow]note[/]: {note}", highlight=False)
    if predictions is not None:
        console_err.print(f"wrote {predictions}", highlight=False)
    if result["documents"] == 0:
        console_err.print("[bold red]error:[/] no gold document could be read")
        raise typer.Exit(EXIT_FAILED)
    finish(reporter, "gold records")


def _print_table(gold: Path, result: dict, map_name: str | None) -> None:
    """The report as one table, the matching rules under it, the speed on stderr."""
    from corpus.evaluate import summary_rows

    labellers = ", ".join(f"{k}={v}" for k, v in result["labellers"].items()) or "none"
    table = Table(
        title=f"{gold} — {result['documents']} documents; labellers: {labellers}"
        + (f"; label map: {map_name}" if map_name else "")
    )
    for column in ("layer", "measure", "P", "R", "F1", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column in ("layer", "measure") else "right")
    for layer, measure, prf in summary_rows(result):
        table.add_row(
            layer,
            measure,
            *(f"{prf[k]:.3f}" for k in ("precision", "recall", "f1")),
            *(str(prf[k]) for k in ("tp", "fp", "fn")),
        )
    console.print(table)
    if result["matching"]:
        rules = ", ".join(f"{layer} {rule}" for layer, rule in result["matching"].items())
        console.print(f"matching rules: {rules}", highlight=False)
    mb_s = result["characters"] / 1e6 / result["seconds"] if result["seconds"] else 0.0
    console_err.print(
        f"{result['characters']:,} characters in {result['seconds']:.1f}s ({mb_s:.2f} MB/s)", highlight=False
    )
