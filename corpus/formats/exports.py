"""What every tool's ingest shares: mapping an annotated unit back onto its document, and the record it becomes.

A tool's ``records(item, mapper, emitted, sink, annotator)`` (see :mod:`corpus.formats`) reads one exported item
with a :class:`Mapper` (unit text and offsets checked against the document, spans onto token boundaries), collects
spans and relations in a :class:`RecordBuilder`, rejects what does not fit into a :class:`Sink` (one bad item
rejects that item only) and returns :func:`annotation_record` dicts (the ``annotations.jsonl`` shape documented in
:mod:`corpus.annotations.ingest`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, RELATION_LABELS
from corpus.formats import FORMATS
from corpus.offsets import TokenIndex

CHECKWORTHY_LAYER = "checkworthy"
LAYER_OF_LABEL = {label: layer for layer, labels in LABELS_BY_LAYER.items() for label in labels}
# What each Prodigy view asks the annotator for (the labels seen in a task can add layers).
VIEW_LAYERS = {
    "ner_manual": ("entities",),
    "spans_manual": ("sources", "claims"),
    "relations": ("sources",),
    "choice": (CHECKWORTHY_LAYER,),
}
# The only legal direction of each relation label: (head label, child label).
RELATION_ROLES = {"ATTRIBUTION": ("SOURCE", "CONTENT"), "CUE": ("CUE", "CONTENT")}
ANSWERS = ("accept", "reject", "ignore")
LAYER_ORDER = {layer: i for i, layer in enumerate(("entities", "sources", "claims", CHECKWORTHY_LAYER))}
_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class Rejected(Exception):
    """One annotation item that does not fit its document; the message is the one line the user sees."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def json_kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def not_a_record(item: Any, what: str) -> Rejected:
    if isinstance(item, list):
        return Rejected(f"a JSON array where {what} (one JSON object) was expected")
    return Rejected(f"not {what}: got {json_kind(item)}")


@dataclass
class Sink:
    """The items one export line had rejected, with their reasons."""

    rejected: list[tuple[str, Any, Rejected]] = field(default_factory=list)

    def reject(self, kind: str, item: Any, exc: Rejected, where: str | None = None) -> None:
        if where:
            exc.field = f"{where}.{exc.field}" if exc.field else where
        self.rejected.append((kind, item, exc))

    def attempt(self, kind: str, item: Any, build: Callable[[], Any], where: str | None = None) -> Any:
        """``build()``, or ``None`` when it rejects ``item`` (recorded here: the rest of the task goes on)."""
        try:
            return build()
        except Rejected as exc:
            self.reject(kind, item, exc, where)
            return None


def record_format(item: Any) -> str | None:
    """The tool a single exported record comes from, by its keys (``None``: not an annotation record)."""
    if not isinstance(item, dict):
        return None
    return next((tool.name for tool in FORMATS.values() if tool.is_export(item)), None)


# ------------------------------------------------------------------------------------------- mapping


