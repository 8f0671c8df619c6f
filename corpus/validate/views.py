"""Plain-Python checks of the long, uniform arrays of a record (tokens, ranges, a tool's regions or entities),
mirroring the schemas' ``$defs``. A record the fast path rejected goes to jsonschema for its messages; these let
jsonschema skip the arrays that are fine (a 10 MB article has two million tokens). Any doubt returns False and the
full schema check runs on that array. A tool's arrays are its own (``fine_arrays`` of its :mod:`corpus.formats`
package)."""

from __future__ import annotations

from typing import Any

from corpus.formats import format_of_kind
from corpus.formats.prodigy.checks import task_token_matches_schema
from corpus.formats.shapes import is_count

DOCUMENTS = "documents"  # the kind of corpus.validate.schemas (not imported: it imports this module)


def _document_token(t: Any) -> bool:
    return (
        type(t) is dict
        and len(t) == 3
        and is_count(t.get("start"))
        and is_count(t.get("end"))
        and type(t.get("ws")) is bool
    )


def _tokens_match_schema(tokens: Any, kind: str) -> bool:
    """The token ``$defs`` of the schemas: a document's tokens, or a task's (the only tool tasks with tokens)."""
    if type(tokens) is not list:
        return False
    return all(map(_document_token if kind == DOCUMENTS else task_token_matches_schema, tokens))


def _ranges_match_schema(ranges: Any) -> bool:
    """The ``range`` ``$def`` of the document schema ([start, end] counts)."""
    return type(ranges) is list and all(
        type(r) is list and len(r) == 2 and is_count(r[0]) and is_count(r[1]) for r in ranges
    )


def _fine_arrays(record: dict, kind: str) -> dict:
    """Replacements for the arrays of ``record`` that already passed their plain-Python check."""
    if kind == DOCUMENTS:
        fast = {"tokens": []} if _tokens_match_schema(record.get("tokens"), kind) else {}
        fast.update({key: [] for key in ("paragraphs", "sentences") if _ranges_match_schema(record.get(key))})
        return fast
    tool = format_of_kind(kind)
    return tool.fine_arrays(record, kind) if tool is not None else {}


def schema_view(record: dict, kind: str) -> dict:
    """The record with its long, uniform arrays emptied when they already passed the plain-Python check, so
    jsonschema only walks the rest."""
    fast = _fine_arrays(record, kind)
    return {**record, **fast} if fast else record
