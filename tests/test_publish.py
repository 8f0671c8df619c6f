"""`corpus publish` dataset folder: configs load offline with their features, ids join, splits hold."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import datasets
import huggingface_hub
import pyarrow.parquet as pq
import pytest

from corpus.document import ENTITY_LABELS, SOURCE_KINDS, add_relation, add_span, new_document
from corpus.errors import CorpusError
from corpus.jsonl import read_jsonl, write_jsonl
from corpus.publish import build_dataset
from corpus.publish.dataset import BIO_NAMES
from corpus.publish.licences import (
    NON_REDISTRIBUTABLE,
    REDISTRIBUTABLE,
    RESTRICTED,
    UNKNOWN,
    classify_licence,
)
from corpus.publish.splits import SplitAssigner, parse_ratios
from corpus.report import Reporter
from corpus.segment.core import segment_document

CONFIGS = ("documents", "entities", "claims", "sources")

# Articles written for these tests (fictional people, places and numbers).
TEMPLATES = [
    (
        "Mara Velk said the council of Ostrava cut 40 jobs on Monday.\n\n"
        "Local officials confirm that the bridge over the Lidra river was closed. \u201cWe had no choice,\u201d "
        "one senior engineer said.",
        "Northern Ledger",
    ),
    (
        "The ministry of transport reported 12 accidents in Brenna last week.\n\n"
        "Analysts believe that fuel prices will rise by 5 percent. Tomas Hale, a spokesman, said the figures "
        "were accurate.",
        "Harbour Post",
    ),
    (
        "Residents of Kelso say the water plant failed twice \U0001f30a in March.\n\n"
        "According to the utility, repairs cost 2 million euros. The mayor said that the plant is safe now.",
        "Northern Ledger",
    ),
]
LICENCES = ["CC BY 4.0", "cc-by-sa-4.0", "CC0-1.0", "Creative Commons Attribution 4.0 International"]


def mark(doc: dict, layer: str, label: str, phrase: str, occurrence: int = 0, **kwargs) -> dict:
    start = -1
    for _ in range(occurrence + 1):
        start = doc["text"].index(phrase, start + 1)
    return add_span(
        doc,
        layer,
        label,
        start,
        start + len(phrase),
        kwargs.pop("labeller", "rules@1"),
        kwargs.pop("score", 0.9),
        kwargs.pop("attrs", None),
    )


def attribution(doc: dict, source: str | None, cue: str, content: str, kind: str | None = None, **attrs) -> dict:
    content_span = mark(doc, "sources", "CONTENT", content, score=0.6)
    cue_span = mark(doc, "sources", "CUE", cue, score=0.8)
    add_relation(doc, "CUE", cue_span["id"], content_span["id"], "rules@1")
    if source:
        source_span = mark(doc, "sources", "SOURCE", source, attrs={"kind": kind, **attrs} if kind else attrs)
        add_relation(doc, "ATTRIBUTION", source_span["id"], content_span["id"], "rules@1")
    return content_span


def make_document(i: int, licence: str | None = "CC BY 4.0") -> dict:
    template, publisher = TEMPLATES[i % len(TEMPLATES)]
    text = f"{template}\n\nReport number {i} was filed by the desk."
    doc = new_document(
        text,
        f"tests/article{i}.txt",
        publisher=publisher,
        licence=licence,
        published=f"2024-05-{1 + i % 28:02d}",
        title=f"Article {i}",
    )
    segment_document(doc)
    t = i % len(TEMPLATES)
    if t == 0:
        mark(doc, "entities", "PERSON", "Mara Velk")
        mark(doc, "entities", "ORG", "the council of Ostrava")
        mark(doc, "entities", "GPE", "Ostrava")  # nested inside the ORG: kept in spans, not in BIO
        mark(doc, "entities", "CARDINAL", "40")
        mark(doc, "entities", "DATE", "Monday")
        mark(doc, "entities", "LOC", "Lidra")
        mark(
            doc,
            "claims",
            "CLAIM",
            "the council of Ostrava cut 40 jobs on Monday",
            score=0.82,
            attrs={"evidence": ["CARDINAL: 40", "DATE: Monday"]},
        )
        mark(doc, "claims", "CLAIM", "We had no choice", score=0.2)
        attribution(doc, "Mara Velk", "said", "the council of Ostrava cut 40 jobs on Monday", "named_person")
        attribution(
            doc, "Local officials", "confirm", "that the bridge over the Lidra river was closed", "unnamed_group"
        )
        attribution(doc, "one senior engineer", "said", "\u201cWe had no choice,\u201d", "anonymous")
    elif t == 1:
        mark(doc, "entities", "ORG", "ministry of transport")
        mark(doc, "entities", "CARDINAL", "12")
        mark(doc, "entities", "GPE", "Brenna")
        mark(doc, "entities", "DATE", "last week")
        mark(doc, "entities", "PERCENT", "5 percent")
        mark(doc, "entities", "PERSON", "Tomas Hale")
        mark(
            doc,
            "claims",
            "CLAIM",
            "The ministry of transport reported 12 accidents in Brenna last week",
            score=0.77,
            attrs={"checkworthy": True},
        )
        mark(doc, "claims", "CLAIM", "fuel prices will rise by 5 percent", score=0.4)
        attribution(doc, "Analysts", "believe", "that fuel prices will rise by 5 percent", "unnamed_group")
        attribution(doc, "Tomas Hale, a spokesman,", "said", "the figures were accurate", "named_person")
    else:
        mark(doc, "entities", "GPE", "Kelso")
        mark(doc, "entities", "DATE", "March")
        mark(doc, "entities", "MONEY", "2 million euros")
        mark(doc, "claims", "CLAIM", "repairs cost 2 million euros", score=0.9)
        attribution(doc, "the utility", "According to", "repairs cost 2 million euros", "named_organisation")
        attribution(doc, "The mayor", "said", "that the plant is safe now", None)  # kind not given
    number = text.index(f"Report number {i}") + len("Report number ")
    add_span(doc, "entities", "CARDINAL", number, number + len(str(i)), "rules@1", 0.7)
    doc["labellers"] = {"entities": "rules@1", "sources": "rules@1", "claims": "rules@1"}
    return doc


def make_corpus(n: int, start: int = 0) -> list[dict]:
    return [make_document(i, LICENCES[i % len(LICENCES)]) for i in range(start, start + n)]


def load_offline(folder: Path, config: str, cache: Path) -> datasets.DatasetDict:
    """`load_dataset` with the Hub switched off: a local folder must load without any network."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_DATASETS_OFFLINE", "1")
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    mp.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    try:
        return datasets.load_dataset(str(folder), config, cache_dir=str(cache))
    finally:
        mp.undo()


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    docs = make_corpus(30)
    write_jsonl(root / "documents.jsonl", docs)
    reporter = Reporter(echo=None)
    summary = build_dataset(root / "documents.jsonl", root / "dataset", report=reporter, batch_rows=7)
    loaded = {c: load_offline(root / "dataset", c, root / "cache") for c in CONFIGS}
    return {"root": root, "docs": docs, "summary": summary, "loaded": loaded, "reporter": reporter}


