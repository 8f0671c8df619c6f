"""One record of any kind: its schema first, then the semantic checks of its owner (document records:
:mod:`corpus.records`; annotations: :mod:`corpus.validate.annotations`; a tool's tasks: the tool's ``check``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from corpus.formats import format_of_kind
from corpus.records import MAX_FINDINGS_PER_RECORD, Finding, document_findings
from corpus.validate.annotations import annotation_findings
from corpus.validate.schemas import ANNOTATIONS, DOCUMENTS, guarded, shape_findings


@cache  # resolved once per kind: findings() runs once per record
def _semantic_check(kind: str) -> Callable[[Any, str, Any], list[Finding]]:
    if kind == DOCUMENTS:
        return lambda record, _kind, _config: document_findings(record)
    if kind == ANNOTATIONS:
        return lambda record, _kind, _config: annotation_findings(record)
    tool = format_of_kind(kind)
    if tool is None:
        raise KeyError(f"unknown record kind {kind!r}")
    return tool.check


def findings(record: Any, kind: str, config: Any = None) -> list[Finding]:
    """Every problem of one record of ``kind`` (``config``: a Label Studio labeling config, else the default)."""
    schema_problems = shape_findings(record, kind)
    if schema_problems:
        return schema_problems  # semantic checks rely on the types the schema guarantees
    return guarded(_semantic_check(kind), record, kind, config)[:MAX_FINDINGS_PER_RECORD]
