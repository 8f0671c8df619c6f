"""The checks' shortcuts find what the full checks find whenever their premise is broken.

- A Prodigy task's tail (its spans, relations, options) is taken from the renderer's objects only when their JSON
  is the very piece written, framed by its commas: otherwise the bytes are parsed.
- A ``rel.manual`` relation whose end is one of the task's spans (the same object, as rendered) and that span
  passed the on-tokens test, is not tested again; a span off its tokens is still named at every place.
- The compiled schema predicates do not test a type again where a ``$ref`` or ``then`` repeats it, and read a
  few unread required properties instead of a set test: they still agree with jsonschema.
"""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from fractions import Fraction

import jsonschema
import orjson
import pytest
from conftest import build, read_records, write_articles
from test_build_check_objects import _documents, _found
from test_build_validation import ALL_FORMATS

from corpus.formats.prodigy.checks import check
from corpus.formats.prodigy.tasks import unit_tasks
from corpus.pipeline.records import task_record
from corpus.tasks import document_units, render_formats
from corpus.validate.fastpath import _is_finite_number, _is_number, _SchemaCompiler, fast_check
from corpus.validate.schemas import load_schema


def _tails(rendered) -> list[dict]:
    """Every task's tail fields dict among a document's Prodigy objects."""
    return [v for v in rendered["prodigy"].objects.values() if type(v) is dict]


def test_tail_objects_that_are_not_what_was_written_are_not_taken(tmp_path):
    """Each tail object replaced by a copy with a span label of the same length changed (the bytes are right):
    not taken, so nothing is found; then the bytes broken (a label, a tail's comma) under the right objects:
    the findings are those of parsing."""
    docs = _documents(tmp_path)
    rendered = [render_formats(doc, ["prodigy"], objects=True) for doc in docs]
    changed = 0
    for by_format in rendered:
        objects = by_format["prodigy"].objects
        for key, fields in list(objects.items()):
            if type(fields) is dict and fields["spans"]:
                spans = [{**span, "label": "X" * len(span["label"])} for span in fields["spans"]]
                objects[key] = {**fields, "spans": spans}
                changed += 1
    assert changed and _found(docs, rendered, True) == []
    for old, new in ((b'"label":"', b'"label":"Z'), (b',"spans":', b' "spans":')):
        broken = [render_formats(doc, ["prodigy"], objects=True) for doc in docs]
        for by_format in broken:
            done = by_format["prodigy"]
            done.items = done.items._replace(pieces=done.items.pieces.replace(old, new, 3))
        found = _found(docs, broken, True)
        assert found and found == _found(docs, broken, False)


def _rules_documents(tmp_path) -> list[dict]:
    """Documents labelled by the rules labellers (the test labellers make no relations)."""
    out = tmp_path / "rules"
    rules = {"entities": "rules", "sources": "rules", "claims": "rules"}
    build(write_articles(tmp_path / "in", 4), out, formats=ALL_FORMATS, backends=rules)
    docs = read_records(out / "documents.jsonl")
    for doc in docs:
        task_record(doc)
    return docs


def test_a_shared_span_changed_in_the_objects_only_is_not_taken(tmp_path):
    """A unit's span object (in every view's tail and the relations' ends) moved after its bytes were written:
    the objects no longer encode to the bytes, so the (right) bytes are checked: nothing found."""
    docs = _rules_documents(tmp_path)
    rendered = [render_formats(doc, ["prodigy"], objects=True) for doc in docs]
    moved = 0
    for by_format in rendered:
        for fields in _tails(by_format):
            for rel in fields.get("relations") or ():
                rel["head_span"]["token_end"] += 1  # the same object as in the spans
                moved += 1
    assert moved and _found(docs, rendered, True) == []


def _rel_tasks(tmp_path) -> list[dict]:
    docs = _rules_documents(tmp_path)
    tasks = []
    for doc in docs:
        for unit in document_units(doc, "paragraph"):
            tasks += [t for t in unit_tasks(unit)["rel.manual.jsonl"] if t["relations"]]
    assert tasks and all(rel["head_span"] in task["spans"] for task in tasks for rel in task["relations"])
    return tasks


def _findings(task: dict) -> list[tuple]:
    return [(f.field, f.message) for f in check(task, "rel.manual")]


@pytest.mark.parametrize(
    "change",
    [
        {"token_end": 0},  # off its tokens
        {"end": 10_000},  # outside the text
        {"text": "not the text"},  # the span's text, a finding that still lets it count as on tokens
        {"label": "CUE"},  # not what the relation's end must be
    ],
)
def test_a_relation_end_that_is_a_task_span_is_checked_as_a_separate_copy_would_be(tmp_path, change):
    """The relation ends share the task's span objects (as rendered); a span broken in place is named at every
    place it appears, exactly as in the parsed task (where the ends are separate dicts)."""
    for task in _rel_tasks(tmp_path)[:5]:
        task["relations"][0]["head_span"].update(change)
        parsed = orjson.loads(orjson.dumps(task))
        assert parsed["relations"][0]["head_span"] is not parsed["spans"][0]
        assert _findings(task) == _findings(parsed) != []


