"""doccano export: UTF-16 code-unit offsets, entity/relation ids, the simple span form, meta, reruns."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import documents

from corpus.document import add_relation, add_span, new_document
from corpus.segment.core import segment_document
from corpus.tasks import write_tasks


def export(tmp_path, unit="paragraph", docs=None):
    paths = write_tasks(documents() if docs is None else docs, tmp_path / unit, "doccano", unit)
    assert [p.name for p in paths] == ["relations.jsonl", "spans.jsonl", "span-types.json", "relation-types.json"]
    return [[json.loads(line) for line in p.read_text("utf-8").splitlines()] for p in paths[:2]]


def utf16_slice(text: str, start: int, end: int) -> str:
    """What a JavaScript ``text.slice(start, end)`` returns (doccano's count)."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def test_offsets_are_utf16_code_units(tmp_path):
    relations, spans = export(tmp_path)
    docs = {d["id"]: d for d in documents()}
    checked = 0
    for record, simple in zip(relations, spans, strict=True):
        assert record["text"] == simple["text"] and record["meta"] == simple["meta"]
        meta = record["meta"]
        doc = docs[meta["doc_id"]]
        assert doc["text"][meta["offset"] : meta["offset"] + len(record["text"])] == record["text"]
        doc_spans = sorted(
            (s["start"] - meta["offset"], s["label"], s["text"])
            for s in doc["spans"]
            if meta["offset"] <= s["start"] < meta["offset"] + len(record["text"])
        )
        exported = [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
        assert [[s, e, label] for s, e, label in exported] == simple["label"]
        assert sorted(utf16_slice(record["text"], s, e) for s, e, _ in exported) == sorted(t for *_, t in doc_spans)
        checked += len(exported)
    assert checked == sum(len(d["spans"]) for d in documents())
    first = relations[0]
    acme = next(e for e in first["entities"] if e["label"] == "ORG")
    # "Jane Doe 👩‍💻 said Acme": the ZWJ sequence is 3 code points but 5 UTF-16 units, so Acme is at 20, not 18
    assert (acme["start_offset"], acme["end_offset"]) == (20, 24)
    flag_claim = next(
        e
        for r in relations
        for e in r["entities"]
        if e["label"] == "CLAIM" and utf16_slice(r["text"], e["start_offset"], e["end_offset"]).startswith("Prices")
    )
    text = next(r["text"] for r in relations if "Prices" in r["text"])
    # the flag is two astral code points (4 UTF-16 units): the span is 2 units longer than in code points
    assert flag_claim["end_offset"] - flag_claim["start_offset"] == len("Prices rose 5% in 2023 🇺🇦") + 2
    assert text.index("Prices") == flag_claim["start_offset"]  # nothing astral before it in this paragraph


def test_combining_marks_count_one_unit_each(tmp_path):
    text = "Tx\u0304o met Ze\u0301lie in Zürich 🙂 today."
    doc = segment_document(new_document(text, "t.txt"))  # not NFC-normalised on purpose: e + U+0301 stays two
    add_span(doc, "entities", "PERSON", text.index("Ze\u0301lie"), text.index("Ze\u0301lie") + 6, "t@1")
    add_span(doc, "entities", "GPE", text.index("Zürich"), text.index("Zürich") + 6, "t@1")
    add_span(doc, "entities", "DATE", text.index("today"), text.index("today") + 5, "t@1")
    (record,), _ = export(tmp_path, docs=[doc])
    got = {e["label"]: (e["start_offset"], e["end_offset"]) for e in record["entities"]}
    assert got["PERSON"] == (9, 15) and got["GPE"] == (19, 25)  # combining marks are BMP: same as code points
    assert got["DATE"] == (text.index("today") + 1, text.index("today") + 6)  # one astral emoji before it
    assert utf16_slice(text, *got["DATE"]) == "today"


def test_relations_reference_entity_ids(tmp_path):
    relations, _ = export(tmp_path)
    found = []
    for record in relations:
        ids = [e["id"] for e in record["entities"]]
        assert ids == list(range(len(ids)))
        by_id = {e["id"]: e for e in record["entities"]}
        assert [r["id"] for r in record["relations"]] == list(range(len(record["relations"])))
        for rel in record["relations"]:
            head, child = by_id[rel["from_id"]], by_id[rel["to_id"]]
            found.append((rel["type"], head["label"], child["label"]))
    assert sorted(found) == sorted([("ATTRIBUTION", "SOURCE", "CONTENT"), ("CUE", "CUE", "CONTENT")] * 2)


def test_sentence_unit_keeps_the_quote_whole_and_reruns_are_identical(tmp_path):
    relations, _ = export(tmp_path, "sentence")
    quote = [r for r in relations if "We will rebuild" in r["text"]]
    assert len(quote) == 1 and "It takes time" in quote[0]["text"] and quote[0]["meta"]["unit"] == "sentence"
    before = (tmp_path / "sentence" / "relations.jsonl").read_bytes()
    export(tmp_path, "sentence")
    assert (tmp_path / "sentence" / "relations.jsonl").read_bytes() == before


def test_label_files_list_every_label_with_its_own_colour(tmp_path):
    """doccano imports labels per type: every span label and relation type, used or not, each its own colour."""
    from jsonschema import Draft202012Validator

    from corpus.document import CLAIM_LABELS, ENTITY_LABELS, RELATION_LABELS, SOURCE_LABELS
    from corpus.validate import SCHEMA_DIR

    doc = segment_document(new_document("Nothing is labelled here.", "t.txt"))  # no span at all
    paths = write_tasks([doc], tmp_path / "a", "doccano", "paragraph")
    files = {p.name: p for p in paths}
    spans = json.loads(files["span-types.json"].read_bytes())
    relations = json.loads(files["relation-types.json"].read_bytes())
    assert [x["text"] for x in spans] == [*ENTITY_LABELS, *SOURCE_LABELS, *CLAIM_LABELS]
    assert [x["text"] for x in relations] == list(RELATION_LABELS)
    colours = [x["backgroundColor"] for x in spans + relations]
    assert len(set(colours)) == len(colours) == len(spans) + len(relations)  # CUE the span and CUE the relation too
    validator = Draft202012Validator(json.loads((SCHEMA_DIR / "doccano-labels.schema.json").read_text("utf-8")))
    for entries in (spans, relations):
        assert list(validator.iter_errors(entries)) == []
    # readable: dark text on the light entity tints, white on the strong SOURCE red
    by_label = {x["text"]: x for x in spans}
    assert by_label["PERSON"]["textColor"] == "#000000" and by_label["SOURCE"]["textColor"] == "#ffffff"
    again = write_tasks([doc], tmp_path / "b", "doccano", "paragraph")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]  # deterministic


def test_task_lines_are_ascii_with_surrogate_pair_escapes(tmp_path):
    """doccano guesses the upload's encoding; pure ASCII with JSON escapes leaves it nothing to misread."""
    text = "Zoë Łódź said 😀 “yes” in Kyiv."
    doc = segment_document(new_document(text, "t.txt"))
    add_span(doc, "entities", "GPE", text.index("Kyiv"), text.index("Kyiv") + 4, "t@1")
    add_span(doc, "entities", "PERSON", 0, 3, "t@1")
    paths = write_tasks([doc], tmp_path, "doccano", "paragraph")
    for path in paths[:2]:
        raw = path.read_bytes()
        assert raw.isascii()
        assert b"\\ud83d\\ude00" in raw and b"\\u00eb" in raw  # the astral emoji is a surrogate pair, as JSON has it
        (record,) = [json.loads(line) for line in raw.splitlines()]
        assert record["text"] == text
        # the same bytes json.dumps(ensure_ascii=True) gives: nothing but the escaping changed
        assert raw == json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"
    (record,), _ = export(tmp_path / "x", docs=[doc])
    gpe = next(e for e in record["entities"] if e["label"] == "GPE")
    assert utf16_slice(record["text"], gpe["start_offset"], gpe["end_offset"]) == "Kyiv"  # offsets still UTF-16


def test_a_span_repeated_with_the_same_label_and_offsets_is_one_entity(tmp_path):
    """Two identical spans (a source that says two things, an entity from two labellers) are one doccano entity;
    relations on the copy point at it, and a relation made twice that way is one relation."""
    from corpus.validate import validate_task

    text = "Acme said prices rose and said jobs went."
    doc = segment_document(new_document(text, "t.txt"))
    at = text.index
    org1 = add_span(doc, "entities", "ORG", 0, 4, "a@1")
    org2 = add_span(doc, "entities", "ORG", 0, 4, "b@1")
    src1 = add_span(doc, "sources", "SOURCE", 0, 4, "s@1")
    src2 = add_span(doc, "sources", "SOURCE", 0, 4, "s@1")
    first = add_span(doc, "sources", "CONTENT", at("prices"), at(" and"), "s@1")
    second = add_span(doc, "sources", "CONTENT", at("jobs"), at(" went") + 5, "s@1")
    add_relation(doc, "ATTRIBUTION", src1["id"], first["id"], "s@1")
    add_relation(doc, "ATTRIBUTION", src2["id"], second["id"], "s@1")
    add_relation(doc, "ATTRIBUTION", src2["id"], first["id"], "s@1")  # the same link again, through the copy
    assert org1["id"] != org2["id"]
    (record,), (simple,) = export(tmp_path, docs=[doc])
    keys = [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 4  # ORG, SOURCE, two CONTENTs
    assert [tuple(x) for x in simple["label"]] == keys
    by_id = {e["id"]: e for e in record["entities"]}
    links = [
        (by_id[r["from_id"]]["label"], text[by_id[r["to_id"]]["start_offset"] : by_id[r["to_id"]]["end_offset"]])
        for r in record["relations"]
    ]
    assert links == [("SOURCE", "prices rose"), ("SOURCE", "jobs went")]
    assert len({r["from_id"] for r in record["relations"]}) == 1
    assert [r["id"] for r in record["relations"]] == [0, 1]
    assert validate_task(record, "doccano.relations") == [] and validate_task(simple, "doccano.spans") == []


def test_validate_checks_the_label_files_it_finds(tmp_path):
    """`corpus validate` reads span-types.json / relation-types.json in a folder and names a broken entry."""
    from corpus.validate import validate_files

    doc = segment_document(new_document("Nothing is labelled here.", "t.txt"))
    folder = tmp_path / "doccano"
    write_tasks([doc], folder, "doccano", "paragraph")
    result = validate_files([folder])
    checked = {Path(s.path).name: s.kind for s in result.files}
    assert checked["span-types.json"] == checked["relation-types.json"] == "doccano.labels"
    assert result.problems == []
    broken = json.loads((folder / "span-types.json").read_bytes())
    broken[0]["backgroundColor"] = 5
    (folder / "span-types.json").write_text(json.dumps(broken), "utf-8")
    (folder / "relation-types.json").write_text("[{", "utf-8")
    lines = [str(p) for p in validate_files([folder]).problems]
    assert any("span-types.json:1: [[0].backgroundColor] expected string" in line for line in lines)
    assert any("relation-types.json:1:" in line and "not valid JSON" in line for line in lines)


def test_a_label_that_is_an_object_or_a_list_is_one_problem_not_a_crash(tmp_path):
    from corpus.validate import validate_task

    base = {"text": "Acme cut jobs.", "meta": {"doc_id": "0" * 16, "offset": 0}}
    entities = {**base, "entities": [{"id": 1, "start_offset": 0, "end_offset": 4, "label": {"x": 1}}], "relations": []}
    assert any("entities[0].label" in p for p in validate_task(entities, "doccano.relations"))
    related = {
        **base,
        "entities": [{"id": 1, "start_offset": 0, "end_offset": 4, "label": "ORG"}],
        "relations": [{"id": 1, "from_id": 1, "to_id": 1, "type": ["CUE"]}],
    }
    assert any("relations[0].type" in p for p in validate_task(related, "doccano.relations"))
    spans = {**base, "label": [[0, 4, ["ORG"]]]}
    assert any("label[0][2]" in p for p in validate_task(spans, "doccano.spans"))


def test_a_string_is_escaped_as_ascii_dumps_escapes_it():
    """The one-C-call escaping of a unit's text gives ascii_dumps' bytes: controls, quotes, backslashes, DEL
    (kept raw), accents, astral characters (surrogate pairs), line separators; lone surrogates are refused alike."""
    import random

    import orjson
    import pytest

    from corpus.formats.doccano.tasks import _ascii_string, ascii_dumps

    pool = ['"', "\\", "/", "\x00", "\x08", "\t", "\n", "\x1f", " ", "a", "\x7f", "\x80", "é", "\u2028", "中", "😀"]
    rng = random.Random(15)
    for _ in range(2000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))
        assert _ascii_string(text) == ascii_dumps(text), repr(text)
    with pytest.raises(orjson.JSONEncodeError):
        _ascii_string("é\ud800")


def test_unit_lines_are_the_records_encoded_whole():
    """The spliced lines equal ascii_dumps of unit_records' two records, for units with and without spans and
    relations, non-ASCII text and emoji (UTF-16 offsets)."""
    from corpus.formats.doccano.tasks import ascii_dumps, unit_lines, unit_records
    from corpus.tasks.units import document_units

    text = "Zoë said 😀 prices rose in Łódź.\n\nNothing at all here.\n\nThe “mayor” of Kyiv 🇺🇦 denied it."
    doc = segment_document(new_document(text, "lines.txt"))
    source = add_span(doc, "sources", "SOURCE", 0, 3, "rules@1", 0.9)
    content = add_span(doc, "sources", "CONTENT", 9, text.index("."), "rules@1", 0.9)
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], "rules@1")
    add_span(doc, "entities", "GPE", text.index("Łódź"), text.index("Łódź") + 4, "rules@1", 0.8)
    add_span(doc, "entities", "GPE", text.index("Kyiv"), text.index("Kyiv") + 4, "rules@1", 0.8)
    for doc_ in [doc, *documents()]:
        for unit in ("paragraph", "sentence", "document"):
            for u in document_units(doc_, unit):
                relation_record, spans_record = unit_records(u)
                expected = ((0, ascii_dumps(relation_record) + b"\n"), (1, ascii_dumps(spans_record) + b"\n"))
                assert unit_lines(u) == expected
