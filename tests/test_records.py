"""corpus.records: the one owner of "is this document record / span well formed" and of record defaults."""

from __future__ import annotations

import copy

from corpus.document import add_relation, add_span, new_document
from corpus.offsets import TokenIndex
from corpus.records import (
    Finding,
    document_errors,
    document_findings,
    relation_usable,
    span_problem,
    structure_problem,
    with_record_defaults,
)
from corpus.segment.core import segment_document

TEXT = "Ana Lima said the port reopened.\n\nTrade rose 3% in May."


def doc() -> dict:
    d = segment_document(new_document(TEXT, "r.txt"))
    source = add_span(d, "sources", "SOURCE", 0, 8, "rules@1", 0.9, {"kind": "named_person"})
    content = add_span(d, "sources", "CONTENT", 14, 31, "rules@1", 0.9)
    add_relation(d, "ATTRIBUTION", source["id"], content["id"], "rules@1")
    add_span(d, "entities", "PERSON", 0, 8, "rules@1", 0.9)
    d["labellers"] = {"sources": "rules@1", "entities": "rules@1"}
    return d


def messages(found: list[Finding]) -> list[str]:
    return [str(f) for f in found]


def test_a_well_formed_record_has_no_findings():
    assert document_findings(doc()) == [] and document_errors(doc(), "d.jsonl", 1) == []


def test_spans_and_relations_are_checked_against_text_tokens_and_each_other():
    d = doc()
    d["spans"][2]["id"] = d["spans"][0]["id"]  # duplicate id
    d["spans"][1]["start"] = 15  # off a token boundary, and its text no longer matches
    d["relations"][0]["child"] = "S9"
    found = messages(document_findings(d))
    assert "spans[2].id: duplicate span id 'S0'" in found
    assert any(m.startswith("spans[1].text:") for m in found)
    assert any(m.startswith("spans[1].start:") and "not on token boundaries" in m for m in found)
    assert "relations[0].child: span 'S9' does not exist" in found


def test_relation_ends_must_have_the_labels_the_relation_joins():
    d = doc()
    d["relations"][0]["head"] = d["relations"][0]["child"]
    assert messages(document_findings(d)) == [
        "relations[0].head: ATTRIBUTION head must be a SOURCE span, 'S1' is CONTENT"
    ]


def test_segmentation_problems_and_warnings():
    d = doc()
    d["tokens"][0]["ws"] = False
    d["id"] = "0" * 16
    d["labellers"] = {}
    found = document_findings(d)
    assert [f.severity for f in found].count("warning") == 3  # id, and a labeller missing for each layer
    assert "tokens[0].ws: is false but the next character is ' '" in messages(found)
    assert document_errors(d, "d.jsonl", 4) == [p for p in document_errors(d, "d.jsonl", 4) if p.line == 4]
    assert len(document_errors(d, "d.jsonl", 4)) == 1  # warnings do not make a record unusable


def test_shape_only_leaves_offsets_to_the_consumer():
    d = doc()
    d["spans"][0]["end"] = 999
    assert document_errors(d, "d.jsonl", 2, semantic=False) == []
    assert document_errors(d, "d.jsonl", 2)[0].field == "spans[0]"
    d["spans"] = None
    [problem] = document_errors(d, "d.jsonl", 2, semantic=False)
    assert problem.field == "spans" and "expected array" in problem.message


def test_structure_problem_names_the_first_unusable_token_or_segment():
    d = doc()
    assert structure_problem(d, d["tokens"], "paragraph") is None
    broken = copy.deepcopy(d)
    broken["tokens"][2]["start"] = 0
    assert (
        structure_problem(broken, broken["tokens"], "sentence") == "token 2 (0-13) is out of order or outside the text"
    )
    broken = copy.deepcopy(d)
    broken["sentences"][1] = ["a", 3]
    assert (
        structure_problem(broken, broken["tokens"], "sentence") == "sentences[1] is not a [start, end] pair of integers"
    )
    assert structure_problem(broken, broken["tokens"], "paragraph") is None  # only the segments asked for


def test_span_problem():
    d = doc()
    index = TokenIndex(d["tokens"])
    n = len(TEXT)
    assert span_problem(d["spans"][0], n, index) is None
    assert span_problem("S0", n) == "is not an object"
    assert span_problem({**d["spans"][0], "end": n + 1}, n) == f"has offsets 0-{n + 1} outside the text"
    assert span_problem({**d["spans"][0], "layer": "quotes"}, n) == "has unknown layer 'quotes'"
    assert span_problem({**d["spans"][0], "label": "PERSON"}, n) == "has label 'PERSON' not in the sources label set"
    assert span_problem({**d["spans"][0], "id": 3}, n) == "has no string id"
    assert span_problem({**d["spans"][0], "end": 6}, n, index) == "0-6 is not on token boundaries"
    assert span_problem({**d["spans"][0], "end": 6}, n) is None  # boundaries only with a token index


def test_record_defaults_fill_only_what_is_missing():
    record = with_record_defaults({"id": "x", "text": "t", "spans": [1]}, "f.jsonl:3")
    assert record["spans"] == [1] and record["tokens"] == [] and record["labellers"] == {}
    assert record["title"] is None and record["origin"] == "f.jsonl:3"
    assert with_record_defaults({"origin": "kept"}, "f.jsonl:4")["origin"] == "kept"
    first, second = with_record_defaults({}, "a"), with_record_defaults({}, "b")
    assert first["spans"] is not second["spans"]  # a fresh list per record


def test_findings_are_one_line():
    finding = Finding("spans[0]\n.id", "bad\tvalue")
    assert str(finding) == "spans[0]\\n.id: bad\\tvalue"


def test_relation_usable():
    d = doc()
    kept = {s["id"] for s in d["spans"]}
    assert relation_usable(d["relations"][0], kept)
    assert not relation_usable(d["relations"][0], kept - {d["relations"][0]["child"]})
    assert not relation_usable({**d["relations"][0], "label": "QUOTES"}, kept)
    assert not relation_usable({**d["relations"][0], "head": ["S0"]}, kept)  # not a crash either
    assert not relation_usable("R0", kept)
