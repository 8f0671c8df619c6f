"""The training run shared by every layer: seeded shuffles, a time budget, dev scores, the best model kept."""

from __future__ import annotations

import importlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import corpus
from corpus.errors import CorpusError
from corpus.train.engine import pick_device, require_spacy
from corpus.train.gold import GoldDoc, file_sha256
from corpus.train.modeldir import FORMAT, PIPELINE, check_output, staged_folder, write_meta

# One module per layer: labels(docs), add_component(nlp, labels) -> fresh, examples(nlp, docs, stats),
# score(nlp, dev) -> (main score, report), COMPONENT.
LAYER_MODULES = {
    "entities": "corpus.train.entities",
    "sources": "corpus.train.sources",
    "claims": "corpus.train.claims",
}
# Components a trained component may listen to (a base pipeline's shared embedding): trained along with it.
SHARED = ("tok2vec", "transformer")


@dataclass
class Settings:
    layer: str
    max_minutes: float = 20.0
    max_epochs: int = 50
    patience: int = 5  # epochs without a better dev score before stopping
    seed: int = 0
    dropout: float = 0.2
    batch_size: int = 32
    dev_share: float = 0.1
    base: str | None = None
    gpu: int | None = None


@dataclass
class Progress:
    """One evaluation: printed while training, kept in meta.json."""

    epoch: int
    examples: int
    loss: float
    dev: float | None
    seconds: float
    best: bool = False


@dataclass
class Run:
    settings: Settings
    history: list[Progress] = field(default_factory=list)
    best: Progress | None = None
    report: dict = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def layer_module(layer: str) -> ModuleType:
    if layer not in LAYER_MODULES:
        raise CorpusError(f"unknown layer '{layer}' (layers: {', '.join(LAYER_MODULES)})")
    return importlib.import_module(LAYER_MODULES[layer])


def load_base(spacy: Any, base: str) -> Any:
    """An installed pipeline (name or folder), or a corpus model folder (its pipeline/)."""
    path = Path(base)
    target = str(path / PIPELINE) if (path / PIPELINE).is_dir() else base
    try:
        return spacy.load(target)
    except (OSError, ValueError) as exc:
        raise CorpusError(
            f"--base {base}: not an installed spaCy pipeline or pipeline folder ({str(exc).splitlines()[0][:160]})"
        ) from None


def _initialise(nlp: Any, module: ModuleType, train_examples: list, fresh: bool, blank: bool) -> Any:
    """The optimizer: a blank pipeline is initialised; a base pipeline keeps its weights (new parts initialised)."""
    sample = train_examples[:2000]
    if blank:
        return nlp.initialize(lambda: sample)
    if fresh:
        nlp.get_pipe(module.COMPONENT).initialize(lambda: sample, nlp=nlp)
        return nlp.create_optimizer()
    return nlp.resume_training()


def _train_epoch(nlp: Any, batches: Iterable[list], optimizer: Any, run: Run, deadline: float) -> tuple[float, int]:
    """Update over one epoch's batches until the deadline; returns the summed loss and examples seen."""
    losses: dict[str, float] = {}
    seen = 0
    for batch in batches:
        nlp.update(batch, drop=run.settings.dropout, sgd=optimizer, losses=losses)
        seen += len(batch)
        if run.elapsed() >= deadline:
            break
    return float(sum(losses.values())), seen


def _batches(examples: list, rng: random.Random, size: int) -> Iterable[list]:
    """Shuffled batches; the first ones smaller (spaCy's compounding schedule, from 4 up to ``size``)."""
    rng.shuffle(examples)
    step, i = 4.0, 0
    while i < len(examples):
        n = max(1, int(step))
        yield examples[i : i + n]
        i += n
        step = min(float(size), step * 1.05)


