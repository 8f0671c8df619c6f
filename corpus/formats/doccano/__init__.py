"""doccano: ``relations.jsonl`` / ``spans.jsonl`` (UTF-16 offsets), its label files, and its exports.

:mod:`.tasks` writes the tasks and label files, :mod:`.checks` is what `corpus validate` checks in the tasks,
and the ingest half (``is_export``, ``records``, ``task_key``) reads annotations back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from corpus.formats.doccano.checks import RELATIONS, SPANS, check, fine_arrays
from corpus.formats.doccano.ingest import is_export, records, task_key
from corpus.formats.doccano.tasks import DoccanoWriter as Writer
from corpus.formats.doccano.tasks import render_doccano as render


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


__all__ = [
    "Writer",
    "check",
    "fine_arrays",
    "file_context",
    "is_export",
    "kind_of_record",
    "records",
    "render",
    "task_key",
    "task_meta",
]
