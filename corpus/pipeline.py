"""Streams documents through the stages: ingest -> segment -> pre-label -> (tasks, dataset).

Each stage is a generator over document records (as in datatrove), so no stage holds the corpus in memory.
The per-document stages (segment + pre-label) run on shards of documents, in this process or in a pool of
worker processes (:func:`map_shards`); results come back in input order, as JSON Lines bytes, so the output
is byte-identical whatever the number of workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import LAYERS
from corpus.errors import CorpusError, InputProblem
from corpus.jsonl import dumps, read_jsonl
from corpus.prelabel import build_labellers, pipe
from corpus.segment.core import Segmenter, default_segmenter, segment_document

# Shards are the unit of parallel work and of the build cache. Boundaries are content-defined (a document
# whose id falls in 1/SHARD_TARGET of the hash space ends a shard), so inserting one article upstream changes
# one shard, not every shard after it; the caps keep a shard's memory bounded.
# A shard also carries its rendered tasks (Prodigy's are ~60x the text), so a shard's peak memory is what the
# caps bound: a larger corpus only meets the cap more often, it never makes a bigger shard. 125k characters
# (about 27 news articles): at 1M a long run without a boundary held ~60 MB of tasks, and the largest shard a
# corpus happened to contain set the build's peak RSS (238 MB at 1x, 270 MB at 4x polnear-train; now 192/212).
SHARD_TARGET = 32
SHARD_MAX_DOCS = 96
SHARD_MAX_CHARS = 125_000
# Shards in flight per worker: one being processed, one queued, one finished and waiting for its turn.
WINDOW_PER_WORKER = 3


@dataclass
class Stats:
    """What a run did: counted as documents stream past."""

    documents: int = 0
    characters: int = 0
    duplicates: int = 0
    near_duplicates: int = 0  # skipped as near duplicates (only with drop)
    spans: dict[str, int] = field(default_factory=lambda: {layer: 0 for layer in LAYERS})
    relations: int = 0
    failed: int = 0

    def count(self, doc: dict) -> None:
        self.documents += 1
        self.characters += len(doc["text"])
        for span in doc.get("spans", ()):
            self.spans[span["layer"]] = self.spans.get(span["layer"], 0) + 1
        self.relations += len(doc.get("relations", ()))

    def merge(self, other: Stats | dict) -> None:
        other = other if isinstance(other, Stats) else Stats.from_dict(other)
        self.documents += other.documents
        self.characters += other.characters
        self.duplicates += other.duplicates
        self.near_duplicates += other.near_duplicates
        self.relations += other.relations
        self.failed += other.failed
        for layer, n in other.spans.items():
            self.spans[layer] = self.spans.get(layer, 0) + n

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Stats:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@contextmanager
def quiet_gc(threshold: int = 50_000) -> Iterator[None]:
    """Fewer garbage-collector passes while documents stream through (undone on exit).

    Document records are trees of dicts and lists without reference cycles (reference counting frees them),
    yet every allocation counts towards CPython's next collection, and each full collection walks the loaded
    labellers' gazetteers again: about a sixth of a build's CPU time. Freezing what exists now takes the
    labellers out of the collector's sight (and keeps forked workers from copying their pages); a larger
    first-generation threshold makes passes rarer.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold, old[0]), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def drop_exact_duplicates(
    docs: Iterable[dict], report: Callable[[InputProblem], None], stats: Stats | None = None
) -> Iterator[dict]:
    """Skip a document whose normalised text (hence id) was already seen, saying which one it repeats.

    Memory stays flat on large corpora: ids are 8-byte keys and origins wait on disk (:mod:`corpus.spill`).
    """
    from corpus.spill import KeyedRecords

    with KeyedRecords() as seen:  # id -> origin of its first occurrence
        for doc in docs:
            first = seen.get(doc["id"])
            if first:
                report(
                    InputProblem(
                        doc["origin"],
                        f"exact duplicate of {first[0].decode('utf-8', 'surrogatepass')} (id {doc['id']}); skipped",
                        severity="warning",
                    )
                )
                if stats is not None:
                    stats.duplicates += 1
                continue
            seen.add(doc["id"], str(doc["origin"]).encode("utf-8", "surrogatepass"))
            yield doc