def rows(loaded: datasets.DatasetDict) -> list[tuple[str, dict]]:
    return [(split, row) for split, ds in loaded.items() for row in ds]


def test_every_config_loads_offline_with_the_counted_rows(built):
    summary, loaded = built["summary"], built["loaded"]
    assert summary["documents"] == 30 and summary["errors"] == 0
    assert set(summary["configs"]) == set(CONFIGS)
    for config in CONFIGS:
        assert {s: len(ds) for s, ds in loaded[config].items()} == summary["configs"][config]
    assert sum(summary["splits"].values()) == 30
    # Every sentence is a row; claims and attributions as written above.
    docs = built["docs"]
    assert sum(len(ds) for ds in loaded["entities"].values()) == sum(len(d["sentences"]) for d in docs)
    assert sum(len(ds) for ds in loaded["claims"].values()) == sum(
        1 for d in docs for s in d["spans"] if s["layer"] == "claims"
    )
    assert sum(len(ds) for ds in loaded["sources"].values()) == sum(
        1 for d in docs for s in d["spans"] if s["label"] == "CONTENT"
    )


def test_classlabel_features_survive(built):
    loaded = built["loaded"]
    ner = loaded["entities"]["train"].features["ner_tags"].feature
    assert isinstance(ner, datasets.ClassLabel) and ner.names == list(BIO_NAMES)
    assert ner.names[0] == "O" and {f"B-{lab}" for lab in ENTITY_LABELS} <= set(ner.names)
    assert loaded["claims"]["train"].features["checkworthy"].names == ["NOT_CHECKWORTHY", "CHECKWORTHY"]
    assert loaded["sources"]["train"].features["source_kind"].names == list(SOURCE_KINDS)
    assert isinstance(loaded["documents"]["train"].features["licence_status"], datasets.ClassLabel)
    # The parquet files carry the features too, for readers that ignore the card.
    one = next((built["root"] / "dataset" / "entities").glob("train-*.parquet"))
    assert (
        b"class_label" in pq.read_schema(one).metadata[b"huggingface"]
        or b"ClassLabel" in pq.read_schema(one).metadata[b"huggingface"]
    )


