"""Shards: the unit of parallel work and of the build cache, and what a processed shard carries back."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.pipeline.records import task_record

if TYPE_CHECKING:
    from corpus.validate.build_checks import ShardChecks

# Boundaries are content-defined (a document whose id falls in 1/SHARD_TARGET of the hash space ends a shard), so
# inserting one article upstream changes one shard, not every shard after it; the caps keep a shard's memory
# bounded. A shard also carries its rendered tasks (Prodigy's are ~60x the text), so a shard's peak memory is what
# the caps bound: a larger corpus only meets the cap more often, it never makes a bigger shard. 125k characters
# (about 27 news articles): a run without a boundary at 1M held ~60 MB of tasks, and the largest shard then set
# the build's peak RSS.
SHARD_TARGET = 32
SHARD_MAX_DOCS = 96
SHARD_MAX_CHARS = 125_000


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
    """A processed shard: its documents as JSON Lines bytes, their stats, and the problems met.

    ``data`` and the task bytes are ``memoryview`` slices of a mapped file when the result came from a worker
    through the build's spill folder (:mod:`corpus.pipeline.transport`)."""

    data: bytes | memoryview
    stats: dict
    problems: list[dict]
    cached: bool = False
    tasks: dict[str, list] | None = None  # format -> a RenderedDocument per document (when asked to render)
    checks: ShardChecks | None = None  # what the worker's checks found (when asked to check)
    rows: bytes | None = None  # the documents' dataset rows (when asked: corpus.pipeline.rows.ShardRows.dump)


# What a worker renders tasks for, right after pre-labelling: (formats, unit); a third item True also checks each
# document and its tasks there (the build's validate phase: corpus.validate.build_checks), a fourth True also
# makes each document's dataset rows there (the build's dataset phase: corpus.pipeline.rows).
RenderSpec = tuple[tuple[str, ...], str] | tuple[tuple[str, ...], str, bool] | tuple[tuple[str, ...], str, bool, bool]


class Renderer:
    """Each format's tasks for the documents of one shard, rendered (and checked) as the documents come out."""

    def __init__(self, render: RenderSpec) -> None:
        from corpus.tasks import render_formats

        self.render_formats = render_formats  # the document is cut into units once for every format
        self.formats, self.unit = render[0], render[1]
        self.tasks: dict[str, list] = {fmt: [] for fmt in self.formats}
        self.checker = None
        if len(render) > 2 and render[2]:
            from corpus.validate.build_checks import ShardChecker

            self.checker = ShardChecker()
        self.rows = None
        if len(render) > 3 and render[3]:
            from corpus.pipeline.rows import ShardRows

            self.rows = ShardRows()

    def add(self, doc: dict, line: bytes) -> None:
        """``doc``, whose JSON line is ``line``: checked as written, then rendered in every format."""
        checker = self.checker
        if checker is not None:
            checker.document(doc, line)
        task_record(doc)
        # with the checks, the renderer also keeps what it encoded: the checks take it where its JSON is the bytes
        for fmt, done in self.render_formats(doc, self.formats, self.unit, objects=checker is not None).items():
            self.tasks[fmt].append(done)
            if checker is not None:
                checker.rendered(doc, fmt, done.items, done.objects)
                done.objects = None  # checked: only the bytes go on to the parent
        if self.rows is not None:
            self.rows.add(doc, line)  # last: it fills the record's defaults in place

    def finish(self, result: ShardResult) -> ShardResult:
        result.tasks = self.tasks
        result.checks = self.checker.checks if self.checker is not None else None
        result.rows = self.rows.dump() if self.rows is not None else None
        return result


def render_shard(result: ShardResult, render: RenderSpec) -> ShardResult:
    """Render the tasks of a shard that has none yet (cached, or made by another engine) from its JSON Lines."""
    import orjson

    renderer = Renderer(render)
    for line in bytes(result.data).splitlines():  # bytes as they are; a spilled result's memoryview copied
        if line.strip():
            renderer.add(orjson.loads(line), line)
    return renderer.finish(result)


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