class Mapper:
    """Maps one task's unit-relative spans onto its document, checking everything the tools may have changed."""

    def __init__(self, docs: dict[str, dict]):
        self.docs = docs
        self._token_index: dict[str, TokenIndex] = {}

    def unit(self, doc_id: Any, offset: Any, text: Any) -> tuple[dict, int]:
        if not isinstance(doc_id, str) or not doc_id:
            raise Rejected("no doc_id: not a task written by `corpus tasks`")
        doc = self.docs.get(doc_id)
        if doc is None:
            raise Rejected(f"unknown document id {excerpt(doc_id)} (not in the documents file)")
        if type(offset) is not int or offset < 0:
            raise Rejected(f"no valid unit offset for document {doc_id} (got {excerpt(offset)})", "offset")
        if not isinstance(text, str):
            raise Rejected(f"task has no text (got {json_kind(text)})", "text")
        if doc["text"][offset : offset + len(text)] != text:
            raise Rejected(f"text changed: task text at offset {offset} no longer equals document {doc_id}")
        return doc, offset

    def tokens(self, doc: dict) -> TokenIndex | None:
        if not doc.get("tokens"):
            return None
        index = self._token_index.get(doc["id"])
        if index is None:
            index = self._token_index[doc["id"]] = TokenIndex(doc["tokens"])
        return index

    def span(
        self, doc: dict, offset: int, unit_text: str, start: Any, end: Any, label: Any, task_tokens: list | None = None
    ) -> dict:
        for name, value in (("start", start), ("end", end)):
            if type(value) is not int:
                raise Rejected(f"span offset must be an integer, got {json_kind(value)} {excerpt(value)}", name)
        if not 0 <= start < end <= len(unit_text):
            raise Rejected(f"span {start}-{end} is off the text (unit has {len(unit_text)} characters)")
        layer = layer_of(label)
        s, e = offset + start, offset + end
        index = self.tokens(doc)
        if index is None and task_tokens:  # an unsegmented document: fall back to the task's own tokens
            index = TokenIndex(task_tokens)
            s_check, e_check = start, end
        else:
            s_check, e_check = s, e
        if index is not None and not index.on_boundaries(s_check, e_check):
            raise Rejected(f"span {start}-{end} {excerpt(unit_text[start:end])} ({label}) is off token boundaries")
        return {"layer": layer, "label": label, "start": s, "end": e, "text": doc["text"][s:e]}


def layer_of(label: Any) -> str:
    if not isinstance(label, str):
        raise Rejected(f"a span label must be a string, got {json_kind(label)} {excerpt(label)}", "label")
    layer = LAYER_OF_LABEL.get(label)
    if layer is None:
        raise Rejected(f"unknown label {excerpt(label)}", "label")
    return layer


def task_tokens(tokens: Any) -> list | None:
    """The task's own tokens, when they are usable (objects with integer offsets)."""
    if not isinstance(tokens, list) or not all(
        isinstance(t, dict) and type(t.get("start")) is int and type(t.get("end")) is int for t in tokens
    ):
        return None
    return tokens


def excerpt(value: Any, limit: int = 30) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return (
        repr(text if len(text) <= limit else text[: limit - 1] + "…")
        if isinstance(value, str)
        else (text if len(text) <= limit else text[: limit - 1] + "…")
    )


def list_field(record: dict, name: str) -> list:
    """``record[name]`` as a list (absent or null: empty); any other shape rejects the record, naming the field."""
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Rejected(f"must be a list, got {json_kind(value)} {excerpt(value)}", name)
    return value


def checked_relation(label: Any, head: dict, child: dict) -> tuple[str, dict, dict]:
    """Check a relation's label and direction; a relation drawn backwards is turned round."""
    if not isinstance(label, str) or label not in RELATION_LABELS:
        raise Rejected(f"unknown relation label {excerpt(label)}", "label")
    roles = RELATION_ROLES[label]
    if (head["label"], child["label"]) == roles:
        return label, head, child
    if (child["label"], head["label"]) == roles:
        return label, child, head
    raise Rejected(
        f"{label} relation from {head['label']} {excerpt(head['text'])} to {child['label']} "
        f"{excerpt(child['text'])} (must be {roles[0]} -> {roles[1]})"
    )


def infer_relation_label(head: dict, child: dict) -> str | None:
    pair = {head["label"], child["label"]}
    for label, roles in RELATION_ROLES.items():
        if pair == set(roles):
            return label
    return None


class RecordBuilder:
    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.relations: list[dict] = []
        self._by_key: dict[tuple, str] = {}

    def add(self, span: dict) -> str:
        key = (span["start"], span["end"], span["label"])
        sid = self._by_key.get(key)
        if sid is None:
            sid = self._by_key[key] = f"a{len(self.spans)}"
            self.spans.append({"id": sid, **span})
        return sid

    def relate(self, label: str, head: dict, child: dict) -> None:
        self.relations.append({"label": label, "head": self.add(head), "child": self.add(child)})


