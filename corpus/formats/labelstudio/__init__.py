"""Label Studio: ``tasks.json`` (with predictions) + ``config.xml``, and its JSON exports."""

from __future__ import annotations

from typing import Any

from corpus.tasks.labelstudio import LabelStudioWriter as Writer
from corpus.tasks.labelstudio import render_labelstudio as render


def check(record: dict, kind: str, config: Any = None) -> list:
    """Structural checks of one Label Studio task against the labeling config (default: the one we write)."""
    from corpus.validate import _check_labelstudio, default_label_config

    return _check_labelstudio(record, config or default_label_config())


def records(item: Any, mapper: Any, emitted: set[str] | None, sink: Any, annotator: str) -> list[dict]:
    """One record per annotation of one exported task."""
    from corpus.annotations.ingest import labelstudio_records

    return list(labelstudio_records(item, mapper, emitted, sink))


__all__ = ["Writer", "check", "records", "render"]
