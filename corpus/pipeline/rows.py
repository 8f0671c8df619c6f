"""The dataset's rows of a shard's documents, made in the worker that holds them (issue 15).

A worker turns each document into its rows of every dataset config (:func:`corpus.publish.dataset.document_rows`)
right after rendering its tasks, and hands the parent one pickled list per shard: the parent only appends the
bytes to a spill file while documents arrive, then feeds them to ``build_dataset(rows=...)`` in input order,
one shard in memory at a time. A record the dataset must read back as the parent would (no ``origin``, tokens
it cannot use, or not segmented) travels as its JSON line instead, and the parent handles it exactly as a
dataset built from ``documents.jsonl`` does.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from corpus.errors import InputProblem
from corpus.records import segments_problem, structure_problem, with_record_defaults
from corpus.spill import RecordFile

# The record fields the parent reads when rows come ready-made: the split (id, near-duplicate link in
# ``ingest``) and the licence mix (build_dataset's ``rows`` contract; a build has no ``group_by``).
_STUB_FIELDS = ("id", "licence", "ingest")


def _read_back(doc: dict) -> bool:
    """Whether the dataset must see this record (defaults filled) as read from ``documents.jsonl``: the
    structure check and the segmentation the dataset does only for such records."""
    if structure_problem(doc, doc["tokens"], "paragraph") or segments_problem(doc, "sentence"):
        return True
    return bool(doc["text"].strip()) and not (doc["tokens"] and doc["sentences"])


class Pickled:
    """One document's ``(stub, DocumentRows)`` pickled on its own inside a shard's dump: the parent unpickles a
    shard's documents one at a time (a whole shard's rows as Python objects were ~15 MB of the dataset phase's
    peak), and the worker keeps a document's rows only as compact bytes until the shard is sent."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> tuple:
        return Pickled, (self.data,)

    def load(self) -> tuple[dict, Any]:
        return pickle.loads(self.data)


class ShardRows:
    """A shard's documents turned into dataset rows one by one; :meth:`dump` is what the worker sends back."""

    def __init__(self) -> None:
        from corpus.publish.dataset import document_rows
        from corpus.publish.licences import STATUSES, classify_licence

        self.document_rows, self.statuses, self.classify = document_rows, STATUSES, classify_licence
        self.entries: list[Any] = []

    def add(self, doc: dict, line: bytes) -> None:
        """``doc`` (its JSON line ``line``, already written and rendered: filling defaults changes nothing)."""
        # Without an origin the dataset names the record's line in documents.jsonl, which only the parent knows.
        if "origin" not in doc or _read_back(with_record_defaults(doc, doc["origin"])):
            self.entries.append(bytes(line))
            return
        status = self.statuses.index(self.classify(doc.get("licence")).status)
        stub = {key: doc[key] for key in _STUB_FIELDS}
        self.entries.append(Pickled(pickle.dumps((stub, self.document_rows(doc, status)), pickle.HIGHEST_PROTOCOL)))

    def dump(self) -> bytes:
        return pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL)


def lines_as_rows(data: bytes) -> bytes:
    """A shard's entries when no worker made its rows: every record read back from its line."""
    return pickle.dumps([line for line in data.splitlines() if line.strip()], protocol=pickle.HIGHEST_PROTOCOL)


def spilled_rows(shards: Iterator[bytes], documents: Path) -> Iterator[tuple[int, dict, Any]]:
    """``(line, record, DocumentRows | None)`` in ``documents.jsonl`` order from the shards' dumps, as
    ``build_dataset(rows=...)`` takes them; a record sent as its line is read as the trusted reader reads it."""
    lineno = 0
    for dumped in shards:
        entries = pickle.loads(dumped)
        entries.reverse()
        del dumped
        while entries:
            entry = entries.pop()  # the list lets go of each document's rows once they are handed on
            lineno += 1
            if isinstance(entry, bytes):
                yield lineno, with_record_defaults(orjson.loads(entry), f"{documents}:{lineno}"), None
            else:
                stub, rows = entry.load()
                del entry
                yield lineno, stub, rows


# --- where the parent keeps the shards' rows until the dataset is built ------------------------------------------

Report = Callable[[InputProblem], None]


class SpilledRows:
    """The shards' rows on disk (8 bytes a shard in memory); the dataset is built from them after the documents
    phase: one process doing everything (one worker) gains nothing from building it alongside."""

    def __init__(self) -> None:
        self.shards = RecordFile()

    def add(self, dumped: bytes) -> None:
        self.shards.append(dumped)

    def build(self, documents: Path, out_dir: Path, report: Report, progress: Callable | None = None) -> None:
        """Build the dataset folder ``out_dir``; its problems go to ``report``."""
        from corpus.publish import build_dataset

        shards = (self.shards[i] for i in range(len(self.shards)))
        build_dataset(documents, out_dir, report=report, progress=progress, rows=spilled_rows(shards, documents))

    def close(self) -> None:
        self.shards.close()


class _Aborted(Exception):
    """The build stopped before its dataset phase: the dataset thread leaves without writing anything."""


_END, _ABORT = b"", None  # a shard's dump is never empty bytes


class DatasetThread:
    """``build_dataset`` in a thread of the parent, fed each shard's rows as the shard is written.

    With worker processes the parent mostly waits for their results (most of its time in a lock's acquire):
    the dataset's merging, arrow arrays and parquet writes fit in those waits instead of running after the
    documents phase. The queue is bounded (the documents phase waits when the thread falls behind), and the
    problems the dataset reports are kept on disk and handed back by :meth:`build`, so they are reported after
    the earlier phases' problems and in the same order as a dataset built afterwards.
    """

    def __init__(self, documents: Path, out_dir: Path, depth: int = 8) -> None:
        import queue
        import threading

        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self.problems = RecordFile()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(documents, out_dir), name="corpus-dataset", daemon=True)
        self.thread.start()

    def _run(self, documents: Path, out_dir: Path) -> None:
        from corpus.publish import build_dataset

        try:
            build_dataset(documents, out_dir, report=self._keep, rows=spilled_rows(self._shards(), documents))
        except BaseException as exc:  # handed to the main thread by add() or build()
            self.error = exc

    def _shards(self) -> Iterator[bytes]:
        while True:
            item = self.queue.get()
            if item is _ABORT:
                raise _Aborted
            if item == _END:
                return
            yield item

    def _keep(self, problem: InputProblem) -> None:
        self.problems.append(orjson.dumps(asdict(problem)))

    def add(self, dumped: bytes) -> None:
        import queue

        while self.thread.is_alive():
            try:
                self.queue.put(dumped, timeout=0.5)
                return
            except queue.Full:
                continue
        self._raise()

    def _raise(self) -> None:
        if self.error is not None and not isinstance(self.error, _Aborted):
            raise self.error

    def build(self, documents: Path, out_dir: Path, report: Report, progress: Callable | None = None) -> None:
        """Wait for the thread to write ``out_dir``, then report its problems in order (no progress to show:
        the rows went in as the shards arrived)."""
        self.queue.put(_END)
        self.thread.join()
        self._raise()
        for i in range(len(self.problems)):
            report(InputProblem(**orjson.loads(self.problems[i])))

    def close(self) -> None:
        """Stop the thread if it still waits for rows (the build failed or had no documents)."""
        import queue

        if self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                while True:
                    self.queue.get_nowait()
            self.queue.put(_ABORT)
            self.thread.join()
        self.problems.close()
