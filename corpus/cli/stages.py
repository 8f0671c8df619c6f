"""`corpus build` and the per-stage commands `ingest`, `segment`, `prelabel` (JSONL in, JSONL out)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from corpus.cli.common import (
    WRITES,
    AllowOutsideOpt,
    app,
    console,
    console_err,
    finish,
    make_reporter,
    output_path,
    phase_progress,
    track,
)
from corpus.errors import EXIT_FAILED
from corpus.formats import FORMAT_NAMES
from corpus.ingest.parts import DEFAULT_PART_CHARS
from corpus.jsonl import write_jsonl
from corpus.pipeline import Stats, read_document_records
from corpus.prelabel import parse_backends

DropNearDuplicatesOpt = Annotated[
    bool,
    typer.Option(
        "--drop-near-duplicates", help="Skip near-duplicate articles (MinHash) instead of only reporting them."
    ),
]
PartCharsOpt = Annotated[
    int,
    typer.Option(
        "--part-chars",
        help="An article longer than this many characters is built as several documents, cut at paragraph or "
        "sentence ends (each records its place in ingest.part); 0 never cuts. Bounds a build's memory.",
        min=0,
    ),
]
BackendOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--backend",
        "-b",
        help="Labeller per layer: NAME (entities) or LAYER=NAME, e.g. "
        "'spacy:en_core_web_sm' or 'sources=rules'. Repeatable. See `corpus doctor` for what is installed.",
    ),
]


def _summary(
    stats: Stats, reporter, seconds: float, outputs: list[str], note: str = "", quiet: bool = False, rate: bool = True
) -> None:
    """One line: documents, spans per layer, problems, time and throughput; then the outputs (unless quiet)."""
    spans = ", ".join(f"{n:,} {layer}" for layer, n in stats.spans.items())
    mb = stats.characters / 1e6
    rate = f", {stats.documents / seconds:,.0f} docs/s, {mb / seconds:.2f} M chars/s" if rate and seconds > 0.05 else ""
    skipped = f", {stats.duplicates} duplicates skipped" if stats.duplicates else ""
    if stats.near_duplicates:
        skipped += f", {stats.near_duplicates} near duplicates skipped"
    failed = f", {stats.failed} failed" if stats.failed else ""
    console_err.print(
        f"[bold green]done[/]: {stats.documents:,} documents ({stats.characters:,} chars); spans: {spans}; "
        f"{stats.relations:,} relations{skipped}{failed}; {reporter.errors} errors, {reporter.warnings} warnings; "
        f"{seconds:.1f}s{rate}{note}",
        highlight=False,
        soft_wrap=True,
    )
    if not quiet:
        for out in outputs:
            console_err.print(f"  wrote {out}", highlight=False)


@app.command(**WRITES)
def build(
    inputs: Annotated[list[Path] | None, typer.Argument(help="Files or folders of articles (default: seeds/).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("data"),
    backend: BackendOpt = None,
    unit: Annotated[str, typer.Option(help="Task unit: paragraph, sentence or document.")] = "paragraph",
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format", "-f", help=f"Task formats to write ({', '.join(FORMAT_NAMES)}). Repeatable; default: all."
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            help="Worker processes for segmentation and pre-labelling (output is identical for any number).",
            min=1,
        ),
    ] = 1,
    engine: Annotated[
        str,
        typer.Option(
            help="Execution engine: 'local' (this machine's processes) or "
            "'datatrove' (HF datatrove steps; needs the 'datatrove' extra)."
        ),
    ] = "local",
    executor: Annotated[
        str,
        typer.Option(
            help="With --engine datatrove: datatrove's executor, 'local' (this machine), 'ray' (the Ray cluster "
            "RAY_ADDRESS or `ray start` gives, else a local one; needs the 'ray' extra) or 'slurm' (sbatch)."
        ),
    ] = "local",
    executor_option: Annotated[
        list[str] | None,
        typer.Option(
            "--executor-option",
            help="KEY=VALUE passed to the executor (e.g. partition=cpu, time=02:00:00, mem_per_cpu_gb=1). Repeatable.",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted build: reuse shards already processed (cached in OUT/.cache).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Rebuild even when inputs, settings and code are unchanged.")] = False,
    drop_near_duplicates: DropNearDuplicatesOpt = False,
    part_chars: PartCharsOpt = DEFAULT_PART_CHARS,
    near_duplicate_threshold: Annotated[
        float | None,
        typer.Option(
            help="Jaccard similarity from which two articles count as near duplicates (default: the detector's).",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    no_dataset: Annotated[bool, typer.Option("--no-dataset", help="Skip the Hugging Face dataset.")] = False,
    no_validate: Annotated[
        bool,
        typer.Option(
            "--no-validate", help="Skip checking the outputs against the schemas (run `corpus validate` later)."
        ),
    ] = False,
    allow_outside: AllowOutsideOpt = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bar or list of outputs; problems and the summary line are still printed."
        ),
    ] = False,
) -> None:
    """Run every stage: ingest -> segment -> pre-label -> tasks -> validate -> dataset, into OUT.

    The outputs are replaced as one unit only when the whole build succeeded; a rerun with unchanged
    inputs, settings and code rewrites nothing. Articles that cannot be used are reported and skipped; the
    others are built (exit code 3). Duplicates are reported, not errors.
    """
    from corpus.build import run_build
    from corpus.engines.executors import parse_executor_options

    output_path(out, "dir", allow_outside, inputs or [Path("seeds")])
    reporter = make_reporter(quiet=False)
    result = run_build(
        inputs or [Path("seeds")],
        out,
        backends=parse_backends(backend or []),
        unit=unit,
        formats=formats or None,
        workers=workers,
        engine=engine,
        executor=executor,
        executor_options=parse_executor_options(executor_option or []),
        resume=resume,
        dataset=not no_dataset,
        report=reporter,
        progress=None if quiet else phase_progress,
        drop_near_duplicates=drop_near_duplicates,
        near_duplicate_threshold=near_duplicate_threshold,
        part_chars=part_chars,
        force=force,
        allow_outside=allow_outside,
        validate=not no_validate,
    )
    if result.up_to_date:
        note = f" (up to date: nothing changed since the last build in {out}, nothing rewritten)"
    elif result.cached_shards:
        note = f" ({result.cached_shards} of {result.shards} shards reused from {out / '.cache'})"
    else:
        note = ""
    _summary(
        result.stats,
        reporter,
        result.seconds,
        result.outputs,
        note,
        quiet=quiet or result.up_to_date,
        rate=not result.up_to_date,
    )
    if result.invalid:
        console_err.print(f"[bold red]validation failed[/]: {result.invalid} problems (see above)")
        raise typer.Exit(EXIT_FAILED)
    if result.stats.documents == 0:
        console_err.print("[bold red]error:[/] no article could be read; nothing was written")
        raise typer.Exit(EXIT_FAILED)
    finish(reporter, "articles")


@app.command(**WRITES)
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="Files (.txt .md .jsonl .html) or folders.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Documents JSONL to write.")] = Path("data/ingested.jsonl"),
    keep_boilerplate: Annotated[bool, typer.Option(help="Do not strip page boilerplate lines.")] = False,
    max_chars: Annotated[int, typer.Option(help="Largest article accepted, in characters.")] = 20_000_000,
    part_chars: PartCharsOpt = DEFAULT_PART_CHARS,
    drop_near_duplicates: DropNearDuplicatesOpt = False,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Read articles, normalise text, strip page boilerplate, report duplicates; write document records.

    Articles that cannot be used are reported and skipped; the others are written (exit code 3).
    Duplicates are reported, not errors.
    """
    from corpus.ingest import read_documents
    from corpus.pipeline import ingest_stages, run_stages

    output_path(out, "file", allow_outside, inputs)
    reporter = make_reporter()
    stats = Stats()
    started = time.perf_counter()
    articles = read_documents(
        inputs, reporter, strip_boilerplate=not keep_boilerplate, max_chars=max_chars, part_chars=part_chars
    )
    docs = run_stages(ingest_stages(reporter, stats, drop_near=drop_near_duplicates), articles)

    def counted():
        for doc in track(docs, "ingest"):
            stats.count(doc)
            yield doc

    written = write_jsonl(out, counted(), skip_if_empty=True)
    _summary(stats, reporter, time.perf_counter() - started, [str(out)] if written else [])
    if not written:
        console_err.print("[bold red]error:[/] no article could be read; nothing was written")
        raise typer.Exit(EXIT_FAILED)
    finish(reporter, "articles")