def test_ids_join_and_offsets_point_into_document_text(built):
    loaded = built["loaded"]
    texts = {row["id"]: row["text"] for _s, row in rows(loaded["documents"])}
    claim_ids = {row["id"] for _s, row in rows(loaded["claims"])}
    source_ids = {row["id"] for _s, row in rows(loaded["sources"])}
    for _s, row in rows(loaded["entities"]):
        text = texts[row["doc_id"]]
        assert text[row["start"] : row["end"]] == row["text"]
        assert [text[s:e] for s, e in zip(row["token_starts"], row["token_ends"], strict=True)] == row["tokens"]
        assert len(row["ner_tags"]) == len(row["tokens"])
        for span in row["spans"]:
            assert text[span["start"] : span["end"]] == span["text"]
            covered = row["tokens"][span["token_start"] : span["token_end"]]
            assert covered[0] == text[span["start"] : span["start"] + len(covered[0])]
            assert span["id"].startswith(row["doc_id"] + ":E")
    for _s, row in rows(loaded["claims"]):
        assert texts[row["doc_id"]][row["start"] : row["end"]] == row["text"]
        assert set(row["source_ids"]) <= source_ids
    for _s, row in rows(loaded["sources"]):
        assert set(row["claim_ids"]) <= claim_ids
        for role in ("source", "cue", "content"):
            for frag in row[role]:
                assert texts[row["doc_id"]][frag["start"] : frag["end"]] == frag["text"]
    # Links go both ways.
    for _s, row in rows(loaded["claims"]):
        for sid in row["source_ids"]:
            assert row["id"] in next(r for _x, r in rows(loaded["sources"]) if r["id"] == sid)["claim_ids"]


def test_bio_tags_and_nested_entities(built):
    loaded = built["loaded"]
    names = loaded["entities"]["train"].features["ner_tags"].feature.names
    row = next(r for _s, r in rows(loaded["entities"]) if "Mara Velk" in r["text"])
    tags = [names[t] for t in row["ner_tags"]]
    assert tags[:2] == ["B-PERSON", "I-PERSON"]
    org = row["tokens"].index("council") - 1  # "the council of Ostrava"
    assert tags[org : org + 4] == ["B-ORG", "I-ORG", "I-ORG", "I-ORG"]
    # The nested GPE is listed in spans but BIO keeps the outer ORG.
    assert {s["label"] for s in row["spans"]} >= {"PERSON", "ORG", "GPE", "CARDINAL", "DATE"}
    assert "B-GPE" not in tags


