"""doccano export lines back onto their documents: offsets in UTF-16 code units converted to code points (an
offset inside a surrogate pair is rejected), the ``relations`` form (entities + relations) and the ``spans`` form
(``label: [[start, end, label]]``). doccano names no annotator and has no answer: every line is an ``accept`` by
the annotator given. The task is known by its form, its unit's place and its text."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from corpus.formats.exports import (
    Mapper,
    RecordBuilder,
    Rejected,
    Sink,
    annotation_record,
    checked_relation,
    excerpt,
    json_kind,
    list_field,
    not_a_record,
)
from corpus.formats.prodigy.ingest import is_export as _is_prodigy_export
from corpus.offsets import from_utf16


def is_export(item: dict) -> bool:
    """An exported example: text plus ``entities`` or ``label``, and none of Label Studio's or Prodigy's keys."""
    if isinstance(item.get("data"), dict) or _is_prodigy_export(item):
        return False
    text = item.get("text") or item.get("data")
    return isinstance(text, str) and (isinstance(item.get("entities"), list) or isinstance(item.get("label"), list))


def task_key(task: dict) -> str | None:
    """The key of a task in a task file `corpus tasks` wrote."""
    return doccano_task_key(task) if is_export(task) else None


def records(item: Any, mapper: Mapper, emitted: set[str] | None, sink: Sink, annotator: str) -> list[dict]:
    """The annotation record of one exported line (it says how many of its items ``sink`` rejected)."""
    record = doccano_record(item, mapper, emitted, annotator, sink)
    if sink.rejected:
        record["rejected"] = len(sink.rejected)
    return [record]


def _doccano_meta(item: dict) -> dict:
    """Our task meta: nested under ``meta`` (as `corpus tasks` writes it) or flattened by doccano."""
    meta = item.get("meta")
    return meta if isinstance(meta, dict) and "doc_id" in meta else item


def _doccano_form(item: dict) -> str:
    return "relations" if isinstance(item.get("entities"), list) else "spans"


def doccano_task_key(item: dict) -> str:
    """A stable identity for a doccano task: its form (relations / spans), unit place and text."""
    meta = _doccano_meta(item)
    text = item.get("text") if isinstance(item.get("text"), str) else item.get("data")
    ident = [
        _doccano_form(item),
        meta.get("doc_id"),
        meta.get("unit"),
        meta.get("unit_index"),
        meta.get("offset"),
        text,
    ]
    digest = hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return f"doccano:{digest}"


def _doccano_offsets(table: dict[int, int], text: str, start: Any, end: Any) -> tuple[int, int]:
    """UTF-16 code-unit offsets -> code points, refusing offsets off the text or inside a surrogate pair."""
    for name, value in (("start_offset", start), ("end_offset", end)):
        if type(value) is not int:
            raise Rejected(f"offset must be an integer, got {json_kind(value)} {excerpt(value)}", name)
    units = len(text.encode("utf-16-le")) // 2
    if not 0 <= start < end <= units:
        raise Rejected(f"span {start}-{end} is off the text (it has {units} UTF-16 code units)")
    s, e = table.get(start), table.get(end)
    if s is None or e is None:
        raise Rejected(
            f"span {start}-{end} splits a character outside the BMP (offset inside a surrogate pair; "
            "doccano counts UTF-16 code units)"
        )
    return s, e


def doccano_record(
    item: Any, mapper: Mapper, emitted: set[str] | None, annotator: str, sink: Sink | None = None
) -> dict:
    """One doccano export line (relation or sequence-labelling JSONL) -> a normalised record (or :class:`Rejected`
    for the line; a bad entity or relation is rejected into ``sink`` and the rest kept)."""
    sink = sink if sink is not None else Sink()
    if isinstance(item, list):
        raise not_a_record(item, "a doccano record")
    if not isinstance(item, dict) or not is_export(item):
        raise Rejected("not a doccano record (needs text and entities [...] or label [[start, end, label]])")
    meta = _doccano_meta(item)
    key = doccano_task_key(item)
    if emitted is not None and key not in emitted:
        raise Rejected(
            f"task for document {excerpt(meta.get('doc_id'))} at offset {excerpt(meta.get('offset'))} "
            "was never emitted by this project (not in the task files)"
        )
    text = item["text"] if isinstance(item.get("text"), str) else item["data"]
    doc, offset = mapper.unit(meta.get("doc_id"), meta.get("offset"), text)
    form = _doccano_form(item)
    unit = _DoccanoUnit(mapper, doc, offset, text, from_utf16(text))
    builder = RecordBuilder()
    by_id = unit.entities(
        item["entities"] if form == "relations" else item["label"],
        "entities" if form == "relations" else "label",
        builder,
        sink,
    )
    if form == "relations":
        unit.relations(item, by_id, builder, sink)
    return annotation_record(
        annotator,
        None,
        "doccano",
        f"doccano_{form}",
        key,
        None,
        meta,
        doc,
        offset,
        text,
        "accept",
        ["entities", "sources", "claims"],
        None,
        builder,
        [],
    )


@dataclass
class _DoccanoUnit:
    mapper: Mapper
    doc: dict
    offset: int
    text: str
    table: dict[int, int]

    def entities(self, entries: list, name: str, builder: RecordBuilder, sink: Sink) -> dict[Any, dict | None]:
        """Map every entity; ``by_id`` holds ``None`` for an id that was rejected or used twice."""
        by_id: dict[Any, dict | None] = {}
        for n, entry in enumerate(entries):
            ident = entry.get("id") if isinstance(entry, dict) else None
            span = sink.attempt("entity", entry, lambda entry=entry: self.entity(entry), f"{name}[{n}]")
            if span is not None:
                builder.add(span)
            if ident is None or isinstance(ident, dict | list):
                continue
            if ident in by_id:
                sink.reject(
                    "entity",
                    entry,
                    Rejected(f"entity id {ident!r} is used twice: relations to it are ambiguous"),
                    f"{name}[{n}].id",
                )
                span = None
            by_id[ident] = span
        return by_id

    def entity(self, entry: Any) -> dict:
        if isinstance(entry, dict):
            start, end, label = entry.get("start_offset"), entry.get("end_offset"), entry.get("label")
        elif isinstance(entry, list) and len(entry) == 3:
            start, end, label = entry
        else:
            raise Rejected(
                f"an entity must be {{id, start_offset, end_offset, label}} or [start, end, label], "
                f"got {json_kind(entry)} {excerpt(entry)}"
            )
        s, e = _doccano_offsets(self.table, self.text, start, end)
        return self.mapper.span(self.doc, self.offset, self.text, s, e, label)

    def relations(self, item: dict, by_id: dict[Any, dict | None], builder: RecordBuilder, sink: Sink) -> None:
        try:
            relations = list_field(item, "relations")
        except Rejected as exc:
            sink.reject("relations", item.get("relations"), exc)
            return
        for n, rel in enumerate(relations):
            sink.attempt("relation", rel, lambda rel=rel: builder.relate(*self.relation(rel, by_id)), f"relations[{n}]")

    @staticmethod
    def relation(rel: Any, by_id: dict[Any, dict | None]) -> tuple[str, dict, dict]:
        if not isinstance(rel, dict):
            raise Rejected(f"a relation must be an object, got {json_kind(rel)}")
        ends = rel.get("from_id"), rel.get("to_id")
        if any(isinstance(e, dict | list) or e not in by_id for e in ends):
            raise Rejected(f"relation {excerpt(ends[0])} -> {excerpt(ends[1])} points at an entity that does not exist")
        head, child = by_id[ends[0]], by_id[ends[1]]
        if head is None or child is None:
            raise Rejected(f"relation {excerpt(ends[0])} -> {excerpt(ends[1])} is drawn to an entity that was rejected")
        return checked_relation(rel.get("type"), head, child)