WorkersOpt = Annotated[
    int, typer.Option("--workers", "-w", help="Worker processes (output identical for any number).", min=1)
]


def _write_processed(out: Path, docs, config, workers: int, reporter, stats: Stats, what: str) -> None:
    """Stream documents through the per-document stages (in order, ``workers`` processes) into ``out``."""
    from corpus.jsonl import atomic_writer
    from corpus.pipeline import process_documents

    with atomic_writer(out) as fh:
        for chunk in process_documents(track(docs, what), config, workers, reporter, stats):
            fh.write(chunk)


@app.command(**WRITES)
def segment(
    documents: Annotated[Path, typer.Argument(help="Documents JSONL (from `corpus ingest`).")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("data/segmented.jsonl"),
    train: Annotated[bool, typer.Option(help="Also train Punkt on these documents' text.")] = False,
    workers: WorkersOpt = 1,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Split documents into paragraphs, sentences (Punkt, project parameters) and tokens."""
    from corpus.pipeline import ProcessorConfig
    from corpus.segment.core import Segmenter

    output_path(out, "file", allow_outside)
    reporter = make_reporter()
    seg = None
    if train:
        seg = Segmenter(train_text="\n\n".join(d["text"] for d in read_document_records(documents, reporter)))
    stats = Stats()
    started = time.perf_counter()
    config = ProcessorConfig(stages=("segment",), segmenter=seg)
    _write_processed(out, read_document_records(documents, reporter), config, workers, reporter, stats, "segment")
    _summary(stats, reporter, time.perf_counter() - started, [str(out)])
    finish(reporter, "document records")


@app.command(**WRITES)
def prelabel(
    documents: Annotated[Path, typer.Argument(help="Segmented documents JSONL (from `corpus segment`).")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("data/documents.jsonl"),
    backend: BackendOpt = None,
    layer: Annotated[list[str] | None, typer.Option(help="Only these layers (entities, sources, claims).")] = None,
    workers: WorkersOpt = 1,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Add pre-labels (entities, sources, claims) to segmented documents."""
    from corpus.document import LAYERS
    from corpus.errors import CorpusError
    from corpus.pipeline import ProcessorConfig

    unknown = [name for name in layer or () if name not in LAYERS]
    if unknown:
        raise CorpusError(f"unknown layer(s) {', '.join(unknown)} (layers: {', '.join(LAYERS)})")
    output_path(out, "file", allow_outside)
    reporter = make_reporter()
    stats = Stats()
    started = time.perf_counter()
    config = ProcessorConfig(
        stages=tuple(layer or LAYERS), backends=tuple(sorted(parse_backends(backend or []).items()))
    )
    _write_processed(out, read_document_records(documents, reporter), config, workers, reporter, stats, "pre-label")
    _summary(stats, reporter, time.perf_counter() - started, [str(out)])
    finish(reporter, "document records")


@app.command()
def labellers() -> None:
    """List the labellers per layer (built-in, plugins, registered): version, origin and options."""
    from corpus.document import LAYERS
    from corpus.prelabel import describe, problems

    def say(line: str, err: bool = False) -> None:
        (console_err if err else console).print(line, markup=False, highlight=False, soft_wrap=True)

    infos = describe()
    for layer in LAYERS:
        say(layer)
        for info in (i for i in infos if i.layer == layer):
            say(
                f"  {info.name}  BROKEN: {info.problem}"
                if info.problem
                else f"  {info.name}  version {info.version}  ({info.origin})"
            )
            for opt in info.options:
                default = "packaged" if opt.path and opt.default is None else opt.default
                say(f"      {opt.name}={'FILE' if opt.path else 'VALUE'}  default: {default or '-'}  {opt.help}")
    for line in problems():
        say(f"warning: {line}", err=True)
    say("choose with --backend LAYER=NAME[:VALUE][:KEY=VALUE]..., e.g. --backend entities=rules:gazetteer=team.tsv")
