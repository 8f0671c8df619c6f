"""A shard result's large byte strings from a worker process to the parent through a file, not the result pipe.

With worker processes every :class:`~corpus.pipeline.shards.ShardResult` went back pickled through a pipe: the
documents' JSON lines, each format's rendered tasks and the dataset rows, ~300 MB per 1x corpus, copied five times
on the way (into the pickle, into the pipe, out of it into a fresh buffer, into the receiving stream, out of the
pickle) through fresh buffers whose pages were faulted in each time. Instead the worker writes them into one file
of the build's spill folder (one copy, into the page cache) and sends the rest of the result with their sizes;
the parent maps the file and hands on read-only slices of the mapping (``memoryview``), which the writers write
from directly. The parent unlinks the file as soon as it has mapped it (the mapping lives as long as the slices);
the folder, with the files of results never collected (a failed or interrupted build), is removed when the pool
stops (:func:`corpus.pipeline.workers.map_shards`).

What moves this way: the documents' lines (``data``), the dataset rows (``rows``, copied out of the mapping, since
the dataset thread keeps them a while), a Prodigy document's packed ``pieces`` and each Label Studio and doccano
line (the ``(file index, line)`` items of :class:`corpus.tasks.RenderedDocument`). Anything else stays in the
pickle.
"""

from __future__ import annotations

import itertools
import mmap
import os
from array import array
from dataclasses import dataclass
from pathlib import Path

from corpus.pipeline.shards import ShardResult

_IOV_MAX = 1024  # buffers per os.writev call (Linux's IOV_MAX)
_COUNTER = itertools.count()


@dataclass
class Lines:
    """A format's ``(file index, line)`` items with the lines moved to the spill file: the file indexes."""

    indexes: list[int]


@dataclass
class Spilled:
    """A shard result whose large byte strings wait in the file ``path``, in order, ``sizes[i]`` bytes each."""

    result: ShardResult
    path: str
    sizes: array
    rows: bool  # whether the dataset rows are among them (second, after the documents' lines)


def _is_lines(items: object) -> bool:
    return isinstance(items, list) and all(
        type(item) is tuple and len(item) == 2 and type(item[1]) is bytes for item in items
    )


def _take_tasks(tasks: dict[str, list], blobs: list[bytes]) -> None:
    """Move each rendered document's task bytes to ``blobs``, leaving markers (see :func:`_put_tasks`)."""
    for rendered_docs in tasks.values():
        for rendered in rendered_docs:
            items = rendered.items
            if type(getattr(items, "pieces", None)) is bytes:  # Prodigy's PackedTasks
                blobs.append(items.pieces)
                rendered.items = items._replace(pieces=None)
            elif _is_lines(items):
                blobs.extend(line for _, line in items)
                rendered.items = Lines([index for index, _ in items])


def _put_tasks(tasks: dict[str, list], view: memoryview, bounds: list[int], at: int) -> int:
    """Undo :func:`_take_tasks` with slices of ``view`` (blob ``i`` is ``bounds[i]:bounds[i + 1]``), from blob
    ``at`` on; the number of the next blob."""
    for rendered_docs in tasks.values():
        for rendered in rendered_docs:
            items = rendered.items
            if isinstance(items, Lines):
                rendered.items = [(index, view[bounds[n] : bounds[n + 1]]) for n, index in enumerate(items.indexes, at)]
                at += len(items.indexes)
            elif getattr(items, "pieces", False) is None:
                rendered.items = items._replace(pieces=view[bounds[at] : bounds[at + 1]])
                at += 1
    return at


def _write_all(fd: int, blobs: list[bytes]) -> None:
    for first in range(0, len(blobs), _IOV_MAX):
        chunk = blobs[first : first + _IOV_MAX]
        done = os.writev(fd, chunk)
        total = sum(map(len, chunk))
        if done < total:  # a short write (rare on a regular file): the rest one call at a time
            rest = memoryview(b"".join(chunk))[done:]
            while rest:
                rest = rest[os.write(fd, rest) :]


def spill(result: ShardResult, folder: Path) -> Spilled:
    """In the worker: write ``result``'s large byte strings to a new file in ``folder``; what to send instead."""
    blobs = [result.data]
    rows = result.rows is not None
    if rows:
        blobs.append(result.rows)
    if result.tasks is not None:
        _take_tasks(result.tasks, blobs)
    result.data, result.rows = b"", None
    path = folder / f"{os.getpid()}-{next(_COUNTER)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_all(fd, blobs)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
    return Spilled(result, str(path), array("q", map(len, blobs)), rows)


def supported() -> bool:
    """Whether this platform has what the spill needs: ``os.writev``, shared mappings, and unlinking a file that
    is still mapped (POSIX; not Windows, where results keep going through the pipe)."""
    return hasattr(os, "writev") and hasattr(mmap, "MAP_SHARED") and os.name == "posix"


def _mapped(path: str) -> memoryview:
    """The file mapped read-only (its pages mapped at once) and unlinked: the mapping is all that is left. Read
    into memory instead where the file system cannot map files."""
    with open(path, "rb") as fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            try:
                flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                mapping = mmap.mmap(fh.fileno(), size, flags=flags, prot=mmap.PROT_READ) if size else b""
            except OSError:
                mapping = fh.read()
        finally:
            os.unlink(path)  # only once opened: a failed open reports itself, not a missing file
    return memoryview(mapping)


def restore(spilled: Spilled) -> ShardResult:
    """In the parent: the shard result, its large byte strings slices of the mapped spill file."""
    view = _mapped(spilled.path)
    bounds = [0, *itertools.accumulate(spilled.sizes)]
    result = spilled.result
    result.data = view[: bounds[1]]
    at = 1
    if spilled.rows:
        result.rows = view[bounds[1] : bounds[2]].tobytes()  # kept a while by the dataset: no pin on the mapping
        at = 2
    if result.tasks is not None:
        at = _put_tasks(result.tasks, view, bounds, at)
    if at != len(spilled.sizes):
        raise RuntimeError(f"spill file {spilled.path}: {len(spilled.sizes)} parts, {at} taken")
    return result
