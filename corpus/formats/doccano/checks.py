"""What `corpus validate` checks in a doccano task once its schema passed: UTF-16 offsets in range and on
code-point boundaries, unique entity ids, relations between existing entities with the right labels."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from corpus.document import RELATION_ENDS
from corpus.formats.shapes import ALL_LABELS, RELATION_LABELS, is_count
from corpus.offsets import utf16_offsets
from corpus.records import MAX_FINDINGS_PER_RECORD, Finding

RELATIONS, SPANS = "doccano.relations", "doccano.spans"


def check(record: dict, kind: str, config: Any = None) -> list[Finding]:
    """Problems of one ``doccano.relations`` or ``doccano.spans`` task (label files are checked by schema only)."""
    if kind not in (RELATIONS, SPANS):
        return []
    out: list[Finding] = []
    ids = _check_entries(record, kind, out)
    if len(out) >= MAX_FINDINGS_PER_RECORD:
        return out
    if kind == RELATIONS:
        for i, rel in enumerate(record["relations"]):
            _check_relation(rel, f"relations[{i}]", ids, out)
    return out


def _entries(record: dict, kind: str) -> tuple[str, list[tuple[int, int, int | None, str]]]:
    """The spans' field name and ``(start, end, entity id, label)`` of each span of either form."""
    if kind == RELATIONS:
        return "entities", [(e["start_offset"], e["end_offset"], e["id"], e["label"]) for e in record["entities"]]
    return "label", [(e[0], e[1], None, e[2]) for e in record["label"]]


def _check_entries(record: dict, kind: str, out: list[Finding]) -> dict[int, str]:
    """Offsets of every span; returns entity id -> label (stops at the cap of findings)."""
    boundaries, units = _boundaries(record["text"])
    ids: dict[int, str] = {}
    name, entries = _entries(record, kind)
    for i, (s, e, ident, label) in enumerate(entries):
        fine = s < e <= units and s in boundaries and e in boundaries  # the common case, in one test
        problem = None if fine else _offset_problem(s, e, boundaries, units)
        if problem:
            out.append(Finding(f"{name}[{i}]", problem))
        if ident is not None:
            if ident in ids:
                out.append(Finding(f"{name}[{i}].id", f"duplicate entity id {ident}"))
            ids[ident] = label
        if len(out) >= MAX_FINDINGS_PER_RECORD:
            break
    return ids


def _boundaries(text: str) -> tuple[Container[int], int]:
    """The UTF-16 offsets on code-point boundaries and the text's length in code units. Without a character
    outside the BMP (most texts) every offset up to the length is one: no per-character table."""
    if len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text):
        return range(len(text) + 1), len(text)
    table = utf16_offsets(text)
    return set(table), table[-1]


def _offset_problem(s: int, e: int, boundaries: Container[int], units: int) -> str | None:
    if not s < e <= units:
        return f"[{s}, {e}) is empty or outside the text ({units} UTF-16 code units)"
    if s not in boundaries or e not in boundaries:
        return (
            f"[{s}, {e}) splits a character outside the BMP (an offset inside a surrogate "
            "pair; doccano offsets are UTF-16 code units)"
        )
    return None


def _check_relation(rel: dict, where: str, ids: dict[int, str], out: list[Finding]) -> None:
    ends = [ids.get(rel["from_id"]), ids.get(rel["to_id"])]
    for end, got in zip(("from_id", "to_id"), ends, strict=True):
        if got is None:
            out.append(Finding(f"{where}.{end}", f"entity {rel[end]} does not exist"))
    want = RELATION_ENDS.get(rel["type"])
    if want and None not in ends and tuple(ends) != want:
        message = f"{rel['type']} must go from {want[0]} to {want[1]}, not from {ends[0]} to {ends[1]}"
        out.append(Finding(where, message))


# ------------------------------------------------------------------ fast shape checks (spare jsonschema)


def _is_label(value: Any, allowed: frozenset[str]) -> bool:
    return type(value) is str and value in allowed  # a list or an object is no label (and not hashable)


def _entities_match_schema(entities: Any) -> bool:
    return type(entities) is list and all(
        type(e) is dict
        and type(e.get("id")) is int
        and is_count(e.get("start_offset"))
        and is_count(e.get("end_offset"))
        and _is_label(e.get("label"), ALL_LABELS)
        for e in entities
    )


def _doccano_relations_match_schema(relations: Any) -> bool:
    return type(relations) is list and all(
        type(r) is dict
        and type(r.get("from_id")) is int
        and type(r.get("to_id")) is int
        and _is_label(r.get("type"), RELATION_LABELS)
        and type(r.get("id", 0)) is int
        for r in relations
    )


def _doccano_labels_match_schema(labels: Any) -> bool:
    return type(labels) is list and all(
        type(x) is list and len(x) == 3 and is_count(x[0]) and is_count(x[1]) and _is_label(x[2], ALL_LABELS)
        for x in labels
    )


def fine_arrays(record: dict, kind: str) -> dict:
    """The entity, relation and label arrays that match the schema, emptied: jsonschema skips them."""
    fast: dict[str, Any] = {}
    if kind == RELATIONS:
        if _entities_match_schema(record.get("entities")):
            fast["entities"] = []
        if _doccano_relations_match_schema(record.get("relations")):
            fast["relations"] = []
    elif kind == SPANS and _doccano_labels_match_schema(record.get("label")):
        fast["label"] = []
    return fast
