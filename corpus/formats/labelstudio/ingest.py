"""Label Studio export tasks back onto their documents: one record per annotation, regions relative to
``data.text`` (code points), relations between regions, per-region or task-level check-worthiness choices. The
task is known by ``data`` (its ``_task_hash``, else its unit's place and text)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from corpus.formats.exports import (
    CHECKWORTHY_LAYER,
    Mapper,
    RecordBuilder,
    Rejected,
    Sink,
    annotation_record,
    checked_relation,
    choice_label,
    claim_target,
    excerpt,
    infer_relation_label,
    json_kind,
    list_field,
    not_a_record,
    prelabel_id,
)


def is_export(item: dict) -> bool:
    """An exported task: its fields under ``data``."""
    return isinstance(item.get("data"), dict)


def task_key(task: dict) -> str | None:
    """The key of a task in a ``tasks.json`` `corpus tasks` wrote."""
    return labelstudio_task_key(task["data"]) if isinstance(task.get("data"), dict) else None


def records(item: Any, mapper: Mapper, emitted: set[str] | None, sink: Sink, annotator: str) -> list[dict]:
    """One record per annotation of one exported task (each says how many of its own items were rejected)."""
    return list(labelstudio_records(item, mapper, emitted, sink))


def labelstudio_task_key(data: dict) -> str:
    """A stable identity for a Label Studio task: its unit's place in the document and its text."""
    if data.get("_task_hash") is not None:
        return f"labelstudio:{data['_task_hash']}"
    ident = [data.get("doc_id"), data.get("unit"), data.get("unit_index"), data.get("offset"), data.get("text")]
    digest = hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return f"labelstudio:{digest}"


def _ls_annotator(ann: dict) -> str:
    """Who made a Label Studio annotation: the email (or name) when the export carries it, else the user id.

    ``completed_by`` is the user id, or the user object (``id``, ``email``, ``first_name``, ``last_name``,
    ``username``) in exports that expand it; ``created_username`` ("email, id") names the user in others.
    """
    user = ann.get("completed_by")
    if isinstance(user, dict):
        return _user_object_name(user)
    created = ann.get("created_username")
    if isinstance(created, str) and created.strip(" ,"):
        return _created_username(created)
    return "anonymous" if user is None or isinstance(user, list) else str(user)


