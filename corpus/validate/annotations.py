"""What `corpus validate` checks in an ``annotations.jsonl`` record (from `corpus annotations ingest`) once its
schema passed: the dedupe key, spans inside the task with labels of their layer, relation ends and choices."""

from __future__ import annotations

from corpus.document import LABELS_BY_LAYER
from corpus.records import MAX_FINDINGS_PER_RECORD, Finding, short

LAYER_OF_LABEL = {label: layer for layer, labels in LABELS_BY_LAYER.items() for label in labels}


def annotation_findings(record: dict) -> list[Finding]:
    out: list[Finding] = []
    task = record["task"]
    if record["key"] != f"{record['annotator']}|{task['hash']}":
        out.append(Finding("key", f"{short(record['key'])} is not annotator|task.hash"))
    if not task["start"] <= task["end"]:
        out.append(Finding("task", f"start {task['start']} is after end {task['end']}"))
    span_ids = _check_spans(record["spans"], task, out)
    for i, rel in enumerate(record["relations"]):
        for end in ("head", "child"):
            if rel[end] not in span_ids:
                out.append(Finding(f"relations[{i}].{end}", f"span {rel[end]!r} is not in this record"))
    for i, choice in enumerate(record["choices"]):
        if not choice["start"] < choice["end"]:
            out.append(Finding(f"choices[{i}]", f"[{choice['start']}, {choice['end']}) is empty"))
    return out[:MAX_FINDINGS_PER_RECORD]


def _check_spans(spans: list[dict], task: dict, out: list[Finding]) -> set:
    """Each span inside the task, labelled within its layer, with a unique id; returns the ids."""
    span_ids = set()
    for i, span in enumerate(spans):
        if not task["start"] <= span["start"] < span["end"] <= task["end"]:
            message = f"[{span['start']}, {span['end']}) is empty or outside the task [{task['start']}, {task['end']})"
            out.append(Finding(f"spans[{i}]", message))
        if span["layer"] != LAYER_OF_LABEL.get(span["label"], span["layer"]):
            out.append(Finding(f"spans[{i}].layer", f"{span['label']} is not a {span['layer']} label"))
        if span["id"] in span_ids:
            out.append(Finding(f"spans[{i}].id", f"duplicate span id {span['id']!r}"))
        span_ids.add(span["id"])
    return span_ids