def flag_near_duplicates_stage(
    docs: Iterable[dict],
    report: Callable[[InputProblem], None],
    drop: bool = False,
    threshold: float | None = None,
    stats: Stats | None = None,
) -> Iterator[dict]:
    """Near-duplicate detection (MinHash, ``corpus.ingest.dedup``) when that module is installed."""
    try:
        from corpus.ingest.dedup import NEAR_DUPLICATES_LISTED, flag_near_duplicates
    except ModuleNotFoundError as exc:
        if exc.name != "corpus.ingest.dedup":
            raise
        yield from docs
        return
    kwargs: dict[str, Any] = {"drop": drop, "max_listed": NEAR_DUPLICATES_LISTED}  # the first few, then a count
    if stats is not None:
        kwargs["on_drop"] = lambda doc: setattr(stats, "near_duplicates", stats.near_duplicates + 1)
    if threshold is not None:
        kwargs["threshold"] = threshold
    yield from flag_near_duplicates(docs, report, **kwargs)


def segment_stage(docs: Iterable[dict], segmenter: Segmenter | None = None) -> Iterator[dict]:
    seg = segmenter or default_segmenter()
    for doc in docs:
        yield segment_document(doc, seg)


def prelabel_stage(
    docs: Iterable[dict], backends: dict[str, str] | None = None, layers: Iterable[str] = LAYERS
) -> Iterator[dict]:
    # through each labeller's batch hook, so a model backend can label many documents at once
    yield from pipe(build_labellers(backends, layers), docs)


# Fields a document record may leave out (a stage that has not run yet, hand-written input): filled before the
# record is checked. A field that is present must have the schema's shape.
_RECORD_DEFAULTS: dict[str, Callable[[], Any]] = {
    **{key: list for key in ("paragraphs", "sentences", "tokens", "spans", "relations")},
    "labellers": dict,
    "ingest": dict,
    **{key: lambda: None for key in ("title", "source_url", "publisher", "published", "licence")},
}


def with_record_defaults(obj: dict, origin: str) -> dict:
    """``obj`` with the fields it left out filled in (``origin``: where it was read)."""
    for key, default in _RECORD_DEFAULTS.items():
        if key not in obj:
            obj[key] = default()
    obj.setdefault("origin", origin)
    return obj


def read_document_records(path: str | Path, report: Callable[[InputProblem], None]) -> Iterator[dict]:
    """Document records from a JSONL file written by a previous stage. A line that is not valid JSON or not a
    document record in shape (``corpus validate``'s schema check: a ``spans`` that is null or a string, string
    offsets, ``labellers`` that is not an object, ...) is reported as ``validate`` reports it and skipped; the
    other records are yielded. Offsets and span texts are the consumers' to check: they drop a bad span, with a
    warning, and keep its document."""
    for _lineno, doc in read_numbered_document_records(path, report):
        yield doc


def read_numbered_document_records(
    path: str | Path, report: Callable[[InputProblem], None]
) -> Iterator[tuple[int, dict]]:
    """:func:`read_document_records` with each record's line number."""
    from corpus.validate import document_errors

    for lineno, obj in read_jsonl(path, on_problem=report):
        if isinstance(obj, dict):
            obj = with_record_defaults(obj, f"{path}:{lineno}")
        errors = document_errors(obj, path, lineno, semantic=False)
        if errors:
            for problem in errors:
                report(problem)
            continue
        yield lineno, obj


# --- shards and workers -----------------------------------------------------------------------------------


def shard_documents(
    docs: Iterable[dict], target: int | None = None, max_docs: int | None = None, max_chars: int | None = None
) -> Iterator[list[dict]]:
    """Group a document stream into shards with content-defined boundaries (see :data:`SHARD_TARGET`)."""
    target = target or SHARD_TARGET
    max_docs = max_docs or SHARD_MAX_DOCS
    max_chars = max_chars or SHARD_MAX_CHARS
    shard: list[dict] = []
    chars = 0
    for doc in docs:
        shard.append(doc)
        chars += len(doc["text"])
        if int(doc["id"][:8], 16) % target == 0 or len(shard) >= max_docs or chars >= max_chars:
            yield shard
            shard, chars = [], 0
    if shard:
        yield shard


@dataclass
class ShardResult:
    """A processed shard: its documents as JSON Lines bytes, their stats, and the problems met."""

    data: bytes
    stats: dict
    problems: list[dict]
    cached: bool = False
    tasks: dict[str, list] | None = None  # format -> a RenderedDocument per document (when asked to render)


# What a worker renders tasks for, right after pre-labelling: (formats, unit).
RenderSpec = tuple[tuple[str, ...], str]