def test_attribution_rows_kinds_and_claim_links(built):
    loaded = built["loaded"]
    kinds = loaded["sources"]["train"].features["source_kind"].names
    by_text = {r["content"][0]["text"]: r for _s, r in rows(loaded["sources"])}
    row = by_text["the council of Ostrava cut 40 jobs on Monday"]
    assert [f["text"] for f in row["source"]] == ["Mara Velk"] and [f["text"] for f in row["cue"]] == ["said"]
    assert kinds[row["source_kind"]] == "named_person" and len(row["claim_ids"]) == 1
    assert kinds[by_text["that fuel prices will rise by 5 percent"]["source_kind"]] == "unnamed_group"
    assert kinds[by_text["\u201cWe had no choice,\u201d"]["source_kind"]] == "anonymous"
    assert by_text["that the plant is safe now"]["source_kind"] == -1  # labeller gave no kind
    claims = {r["text"]: r for _s, r in rows(loaded["claims"])}
    cw = loaded["claims"]["train"].features["checkworthy"].names
    assert cw[claims["We had no choice"]["checkworthy"]] == "NOT_CHECKWORTHY"  # score 0.2 < 0.5
    assert cw[claims["repairs cost 2 million euros"]["checkworthy"]] == "CHECKWORTHY"
    assert claims["the council of Ostrava cut 40 jobs on Monday"]["evidence"] == ["CARDINAL: 40", "DATE: Monday"]
    assert len(claims["repairs cost 2 million euros"]["entity_ids"]) == 1  # the MONEY span


def test_astral_characters_keep_code_point_offsets(built):
    loaded = built["loaded"]
    row = next(r for _s, r in rows(loaded["entities"]) if "\U0001f30a" in r["text"])
    text = next(r["text"] for _s, r in rows(loaded["documents"]) if r["id"] == row["doc_id"])
    march = next(s for s in row["spans"] if s["label"] == "DATE")
    assert text[march["start"] : march["end"]] == "March"
    assert "\U0001f30a" in row["tokens"]


def test_splits_are_disjoint_by_document(built):
    loaded = built["loaded"]
    split_of = {}
    for split, row in rows(loaded["documents"]):
        assert row["id"] not in split_of
        split_of[row["id"]] = split
    for config in ("entities", "claims", "sources"):
        for split, row in rows(loaded[config]):
            assert split_of[row["doc_id"]] == split
    assert set(split_of.values()) <= {"train", "validation", "test"}


def test_row_groups_are_bounded(built):
    path = next((built["root"] / "dataset" / "entities").glob("train-*.parquet"))
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups > 1 and all(meta.row_group(i).num_rows <= 7 for i in range(meta.num_row_groups))


def test_rerun_is_byte_identical(built, tmp_path):
    again = tmp_path / "dataset"
    build_dataset(built["root"] / "documents.jsonl", again, batch_rows=7)
    first = tree_digest(built["root"] / "dataset")
    assert tree_digest(again) == first
    build_dataset(built["root"] / "documents.jsonl", again, batch_rows=7)  # over an existing folder
    assert tree_digest(again) == first


def test_grown_corpus_keeps_old_articles_in_their_splits(built, tmp_path):
    old = {row["id"]: split for split, row in rows(built["loaded"]["documents"])}
    grown = built["docs"] + make_corpus(25, start=30)
    write_jsonl(tmp_path / "grown.jsonl", grown[::-1])  # order does not matter either
    build_dataset(tmp_path / "grown.jsonl", tmp_path / "dataset")
    new = {}
    for split_dir in (tmp_path / "dataset" / "documents").glob("*.parquet"):
        split = split_dir.name.split("-")[0]
        for doc_id in pq.read_table(split_dir, columns=["id"]).column("id").to_pylist():
            new[doc_id] = split
    assert len(new) == 55
    assert {doc_id: new[doc_id] for doc_id in old} == old


def test_group_by_keeps_a_group_in_one_split(tmp_path):
    docs = make_corpus(24)
    for i, doc in enumerate(docs):
        doc["story"] = f"story-{i % 5}"
    write_jsonl(tmp_path / "docs.jsonl", docs)
    summary = build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", group_by="story", split_ratios="0.5,0.5")
    assert set(summary["splits"]) <= {"train", "test"}
    story_split: dict[str, set] = {}
    by_id = {d["id"]: d["story"] for d in docs}
    for path in (tmp_path / "ds" / "documents").glob("*.parquet"):
        for doc_id in pq.read_table(path, columns=["id"]).column("id").to_pylist():
            story_split.setdefault(by_id[doc_id], set()).add(path.name.split("-")[0])
    assert all(len(splits) == 1 for splits in story_split.values()) and len(story_split) == 5