def test_a_relation_end_equal_to_a_span_but_not_the_same_object_is_checked(tmp_path):
    """An end that is a copy (as parsed) goes through the full end check, whatever the task's spans passed."""
    for task in _rel_tasks(tmp_path)[:5]:
        rel = task["relations"][0]
        rel["head_span"] = {**rel["head_span"], "start": rel["head_span"]["start"] + 1}
        assert _findings(task) == _findings(orjson.loads(orjson.dumps(task))) != []


# ---------------------------------------------------------------------------------------- compiled schemas

_OBJECT = {
    "type": "object",
    "required": ["a"],
    "properties": {"a": {"$ref": "#/$defs/inner"}},
    "allOf": [{"if": {"properties": {"k": {"const": "x"}}}, "then": {"$ref": "#/$defs/few"}}],
    "$defs": {
        # repeats the type its users test: not tested again, still required to be an object
        "inner": {"type": "object", "required": ["x", "y"], "properties": {"x": {"type": "integer"}}},
        "few": {"type": "object", "required": ["p", "q", "r"]},  # unread required names: read, not a set test
    },
}
_MANY = {"type": "object", "required": ["p", "q", "r", "s"], "properties": {"p": {}}}


@pytest.mark.parametrize(
    "record",
    [
        {"a": {"x": 1, "y": 2}},
        {"a": {"x": 1}},
        {"a": {"y": 2}},
        {"a": {"x": "1", "y": 2}},
        {"a": []},
        {"a": "s"},
        {"a": None},
        {},
        [],
        {"a": {"x": 1, "y": 2}, "k": "x", "p": 1, "q": 2, "r": 3},
        {"a": {"x": 1, "y": 2}, "k": "x", "p": 1, "q": 2},
        {"a": {"x": 1, "y": 2}, "k": "x"},
        {"a": {"x": 1, "y": 2}, "k": "other"},
        {"a": {"x": 1, "y": 2}, "k": 3},
    ],
)
def test_known_types_and_read_required_names_agree_with_jsonschema(record):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_OBJECT}
    want = jsonschema.Draft202012Validator(schema).is_valid(record)
    assert _SchemaCompiler(copy.deepcopy(schema)).compile()(record) is want
    many = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_MANY}
    for other in (record, {"p": 1, "q": 2, "r": 3, "s": 4}, {"p": 1, "q": 2, "r": 3}):
        assert _SchemaCompiler(many).compile()(other) is jsonschema.Draft202012Validator(many).is_valid(other)


def test_a_label_studio_region_is_tested_as_an_object_once():
    compiler = _SchemaCompiler(load_schema("labelstudio"))
    lines = "\n".join(compiler.emit(compiler.root, "v0", "", ()))
    loops = [line.split()[1] for line in lines.splitlines() if line.strip().startswith("for ")]
    result = next(x for x in loops if f"{x}['from_name']" in lines)  # the loop over a prediction's results
    assert lines.count(f"isinstance({result}, dict)") == 1
    assert fast_check("labelstudio") is not None


_DISCRIMINATED = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["kind"],
    "properties": {"kind": {"enum": ["a", "b"]}, "tag": {"type": "string"}},
    "allOf": [
        {"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["x"]}},
        # tag is not required: tested on the record itself, not through a variable
        {"if": {"properties": {"tag": {"const": "t"}}}, "then": {"required": ["y"]}},
    ],
}


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "a", "x": 1},
        {"kind": "a"},
        {"kind": "b"},
        {"kind": "c", "x": 1},
        {"kind": 1, "x": 1},
        {"kind": ["a"], "x": 1},
        {"x": 1},
        {"kind": "b", "tag": "t"},
        {"kind": "b", "tag": "t", "y": 0},
        {"kind": "b", "tag": 3},
    ],
)
def test_a_discriminator_read_into_a_variable_agrees_with_jsonschema(record):
    """A required string property the ``if`` tests is tested through the variable it was read into."""
    compiler = _SchemaCompiler(copy.deepcopy(_DISCRIMINATED))
    source = "\n".join(compiler.emit(compiler.root, "v0", "", ()))
    assert "'kind' not in v0" not in source and "'tag' not in v0" in source
    want = jsonschema.Draft202012Validator(_DISCRIMINATED).is_valid(record)
    assert _SchemaCompiler(copy.deepcopy(_DISCRIMINATED)).compile()(record) is want


@pytest.mark.parametrize(
    "value",
    [
        0.5,
        1,
        0,
        True,
        False,
        -1.0,
        2,
        math.nan,
        math.inf,
        -math.inf,
        Decimal("0.5"),
        Decimal("2"),
        Fraction(1, 2),
        "1",
    ],
)
def test_a_number_test_without_a_call_agrees_with_the_helpers(value):
    """Floats and ints are numbers without calling ``_is_number``; in object form (finite) a float must also be
    finite. Any other value is judged by the helpers, as before."""
    schema = {"type": "number", "minimum": 0, "maximum": 1}
    for finite, helper in ((False, _is_number), (True, _is_finite_number)):
        # the bounds as jsonschema tests them (a NaN is neither below 0 nor above 1)
        want = helper(value) and not value < 0 and not value > 1
        assert _SchemaCompiler(schema, finite).compile()(value) is bool(want)