def task_record(doc: dict) -> dict:
    """``doc`` with the defaults :func:`read_document_records` gives a record read back from JSON Lines."""
    for key in ("paragraphs", "sentences", "tokens", "spans", "relations"):
        doc.setdefault(key, [])
    doc.setdefault("labellers", {})
    return doc


def render_shard(result: ShardResult, render: RenderSpec) -> ShardResult:
    """Render the tasks of a shard that has none yet (cached, or made by another engine) from its JSON Lines."""
    import orjson

    from corpus.tasks import render_document

    formats, unit = render
    docs = [task_record(orjson.loads(line)) for line in result.data.splitlines() if line.strip()]
    result.tasks = {fmt: [render_document(doc, fmt, unit) for doc in docs] for fmt in formats}
    return result


@dataclass(frozen=True)
class ProcessorConfig:
    """What the per-document stages do; picklable, so worker processes can build their own processor."""

    segment: bool = True
    prelabel: bool = True
    backends: tuple[tuple[str, str], ...] = ()
    layers: tuple[str, ...] = LAYERS
    segmenter: Segmenter | None = None  # None: the project's default Punkt parameters

    def describe(self) -> dict:
        """What goes into cache keys (with the labeller versions, which only a built processor knows)."""
        return {
            "segment": self.segment,
            "prelabel": self.prelabel,
            "backends": dict(self.backends),
            "layers": list(self.layers),
            "trained_segmenter": self.segmenter is not None,
        }


class DocumentProcessor:
    """Segment and pre-label one document at a time; labellers are built once per process."""

    def __init__(self, config: ProcessorConfig):
        self.config = config
        self.segmenter = config.segmenter or default_segmenter()
        self.labellers = build_labellers(dict(config.backends), config.layers) if config.prelabel else []

    def versions(self) -> dict[str, str]:
        out = {"segmenter": f"{self.segmenter.name}@{self.segmenter.version}"} if self.config.segment else {}
        out.update({lab.layer: f"{lab.name}@{lab.version}" for lab in self.labellers})
        return out

    def process(self, doc: dict) -> dict:
        if self.config.segment:
            doc = segment_document(doc, self.segmenter)
        for labeller in self.labellers:
            doc = labeller(doc)
        return doc

    def process_shard(self, docs: list[dict], render: RenderSpec | None = None) -> ShardResult:
        """Process a shard (the list is emptied as it goes); a document a stage fails on is reported (one
        line) and left out, not fatal. With ``render``, each document's tasks are rendered too (an error
        there is a bug, not bad input: it stops the build)."""
        stats = Stats()
        problems: list[dict] = []
        lines: list[bytes] = []
        tasks: dict[str, list] | None = None
        if render is not None:
            from corpus.tasks import render_document

            formats, unit = render
            tasks = {fmt: [] for fmt in formats}
        for i, doc in enumerate(docs):
            docs[i] = None  # type: ignore[call-overload]  # free each record once encoded: bounded memory
            try:
                done = self.process(doc)
                line = dumps(done)
            except Exception as exc:  # one bad article must not stop the corpus
                stats.failed += 1
                problems.append(
                    asdict(
                        InputProblem(
                            str(doc.get("origin") or doc.get("id")),
                            f"could not be processed ({type(exc).__name__}: {exc}); skipped",
                        )
                    )
                )
                continue
            stats.count(done)
            lines.append(line)
            if tasks is not None:
                task_record(done)
                for fmt, rendered in tasks.items():
                    rendered.append(render_document(done, fmt, unit))
        lines.append(b"")
        return ShardResult(b"\n".join(lines) if len(lines) > 1 else b"", stats.to_dict(), problems, tasks=tasks)


_WORKER: DocumentProcessor | None = None
_INHERITED: DocumentProcessor | None = None  # the parent's processor, seen by forked workers
_RENDER: RenderSpec | None = None


def _init_worker(config: ProcessorConfig, render: RenderSpec | None = None) -> None:
    """Build the worker's processor once; a forked worker reuses the parent's (labellers load once)."""
    global _WORKER, _RENDER
    _WORKER = _INHERITED if _INHERITED is not None and _INHERITED.config == config else DocumentProcessor(config)
    _RENDER = render
    gc.freeze()  # a worker lives for one run: its labellers stay out of the collector's sight (see quiet_gc)
    if hasattr(os, "nice"):
        # The parent reads, deduplicates and writes in input order: it is the pipeline's critical path, and with
        # N workers on N cores it competes with them for a core; a slightly lower worker priority lets it run
        # when it has work (2 workers on 2 cores: 1.60 -> 1.68x end to end at 4x polnear-train).
        os.nice(5)
    gc.set_threshold(max(50_000, gc.get_threshold()[0]))