def test_near_duplicate_goes_with_the_article_it_repeats():
    assigner = SplitAssigner(parse_ratios("0.34,0.33,0.33"))
    originals = [{"id": f"doc{i}"} for i in range(40)]
    copies = [{"id": f"copy{i}", "ingest": {"near_duplicate_of": {"id": f"doc{i}"}}} for i in range(40)]
    for original, dup in zip(originals, copies, strict=True):
        assert assigner.split_of(dup) == assigner.split_of(original)
    assert len({assigner.split_of(d) for d in originals}) == 3


def test_split_ratios_parse_and_reject():
    assert parse_ratios("0.8,0.1,0.1") == {"train": 0.8, "validation": 0.1, "test": 0.1}
    assert parse_ratios("0.9,0.1") == {"train": 0.9, "test": 0.1}
    assert parse_ratios("train=0.7,dev_a=0.3") == {"train": 0.7, "dev_a": 0.3}
    assert parse_ratios("1,0,0") == {"train": 1.0}
    for bad in ("0.8,0.3", "train-x=1", "a=0.5,0.5", "x,y", "0.2,0.2,0.2,0.4", "train=0.5,train=0.5"):
        with pytest.raises(CorpusError):
            parse_ratios(bad)


def test_ratios_are_respected_on_many_documents():
    assigner = SplitAssigner(parse_ratios("0.8,0.1,0.1"))
    counts = {"train": 0, "validation": 0, "test": 0}
    for i in range(20_000):
        counts[assigner.split_of({"id": f"{i:016x}"})] += 1
    assert abs(counts["train"] / 20_000 - 0.8) < 0.01 and abs(counts["test"] / 20_000 - 0.1) < 0.01


def test_bad_lines_and_spans_are_reported_and_good_articles_kept(tmp_path):
    docs = make_corpus(4)
    broken = copy.deepcopy(docs[1])
    broken["spans"][0]["text"] = "not the text"
    broken["spans"][1]["end"] = 10_000
    bad_tokens = copy.deepcopy(docs[3])
    bad_tokens["tokens"][2] = {"start": "x"}
    path = tmp_path / "docs.jsonl"
    lines = [docs[0], broken, docs[2], docs[0], bad_tokens]
    write_jsonl(path, lines)
    with open(path, "ab") as fh:
        fh.write(b'{"id": "x", "text": \n')  # malformed JSON on line 6
        fh.write(b'{"no": "text"}\n')
    reporter = Reporter(echo=None)
    summary = build_dataset(path, tmp_path / "ds", report=reporter)
    assert summary["documents"] == 3
    messages = [str(p) for p in reporter.problems]
    assert any(":2:" in m and "differs from the document text" in m for m in messages)
    assert any(":2:" in m and "outside the text" in m for m in messages)
    assert any(":4:" in m and "repeats an earlier line" in m for m in messages)
    assert any(":5: [tokens[2].start] expected integer, got string" in m for m in messages)  # validate's line
    assert any(":6:" in m and "malformed JSON" in m for m in messages)
    assert any(":7: missing fields id, text" in m for m in messages)
    assert summary["errors"] >= 4


def test_unsegmented_documents_are_segmented_and_empty_input_refused(tmp_path):
    doc = new_document("Nobody segmented this text. It still has two sentences.", "raw.txt", licence="CC0")
    write_jsonl(tmp_path / "raw.jsonl", [doc])
    reporter = Reporter(echo=None)
    summary = build_dataset(tmp_path / "raw.jsonl", tmp_path / "ds", report=reporter)
    assert summary["configs"]["entities"] and sum(summary["configs"]["entities"].values()) == 2
    assert "claims" not in summary["configs"]  # no rows: left out, the others still load
    assert any("segmented now" in str(p) for p in reporter.problems)
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(CorpusError, match="no usable document records"):
        build_dataset(tmp_path / "empty.jsonl", tmp_path / "ds2")
    assert not (tmp_path / "ds2").exists() or not any((tmp_path / "ds2").iterdir())
    with pytest.raises(CorpusError, match="not found"):
        build_dataset(tmp_path / "missing.jsonl", tmp_path / "ds3")


