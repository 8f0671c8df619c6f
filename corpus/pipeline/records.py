"""Document records between stages: what a run counted (:class:`Stats`) and records read back from JSON Lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import LAYERS
from corpus.errors import InputProblem
from corpus.jsonl import read_jsonl


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


def task_record(doc: dict) -> dict:
    """``doc`` with the defaults :func:`read_document_records` gives a record read back from JSON Lines."""
    for key in ("paragraphs", "sentences", "tokens", "spans", "relations"):
        doc.setdefault(key, [])
    doc.setdefault("labellers", {})
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
