"""Prodigy ``db-out`` records back onto their documents: spans relative to the task text (code points, end
exclusive, ``token_end`` inclusive), ``rel.manual`` relations by their head/child spans, ``choice`` answers about
the task's claim. The task is known by its ``_task_hash``."""

from __future__ import annotations

from typing import Any

from corpus.formats.exports import (
    ANSWERS,
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
    json_kind,
    layers_of,
    list_field,
    not_a_record,
    record_format,
    task_tokens,
)

EXPORT_KEYS = ("_task_hash", "_input_hash", "answer", "_view_id")


def is_export(item: dict) -> bool:
    """A ``db-out`` record: Prodigy's own keys (a Label Studio task keeps its fields under ``data``)."""
    return not isinstance(item.get("data"), dict) and any(k in item for k in EXPORT_KEYS)


def task_key(task: dict) -> str | None:
    """The key of a task in a task file `corpus tasks` wrote (its ``_task_hash``)."""
    return f"prodigy:{task['_task_hash']}" if "_task_hash" in task else None


def records(item: Any, mapper: Mapper, emitted: set[str] | None, sink: Sink, annotator: str) -> list[dict]:
    """The annotation record of one ``db-out`` line (it says how many of its items ``sink`` rejected)."""
    found = record_format(item)
    if found not in (None, "prodigy"):
        raise Rejected(f"a {found} record in a Prodigy db-out file")
    record = prodigy_record(item, mapper, emitted, sink)
    if sink.rejected:
        record["rejected"] = len(sink.rejected)
    return [record]


def prodigy_record(task: Any, mapper: Mapper, emitted: set[str] | None, sink: Sink | None = None) -> dict:
    """One Prodigy ``db-out`` line -> a normalised annotation record (raises :class:`Rejected` for the task;
    a bad span or relation is rejected into ``sink`` and the rest of the task kept)."""
    sink = sink if sink is not None else Sink()
    if not isinstance(task, dict):
        raise not_a_record(task, "a Prodigy db-out record")
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    task_hash = task.get("_task_hash")
    if task_hash is None:
        raise Rejected("no _task_hash: not a Prodigy db-out record")
    key = f"prodigy:{task_hash}"
    if emitted is not None and key not in emitted:
        raise Rejected(f"task {task_hash} was never emitted by this project (not in the task files)")
    text = task.get("text")
    doc, offset = mapper.unit(meta.get("doc_id"), meta.get("offset"), text)
    answer = task.get("answer")
    if not isinstance(answer, str) or answer not in ANSWERS:
        raise Rejected(f"answer must be accept, reject or ignore (got {excerpt(answer)})", "answer")
    view = task.get("_view_id") if isinstance(task.get("_view_id"), str) else None
    spans = list_field(task, "spans")
    is_choice = view == "choice" or "options" in task
    builder = RecordBuilder()
    choices: list[dict] = []
    if answer == "accept":
        tokens = task_tokens(task.get("tokens"))
        mapped = [
            m
            for i, span in enumerate(spans)
            if (
                m := sink.attempt(
                    "span",
                    span,
                    lambda span=span: _prodigy_span(mapper, doc, offset, text, span, tokens),
                    f"spans[{i}]",
                )
            )
        ]
        if is_choice:  # a choice task shows its claim; the annotator answers about it, not edits it
            choices = _prodigy_choice(task, doc, meta, mapped)
        else:
            for span in mapped:
                builder.add(span)
        _prodigy_relations(task, mapper, doc, offset, text, tokens, builder, sink)
    layers = [CHECKWORTHY_LAYER] if is_choice else layers_of(view, builder.spans, meta.get("layers"))
    annotator = str(task.get("_annotator_id") or task.get("_session_id") or "anonymous")
    return annotation_record(
        annotator,
        task.get("_session_id"),
        "prodigy",
        view,
        key,
        task.get("_input_hash"),
        meta,
        doc,
        offset,
        text,
        answer,
        layers,
        task.get("_timestamp"),
        builder,
        choices,
    )


def _prodigy_span(mapper: Mapper, doc: dict, offset: int, text: str, span: Any, tokens: list | None) -> dict:
    if not isinstance(span, dict):
        raise Rejected(f"a span must be an object, got {json_kind(span)}")
    return mapper.span(doc, offset, text, span.get("start"), span.get("end"), span.get("label"), tokens)


def _prodigy_choice(task: dict, doc: dict, meta: dict, shown: list[dict]) -> list[dict]:
    label = choice_label(task.get("accept"), "choice answer")
    if label is None:
        return []
    claims = [s for s in shown if s["layer"] == "claims"]
    return [{**claim_target(doc, meta.get("span_id"), claims), "label": label}]


def _prodigy_relations(
    task: dict,
    mapper: Mapper,
    doc: dict,
    offset: int,
    text: str,
    tokens: list | None,
    builder: RecordBuilder,
    sink: Sink,
) -> None:
    try:
        relations = list_field(task, "relations")
    except Rejected as exc:
        sink.reject("relations", task.get("relations"), exc)
        return
    for i, rel in enumerate(relations):
        sink.attempt(
            "relation",
            rel,
            lambda rel=rel: builder.relate(*_prodigy_relation(rel, mapper, doc, offset, text, tokens)),
            f"relations[{i}]",
        )


def _prodigy_relation(
    rel: Any, mapper: Mapper, doc: dict, offset: int, text: str, tokens: list | None
) -> tuple[str, dict, dict]:
    if (
        not isinstance(rel, dict)
        or not isinstance(rel.get("head_span"), dict)
        or not isinstance(rel.get("child_span"), dict)
    ):
        raise Rejected("a relation has no head_span/child_span")
    ends = []
    for name in ("head_span", "child_span"):
        s = rel[name]
        try:
            ends.append(mapper.span(doc, offset, text, s.get("start"), s.get("end"), s.get("label"), tokens))
        except Rejected as exc:
            raise Rejected(f"relation {name}: {exc}", name) from None
    return checked_relation(rel.get("label"), ends[0], ends[1])