def test_gold_mode_builds_from_gold_and_keeps_prelabels(tmp_path):
    docs = make_corpus(6)
    gold = []
    for doc in docs[:4]:
        g = copy.deepcopy(doc)
        g["prelabel_spans"], g["prelabel_relations"] = doc["spans"], doc["relations"]
        g["spans"] = [s for s in g["spans"] if s["label"] != "CARDINAL"]  # annotators removed every CARDINAL
        for s in g["spans"]:
            s["labeller"] = "gold@majority"
            if s["layer"] == "claims":
                s["attrs"] = {**s["attrs"], "checkworthy": False}
        g["annotation"] = {"annotators": ["ann1", "ann2"], "policy": "majority", "prelabellers": doc["labellers"]}
        gold.append(g)
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "gold.jsonl", gold)
    reporter = Reporter(echo=None)
    summary = build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", report=reporter, gold=tmp_path / "gold.jsonl")
    assert summary["gold"] and summary["documents"] == 4 and summary["unannotated"] == 2
    assert any("2 documents have no gold annotations" in str(p) for p in reporter.problems)
    cache = tmp_path / "cache"
    ents = load_offline(tmp_path / "ds", "entities", cache)
    names = ents[next(iter(ents))].features["prelabel_ner_tags"].feature.names
    assert names == list(BIO_NAMES)
    all_rows = [r for ds in ents.values() for r in ds]
    assert not any(s["label"] == "CARDINAL" for r in all_rows for s in r["spans"])
    assert any(s["label"] == "CARDINAL" for r in all_rows for s in r["prelabel_spans"])
    assert any(names.index("B-CARDINAL") in r["prelabel_ner_tags"] for r in all_rows)
    claims = load_offline(tmp_path / "ds", "claims", cache)
    claim_rows = [r for ds in claims.values() for r in ds]
    assert all(r["checkworthy"] == 0 for r in claim_rows)  # NOT_CHECKWORTHY
    assert all(r["prelabel_id"] == r["id"] for r in claim_rows)  # same offsets -> matched pre-label
    assert any(r["prelabel_checkworthy"] == 1 for r in claim_rows)  # CHECKWORTHY
    sources = load_offline(tmp_path / "ds", "sources", cache)
    offsets = lambda frags: [(f["start"], f["end"]) for f in frags]  # noqa: E731
    assert all(offsets(r["prelabel_content"]) == offsets(r["content"]) for ds in sources.values() for r in ds)
    assert all(r["prelabel_content"][0]["labeller"] == "rules@1" for ds in sources.values() for r in ds)
    documents = load_offline(tmp_path / "ds", "documents", cache)
    assert all(r["prelabel_spans"] and r["prelabel_relations"] for ds in documents.values() for r in ds)


@pytest.mark.parametrize(
    ("raw", "status", "hub_id"),
    [
        ("CC BY 4.0", REDISTRIBUTABLE, "cc-by-4.0"),
        ("Creative Commons Attribution-ShareAlike 4.0 International", REDISTRIBUTABLE, "cc-by-sa-4.0"),
        ("https://creativecommons.org/licenses/by/3.0/", REDISTRIBUTABLE, "cc-by-3.0"),
        ("CC0-1.0", REDISTRIBUTABLE, "cc0-1.0"),
        ("Public domain", REDISTRIBUTABLE, "cc0-1.0"),
        ("ODC-By", REDISTRIBUTABLE, "odc-by"),
        ("Apache-2.0", REDISTRIBUTABLE, "apache-2.0"),
        ("MIT License", REDISTRIBUTABLE, "mit"),
        ("Copyright 2024 Harbour Post, licensed under CC BY 4.0", REDISTRIBUTABLE, "cc-by-4.0"),
        ("cc-by-nc-sa-4.0", RESTRICTED, "cc-by-nc-sa-4.0"),
        ("Creative Commons Attribution-NonCommercial 4.0", RESTRICTED, "cc-by-nc-4.0"),
        ("CC BY-ND 4.0", RESTRICTED, "cc-by-nd-4.0"),
        ("© 2024 Northern Ledger. All rights reserved.", NON_REDISTRIBUTABLE, "other"),
        ("For research purposes only", NON_REDISTRIBUTABLE, "other"),
        ("Copyright Harbour Post", NON_REDISTRIBUTABLE, "other"),
        ("CC BY 4.0, all rights reserved", UNKNOWN, "unknown"),
        (None, UNKNOWN, "unknown"),
        ("", UNKNOWN, "unknown"),
        ("see website", UNKNOWN, "unknown"),
    ],
)
def test_licence_classification(raw, status, hub_id):
    lic = classify_licence(raw)
    assert (lic.status, lic.hub_id) == (status, hub_id)


