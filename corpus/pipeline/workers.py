"""Shards through the document stages in this process or a pool of worker processes, results in input order."""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError, InputProblem
from corpus.memory import one_malloc_arena
from corpus.pipeline.processor import DocumentProcessor, ProcessorConfig
from corpus.pipeline.records import Stats
from corpus.pipeline.shards import RenderSpec, ShardResult, quiet_gc, render_shard, shard_documents
from corpus.pipeline.transport import Spilled, restore, spill

# Shards in flight per worker: one being processed, one queued, one finished and waiting for its turn.
WINDOW_PER_WORKER = 3

_WORKER: DocumentProcessor | None = None
_INHERITED: DocumentProcessor | None = None  # the parent's processor, seen by forked workers
_RENDER: RenderSpec | None = None
_SPILL: Path | None = None  # where the worker writes its results' large byte strings (corpus.pipeline.transport)


def _init_worker(config: ProcessorConfig, render: RenderSpec | None = None, spill_to: Path | None = None) -> None:
    """Build the worker's processor once; a forked worker reuses the parent's (labellers load once)."""
    global _WORKER, _RENDER, _SPILL
    _WORKER = _INHERITED if _INHERITED is not None and _INHERITED.config == config else DocumentProcessor(config)
    _RENDER, _SPILL = render, spill_to
    gc.freeze()  # a worker lives for one run: its labellers stay out of the collector's sight (see quiet_gc)
    if hasattr(os, "nice"):
        # The parent reads, deduplicates and writes in input order: it is the pipeline's critical path, and with
        # N workers on N cores it competes with them for a core; a slightly lower worker priority lets it run
        # when it has work (2 workers on 2 cores: 1.60 -> 1.68x end to end).
        os.nice(5)
    gc.set_threshold(max(50_000, gc.get_threshold()[0]))


def _sent(result: ShardResult) -> ShardResult | Spilled:
    return spill(result, _SPILL) if _SPILL is not None else result


def _work(docs: list[dict]) -> ShardResult | Spilled:
    assert _WORKER is not None, "worker used before its initializer ran"
    return _sent(_WORKER.process_shard(docs, _RENDER))


def _render_cached(result: ShardResult) -> ShardResult | Spilled:
    assert _RENDER is not None
    return _sent(render_shard(result, _RENDER))


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
    spill_to: Path | None = None,
) -> Iterator[tuple[Any, ShardResult]]:
    """Process ``(tag, shard)`` pairs in order; a pair whose second item is already a result passes through.

    With ``render = (formats, unit)`` every result carries its documents' rendered tasks
    (:func:`corpus.tasks.render_document`), made by the worker that processed the shard (or, for a result
    passed in without tasks, by any worker): the tasks phase runs in parallel too.

    With ``workers > 1`` shards go to a process pool, at most ``WINDOW_PER_WORKER * workers`` in flight
    (``Pool.imap`` would read the whole input ahead into memory); results are yielded in input order. The pool
    is started by this call, before the caller starts any thread (a progress bar): forking a threaded process
    is unsafe. With ``spill_to`` (a folder this call creates and removes when the pool stops) the workers send
    their results' large byte strings through files there, not the result pipe (:mod:`corpus.pipeline.transport`):
    a result's ``data`` and task bytes are then read-only ``memoryview`` slices of the mapped file.
    """
    if workers <= 1:
        return _map_serial(shards, processor or DocumentProcessor(config), render)
    from concurrent.futures import ProcessPoolExecutor

    global _INHERITED
    _INHERITED = processor
    one_malloc_arena()
    if spill_to is not None:
        spill_to.mkdir(parents=True, exist_ok=True)
    try:
        # A process pool that notices a worker killed from outside (out of memory): a multiprocessing.Pool
        # would wait for its result forever. The no-op starts every worker now.
        pool = ProcessPoolExecutor(
            workers, mp_context=pool_context(), initializer=_init_worker, initargs=(config, render, spill_to)
        )
        pool.submit(int).result()
    except BaseException:
        _remove(spill_to)
        raise
    finally:
        _INHERITED = None
    return _map_pool(pool, shards, workers, render, spill_to)


def _remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


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
    pool,
    shards: Iterable[tuple[Any, list[dict] | ShardResult]],
    workers: int,
    render: RenderSpec | None = None,
    spill_to: Path | None = None,
) -> Iterator[tuple[Any, ShardResult]]:
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    try:
        for tag, item in shards:
            window.append((tag, _submit(pool, item, render)))
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
        _remove(spill_to)  # the files of results never collected


def _submit(pool, item: list[dict] | ShardResult, render: RenderSpec | None) -> Any:
    if not isinstance(item, ShardResult):
        return pool.submit(_work, item)
    if render is not None and item.tasks is None:
        return pool.submit(_render_cached, item)
    return item


def _ready(entry: tuple[Any, Any]) -> tuple[Any, ShardResult]:
    tag, pending = entry
    if isinstance(pending, ShardResult):
        return tag, pending
    result = pending.result()
    return tag, restore(result) if isinstance(result, Spilled) else result


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