def overlap_warnings(spans: list[dict]) -> list[str]:
    """Entity spans may not overlap (ner.manual, the BIO tags of the dataset): say so, keep both."""
    entities = sorted((s for s in spans if s["layer"] == "entities"), key=lambda s: (s["start"], s["end"]))
    out, reach = [], None
    for span in entities:
        if reach is not None and span["start"] < reach["end"]:
            out.append(
                f"entity spans {excerpt(reach['text'])} ({reach['label']}, {reach['start']}-{reach['end']}) "
                f"and {excerpt(span['text'])} ({span['label']}, {span['start']}-{span['end']}) overlap; "
                "both kept, entity spans should not overlap"
            )
        if reach is None or span["end"] > reach["end"]:
            reach = span
    return out


def claim_target(doc: dict, span_id: Any, claim_spans: list[dict]) -> dict:
    """The claim a check-worthiness answer is about: the task's ``span_id`` or its only CLAIM span."""
    if isinstance(span_id, str) and span_id:
        for span in doc.get("spans", ()):
            if span.get("id") == span_id:
                if span.get("layer") != "claims":
                    raise Rejected(f"check-worthiness answer refers to {span_id}, which is not a claim")
                return {"start": span["start"], "end": span["end"], "span_id": span_id}
        raise Rejected(f"check-worthiness answer refers to claim {span_id!r}, not in document {doc['id']}")
    if len(claim_spans) == 1:
        claim = claim_spans[0]
        return {"start": claim["start"], "end": claim["end"], "span_id": prelabel_id(doc, claim)}
    raise Rejected("check-worthiness answer without a claim (no meta.span_id and not exactly one CLAIM span)")


def prelabel_id(doc: dict, span: dict) -> str | None:
    """The id of the identical pre-labelled claim, if there is one."""
    for pre in doc.get("spans", ()):
        if pre["layer"] == "claims" and pre["start"] == span["start"] and pre["end"] == span["end"]:
            return pre["id"]
    return None


def choice_label(selected: Any, where: str) -> str | None:
    if selected is None:
        return None
    if not isinstance(selected, list) or any(not isinstance(o, str) or o not in CHECKWORTHY_OPTIONS for o in selected):
        raise Rejected(f"{where}: options must be among {', '.join(CHECKWORTHY_OPTIONS)} (got {excerpt(selected)})")
    if len(selected) > 1:
        raise Rejected(f"{where}: both check-worthiness options selected")
    return selected[0] if selected else None


def layers_of(view: str | None, spans: Iterable[dict], declared: Any) -> list[str]:
    if isinstance(declared, list) and declared and all(isinstance(x, str) and x in LAYER_ORDER for x in declared):
        layers = set(declared)
    else:
        layers = set(VIEW_LAYERS.get(view if isinstance(view, str) else "", ()))
        layers.update(s["layer"] for s in spans)
    return sorted(layers, key=lambda x: LAYER_ORDER.get(x, 99))


def annotation_record(
    annotator: str,
    session: Any,
    tool: str,
    view: Any,
    key: str,
    input_hash: Any,
    meta: dict,
    doc: dict,
    offset: int,
    text: str,
    answer: str,
    layers: list[str],
    timestamp: Any,
    builder: RecordBuilder,
    choices: list[dict],
) -> dict:
    unit_index = meta.get("unit_index")
    return {
        "key": f"{annotator}|{key}",
        "annotator": annotator,
        "session": None if session is None else str(session),
        "tool": tool,
        "view": view,
        "task": {
            "hash": key,
            "input_hash": input_hash,
            "doc_id": doc["id"],
            "unit": meta.get("unit") if isinstance(meta.get("unit"), str) else None,
            "unit_index": unit_index if type(unit_index) is int else None,
            "start": offset,
            "end": offset + len(text),
        },
        "answer": answer,
        "layers": layers,
        "timestamp": timestamp if isinstance(timestamp, int | float | str) else None,
        "spans": builder.spans,
        "relations": builder.relations,
        "choices": choices,
    }
