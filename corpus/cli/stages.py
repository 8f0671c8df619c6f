"""`corpus build` and the per-stage commands `ingest`, `segment`, `prelabel` (JSONL in, JSONL out)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from corpus.cli.common import app, console, console_err, make_reporter, track
from corpus.jsonl import write_jsonl
from corpus.pipeline import (
    Stats,
    drop_exact_duplicates,
    prelabel_stage,
    read_document_records,
    segment_stage,
)
from corpus.prelabel import parse_backends

BackendOpt = Annotated[
    list[str] | None,
    typer.Option("--backend", "-b", help="Labeller per layer: NAME (entities) or LAYER=NAME, e.g. "
                 "'spacy:en_core_web_sm' or 'sources=rules'. Repeatable. See `corpus doctor` for what is installed."),
]


def _summary(stats: Stats, reporter, seconds: float, outputs: list[str]) -> None:
    spans = ", ".join(f"{n} {layer}" for layer, n in stats.spans.items())
    mb = stats.characters / 1e6
    console_err.print(
        f"[bold green]done[/]: {stats.documents} documents ({mb:.2f} M chars), spans: {spans}, "
        f"{stats.relations} relations, {stats.duplicates} duplicates skipped, "
        f"{reporter.errors} errors, {reporter.warnings} warnings in {seconds:.1f}s", highlight=False)
    for out in outputs:
        console_err.print(f"  wrote {out}", highlight=False)


@app.command()
def build(
    inputs: Annotated[list[Path] | None, typer.Argument(help="Files or folders of articles (default: seeds/).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("data"),
    backend: BackendOpt = None,
    unit: Annotated[str, typer.Option(help="Task unit: paragraph, sentence or document.")] = "paragraph",
    formats: Annotated[list[str] | None, typer.Option("--format", "-f", help="Task formats to write "
                       "(prodigy, labelstudio, doccano). Repeatable; default: all.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes for the per-document stages.")] = 1,
    engine: Annotated[str, typer.Option(help="Execution engine: 'local' or 'datatrove'.")] = "local",
    resume: Annotated[bool, typer.Option(help="Reuse cached results for unchanged inputs.")] = False,
    no_dataset: Annotated[bool, typer.Option("--no-dataset", help="Skip the Hugging Face dataset.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors and the summary.")] = False,
) -> None:
    """Run every stage: ingest -> segment -> pre-label -> tasks -> validate -> dataset, into OUT."""
    from corpus.build import run_build

    reporter = make_reporter(quiet=False)
    started = time.perf_counter()
    result = run_build(
        inputs or [Path("seeds")], out, backends=parse_backends(backend or []), unit=unit,
        formats=formats or None, workers=workers, engine=engine, resume=resume,
        dataset=not no_dataset, report=reporter, progress=not quiet,
    )
    _summary(result.stats, reporter, time.perf_counter() - started, result.outputs)
    if result.invalid:
        console_err.print(f"[bold red]validation failed[/]: {result.invalid} problems (see above)")
        raise typer.Exit(1)
    if result.stats.documents == 0:
        console_err.print("[bold red]error:[/] no article could be read; nothing was written")
        raise typer.Exit(1)


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="Files (.txt .md .jsonl .html) or folders.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Documents JSONL to write.")] = Path("data/ingested.jsonl"),
    keep_boilerplate: Annotated[bool, typer.Option(help="Do not strip page boilerplate lines.")] = False,
    max_chars: Annotated[int, typer.Option(help="Largest article accepted, in characters.")] = 20_000_000,
) -> None:
    """Read articles, normalise text, strip page boilerplate; write document records as JSONL."""
    from corpus.ingest import read_documents

    reporter = make_reporter()
    stats = Stats()
    started = time.perf_counter()
    docs = drop_exact_duplicates(
        read_documents(inputs, reporter, strip_boilerplate=not keep_boilerplate, max_chars=max_chars),
        reporter, stats)

    def counted():
        for doc in track(docs, "ingest"):
            stats.count(doc)
            yield doc

    write_jsonl(out, counted())
    _summary(stats, reporter, time.perf_counter() - started, [str(out)])


@app.command()
def segment(
    documents: Annotated[Path, typer.Argument(help="Documents JSONL (from `corpus ingest`).")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("data/segmented.jsonl"),
    train: Annotated[bool, typer.Option(help="Also train Punkt on these documents' text.")] = False,
) -> None:
    """Split documents into paragraphs, sentences (Punkt, project parameters) and tokens."""
    from corpus.segment.core import Segmenter

    reporter = make_reporter()
    seg = None
    if train:
        seg = Segmenter(train_text="\n\n".join(d["text"] for d in read_document_records(documents, reporter)))
    stats = Stats()
    started = time.perf_counter()

    def counted():
        for doc in track(segment_stage(read_document_records(documents, reporter), seg), "segment"):
            stats.count(doc)
            yield doc

    write_jsonl(out, counted())
    _summary(stats, reporter, time.perf_counter() - started, [str(out)])


@app.command()
def prelabel(
    documents: Annotated[Path, typer.Argument(help="Segmented documents JSONL (from `corpus segment`).")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("data/documents.jsonl"),
    backend: BackendOpt = None,
    layer: Annotated[list[str] | None, typer.Option(help="Only these layers (entities, sources, claims).")] = None,
) -> None:
    """Add pre-labels (entities, sources, claims) to segmented documents."""
    from corpus.document import LAYERS

    reporter = make_reporter()
    stats = Stats()
    started = time.perf_counter()
    docs = read_document_records(documents, reporter)

    def counted():
        for doc in track(prelabel_stage(docs, parse_backends(backend or []), layer or LAYERS), "pre-label"):
            stats.count(doc)
            yield doc

    write_jsonl(out, counted())
    _summary(stats, reporter, time.perf_counter() - started, [str(out)])


@app.command()
def labellers() -> None:
    """List the registered labellers per layer."""
    from corpus.prelabel import available

    for layer, names in available().items():
        console.print(f"{layer}: {', '.join(names) or '-'}")
