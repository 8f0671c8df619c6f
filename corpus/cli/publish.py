"""`corpus publish`: documents.jsonl -> Hugging Face dataset folder (parquet configs + data card) -> the Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from corpus.cli.common import (
    WRITES,
    AllowOutsideOpt,
    app,
    console,
    console_err,
    fail,
    make_reporter,
    output_path,
    track,
)
from corpus.errors import EXIT_PARTIAL, CorpusError


@app.command(**WRITES)
def publish(
    documents: Annotated[Path, typer.Argument(help="documents.jsonl (from `corpus build` or `corpus prelabel`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write.")] = Path("data/dataset"),
    repo: Annotated[
        str | None,
        typer.Option(help="Push to this Hub dataset repo (ORG/NAME); token from the HF_TOKEN environment variable."),
    ] = None,
    private: Annotated[bool, typer.Option("--private", help="Create the Hub repo as private.")] = False,
    gold: Annotated[
        Path | None,
        typer.Option(
            help="Gold documents JSONL (from `corpus annotations merge`): "
            "build from the annotators' spans, pre-labels in prelabel_* "
            "columns."
        ),
    ] = None,
    agreement: Annotated[
        Path | None, typer.Option(help="agreement.json from `corpus annotations` for the card.")
    ] = None,
    quality: Annotated[
        list[Path] | None, typer.Option(help="`corpus eval --json` report(s) for the card. Repeatable.")
    ] = None,
    split_ratios: Annotated[
        str, typer.Option(help="train,validation,test ratios (or name=ratio,...).")
    ] = "0.8,0.1,0.1",
    group_by: Annotated[
        str | None,
        typer.Option(
            help="Document field whose articles share a split, e.g. "
            "'publisher' or 'story' (dotted paths reach nested "
            "fields)."
        ),
    ] = None,
    allow_unknown_licence: Annotated[
        bool,
        typer.Option(
            "--allow-unknown-licence",
            help="Push even if some articles' licences are unknown or not redistributable (you checked their terms).",
        ),
    ] = False,
    pretty_name: Annotated[str | None, typer.Option(help="Human-readable dataset name for the card.")] = None,
    language: Annotated[str, typer.Option(help="ISO 639 code of the articles' language.")] = "en",
    commit_message: Annotated[str | None, typer.Option(help="Hub commit message (default: counts).")] = None,
    match: Annotated[
        list[str] | None,
        typer.Option(
            "--match",
            help="Gold builds: how a pre-label matches a gold span for the card's pre-label quality and the "
            "prelabel_* columns, LAYER=RULE (entities, claims, sources; rules: exact, jaccard>=T, overlap>=T). "
            "Defaults: entities=exact, claims=jaccard>=0.5, sources=jaccard>=0.5. Repeatable.",
        ),
    ] = None,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Write a Hugging Face dataset folder and data card; push it to the Hub with --repo.

    Configs: documents (default), entities, claims, sources; splits by document hash, stable as the corpus
    grows. A push is refused when an article's licence is unknown or not redistributable (override:
    --allow-unknown-licence) or when input lines had errors (the dataset is still written: exit code 3).
    """
    output_path(out, "dir", allow_outside)
    options = {
        "gold": gold,
        "agreement": agreement,
        "quality": quality or [],
        "split_ratios": split_ratios,
        "group_by": group_by,
        "repo": repo,
        "pretty_name": pretty_name,
        "language": language,
        "match": match or [],
    }
    try:
        _publish(documents, out, repo, private, allow_unknown_licence, commit_message, options)
    except CorpusError as exc:  # one line, also under typer's test runner (main() is not in the way there)
        fail(str(exc))


def _publish(
    documents: Path,
    out: Path,
    repo: str | None,
    private: bool,
    allow_unknown_licence: bool,
    commit_message: str | None,
    options: dict,
) -> None:
    from corpus.publish import build_dataset
    from corpus.publish.hub import check_licence_gate, check_repo_id, default_commit_message, push_folder

    if repo:
        check_repo_id(repo)
    reporter = make_reporter()
    summary = build_dataset(
        documents, out, report=reporter, progress=lambda records: track(records, "publish"), **options
    )
    _print_summary(out, summary)
    if summary["errors"]:
        console_err.print(
            f"[bold red]{summary['errors']} input problems[/] (see above): fix them before a push", highlight=False
        )
        raise typer.Exit(EXIT_PARTIAL)
    if not repo:
        return
    warning = check_licence_gate(summary, allow_unknown_licence)
    if warning:
        console_err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    result = push_folder(out, repo, private=private, commit_message=commit_message or default_commit_message(summary))
    console_err.print(
        f"[bold green]pushed[/] to {result['repo']} ({'private' if private else 'public'}; card "
        f"{result['card']}): {result['url']}",
        highlight=False,
    )


def _print_summary(out: Path, summary: dict) -> None:
    """Rows per config and split (stdout), the licence mix and the files written (stderr)."""
    splits = list(summary["splits"])
    table = Table(title=f"{out} — {summary['documents']:,} documents" + (" (gold)" if summary["gold"] else ""))
    table.add_column("config")
    for split in splits:
        table.add_column(split, justify="right")
    for name, counts in summary["configs"].items():
        table.add_row(
            name + (" (default)" if name == summary["default_config"] else ""),
            *[f"{counts.get(s, 0):,}" for s in splits],
        )
    console.print(table)
    mix = summary["licences"]["by_status"]
    console_err.print(
        "licences: " + ", ".join(f"{n:,} {status.replace('_', '-')}" for status, n in mix.items() if n), highlight=False
    )
    console_err.print(f"  wrote {out}/README.md and {len(summary['files']) - 1} parquet files", highlight=False)
