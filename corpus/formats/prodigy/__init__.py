"""Prodigy: ``ner.manual`` / ``spans.manual`` / ``rel.manual`` / ``choice`` task files and ``db-out`` exports."""

from __future__ import annotations

from typing import Any

from corpus.tasks.prodigy import ProdigyWriter as Writer
from corpus.tasks.prodigy import render_prodigy as render


def check(record: dict, kind: str, config: Any = None) -> list:
    """Structural checks of one Prodigy task of ``kind`` (its schema already passed)."""
    from corpus.validate import _check_task

    return _check_task(record, kind)


def records(item: Any, mapper: Any, emitted: set[str] | None, sink: Any, annotator: str) -> list[dict]:
    """The annotation record of one ``db-out`` line."""
    from corpus.annotations.ingest import Rejected, prodigy_record, record_format

    found = record_format(item)
    if found not in (None, "prodigy"):
        raise Rejected(f"a {found} record in a Prodigy db-out file")
    return [prodigy_record(item, mapper, emitted, sink)]


__all__ = ["Writer", "check", "records", "render"]
