"""Plain-Python checks of the long, uniform arrays of a record (tokens, ranges, regions, entities), mirroring the
schemas' ``$defs``. A record the fast path rejected goes to jsonschema for its messages; these let jsonschema skip
the arrays that are fine (a 10 MB article has two million tokens). Any doubt returns False and the full schema
check runs on that array."""

from __future__ import annotations

from typing import Any

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, RELATION_ENDS

DOCUMENTS = "documents"  # the kinds of corpus.validate.schemas (not imported: it imports this module lazily)
LABELSTUDIO, DOCCANO_RELATIONS, DOCCANO_SPANS = "labelstudio", "doccano.relations", "doccano.spans"

_ALL_LABELS = frozenset(label for labels in LABELS_BY_LAYER.values() for label in labels)
_RELATION_LABELS = frozenset(RELATION_ENDS)
_OPTIONS = frozenset(CHECKWORTHY_OPTIONS)
_DIRECTIONS = ("right", "left", "bi")


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _is_name(value: Any) -> bool:
    return type(value) is str and value != ""


def _document_token(t: Any) -> bool:
    return (
        type(t) is dict
        and len(t) == 3
        and _is_count(t.get("start"))
        and _is_count(t.get("end"))
        and type(t.get("ws")) is bool
    )


def _task_token(t: Any) -> bool:
    return (
        type(t) is dict
        and _is_name(t.get("text"))
        and _is_count(t.get("start"))
        and _is_count(t.get("end"))
        and _is_count(t.get("id"))
        and type(t.get("ws")) is bool
    )


def _tokens_match_schema(tokens: Any, kind: str) -> bool:
    """The token ``$defs`` of the schemas: a document's tokens, or a Prodigy task's."""
    if type(tokens) is not list:
        return False
    return all(map(_document_token if kind == DOCUMENTS else _task_token, tokens))


def _ranges_match_schema(ranges: Any) -> bool:
    """The ``range`` ``$def`` of the document schema ([start, end] counts)."""
    return type(ranges) is list and all(
        type(r) is list and len(r) == 2 and _is_count(r[0]) and _is_count(r[1]) for r in ranges
    )


def _is_label_list(value: Any, allowed: frozenset[str], min_items: int = 1) -> bool:
    return type(value) is list and len(value) >= min_items and all(type(v) is str and v in allowed for v in value)


def _relation_result(res: dict) -> bool:
    return (
        _is_name(res.get("from_id"))
        and _is_name(res.get("to_id"))
        and res.get("direction", "right") in _DIRECTIONS
        and _is_label_list(res.get("labels"), _RELATION_LABELS, 0)
    )


def _labels_value(value: dict, score: Any) -> bool:
    return (
        _is_count(value.get("start"))
        and _is_count(value.get("end"))
        and type(value.get("text")) is str
        and _is_label_list(value.get("labels"), _ALL_LABELS)
        and type(score) in (int, float)
        and 0 <= score <= 1
    )


def _choices_value(value: dict) -> bool:
    return (
        _is_label_list(value.get("choices"), _OPTIONS)
        and len(value["choices"]) == 1
        and all(_is_count(value[k]) for k in ("start", "end") if k in value)
        and type(value.get("text", "")) is str
    )


def _region_fields(res: dict) -> bool:
    return (
        type(res.get("value")) is dict
        and _is_name(res.get("id"))
        and type(res.get("from_name")) is str
        and type(res.get("to_name")) is str
    )


def _result_matches_schema(res: Any) -> bool:
    """One Label Studio result item against ``labelstudio-task.schema.json`` ``$defs``."""
    if type(res) is not dict or type(res.get("type")) is not str:
        return False
    kind = res["type"]
    if kind == "relation":
        return _relation_result(res)
    if not _region_fields(res):
        return False
    if kind == "labels":
        return _labels_value(res["value"], res.get("score", 0))
    return kind == "choices" and _choices_value(res["value"])


def _entities_match_schema(entities: Any) -> bool:
    return type(entities) is list and all(
        type(e) is dict
        and type(e.get("id")) is int
        and _is_count(e.get("start_offset"))
        and _is_count(e.get("end_offset"))
        and e.get("label") in _ALL_LABELS
        for e in entities
    )


def _doccano_relations_match_schema(relations: Any) -> bool:
    return type(relations) is list and all(
        type(r) is dict
        and type(r.get("from_id")) is int
        and type(r.get("to_id")) is int
        and r.get("type") in _RELATION_LABELS
        and type(r.get("id", 0)) is int
        for r in relations
    )


def _doccano_labels_match_schema(labels: Any) -> bool:
    return type(labels) is list and all(
        type(x) is list and len(x) == 3 and _is_count(x[0]) and _is_count(x[1]) and x[2] in _ALL_LABELS for x in labels
    )


def _predictions_view(predictions: list) -> list:
    return [
        {**p, "result": []}
        if type(p) is dict and type(p.get("result")) is list and all(map(_result_matches_schema, p["result"]))
        else p
        for p in predictions
    ]


def _fine_arrays(record: dict, kind: str) -> dict:
    """Replacements for the arrays of ``record`` that already passed their plain-Python check."""
    fast: dict[str, Any] = {}
    if _tokens_match_schema(record.get("tokens"), kind):
        fast["tokens"] = []
    if kind == DOCUMENTS:
        fast.update({key: [] for key in ("paragraphs", "sentences") if _ranges_match_schema(record.get(key))})
    elif kind == LABELSTUDIO and type(record.get("predictions")) is list:
        fast["predictions"] = _predictions_view(record["predictions"])
    elif kind == DOCCANO_RELATIONS:
        if _entities_match_schema(record.get("entities")):
            fast["entities"] = []
        if _doccano_relations_match_schema(record.get("relations")):
            fast["relations"] = []
    elif kind == DOCCANO_SPANS and _doccano_labels_match_schema(record.get("label")):
        fast["label"] = []
    return fast


def schema_view(record: dict, kind: str) -> dict:
    """The record with its long, uniform arrays emptied when they already passed the plain-Python check, so
    jsonschema only walks the rest."""
    fast = _fine_arrays(record, kind)
    return {**record, **fast} if fast else record
