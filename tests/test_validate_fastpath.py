"""The compiled schema predicates' shortcuts (corpus.validate.fastpath): a pattern's remembered matches and
``if`` discriminators tested inline agree with jsonschema on the records these tests write."""

from __future__ import annotations

import copy
import re

import pytest

from corpus.document import add_span, new_document
from corpus.segment.core import segment_document
from corpus.validate import _validator, conforms
from corpus.validate.fastpath import _Matched, _SchemaCompiler, fast_check
from corpus.validate.schemas import load_schema


def _compiled(schema: dict):
    return _SchemaCompiler(schema).compile()


def test_a_pattern_remembers_only_what_matched_and_still_rejects_the_rest():
    check = _compiled({"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$"})
    assert check("rules@1") and check("rules@1")  # the second time from memory
    assert not check("rules @1") and not check("rules @1")  # a failure is never remembered
    assert not check("rules")
    assert check("model@2")


def test_the_remembered_matches_are_capped_and_the_regex_still_decides_beyond_the_cap():
    matched = _Matched(re.compile("^a+$"), limit=3)
    assert all(matched.search("a" * n) for n in range(1, 10))
    assert len(matched) == 3
    assert not matched.search("b") and not matched.search("aab")
    assert matched.search("a" * 20) and "a" * 20 not in matched


def test_a_pattern_on_a_value_of_another_type_is_not_looked_up():
    # an unhashable value must not reach the set of remembered strings: the type test comes first
    check = _compiled({"properties": {"who": {"pattern": "^x$"}}})
    assert check({"who": ["x"]}) and check({"who": {"x": 1}}) and check({"who": "x"})
    assert not check({"who": "y"})


def test_label_studio_discriminators_are_inline_tests_not_helper_calls():
    compiler = _SchemaCompiler(load_schema("labelstudio"))
    compiler.compile()
    assert not any(line.startswith("def _if") for line in compiler.helpers)


def _region(**changes) -> dict:
    region = {
        "id": "r1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 3, "text": "The", "labels": ["PERSON"]},
        "score": 0.5,
    }
    region.update(changes)
    return region


def _ls_task(result: list) -> dict:
    return {
        "data": {"text": "The text", "doc_id": "0" * 16, "unit": "paragraph", "unit_index": 0, "offset": 0},
        "predictions": [{"model_version": "rules@1", "result": result}],
    }


_RELATION = {"type": "relation", "from_id": "r1", "to_id": "r2", "direction": "right", "labels": ["ATTRIBUTION"]}
_CHOICE = {"id": "r1", "from_name": "cw", "to_name": "text", "type": "choices", "value": {"choices": ["CHECKWORTHY"]}}


@pytest.mark.parametrize(
    "result",
    [
        [_region()],
        [_region(type="relation")],  # a region read as a relation: its fields are wrong for one
        [_region(type="choices")],
        [_region(type="other")],
        [_region(type=None)],
        [_region(type=["labels"])],  # unhashable: no set lookup before the type test
        [_region(type={"labels": 1})],
        [{k: v for k, v in _region().items() if k != "type"}],
        [_RELATION],
        [{**_RELATION, "type": "labels"}],
        [_CHOICE],
        [{**_CHOICE, "value": {"choices": ["CHECKWORTHY", "NOT_CHECKWORTHY"]}}],
        [{**_CHOICE, "type": "relation"}],
        ["labels"],
        [_region(), _RELATION, _CHOICE],
    ],
)
def test_label_studio_results_are_judged_as_jsonschema_judges_them(result):
    task = _ls_task(copy.deepcopy(result))
    assert fast_check("labelstudio")(task) == _validator("labelstudio").is_valid(task)
    assert conforms(task, "labelstudio") == _validator("labelstudio").is_valid(task)


def _document(layer, label) -> dict:
    doc = segment_document(new_document("Ana Lima said the port reopened.", "r.txt"))
    add_span(doc, "sources", "SOURCE", 0, 8, "rules@1", 0.9, {"kind": "named_person"})
    doc["spans"][0].update(layer=layer, label=label)
    doc["labellers"] = {"sources": "rules@1"}
    return doc


@pytest.mark.parametrize("layer", ["entities", "sources", "claims", "other", None, ["sources"], 3])
@pytest.mark.parametrize("label", ["PERSON", "SOURCE", "CLAIM"])
def test_document_span_discriminators_agree_with_jsonschema(layer, label):
    """The document schema's span ``if``s (by ``layer``) are inline tests too."""
    doc = _document(layer, label)
    assert conforms(doc, "documents") == _validator("documents").is_valid(doc)
    assert fast_check("documents", finite=True)(doc) == _validator("documents").is_valid(doc)