def test_licence_mix_in_summary(tmp_path):
    docs = make_corpus(3)
    docs[0]["licence"], docs[1]["licence"] = None, "All rights reserved"
    write_jsonl(tmp_path / "docs.jsonl", docs)
    reporter = Reporter(echo=None)
    summary = build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", report=reporter)
    assert summary["licences"]["by_status"] == {REDISTRIBUTABLE: 1, RESTRICTED: 0, NON_REDISTRIBUTABLE: 1, UNKNOWN: 1}
    assert not summary["push_allowed"]
    assert any("a push would be refused" in str(p) and p.severity == "warning" for p in reporter.problems)
    documents = [r for _l, r in read_jsonl(tmp_path / "docs.jsonl")]
    assert len(documents) == 3


def test_claim_links_to_the_source_its_labeller_named(tmp_path):
    text = "Officials said the dam holds. Separately, the dam holds 3 billion litres."
    doc = new_document(text, "link.txt", licence="CC0")
    segment_document(doc)
    source = mark(doc, "sources", "SOURCE", "Officials", attrs={"kind": "unnamed_group"})
    content = mark(doc, "sources", "CONTENT", "the dam holds")
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], "rules@1")
    mark(doc, "claims", "CLAIM", "the dam holds 3 billion litres", attrs={"source_id": source["id"]})
    unlinked = mark(doc, "claims", "CLAIM", "Separately")
    write_jsonl(tmp_path / "docs.jsonl", [doc])
    build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", split_ratios="1")
    claims = pq.read_table(next((tmp_path / "ds" / "claims").glob("*.parquet"))).to_pylist()
    sources = pq.read_table(next((tmp_path / "ds" / "sources").glob("*.parquet"))).to_pylist()
    expected = f"{doc['id']}:{content['id']}"
    assert [c["source_ids"] for c in claims] == [[], [expected]]  # in text order: "Separately" first
    assert claims[0]["id"] == f"{doc['id']}:{unlinked['id']}"
    assert sources[0]["claim_ids"] == [next(c["id"] for c in claims if c["source_ids"])]


def test_gold_build_matching_rules_can_be_chosen_and_the_card_names_them(tmp_path):
    docs = make_corpus(2)
    gold = []
    for doc in docs:
        g = copy.deepcopy(doc)
        g["prelabel_spans"], g["prelabel_relations"] = doc["spans"], doc["relations"]
        for s in g["spans"]:
            s["labeller"] = "gold@majority"
            if s["layer"] == "entities" and s["end"] - s["start"] > 2:
                s["end"] -= 1  # annotators trimmed every longer entity by a character
                s["text"] = g["text"][s["start"] : s["end"]]
        gold.append(g)
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "gold.jsonl", gold)

    def entity_row(match: list[str]) -> str:
        out = tmp_path / f"ds{len(match)}"
        build_dataset(tmp_path / "docs.jsonl", out, gold=tmp_path / "gold.jsonl", match=match)
        card = (out / "README.md").read_text("utf-8")
        return next(
            line for line in card.splitlines() if line.startswith(("| entities | `exact`", "| entities | `jac"))
        )

    exact, loose = entity_row([]), entity_row(["entities=jaccard>=0.5"])
    assert exact.startswith("| entities | `exact` |") and loose.startswith("| entities | `jaccard>=0.5` |")
    assert exact.split("|")[5] != loose.split("|")[5]  # F1: trimmed spans match only under the looser rule
    with pytest.raises(CorpusError, match="no matching rule for 'tokens'"):
        build_dataset(tmp_path / "docs.jsonl", tmp_path / "bad", match=["tokens=exact"])


