"""Label Studio: ``tasks.json`` (with predictions) + ``config.xml``, and its JSON exports.

:mod:`.tasks` writes the tasks, :mod:`.checks` is what `corpus validate` checks in them (against the labeling
config), and the ingest half (``is_export``, ``records``, ``task_key``) reads annotations back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus.formats.labelstudio.checks import LabelConfig, check, fine_arrays, parse_label_config
from corpus.formats.labelstudio.ingest import is_export, records, task_key
from corpus.formats.labelstudio.tasks import LabelStudioWriter as Writer
from corpus.formats.labelstudio.tasks import render_labelstudio as render


def kind_of_record(record: dict) -> str | None:
    """Label Studio task files are known by name (``tasks.json``) only."""
    return None


def file_context(path: Path, report: Callable[..., None]) -> LabelConfig | None:
    """The ``config.xml`` beside a ``tasks.json``, or ``None`` (the default config) when there is none."""
    config_path = path.parent / "config.xml"
    if not config_path.is_file():
        return None
    try:
        return parse_label_config(config_path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        report(
            None,
            f"{config_path.name} beside it is unusable ({exc}); checked against the default config",
            severity="warning",
        )
        return None


def task_meta(task: dict, kind: str) -> tuple[Any, Any]:
    """``(data, text)``: Label Studio keeps the document reference and the text in ``data``."""
    data = task.get("data")
    return (data, data.get("text")) if isinstance(data, dict) else (None, None)


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
