"""The dataset's rows of a shard's documents, made in the worker that holds them (issue 15).

A worker turns each document into its rows of every dataset config (:func:`corpus.publish.dataset.document_rows`)
right after rendering its tasks, and hands the parent one pickled list per shard: the parent only appends the
bytes to a spill file while documents arrive, then feeds them to ``build_dataset(rows=...)`` in input order,
one shard in memory at a time. A record the dataset must read back as the parent would (no ``origin``, tokens
it cannot use, or not segmented) travels as its JSON line instead, and the parent handles it exactly as a
dataset built from ``documents.jsonl`` does.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from corpus.records import segments_problem, structure_problem, with_record_defaults

# The record fields the parent reads when rows come ready-made: the split (id, near-duplicate link in
# ``ingest``) and the licence mix (build_dataset's ``rows`` contract; a build has no ``group_by``).
_STUB_FIELDS = ("id", "licence", "ingest")


def _read_back(doc: dict) -> bool:
    """Whether the dataset must see this record (defaults filled) as read from ``documents.jsonl``: the
    structure check and the segmentation the dataset does only for such records."""
    if structure_problem(doc, doc["tokens"], "paragraph") or segments_problem(doc, "sentence"):
        return True
    return bool(doc["text"].strip()) and not (doc["tokens"] and doc["sentences"])


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
        self.entries.append((stub, self.document_rows(doc, status)))

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
        for entry in pickle.loads(dumped):
            lineno += 1
            if isinstance(entry, bytes):
                yield lineno, with_record_defaults(orjson.loads(entry), f"{documents}:{lineno}"), None
            else:
                yield lineno, entry[0], entry[1]