def _ordered(value):
    """A value with every mapping's key order made visible (the card's tables follow insertion order)."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, set):
        return sorted(value)
    if hasattr(value, "__dataclass_fields__"):
        return _ordered(vars(value))
    if hasattr(value, "__slots__"):
        return [(k, getattr(value, k)) for k in value.__slots__]
    return value


@pytest.mark.parametrize("gold", [False, True])
def test_document_rows_merged_in_order_equal_counting_in_the_parent(gold: bool):
    """The worker hook: rows of one document computed alone, split assigned and stats merged afterwards, give
    the parent's rows and the same statistics, key order included."""
    from corpus.publish.dataset import RowBuilder, Stats, document_rows
    from corpus.publish.licences import STATUSES

    docs = make_corpus(12)
    for doc in docs[:2]:  # claims without a score: counted as unlabelled
        doc["spans"] = [dict(s, score=None) if s["layer"] == "claims" else s for s in doc["spans"]]
    if gold:
        for doc in docs:
            doc["prelabel_spans"], doc["prelabel_relations"] = copy.deepcopy(doc["spans"]), doc["relations"]
            doc["spans"] = [s for s in doc["spans"] if s["label"] != "CARDINAL"]
    assigner = SplitAssigner(parse_ratios(None))
    direct, merged = Stats(), Stats()
    builder = RowBuilder(direct, gold=gold, checkworthy_threshold=0.6)
    for doc in docs:
        split, status = assigner.split_of(doc), STATUSES.index(classify_licence(doc.get("licence")).status)
        one = document_rows(copy.deepcopy(doc), status, gold=gold, checkworthy_threshold=0.6)
        problems: list[str] = []
        assert one.columns == builder.rows(copy.deepcopy(doc), split, status, problems.append)
        assert one.problems == problems
        merged.merge(one.stats, split)
    assert len({s for counts in direct.rows.values() for s in counts}) > 1  # the test covers several splits
    assert _ordered(merged) == _ordered(direct)


def test_rows_computed_per_document_build_the_same_dataset(tmp_path):
    """The build's hook for workers: rows from `document_rows` handed to `build_dataset(rows=...)` with only the
    records' split and licence fields give the same folder, byte for byte, and the same problems."""
    from corpus.publish.dataset import document_rows
    from corpus.publish.licences import STATUSES
    from corpus.records import with_record_defaults

    docs = make_corpus(24)
    docs[3]["spans"][0]["text"] = "not the text"  # left out, reported
    docs[5]["ingest"]["near_duplicate_of"] = {"id": docs[4]["id"]}  # goes with the article it repeats
    docs.append(copy.deepcopy(docs[2]))  # a repeated id, skipped
    path = tmp_path / "documents.jsonl"
    write_jsonl(path, docs)
    plain, hooked = Reporter(echo=None), Reporter(echo=None)
    summary = build_dataset(path, tmp_path / "plain" / "dataset", report=plain, batch_rows=5, trusted=True)

    def worker_rows():
        for lineno, record in read_jsonl(path):
            doc = with_record_defaults(record, f"{path}:{lineno}")
            status = STATUSES.index(classify_licence(doc.get("licence")).status)
            keep = {key: doc[key] for key in ("id", "licence", "ingest") if key in doc}
            yield lineno, keep, document_rows(doc, status)

    hooked_out = tmp_path / "hooked" / "dataset"
    hooked_summary = build_dataset(path, hooked_out, report=hooked, batch_rows=5, rows=worker_rows())
    assert tree_digest(hooked_out) == tree_digest(tmp_path / "plain" / "dataset")
    assert [str(p) for p in hooked.problems] == [str(p) for p in plain.problems]
    assert any("differs from the document text" in str(p) for p in plain.problems)
    assert hooked_summary["configs"] == summary["configs"] and summary["documents"] == 24
