"""doccano: ``relations.jsonl`` / ``spans.jsonl`` (UTF-16 offsets), its label files, and its exports.

:mod:`.tasks` writes the tasks and label files, :mod:`.checks` is what `corpus validate` checks in the tasks,
and the ingest half (``is_export``, ``records``, ``task_key``) reads annotations back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from corpus.formats.doccano.checks import RELATIONS, SPANS, check
from corpus.formats.doccano.tasks import DoccanoWriter as Writer
from corpus.formats.doccano.tasks import render_doccano as render
from corpus.formats.prodigy import is_export as _is_prodigy_export


def kind_of_record(record: dict) -> str | None:
    """``doccano.relations`` (``entities``) or ``doccano.spans`` (``label``) for a task under another name."""
    if isinstance(record.get("_view_id"), str) or "_task_hash" in record or not isinstance(record.get("text"), str):
        return None
    if isinstance(record.get("entities"), list):
        return RELATIONS
    return SPANS if isinstance(record.get("label"), list) else None


def file_context(path: Any, report: Callable[..., None]) -> None:
    """doccano tasks are checked on their own."""
    return None


def task_meta(task: dict, kind: str) -> tuple[Any, Any]:
    """``(meta, text)``: ``meta`` nested as `corpus tasks` writes it, or flattened into the record by doccano."""
    meta = task.get("meta")
    return (meta if isinstance(meta, dict) else task), task.get("text")


def is_export(item: dict) -> bool:
    """An exported example: text plus ``entities`` or ``label``, and none of Label Studio's or Prodigy's keys."""
    if isinstance(item.get("data"), dict) or _is_prodigy_export(item):
        return False
    text = item.get("text") or item.get("data")
    return isinstance(text, str) and (isinstance(item.get("entities"), list) or isinstance(item.get("label"), list))


def task_key(task: dict) -> str | None:
    """The key of a task in a task file `corpus tasks` wrote."""
    from corpus.annotations.ingest import doccano_task_key

    return doccano_task_key(task) if is_export(task) else None


def records(item: Any, mapper: Any, emitted: set[str] | None, sink: Any, annotator: str) -> list[dict]:
    """The annotation record of one exported example (doccano names no annotator: ``annotator`` is used)."""
    from corpus.annotations.ingest import doccano_record

    return [doccano_record(item, mapper, emitted, annotator, sink)]


__all__ = [
    "Writer",
    "check",
    "file_context",
    "is_export",
    "kind_of_record",
    "records",
    "render",
    "task_key",
    "task_meta",
]
