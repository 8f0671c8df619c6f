"""doccano: ``relations.jsonl`` / ``spans.jsonl`` (UTF-16 offsets), its label files, and its exports."""

from __future__ import annotations

from typing import Any

from corpus.tasks.doccano import DoccanoWriter as Writer
from corpus.tasks.doccano import render_doccano as render


def check(record: dict, kind: str, config: Any = None) -> list:
    """Structural checks of one doccano task of ``kind`` (its schema already passed)."""
    from corpus.validate import _check_doccano

    return _check_doccano(record, kind)


def records(item: Any, mapper: Any, emitted: set[str] | None, sink: Any, annotator: str) -> list[dict]:
    """The annotation record of one exported example (doccano names no annotator: ``annotator`` is used)."""
    from corpus.annotations.ingest import doccano_record

    return [doccano_record(item, mapper, emitted, annotator, sink)]


__all__ = ["Writer", "check", "records", "render"]
