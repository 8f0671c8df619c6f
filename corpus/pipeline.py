"""Streams documents through the stages: ingest -> segment -> pre-label -> (tasks, dataset).

Each stage is a generator over document records (as in datatrove), so no stage holds the corpus in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.document import LAYERS
from corpus.errors import InputProblem
from corpus.jsonl import read_jsonl
from corpus.prelabel import build_labellers
from corpus.segment.core import Segmenter, default_segmenter, segment_document


@dataclass
class Stats:
    """What a run did: counted as documents stream past."""

    documents: int = 0
    characters: int = 0
    duplicates: int = 0
    spans: dict[str, int] = field(default_factory=lambda: {layer: 0 for layer in LAYERS})
    relations: int = 0

    def count(self, doc: dict) -> None:
        self.documents += 1
        self.characters += len(doc["text"])
        for span in doc.get("spans", ()):
            self.spans[span["layer"]] = self.spans.get(span["layer"], 0) + 1
        self.relations += len(doc.get("relations", ()))


def drop_exact_duplicates(docs: Iterable[dict], report: Callable[[InputProblem], None],
                          stats: Stats | None = None) -> Iterator[dict]:
    """Skip a document whose normalised text (hence id) was already seen, saying which one it repeats."""
    seen: dict[str, str] = {}
    for doc in docs:
        first = seen.get(doc["id"])
        if first is not None:
            report(InputProblem(doc["origin"], f"exact duplicate of {first} (id {doc['id']}); skipped",
                                severity="warning"))
            if stats is not None:
                stats.duplicates += 1
            continue
        seen[doc["id"]] = doc["origin"]
        yield doc


def segment_stage(docs: Iterable[dict], segmenter: Segmenter | None = None) -> Iterator[dict]:
    seg = segmenter or default_segmenter()
    for doc in docs:
        yield segment_document(doc, seg)


def prelabel_stage(docs: Iterable[dict], backends: dict[str, str] | None = None,
                   layers: Iterable[str] = LAYERS) -> Iterator[dict]:
    labellers = build_labellers(backends, layers)
    for doc in docs:
        for labeller in labellers:
            doc = labeller(doc)
        yield doc


def read_document_records(path: str | Path, report: Callable[[InputProblem], None]) -> Iterator[dict]:
    """Document records from a JSONL file written by a previous stage; bad lines reported and skipped."""
    for lineno, obj in read_jsonl(path, on_problem=report):
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not isinstance(obj.get("id"), str):
            report(InputProblem(str(path), "not a document record (needs string 'id' and 'text'); skipped",
                                line=lineno))
            continue
        for key in ("paragraphs", "sentences", "tokens", "spans", "relations"):
            obj.setdefault(key, [])
        obj.setdefault("labellers", {})
        yield obj
