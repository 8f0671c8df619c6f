"""`corpus annotations merge`: majority and adjudicator policies, ties, agreement and pre-label acceptance.

Annotations are made the way annotators make them (Prodigy db-out lines over tasks of the test's own article)
and go through `ingest` first, so these tests exercise the whole way back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    answer,
    find,
    labelstudio_task,
    ls_annotation,
    make_document,
    prodigy_choice_task,
    prodigy_task,
    write_documents,
)
from typer.testing import CliRunner

from corpus.annotations import MergeState, Policy, build_report, ingest_exports, merge_documents
from corpus.cli import app
from corpus.errors import CorpusError
from corpus.jsonl import write_jsonl
from corpus.scoring import MatchRule


@pytest.fixture()
def doc() -> dict:
    return make_document()


def spans_of(text: str) -> dict[str, tuple[int, int, str]]:
    return {
        "zoe": (*find(text, "Zoë Máx\u0301well"), "PERSON"),
        "acme": (*find(text, "Acme"), "ORG"),
        "kyiv": (*find(text, "Kyiv"), "GPE"),
        "200": (*find(text, "200"), "CARDINAL"),
        "jobs": (*find(text, "jobs"), "PRODUCT"),
        "lodz": (*find(text, "Łódź"), "GPE"),
        "officials": (*find(text, "Officials"), "NORP"),
    }


def entity_answers(doc: dict) -> list[dict]:
    s = spans_of(doc["text"])
    p0, p1 = prodigy_task(doc, 0, "entities"), prodigy_task(doc, 1, "entities")
    return [
        answer(p0, doc, "alice", [s["zoe"], s["acme"], s["kyiv"], s["200"]]),
        answer(p0, doc, "bob", [s["zoe"], s["acme"], s["200"]]),
        answer(p0, doc, "cy", [s["zoe"], s["kyiv"], s["jobs"]]),
        answer(p1, doc, "alice", [s["lodz"]]),
        answer(p1, doc, "bob", [s["lodz"], s["officials"]]),
        answer(p1, doc, "cy", [], decision="ignore"),  # cy skipped paragraph 2: not a vote
    ]


def merge(tmp_path: Path, doc: dict, lines: list[dict], policy: str = "majority") -> tuple[dict, dict]:
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, lines)
    problems = []
    records, stats = ingest_exports([export], {doc["id"]: doc}, problems.append)
    assert problems == [] and stats.rejected == 0
    state = MergeState(Policy.parse(policy))
    gold = list(merge_documents([doc], records, Policy.parse(policy), problems.append, state))
    assert len(gold) == 1
    return gold[0], build_report(state)


def keys(gold: dict, layer: str) -> set[tuple[int, int, str]]:
    return {(s["start"], s["end"], s["label"]) for s in gold["spans"] if s["layer"] == layer}


def test_majority_vote_counts_only_annotators_who_saw_the_text(tmp_path, doc):
    s = spans_of(doc["text"])
    gold, report = merge(tmp_path, doc, entity_answers(doc))

    # Paragraph 1: three voters; paragraph 2: two (cy ignored it), so bob's lone NORP is a 1-1 tie.
    assert keys(gold, "entities") == {s["zoe"], s["acme"], s["kyiv"], s["200"], s["lodz"]}
    assert report["ties"]["count"] == 1
    (tie,) = report["ties"]["examples"]
    assert (tie["start"], tie["end"], tie["label"], tie["votes"], tie["voters"]) == (*s["officials"], 1, 2)
    assert tie["text"] == "Officials"
    scores = {(x["start"], x["end"], x["label"]): x["score"] for x in gold["spans"]}
    assert scores[s["zoe"]] == 1.0 and scores[s["acme"]] == pytest.approx(0.6667) and scores[s["lodz"]] == 1.0
    for span in gold["spans"]:
        assert gold["text"][span["start"] : span["end"]] == span["text"]
        assert span["labeller"] == "gold@majority"
    assert report["records"] == {"accept": 5, "reject": 0, "ignore": 1, "unknown_document": 0}


def test_gold_record_keeps_prelabels_and_says_how_it_was_made(tmp_path, doc):
    gold, _ = merge(tmp_path, doc, entity_answers(doc))
    assert gold["prelabel_spans"] == doc["spans"] and gold["prelabel_relations"] == doc["relations"]
    assert gold["annotation"]["annotators"] == ["news-alice", "news-bob", "news-cy"]
    assert gold["annotation"]["policy"] == "majority"
    assert gold["annotation"]["coverage"] == {"entities": [list(p) for p in doc["paragraphs"]]}
    assert gold["labellers"]["entities"] == "gold@majority"
    assert gold["labellers"]["sources"] == "rules@1"  # not annotated: the layer keeps no gold, says so
    assert not [x for x in gold["spans"] if x["layer"] != "entities"]
    assert [x["id"] for x in gold["spans"]] == [f"E{i}" for i in range(len(gold["spans"]))]


def test_prelabel_acceptance_against_gold(tmp_path, doc):
    _, report = merge(tmp_path, doc, entity_answers(doc))
    (row,) = [r for r in report["acceptance"] if r["layer"] == "entities"]
    # Pre-labels: PERSON, ORG, GPE Kyiv, GPE Łódź (all kept); gold adds CARDINAL 200.
    assert (row["labeller"], row["prelabels"], row["gold"], row["matched"]) == ("rules@1", 4, 5, 4)
    assert (row["precision"], row["recall"], row["f1"]) == (1.0, 0.8, pytest.approx(0.8889, abs=1e-4))


def test_report_names_the_matching_rule_and_a_looser_rule_accepts_near_misses(tmp_path, doc):
    _, report = merge(tmp_path, doc, entity_answers(doc))
    assert report["match"] == "exact" and report["agreement"]["entities"]["match"] == "exact"
    text = doc["text"]
    start, end = find(text, "Acme cut")  # the pre-label is "Acme": Jaccard 4/8
    widened = answer(prodigy_task(doc, 0, "entities"), doc, "alice", [(start, end, "ORG")])
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [widened])
    records, _ = ingest_exports([export], {doc["id"]: doc}, lambda p: None)
    for rule, matched in (("exact", 0), ("jaccard>=0.5", 1)):
        state = MergeState(Policy(), match=MatchRule.parse(rule))
        list(merge_documents([doc], records, Policy(), lambda p: None, state))
        report = build_report(state)
        (row,) = [r for r in report["acceptance"] if r["layer"] == "entities"]
        assert report["match"] == rule and row["matched"] == matched


def test_pairwise_entity_agreement(tmp_path, doc):
    _, report = merge(tmp_path, doc, entity_answers(doc))
    pairs = {(p["a"], p["b"]): p for p in report["agreement"]["entities"]["pairs"]}
    # alice-bob: paragraphs 1+2: alice 5 spans, bob 5, 4 shared -> 0.8; cy only shares paragraph 1.
    assert pairs["news-alice", "news-bob"]["f1"] == 0.8
    assert (pairs["news-alice", "news-cy"]["a_spans"], pairs["news-alice", "news-cy"]["b_spans"]) == (4, 3)
    assert pairs["news-alice", "news-cy"]["f1"] == pytest.approx(2 * 2 / 7, abs=1e-4)
    assert pairs["news-bob", "news-cy"]["f1"] == pytest.approx(2 * 1 / 6, abs=1e-4)


def test_adjudicator_wins_where_they_annotated(tmp_path, doc):
    s = spans_of(doc["text"])
    lines = [*entity_answers(doc), answer(prodigy_task(doc, 0, "entities"), doc, "lead", [s["zoe"], s["jobs"]])]
    gold, report = merge(tmp_path, doc, lines, policy="adjudicator:lead")
    # Paragraph 1 is the lead's (a "news-lead" session matches "lead"); paragraph 2 falls back to the majority.
    assert keys(gold, "entities") == {s["zoe"], s["jobs"], s["lodz"]}
    assert report["policy"] == "adjudicator:lead" and report["gold"]["adjudicated"] > 0
    assert gold["spans"][0]["labeller"] == "gold@adjudicator:lead"
    assert report["ties"]["count"] == 1  # the NORP tie in paragraph 2 is still a tie


def test_relations_need_a_majority_and_gold_ends(tmp_path, doc):
    text = doc["text"]
    src, cue, content = (
        (*find(text, "Zoë Máx\u0301well"), "SOURCE"),
        (*find(text, "said"), "CUE"),
        (*find(text, "Acme cut 200 jobs in Kyiv"), "CONTENT"),
    )
    task = prodigy_task(doc, 0, "sources")
    both = [("ATTRIBUTION", src, content), ("CUE", cue, content)]
    lines = [
        answer(task, doc, "alice", [src, cue, content], both),
        answer(task, doc, "bob", [src, cue, content], both[:1]),
    ]
    gold, report = merge(tmp_path, doc, lines)

    by_id = {x["id"]: x for x in gold["spans"]}
    assert keys(gold, "sources") == {src, cue, content}
    assert [
        (r["label"], by_id[r["head"]]["label"], by_id[r["child"]]["label"], r["labeller"]) for r in gold["relations"]
    ] == [("ATTRIBUTION", "SOURCE", "CONTENT", "gold@majority")]
    assert report["ties"]["count"] == 1 and report["ties"]["examples"][0]["layer"] == "relations"
    # The pre-label's attributes come along (source kind), with span ids re-pointed to gold ids.
    (source,) = [x for x in gold["spans"] if x["label"] == "SOURCE"]
    assert source["attrs"] == {"kind": "named_person"}
    rel_rows = {r["layer"]: r for r in report["acceptance"]}
    assert (rel_rows["relations"]["prelabels"], rel_rows["relations"]["matched"]) == (2, 1)
    assert (rel_rows["sources"]["precision"], rel_rows["sources"]["recall"]) == (1.0, 1.0)
    assert report["agreement"]["relations"]["pairs"][0]["f1"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_layer_counts_in_its_own_view(tmp_path, doc):
    """Sources are shown in spans.manual too: what an annotator did in rel.manual is what counts."""
    text = doc["text"]
    src, cue, content = (
        (*find(text, "Zoë Máx́well"), "SOURCE"),
        (*find(text, "said"), "CUE"),
        (*find(text, "Acme cut 200 jobs in Kyiv"), "CONTENT"),
    )
    claim = (content[0], content[1], "CLAIM")
    spans_task = prodigy_task(doc, 0, "claims", view="spans_manual")
    rel_task = prodigy_task(doc, 0, "sources")
    rels = [("ATTRIBUTION", src, content)]
    lines = [
        # alice removed the CUE in rel.manual but left spans.manual's copy of it alone
        answer(rel_task, doc, "alice", [src, content], rels),
        answer(spans_task, doc, "alice", [src, cue, claim]),
        answer(rel_task, doc, "bob", [src, content], rels),
        # cy only answered spans.manual: there, her sources count
        answer(spans_task, doc, "cy", [src, cue, claim]),
    ]
    gold, report = merge(tmp_path, doc, lines)
    assert keys(gold, "sources") == {src, content}  # CUE: cy alone against alice and bob
    assert keys(gold, "claims") == {claim}
    assert report["ties"]["count"] == 0


def test_checkworthiness_votes_kappa_and_claims_from_choices(tmp_path, doc):
    claims = [x for x in doc["spans"] if x["layer"] == "claims"]
    first, second = (prodigy_choice_task(doc, c["id"]) for c in claims)
    lines = [
        answer(first, doc, "alice", accept=["CHECKWORTHY"]),
        answer(first, doc, "bob", accept=["CHECKWORTHY"]),
        answer(second, doc, "alice", accept=["NOT_CHECKWORTHY"]),
        answer(second, doc, "bob", accept=["CHECKWORTHY"], timestamp=1),
        answer(second, doc, "bob", accept=["NOT_CHECKWORTHY"], timestamp=2),
    ]  # bob changed his mind
    gold, report = merge(tmp_path, doc, lines)

    gold_claims = {(x["start"], x["end"]): x for x in gold["spans"] if x["layer"] == "claims"}
    assert set(gold_claims) == {(c["start"], c["end"]) for c in claims}  # judged claims become gold claims
    assert [gold_claims[(c["start"], c["end"])]["attrs"]["checkworthy"] for c in claims] == [True, False]
    # The pre-label's "source" attribute pointed at a pre-label id; the source is not gold here, so it is dropped.
    assert "source" not in gold_claims[(claims[0]["start"], claims[0]["end"])]["attrs"]
    cw = report["agreement"]["checkworthy"]
    assert (cw["items"], cw["items_rated_twice"]) == (2, 2)
    assert cw["cohen_kappa"] == 1.0 and cw["krippendorff_alpha"] == 1.0
    assert report["gold"]["checkworthy"] == {"CHECKWORTHY": 1, "NOT_CHECKWORTHY": 1}
    (row,) = [r for r in report["acceptance"] if r["layer"] == "checkworthy"]
    assert (row["items"], row["agree"], row["precision"], row["recall"]) == (2, 2, 1.0, 1.0)


def test_checkworthiness_tie_is_reported(tmp_path, doc):
    claim = next(x for x in doc["spans"] if x["layer"] == "claims")
    task = prodigy_choice_task(doc, claim["id"])
    gold, report = merge(
        tmp_path,
        doc,
        [answer(task, doc, "alice", accept=["CHECKWORTHY"]), answer(task, doc, "bob", accept=["NOT_CHECKWORTHY"])],
    )
    assert report["ties"]["count"] == 1 and report["ties"]["examples"][0]["layer"] == "checkworthy"
    # One item, one label each: p_o = 0 and p_e = 0, so kappa = 0; alpha = 1 - 1 * 2 / 2 = 0.
    assert report["agreement"]["checkworthy"]["cohen_kappa"] == 0.0
    assert report["agreement"]["checkworthy"]["krippendorff_alpha"] == 0.0
    assert not [x for x in gold["spans"] if x["layer"] == "claims"]


def test_label_studio_and_prodigy_annotators_merge_together(tmp_path, doc):
    s = spans_of(doc["text"])
    task = labelstudio_task(doc, 0, 1)
    task["annotations"] = [ls_annotation(doc, task, 9, [s["zoe"], s["acme"]])]
    ls_export = tmp_path / "ls.json"
    ls_export.write_text(json.dumps([task]), "utf-8")
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [answer(prodigy_task(doc, 0, "entities"), doc, "alice", [s["zoe"], s["kyiv"]])])
    records, _ = ingest_exports([export, ls_export], {doc["id"]: doc}, lambda p: None)
    state = MergeState(Policy())
    (gold,) = merge_documents([doc], records, Policy(), lambda p: None, state)
    assert keys(gold, "entities") == {s["zoe"]}  # acme and kyiv: 1 of 2 each -> ties
    assert build_report(state)["ties"]["count"] == 2
    # The Label Studio annotator covered every span layer of the paragraph, so sources/claims are gold (empty).
    assert set(gold["annotation"]["coverage"]) == {"entities", "sources", "claims"}


def test_policy_parsing():
    assert str(Policy.parse("majority")) == "majority"
    assert Policy.parse("adjudicator:ann").is_adjudicator("news_ner-ann")
    assert not Policy.parse("adjudicator:ann").is_adjudicator("joann")
    with pytest.raises(CorpusError, match="unknown merge policy"):
        Policy.parse("adjudicator:")


def test_merge_cli_writes_gold_and_report_deterministically(tmp_path, doc):
    docs_path = write_documents(tmp_path, [doc, make_document("A short note.\n\nNothing else.")])
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, entity_answers(doc))
    annotations = tmp_path / "annotations.jsonl"
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["annotations", "ingest", str(export), "-d", str(docs_path), "-o", str(annotations)]
        ).exit_code
        == 0
    )
    gold_path, report_path = tmp_path / "gold.jsonl", tmp_path / "agreement.json"
    args = [
        "annotations",
        "merge",
        str(annotations),
        "-d",
        str(docs_path),
        "-o",
        str(gold_path),
        "--report",
        str(report_path),
    ]

    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    first = (gold_path.read_bytes(), report_path.read_bytes())
    assert runner.invoke(app, args).exit_code == 0
    assert (gold_path.read_bytes(), report_path.read_bytes()) == first

    report = json.loads(report_path.read_text("utf-8"))
    assert report["documents"] == {"total": 2, "annotated": 1}
    assert report["agreement"]["entities"]["micro_f1"] is not None
    (gold,) = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines()]
    assert gold["id"] == doc["id"] and "inter-annotator agreement" in result.output

    bad = runner.invoke(app, [*args[:-4], "--policy", "loudest", "-o", str(gold_path)])
    assert bad.exit_code != 0 and "unknown merge policy" in bad.output
