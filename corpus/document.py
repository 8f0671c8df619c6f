"""The canonical document record that flows through every stage.

A document is a plain JSON-serialisable dict (validated by ``schemas/document.schema.json``)::

    {"id": "c3d380a460d22295",            # sha256 of the normalised text, 16 hex digits
     "text": "...",                        # normalised text; every offset points into it
     "title", "source_url", "publisher", "published", "licence": str | None,
     "origin": "seeds/a.txt" or "feed.jsonl:12",
     "ingest": {"stripped": [{"line", "text", "rule"}], "normalised": {...}, "encoding": "utf-8"},
     "paragraphs": [[start, end]], "sentences": [[start, end]],
     "tokens": [{"start", "end", "ws"}],
     "spans": [{"id", "layer", "label", "start", "end", "text", "score", "labeller", "attrs"}],
     "relations": [{"id", "label", "head", "child", "labeller"}],   # head/child are span ids
     "labellers": {"entities": "rules@1", ...}}

Offsets are Python code-point offsets, half-open; ``text[start:end] == span["text"]`` always holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

LAYERS = ("entities", "sources", "claims")

ENTITY_LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
    "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
)  # fmt: skip
SOURCE_LABELS = ("SOURCE", "CUE", "CONTENT")
CLAIM_LABELS = ("CLAIM",)
LABELS_BY_LAYER = {"entities": ENTITY_LABELS, "sources": SOURCE_LABELS, "claims": CLAIM_LABELS}
RELATION_LABELS = ("ATTRIBUTION", "CUE")
# The span labels each relation joins: head -> child.
RELATION_ENDS = {"ATTRIBUTION": ("SOURCE", "CONTENT"), "CUE": ("CUE", "CONTENT")}
SOURCE_KINDS = (
    "named_person",
    "named_organisation",
    "unnamed_group",
    "anonymous",
    "unnamed_person",
    "unnamed_organisation",
)
CHECKWORTHY_OPTIONS = ("CHECKWORTHY", "NOT_CHECKWORTHY")

META_FIELDS = ("title", "source_url", "publisher", "published", "licence")


def document_id(text: str) -> str:
    """Stable id: the first 16 hex digits of the SHA-256 of the normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def new_document(text: str, origin: str, **meta: Any) -> dict:
    doc: dict[str, Any] = {"id": document_id(text), "text": text}
    for field in META_FIELDS:
        value = meta.get(field)
        doc[field] = None if value in (None, "") else str(value)
    doc["origin"] = origin
    doc["ingest"] = meta.get("ingest") or {}
    doc["paragraphs"] = []
    doc["sentences"] = []
    doc["tokens"] = []
    doc["spans"] = []
    doc["relations"] = []
    doc["labellers"] = {}
    return doc


def add_span(
    doc: dict,
    layer: str,
    label: str,
    start: int,
    end: int,
    labeller: str,
    score: float = 1.0,
    attrs: dict | None = None,
) -> dict:
    """Append a span with a document-unique id (``E3``, ``S0``, ``C12`` by layer) and return it."""
    prefix = layer[0].upper()
    spans = doc["spans"]
    if spans and spans[-1]["layer"] == layer and spans[-1]["id"][1:].isdigit():
        n = int(spans[-1]["id"][1:]) + 1  # the common case, a labeller appending to its own layer: O(1)
    else:
        n = sum(1 for s in spans if s["layer"] == layer)
    span = {
        "id": f"{prefix}{n}",
        "layer": layer,
        "label": label,
        "start": start,
        "end": end,
        "text": doc["text"][start:end],
        "score": round(float(score), 4),
        "labeller": labeller,
        "attrs": attrs or {},
    }
    doc["spans"].append(span)
    return span


def add_relation(doc: dict, label: str, head: str, child: str, labeller: str) -> dict:
    rel = {"id": f"R{len(doc['relations'])}", "label": label, "head": head, "child": child, "labeller": labeller}
    doc["relations"].append(rel)
    return rel


def spans_of(doc: dict, layer: str) -> list[dict]:
    return [s for s in doc.get("spans", ()) if s["layer"] == layer]


def clear_layer(doc: dict, layer: str) -> None:
    """Remove a layer's spans and any relation touching them (re-labelling replaces, never duplicates)."""
    gone = {s["id"] for s in doc.get("spans", ()) if s["layer"] == layer}
    doc["spans"] = [s for s in doc.get("spans", ()) if s["layer"] != layer]
    doc["relations"] = [r for r in doc.get("relations", ()) if r["head"] not in gone and r["child"] not in gone]


def attribution_components(spans: Iterable[dict], relations: Iterable[dict]) -> list[list[dict]]:
    """Sources-layer spans joined by relations (SOURCE -> CONTENT, CUE -> CONTENT) into attributions.

    Each component is sorted by ``(start, end, id)``; components are ordered by their first span. A span linked
    to nothing forms a component of its own. Used wherever attributions are read back: evaluation, the
    dataset's ``sources`` config and the preview.
    """
    by_id = {s["id"]: s for s in spans if s.get("layer") == "sources"}
    parent = {sid: sid for sid in by_id}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rel in relations:
        head, child = rel.get("head"), rel.get("child")
        if head in by_id and child in by_id:
            a, b = find(head), find(child)
            if a != b:
                parent[a] = b
    groups: dict[str, list[dict]] = {}
    for sid, span in by_id.items():
        groups.setdefault(find(sid), []).append(span)
    components = [sorted(members, key=_span_key) for members in groups.values()]
    components.sort(key=lambda members: _span_key(members[0]))
    return components


def _span_key(span: dict) -> tuple[int, int, str]:
    return span["start"], span["end"], span["id"]