def _user_object_name(user: dict) -> str:
    """An expanded user object's email, user name, full name or id: the first one given."""
    name = " ".join(str(user.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    for candidate in (user.get("email"), user.get("username"), name, user.get("id")):
        if candidate not in (None, "") and not isinstance(candidate, dict | list):
            return str(candidate).strip()
    return "anonymous"


def _created_username(created: str) -> str:
    """ "email@example.org, 3": the part before the id."""
    head, _, tail = created.strip().rpartition(",")
    return (head if head.strip() and tail.strip().isdigit() else created).strip()


def labelstudio_records(
    task: Any, mapper: Mapper, emitted: set[str] | None, sink: Sink | None = None
) -> Iterator[dict]:
    """One Label Studio export task -> one record per annotation (raises :class:`Rejected` for the task).

    A bad annotation, region, relation or choice is rejected into ``sink`` and the rest kept; a record that lost
    items says how many under ``rejected``.
    """
    sink = sink if sink is not None else Sink()
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise (
            Rejected("not a Label Studio task (no 'data' object)")
            if not isinstance(task, list)
            else not_a_record(task, "a Label Studio task")
        )
    data = task["data"]
    key = labelstudio_task_key(data)
    if emitted is not None and key not in emitted:
        raise Rejected(
            f"task for document {excerpt(data.get('doc_id'))} at offset {excerpt(data.get('offset'))} "
            "was never emitted by this project (not in the task files)"
        )
    text = data.get("text")
    doc, offset = mapper.unit(data.get("doc_id"), data.get("offset"), text)
    unit = _LSUnit(mapper, doc, offset, text, data, key, task.get("id"))
    for i, ann in enumerate(list_field(task, "annotations")):
        before = len(sink.rejected)
        rec = sink.attempt("annotation", ann, lambda ann=ann: unit.record(ann, sink), f"annotations[{i}]")
        if rec is not None:
            if len(sink.rejected) > before:
                rec["rejected"] = len(sink.rejected) - before
            yield rec


def _unknown_result(res: Any, annotator: str) -> Rejected:
    if not isinstance(res, dict):
        return Rejected(f"annotation by {annotator}: a result must be an object, got {json_kind(res)}")
    return Rejected(
        f"annotation by {annotator}: a result of type {excerpt(res.get('type'))} is not one the "
        "project's labelling config asks for (labels, relation, choices)"
    )


@dataclass
class _Regions:
    """An annotation's labelled regions: region id -> its spans, and the ids of the rejected regions."""

    by_region: dict[str, list[dict]] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)


def _is_region(res: Any, kind: Any) -> bool:
    """A labelled region: a labels result, or any result whose value carries labels."""
    return isinstance(res, dict) and (
        kind in ("labels", "hypertextlabels") or (isinstance(res.get("value"), dict) and "labels" in res["value"])
    )


def _relation_ends(link: dict, by_region: dict[str, list[dict]], bad_regions: set[str]) -> tuple[dict, dict]:
    """The first span of the relation's from and to regions; rejected when either is missing or rejected."""
    ends = (str(link.get("from_id")), str(link.get("to_id")))
    if bad := [rid for rid in ends if rid in bad_regions]:
        raise Rejected(f"relation {ends[0]!r} -> {ends[1]!r} is drawn to region {bad[0]!r}, which was rejected")
    heads, children = by_region.get(ends[0]), by_region.get(ends[1])
    if not heads or not children:
        raise Rejected(f"relation {ends[0]!r} -> {ends[1]!r} points at a region that does not exist")
    return heads[0], children[0]


@dataclass
class _LSUnit:
    """One Label Studio task's unit: turns each of its annotations into a record."""

    mapper: Mapper
    doc: dict
    offset: int
    text: str
    data: dict
    key: str
    task_id: Any

    def record(self, ann: Any, sink: Sink) -> dict:
        if not isinstance(ann, dict):
            raise Rejected(f"an annotation must be an object, got {json_kind(ann)}")
        annotator = _ls_annotator(ann)
        answer = "ignore" if ann.get("was_cancelled") else "accept"
        results = list_field(ann, "result") if answer == "accept" else []
        builder = RecordBuilder()
        regions = _Regions()
        links, choice_results = self._sort_results(results, annotator, sink, regions, builder)
        self._relate(links, sink, regions, builder)
        choices = self._choices(choice_results, sink, regions, builder)
        # A Label Studio task carries every label set at once: a completed annotation covers all span layers.
        layers = ["entities", "sources", "claims"] + ([CHECKWORTHY_LAYER] if choices else [])
        timestamp = ann.get("updated_at") or ann.get("created_at")
        return annotation_record(
            annotator,
            None,
            "labelstudio",
            "labelstudio",
            self.key,
            self.task_id,
            self.data,
            self.doc,
            self.offset,
            self.text,
            answer,
            layers,
            timestamp,
            builder,
            choices,
        )

    def _sort_results(
        self, results: list, annotator: str, sink: Sink, regions: _Regions, builder: RecordBuilder
    ) -> tuple[list, list]:
        """Add the labelled regions; the relations and choices, which refer to regions, are returned (with where
        they are) for after every region is known."""
        links, choice_results = [], []
        for i, res in enumerate(results):
            where = f"result[{i}]"
            kind = res.get("type") if isinstance(res, dict) else None
            if kind == "relation":
                links.append((where, res))
            elif kind == "choices":
                choice_results.append((where, res))
            elif _is_region(res, kind):
                self._add_region(res, where, sink, regions, builder)
            else:
                sink.reject("result", res, _unknown_result(res, annotator), where)
        return links, choice_results

    def _relate(self, links: list, sink: Sink, regions: _Regions, builder: RecordBuilder) -> None:
        """Add the relations, each between the first spans of its two regions."""
        for where, link in links:
            sink.attempt(
                "relation",
                link,
                lambda link=link: builder.relate(*self.relation(link, regions.by_region, regions.bad)),
                where,
            )

    def _choices(self, choice_results: list, sink: Sink, regions: _Regions, builder: RecordBuilder) -> list[dict]:
        """The check-worthiness choices that were kept."""
        return [
            c
            for where, res in choice_results
            if (
                c := sink.attempt(
                    "choice", res, lambda res=res: self.choice(res, regions.by_region, builder.spans), where
                )
            )
        ]

    def _add_region(self, res: dict, where: str, sink: Sink, regions: _Regions, builder: RecordBuilder) -> None:
        """Add a labelled region's spans to the record; a rejected region is remembered, so relations drawn to
        it are rejected by name."""
        region = sink.attempt("region", res, lambda res=res: self.region(res), where)
        rid = str(res.get("id"))
        if region is None:
            regions.bad.add(rid)
            return
        regions.by_region.setdefault(rid, []).extend(region)
        for span in region:
            builder.add(span)

    def region(self, res: dict) -> list[dict]:
        value = res.get("value")
        labels = value.get("labels") if isinstance(value, dict) else None
        if isinstance(labels, str):
            raise Rejected(f"must be a list of labels, got the string {excerpt(labels)}", "value.labels")
        if not isinstance(labels, list) or not labels:
            raise Rejected(f"region {excerpt(res.get('id'))} has no label", "value.labels")
        return [
            self.mapper.span(self.doc, self.offset, self.text, value.get("start"), value.get("end"), label)
            for label in labels
        ]

    def relation(self, link: dict, by_region: dict[str, list[dict]], bad_regions: set[str]) -> tuple[str, dict, dict]:
        head, child = _relation_ends(link, by_region, bad_regions)
        if link.get("direction") == "left":
            head, child = child, head
        labels = link.get("labels")
        if labels is not None and not isinstance(labels, list):
            raise Rejected(f"must be a list of relation labels, got {json_kind(labels)} {excerpt(labels)}", "labels")
        label = (labels or [None])[0] or infer_relation_label(head, child)
        return checked_relation(label, head, child)

    def choice(self, res: dict, by_region: dict[str, list[dict]], spans: list[dict]) -> dict | None:
        value = res.get("value") if isinstance(res.get("value"), dict) else {}
        label = choice_label(value.get("choices"), "check-worthiness choice")
        if label is None:
            return None
        # Per-region choices share their claim region's id (and carry its offsets); a task-level choice needs
        # data.span_id or a single CLAIM region.
        region = [s for s in by_region.get(str(res.get("id")), ()) if s["layer"] == "claims"]
        if not region and value.get("start") is not None:
            region = [self.mapper.span(self.doc, self.offset, self.text, value.get("start"), value.get("end"), "CLAIM")]
        if region:
            target = {
                "start": region[0]["start"],
                "end": region[0]["end"],
                "span_id": prelabel_id(self.doc, region[0]),
            }
        else:
            target = claim_target(self.doc, self.data.get("span_id"), [s for s in spans if s["layer"] == "claims"])
        return {**target, "label": label}
