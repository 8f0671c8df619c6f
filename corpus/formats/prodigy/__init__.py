"""Prodigy: ``ner.manual`` / ``spans.manual`` / ``rel.manual`` / ``choice`` task files and ``db-out`` exports.

:mod:`.tasks` writes the tasks, :mod:`.checks` is what `corpus validate` checks in them, and the ingest half
(``is_export``, ``records``, ``task_keys``) reads annotations back (see :mod:`corpus.formats`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from corpus.formats.prodigy.checks import check, fine_arrays
from corpus.formats.prodigy.ingest import is_export, records, task_key
from corpus.formats.prodigy.tasks import ProdigyWriter as Writer
from corpus.formats.prodigy.tasks import render_prodigy as render

KINDS_BY_VIEW = {
    "ner_manual": "ner.manual",
    "spans_manual": "spans.manual",
    "relations": "rel.manual",
    "choice": "choice",
}


def kind_of_record(record: dict) -> str | None:
    """The task kind of a record by its ``_view_id`` (a task file under another name)."""
    view = record.get("_view_id")
    return KINDS_BY_VIEW.get(view) if isinstance(view, str) else None


def file_context(path: Any, report: Callable[..., None]) -> None:
    """Prodigy tasks are checked on their own."""
    return None


def task_meta(task: dict, kind: str) -> tuple[Any, Any]:
    """``(meta, text)``: the task's document reference and its unit text."""
    return task.get("meta"), task.get("text")


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
