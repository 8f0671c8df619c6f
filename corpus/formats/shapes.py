"""Plain-Python tests of the values the task schemas allow (labels, options, counts), for the checks that spare
jsonschema the long, uniform arrays of a record (see :mod:`corpus.validate.views`)."""

from __future__ import annotations

from typing import Any

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, RELATION_ENDS

ALL_LABELS = frozenset(label for labels in LABELS_BY_LAYER.values() for label in labels)
RELATION_LABELS = frozenset(RELATION_ENDS)
OPTIONS = frozenset(CHECKWORTHY_OPTIONS)


def is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def is_name(value: Any) -> bool:
    return type(value) is str and value != ""


def is_label_list(value: Any, allowed: frozenset[str], min_items: int = 1) -> bool:
    return type(value) is list and len(value) >= min_items and all(type(v) is str and v in allowed for v in value)