def _fit(
    nlp: Any,
    module: ModuleType,
    train_examples: list,
    dev: list[GoldDoc],
    optimizer: Any,
    run: Run,
    save: Callable[[], None],
    report: Callable[[Progress], None],
) -> None:
    s = run.settings
    rng = random.Random(s.seed)
    budget = s.max_minutes * 60
    eval_seconds = 0.0  # how long one dev evaluation takes: training stops early enough to afford the last one
    stale = 0
    for epoch in range(1, s.max_epochs + 1):
        loss, seen = _train_epoch(
            nlp, _batches(train_examples, rng, s.batch_size), optimizer, run, budget - eval_seconds - 5
        )
        t0 = time.monotonic()
        with nlp.use_params(optimizer.averages):
            dev_score, details = module.score(nlp, dev) if dev else (None, {})
            point = Progress(epoch, seen, round(loss, 3), dev_score, round(run.elapsed(), 1))
            better = run.best is None or dev_score is None or (dev_score > (run.best.dev or 0.0))
            if better:
                point.best, run.best, run.report = True, point, details
                save()
        eval_seconds = time.monotonic() - t0 if dev else 0.0
        run.history.append(point)
        report(point)
        stale = 0 if better else stale + 1
        if run.elapsed() + eval_seconds + 5 >= budget or (dev and stale >= s.patience):
            break


def train(
    gold_files: list[Path],
    train_docs: list[GoldDoc],
    dev: list[GoldDoc],
    settings: Settings,
    out: Path,
    report: Callable[[Progress], None] = lambda p: None,
    dev_files: list[Path] | None = None,
) -> dict:
    """Train the layer's model on ``train_docs``, keep the best on ``dev``; write the model folder ``out``."""
    spacy = require_spacy()
    module = layer_module(settings.layer)
    check_output(out)
    label_set = module.labels(train_docs)
    if not label_set:
        raise CorpusError(f"no {settings.layer} annotations in the training gold: nothing to learn")
    pick_device(settings.gpu)
    spacy.util.fix_random_seed(settings.seed)
    nlp = load_base(spacy, settings.base) if settings.base else spacy.blank("en")
    fresh = module.add_component(nlp, label_set)
    run = Run(settings)
    train_examples = module.examples(nlp, train_docs, run.stats)
    if not train_examples:
        raise CorpusError(f"no {settings.layer} training examples could be built from the gold")
    optimizer = _initialise(nlp, module, train_examples, fresh, settings.base is None)
    trained = [module.COMPONENT] + [n for n in SHARED if n in nlp.pipe_names]
    with staged_folder(out) as stage:
        with nlp.select_pipes(enable=trained):
            _fit(nlp, module, train_examples, dev, optimizer, run, lambda: nlp.to_disk(stage / PIPELINE), report)
        meta = _meta(gold_files, dev_files, train_docs, dev, settings, label_set, run, len(train_examples))
        write_meta(stage, meta)
    return meta


def _meta(
    gold_files: list[Path],
    dev_files: list[Path] | None,
    train_docs: list[GoldDoc],
    dev: list[GoldDoc],
    settings: Settings,
    label_set: list[str],
    run: Run,
    n_examples: int,
) -> dict:
    def files(paths: list[Path]) -> list[dict]:
        return [{"path": str(p), "sha256": file_sha256(p)} for p in paths]

    best = run.best
    return {
        "format": FORMAT,
        "layer": settings.layer,
        "labels": label_set,
        "corpus_version": corpus.__version__,
        "spacy_version": require_spacy().__version__,
        "component": layer_module(settings.layer).COMPONENT,
        "training_data": {
            "files": files(gold_files),
            "dev_files": files(dev_files or []),
            "train_documents": len(train_docs),
            "dev_documents": len(dev),
            "train_examples": n_examples,
            "alignment": dict(sorted(run.stats.items())),
        },
        "settings": asdict(settings),
        "dev": {"score": best.dev if best else None, "epoch": best.epoch if best else None, "report": run.report},
        "history": [asdict(p) for p in run.history],
        "seconds": round(run.elapsed(), 1),
    }
