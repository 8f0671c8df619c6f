"""doccano export: UTF-16 code-unit offsets, entity/relation ids, the simple span form, meta, reruns."""

from __future__ import annotations

import json

from test_tasks_prodigy import documents

from corpus.document import add_span, new_document
from corpus.segment.core import segment_document
from corpus.tasks import write_tasks


def export(tmp_path, unit="paragraph", docs=None):
    paths = write_tasks(documents() if docs is None else docs, tmp_path / unit, "doccano", unit)
    assert [p.name for p in paths] == ["relations.jsonl", "spans.jsonl", "span-types.json", "relation-types.json"]
    return [[json.loads(line) for line in p.read_text("utf-8").splitlines()] for p in paths[:2]]


def utf16_slice(text: str, start: int, end: int) -> str:
    """What a JavaScript ``text.slice(start, end)`` returns (doccano's count)."""
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


def test_offsets_are_utf16_code_units(tmp_path):
    relations, spans = export(tmp_path)
    docs = {d["id"]: d for d in documents()}
    checked = 0
    for record, simple in zip(relations, spans, strict=True):
        assert record["text"] == simple["text"] and record["meta"] == simple["meta"]
        meta = record["meta"]
        doc = docs[meta["doc_id"]]
        assert doc["text"][meta["offset"]:meta["offset"] + len(record["text"])] == record["text"]
        doc_spans = sorted((s["start"] - meta["offset"], s["label"], s["text"]) for s in doc["spans"]
                            if meta["offset"] <= s["start"] < meta["offset"] + len(record["text"]))
        exported = [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
        assert [[s, e, label] for s, e, label in exported] == simple["label"]
        assert sorted(utf16_slice(record["text"], s, e) for s, e, _ in exported) == sorted(t for *_, t in doc_spans)
        checked += len(exported)
    assert checked == sum(len(d["spans"]) for d in documents())
    first = relations[0]
    acme = next(e for e in first["entities"] if e["label"] == "ORG")
    # "Jane Doe 👩‍💻 said Acme": the ZWJ sequence is 3 code points but 5 UTF-16 units, so Acme is at 20, not 18
    assert (acme["start_offset"], acme["end_offset"]) == (20, 24)
    flag_claim = next(e for r in relations for e in r["entities"]
                      if e["label"] == "CLAIM" and utf16_slice(r["text"], e["start_offset"], e["end_offset"])
                      .startswith("Prices"))
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
