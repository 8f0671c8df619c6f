"""Label Studio export: tasks.json predictions (code-point offsets, region ids, relations, choices), config.xml."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conftest import LABELLER, SHARED_PARAGRAPH, documents

from corpus.document import CHECKWORTHY_OPTIONS, CLAIM_LABELS, ENTITY_LABELS, RELATION_LABELS, SOURCE_LABELS
from corpus.tasks import TaskStats, write_tasks


def export(tmp_path, unit="paragraph", docs=None):
    stats = TaskStats()
    paths = write_tasks(docs or documents(), tmp_path / unit, "labelstudio", unit, stats=stats)
    assert [p.name for p in paths] == ["tasks.json", "config.xml"]
    return json.loads(paths[0].read_text("utf-8")), ET.fromstring(paths[1].read_text("utf-8")), stats


def test_tasks_carry_unit_text_and_where_it_came_from(tmp_path):
    tasks, _, stats = export(tmp_path)
    assert len(tasks) == stats.units == 5
    docs = {d["id"]: d for d in documents()}
    for task in tasks:
        data = task["data"]
        assert set(data) == {"text", "doc_id", "unit", "unit_index", "offset", "title"}
        doc = docs[data["doc_id"]]
        assert doc["text"][data["offset"] : data["offset"] + len(data["text"])] == data["text"]
        assert data["unit"] == "paragraph"
    shared = [t for t in tasks if t["data"]["text"] == SHARED_PARAGRAPH]
    assert len(shared) == 2 and shared[0]["data"]["doc_id"] != shared[1]["data"]["doc_id"]


def test_regions_use_code_point_offsets_and_document_span_ids(tmp_path):
    tasks, _, _ = export(tmp_path)
    docs = {d["id"]: d for d in documents()}
    n_regions = 0
    for task in tasks:
        doc, data = docs[task["data"]["doc_id"]], task["data"]
        spans = {s["id"]: s for s in doc["spans"]}
        for prediction in task["predictions"]:
            assert 0 <= prediction["score"] <= 1
            regions = [r for r in prediction["result"] if r["type"] == "labels"]
            assert len({r["id"] for r in regions}) == len(regions)
            for region in regions:
                n_regions += 1
                assert (region["from_name"], region["to_name"]) == ("label", "text")
                value, span = region["value"], spans[region["id"]]
                assert data["text"][value["start"] : value["end"]] == value["text"] == span["text"]
                assert (data["offset"] + value["start"], data["offset"] + value["end"]) == (span["start"], span["end"])
                assert value["labels"] == [span["label"]]
    assert n_regions == sum(len(d["spans"]) for d in documents())  # every span, overlapping ones included
    first = tasks[0]["predictions"][0]
    assert first["model_version"] == f"entities={LABELLER},sources={LABELLER},claims={LABELLER}"
    acme = next(r for r in first["result"] if r.get("value", {}).get("labels") == ["ORG"])
    assert (acme["value"]["start"], acme["value"]["end"]) == (18, 22)  # after a 3-code-point ZWJ emoji


def test_relations_and_checkworthiness_point_at_regions(tmp_path):
    tasks, _, _ = export(tmp_path)
    relations, choices = [], []
    for task in tasks:
        for prediction in task["predictions"]:
            regions = {r["id"]: r for r in prediction["result"] if r["type"] == "labels"}
            for item in prediction["result"]:
                if item["type"] == "relation":
                    assert item["direction"] == "right" and item["labels"][0] in RELATION_LABELS
                    head, child = regions[item["from_id"]], regions[item["to_id"]]
                    relations.append((item["labels"][0], head["value"]["labels"][0], child["value"]["text"]))
                elif item["type"] == "choices":
                    region = regions[item["id"]]  # a per-region choice shares its region's id
                    assert region["value"]["labels"] == ["CLAIM"] and item["from_name"] == "checkworthy"
                    assert {k: item["value"][k] for k in ("start", "end", "text")} == {
                        k: region["value"][k] for k in ("start", "end", "text")
                    }
                    choices.append((region["value"]["text"], item["value"]["choices"]))
    assert sorted(relations) == sorted(
        [
            ("ATTRIBUTION", "SOURCE", "Acme cut 200 jobs"),
            ("CUE", "CUE", "Acme cut 200 jobs"),
            ("ATTRIBUTION", "SOURCE", "We will rebuild 🏗\ufe0f. It takes time"),
            ("CUE", "CUE", "We will rebuild 🏗\ufe0f. It takes time"),
        ]
    )
    # the undecided claim gets no pre-selected choice
    assert sorted(choices) == [
        ("Acme cut 200 jobs", ["CHECKWORTHY"]),
        ("Prices rose 5% in 2023 🇺🇦", ["NOT_CHECKWORTHY"]),
    ]


def test_units_without_prelabels_have_no_prediction(tmp_path):
    tasks, _, _ = export(tmp_path, "sentence")
    empty = [t for t in tasks if not t["predictions"]]
    # only the second document's last two sentences carry no pre-label
    assert [t["data"]["text"] for t in empty] == ["Officials said nothing.", "Prices rose 5% in 2023 🇺🇦."]
    assert len({t["data"]["doc_id"] for t in empty}) == 1


def test_config_matches_the_predictions(tmp_path):
    tasks, config, _ = export(tmp_path)
    assert config.tag == "View"
    text = config.find("Text")
    assert text.get("name") == "text" and text.get("value") == "$text"
    labels = config.find("Labels")
    assert (labels.get("name"), labels.get("toName")) == ("label", "text")
    assert [x.get("value") for x in labels] == [*ENTITY_LABELS, *SOURCE_LABELS, *CLAIM_LABELS]
    assert [x.get("value") for x in config.find("Relations")] == list(RELATION_LABELS)
    choices = config.find("Choices")
    assert (choices.get("name"), choices.get("toName"), choices.get("perRegion")) == ("checkworthy", "text", "true")
    assert [x.get("value") for x in choices] == list(CHECKWORTHY_OPTIONS)
    used = {
        (r["from_name"], r["to_name"])
        for t in tasks
        for p in t["predictions"]
        for r in p["result"]
        if r["type"] != "relation"
    }
    assert used == {("label", "text"), ("checkworthy", "text")}
    # every $variable the config shows exists in every task's data
    variables = {el.get("value")[1:] for el in config.iter() if (el.get("value") or "").startswith("$")}
    assert variables and all(variables <= set(t["data"]) for t in tasks)


def test_rerun_is_byte_identical(tmp_path):
    first = write_tasks(documents(), tmp_path, "labelstudio")
    before = [p.read_bytes() for p in first]
    second = write_tasks(documents(), tmp_path, "labelstudio")
    assert [p.read_bytes() for p in second] == before


def test_empty_input_is_still_a_valid_json_list(tmp_path):
    path = write_tasks([], tmp_path / "empty", "labelstudio")[0]
    assert json.loads(path.read_text("utf-8")) == []


def test_header_shows_the_title_or_else_the_id(tmp_path):
    """The task header is the article's title (a data field the config names), never pasted into the XML; the
    id stands in when there is no title."""
    from corpus.document import new_document
    from corpus.segment.core import segment_document
    from corpus.validate import validate_task

    hostile = 'Fed & ECB: "rates" <script>alert(1)</script> ]]> $text 🇺🇦'
    titled = segment_document(new_document("Acme cut 200 jobs.", "a.txt", title=hostile))
    untitled = segment_document(new_document("Prices rose.", "b.txt"))
    blank = segment_document(new_document("Nobody spoke.", "c.txt", title="  "))
    tasks, config, _ = export(tmp_path, docs=[titled, untitled, blank])
    assert [t["data"]["title"] for t in tasks] == [hostile, untitled["id"], blank["id"]]
    assert [el.get("value") for el in config.iter("Header")] == ["$title"]
    raw = (tmp_path / "paragraph" / "config.xml").read_text("utf-8")
    assert "script" not in raw and "ECB" not in raw  # the title stays data: it cannot change the config
    assert all(validate_task(t, "labelstudio") == [] for t in tasks)
    for bad in ("", 5, None):
        assert validate_task({**tasks[0], "data": {**tasks[0]["data"], "title": bad}}, "labelstudio")


def test_every_label_and_relation_has_its_own_colour(tmp_path):
    _, config, _ = export(tmp_path)
    labels = {el.get("value"): el.get("background") for el in config.iter("Label")}
    relations = {el.get("value"): el.get("background") for el in config.iter("Relation")}
    assert list(labels) == [*ENTITY_LABELS, *SOURCE_LABELS, *CLAIM_LABELS] and list(relations) == list(RELATION_LABELS)
    colours = [*labels.values(), *relations.values()]
    assert all(c and c.startswith("#") and len(c) == 7 for c in colours)
    assert len(set(colours)) == len(colours)  # no two labels alike, CUE the span and CUE the relation included
    _, again, _ = export(tmp_path / "again")
    assert {el.get("value"): el.get("background") for el in again.iter("Label")} == labels  # deterministic