def _work(docs: list[dict]) -> ShardResult:
    assert _WORKER is not None, "worker used before its initializer ran"
    return _WORKER.process_shard(docs, _RENDER)


def _render_cached(result: ShardResult) -> ShardResult:
    assert _RENDER is not None
    return render_shard(result, _RENDER)


def pool_context() -> multiprocessing.context.BaseContext:
    """``fork`` where available: workers start instantly and inherit registered labellers; else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def map_shards(
    shards: Iterable[tuple[Any, list[dict] | ShardResult]],
    config: ProcessorConfig,
    workers: int = 1,
    processor: DocumentProcessor | None = None,
    render: RenderSpec | None = None,
) -> Iterator[tuple[Any, ShardResult]]:
    """Process ``(tag, shard)`` pairs in order; a pair whose second item is already a result passes through.

    With ``render = (formats, unit)`` every result carries its documents' rendered tasks
    (:func:`corpus.tasks.render_document`), made by the worker that processed the shard (or, for a result
    passed in without tasks, by any worker): the tasks phase runs in parallel too.

    With ``workers > 1`` shards go to a process pool, at most ``WINDOW_PER_WORKER * workers`` in flight
    (``Pool.imap`` would read the whole input ahead into memory); results are yielded in input order. The pool
    is started by this call, before the caller starts any thread (a progress bar): forking a threaded process
    is unsafe.
    """
    if workers <= 1:
        return _map_serial(shards, processor or DocumentProcessor(config), render)
    from concurrent.futures import ProcessPoolExecutor

    global _INHERITED
    _INHERITED = processor
    try:
        # A process pool that notices a worker killed from outside (out of memory): a multiprocessing.Pool
        # would wait for its result forever. The no-op starts every worker now.
        pool = ProcessPoolExecutor(
            workers, mp_context=pool_context(), initializer=_init_worker, initargs=(config, render)
        )
        pool.submit(int).result()
    finally:
        _INHERITED = None
    return _map_pool(pool, shards, workers, render)


def _map_serial(
    shards: Iterable[tuple[Any, list[dict] | ShardResult]], proc: DocumentProcessor, render: RenderSpec | None
) -> Iterator[tuple[Any, ShardResult]]:
    for tag, item in shards:
        if not isinstance(item, ShardResult):
            item = proc.process_shard(item, render)
        elif render is not None and item.tasks is None:
            item = render_shard(item, render)
        yield tag, item


def _map_pool(
    pool, shards: Iterable[tuple[Any, list[dict] | ShardResult]], workers: int, render: RenderSpec | None = None
) -> Iterator[tuple[Any, ShardResult]]:
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    try:
        for tag, item in shards:
            if not isinstance(item, ShardResult):
                item = pool.submit(_work, item)
            elif render is not None and item.tasks is None:
                item = pool.submit(_render_cached, item)
            window.append((tag, item))
            while len(window) >= WINDOW_PER_WORKER * workers:
                yield _ready(window.popleft())
        while window:
            yield _ready(window.popleft())
    except BrokenProcessPool:
        raise CorpusError(
            "a worker process died (killed, or out of memory?); rerun with --resume to "
            "continue from the shards already done, or with fewer --workers"
        ) from None
    finally:
        for _, pending in window:
            if not isinstance(pending, ShardResult):
                pending.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _ready(entry: tuple[Any, Any]) -> tuple[Any, ShardResult]:
    tag, pending = entry
    return tag, pending if isinstance(pending, ShardResult) else pending.result()


def process_documents(
    docs: Iterable[dict],
    config: ProcessorConfig,
    workers: int = 1,
    report: Callable[[InputProblem], None] | None = None,
    stats: Stats | None = None,
) -> Iterator[bytes]:
    """JSON Lines bytes of processed documents, shard by shard, in input order (for the per-stage commands)."""
    with quiet_gc():
        for _, result in map_shards(((None, s) for s in shard_documents(docs)), config, workers):
            if stats is not None:
                stats.merge(result.stats)
            if report is not None:
                for problem in result.problems:
                    report(InputProblem(**problem))
            yield result.data
