"""`corpus train`: train a pre-labeller for one layer from gold annotations (spaCy, an optional extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corpus.cli.common import WRITES, AllowOutsideOpt, app, console_err, finish, make_reporter, output_path


def _progress_line(point) -> None:  # a corpus.train.loop.Progress
    dev = "   -  " if point.dev is None else f"{point.dev:.4f}"
    mark = "  best, saved" if point.best else ""
    console_err.print(
        f"epoch {point.epoch:>3}  examples {point.examples:>7,}  loss {point.loss:>12,.2f}  "
        f"dev {dev}  {point.seconds:>7.1f}s{mark}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("train", **WRITES)
def train_command(
    layer: Annotated[str, typer.Argument(help="Layer to learn: entities, sources or claims.")],
    gold: Annotated[
        list[Path],
        typer.Argument(
            help="Gold JSONL: the evaluation format (../shared/eval) or "
            "data/gold.jsonl from `corpus annotations merge`."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write (replaced atomically).")],
    dev: Annotated[
        list[Path] | None,
        typer.Option(
            "--dev", help="Dev gold JSONL (repeatable). Default: a stable hash split of the gold (--dev-share)."
        ),
    ] = None,
    dev_share: Annotated[
        float,
        typer.Option(
            help="Share of the gold held out for dev when --dev is not given "
            "(0 trains on everything and keeps the last model)."
        ),
    ] = 0.1,
    base: Annotated[
        str | None,
        typer.Option(
            help="Start from an installed spaCy pipeline (name or folder) or a model folder instead of from scratch."
        ),
    ] = None,
    gpu: Annotated[int | None, typer.Option(help="GPU id to train on (needs cupy); default CPU.")] = None,
    max_minutes: Annotated[float, typer.Option(help="Time budget, dev evaluations included.", min=0.05)] = 20.0,
    max_epochs: Annotated[int, typer.Option(help="At most this many passes over the training data.", min=1)] = 50,
    patience: Annotated[int, typer.Option(help="Stop after this many epochs without a better dev score.", min=1)] = 5,
    seed: Annotated[int, typer.Option(help="Random seed (shuffles, initial weights, dropout).")] = 0,
    dropout: Annotated[float, typer.Option(help="Dropout rate while training.", min=0.0, max=0.9)] = 0.2,
    batch_size: Annotated[int, typer.Option(help="Largest batch, in sentences (batches grow from 4).", min=1)] = 32,
    allow_outside: AllowOutsideOpt = False,
) -> None:
    """Train a model labeller from gold annotations; the best model on dev is kept.

    Use it with `--backend LAYER=model:PATH` (or `model:PATH+rules`) in build, prelabel and eval.
    """
    from corpus.train.engine import require_spacy
    from corpus.train.gold import load_gold, split_gold
    from corpus.train.loop import Settings, layer_module, train

    layer_module(layer)  # an unknown layer, or spaCy missing, fails before any gold is read
    require_spacy()
    output_path(out, "dir", allow_outside, [*gold, *(dev or [])])
    reporter = make_reporter()
    docs = load_gold(gold, report=reporter)
    if dev:
        train_docs, dev_docs = docs, load_gold(dev, report=reporter)
    else:
        train_docs, dev_docs = split_gold(docs, dev_share)
    console_err.print(
        f"{layer}: {len(train_docs):,} training documents, {len(dev_docs):,} dev documents", highlight=False
    )
    settings = Settings(
        layer,
        max_minutes=max_minutes,
        max_epochs=max_epochs,
        patience=patience,
        seed=seed,
        dropout=dropout,
        batch_size=batch_size,
        dev_share=0.0 if dev else dev_share,
        base=base,
        gpu=gpu,
    )
    meta = train(list(gold), train_docs, dev_docs, settings, out, report=_progress_line, dev_files=dev)
    score = meta["dev"]["score"]
    best = "no dev set: last model kept" if score is None else f"best dev {score:.4f} (epoch {meta['dev']['epoch']})"
    console_err.print(
        f"[bold green]done[/]: {best}; {len(meta['labels'])} labels; {meta['seconds']:.0f}s; wrote {out}",
        highlight=False,
    )
    finish(reporter)
