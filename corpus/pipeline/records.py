"""Document records between stages: what a run counted (:class:`Stats`) and records read back from JSON Lines.

Whether a record is well formed, and the defaults of the fields it may leave out, are :mod:`corpus.records`'
(:func:`~corpus.records.document_errors`, :data:`~corpus.records.RECORD_DEFAULTS`,
:func:`~corpus.records.with_record_defaults`); this module only reads records with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.document import LAYERS
from corpus.errors import InputProblem
from corpus.jsonl import read_jsonl
from corpus.records import RECORD_DEFAULTS, document_errors, with_record_defaults


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


# The fields task rendering reads from a record: a record rendered straight from a shard (cached, or made by another
# engine) may have left them out. Only these are filled, so the record written next to its tasks is unchanged.
_TASK_FIELDS = ("paragraphs", "sentences", "tokens", "spans", "relations", "labellers")


def task_record(doc: dict) -> dict:
    """``doc`` with the fields task rendering reads filled in, with the defaults of :data:`RECORD_DEFAULTS`."""
    for key in _TASK_FIELDS:
        if key not in doc:
            doc[key] = RECORD_DEFAULTS[key]()
    return doc


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
    for lineno, obj in read_jsonl(path, on_problem=report):
        if isinstance(obj, dict):
            obj = with_record_defaults(obj, f"{path}:{lineno}")
        errors = document_errors(obj, path, lineno, semantic=False)
        if errors:
            for problem in errors:
                report(problem)
            continue
        yield lineno, obj
