"""Prodigy task export: offsets, tokens, spans, relations, choices, hashes, units, reruns, CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import LABELLER, SHARED_PARAGRAPH, _at, article_document, documents, other_document
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import add_relation, add_span, new_document
from corpus.errors import CorpusError
from corpus.jsonl import write_jsonl
from corpus.segment.core import segment_document
from corpus.tasks import TaskStats, write_tasks
from corpus.tasks.hashing import input_hash


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def export(tmp_path: Path, unit: str = "paragraph", docs: list[dict] | None = None) -> tuple[dict, TaskStats, list]:
    problems: list = []
    stats = TaskStats()
    paths = write_tasks(docs or documents(), tmp_path / unit, "prodigy", unit, report=problems.append, stats=stats)
    return {p.name: read(p) for p in paths}, stats, problems


def doc_by_id() -> dict[str, dict]:
    return {d["id"]: d for d in documents()}


def check_task(task: dict, docs: dict[str, dict]) -> None:
    """Everything a Prodigy task must satisfy to map back onto its document."""
    doc = docs[task["meta"]["doc_id"]]
    offset, text = task["meta"]["offset"], task["text"]
    assert doc["text"][offset : offset + len(text)] == text
    tokens = task["tokens"]
    assert [t["id"] for t in tokens] == list(range(len(tokens)))
    for tok in tokens:
        assert text[tok["start"] : tok["end"]] == tok["text"]
        assert tok["ws"] == (tok["end"] < len(text) and text[tok["end"]].isspace())
    assert tokens[-1]["ws"] is False and tokens[-1]["end"] == len(text) and tokens[0]["start"] == 0
    by_id = {s["id"]: s for s in doc["spans"]}
    for span in task["spans"]:
        assert tokens[span["token_start"]]["start"] == span["start"]
        assert tokens[span["token_end"]]["end"] == span["end"]
        original = by_id[span["id"]]
        assert (offset + span["start"], offset + span["end"]) == (original["start"], original["end"])
        assert text[span["start"] : span["end"]] == original["text"]
        assert span["label"] == original["label"] and span["score"] == original["score"]
        assert span["labeller"] == LABELLER
    assert -(2**31) <= task["_input_hash"] < 2**31 and -(2**31) <= task["_task_hash"] < 2**31


def test_files_and_task_counts(tmp_path):
    files, stats, problems = export(tmp_path)
    assert list(files) == ["ner.manual.jsonl", "spans.manual.jsonl", "rel.manual.jsonl", "choice.jsonl"]
    assert stats.documents == 2 and stats.units == 5  # 3 paragraphs + 2 paragraphs
    for name in ("ner.manual.jsonl", "spans.manual.jsonl", "rel.manual.jsonl"):
        assert len(files[name]) == 5, name
    assert len(files["choice.jsonl"]) == 3  # one per CLAIM
    views = {name: {t["_view_id"] for t in tasks} for name, tasks in files.items()}
    assert views == {
        "ner.manual.jsonl": {"ner_manual"},
        "spans.manual.jsonl": {"spans_manual"},
        "rel.manual.jsonl": {"relations"},
        "choice.jsonl": {"choice"},
    }
    docs = doc_by_id()
    for tasks in files.values():
        for task in tasks:
            check_task(task, docs)
    # the overlapping ORG/GPE pair is reported, not silently lost
    assert stats.overlapping_entities == 1
    assert any("overlapping entity" in p.message for p in problems)


def test_astral_and_combining_offsets_are_code_points(tmp_path):
    files, _, _ = export(tmp_path)
    first = files["ner.manual.jsonl"][0]
    assert first["text"] == "Jane Doe 👩\u200d💻 said Acme cut 200 jobs."
    # the ZWJ emoji is one token of three code points (two astral): "said" starts at 13, not at 15 (UTF-16)
    assert [(t["text"], t["start"], t["end"]) for t in first["tokens"][2:4]] == [
        ("👩\u200d💻", 9, 12),
        ("said", 13, 17),
    ]
    acme = next(s for s in first["spans"] if s["label"] == "ORG")
    assert (acme["start"], acme["end"], acme["token_start"], acme["token_end"]) == (18, 22, 4, 4)
    # CRLF was normalised before any offset was computed: the second paragraph starts at 38 = 36 + "\n\n"
    second = files["ner.manual.jsonl"][1]
    assert second["meta"] == {"doc_id": first["meta"]["doc_id"], "unit": "paragraph", "unit_index": 1, "offset": 38}
    person = next(s for s in second["spans"] if s["label"] == "PERSON")
    assert second["text"][person["start"] : person["end"]] == "Zoë Tx\u0304o"
    assert [t["text"] for t in second["tokens"]][person["token_start"] : person["token_end"] + 1] == [
        "Zoë",
        "Tx\u0304o",
    ]


def test_ner_spans_do_not_overlap_and_spans_manual_may(tmp_path):
    files, _, _ = export(tmp_path)
    for task in files["ner.manual.jsonl"]:
        spans = task["spans"]
        assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False))
    labels = [s["label"] for s in files["ner.manual.jsonl"][1]["spans"]]
    assert labels == ["PERSON", "ORG"]  # ORG "mayor of Montréal" kept, nested GPE left out
    first = files["spans.manual.jsonl"][0]
    assert sorted(s["label"] for s in first["spans"]) == ["CLAIM", "CONTENT", "CUE", "SOURCE"]
    claim = next(s for s in first["spans"] if s["label"] == "CLAIM")
    content = next(s for s in first["spans"] if s["label"] == "CONTENT")
    assert (claim["start"], claim["end"]) == (content["start"], content["end"])  # overlap allowed here


def test_relations_use_token_end_indices(tmp_path):
    files, _, _ = export(tmp_path)
    first = files["rel.manual.jsonl"][0]
    assert {s["label"] for s in first["spans"]} == {"SOURCE", "CUE", "CONTENT"}
    rels = {r["label"]: r for r in first["relations"]}
    # tokens: Jane0 Doe1 👩‍💻2 said3 Acme4 cut5 2006 jobs7 .8
    assert (rels["ATTRIBUTION"]["head"], rels["ATTRIBUTION"]["child"]) == (1, 7)
    assert (rels["CUE"]["head"], rels["CUE"]["child"]) == (3, 7)
    for task in files["rel.manual.jsonl"]:
        for rel in task["relations"]:
            assert rel["head"] == rel["head_span"]["token_end"] and rel["child"] == rel["child_span"]["token_end"]
            assert rel["head_span"] in task["spans"] and rel["child_span"] in task["spans"]
    assert rels["ATTRIBUTION"]["head_span"]["label"] == "SOURCE"
    assert rels["ATTRIBUTION"]["child_span"]["label"] == "CONTENT"
    assert sum(len(t["relations"]) for t in files["rel.manual.jsonl"]) == 4


def test_choice_tasks_preselect_checkworthiness(tmp_path):
    files, _, _ = export(tmp_path)
    by_text = {}
    for task in files["choice.jsonl"]:
        (claim,) = task["spans"]
        assert claim["label"] == "CLAIM" and task["meta"]["span_id"] == claim["id"]
        assert task["meta"]["score"] == claim["score"]
        assert [o["id"] for o in task["options"]] == ["CHECKWORTHY", "NOT_CHECKWORTHY"]
        assert task["config"] == {"choice_style": "single"}  # one answer per claim, not a multiple choice
        by_text[task["text"][claim["start"] : claim["end"]]] = task["accept"]
    assert by_text == {
        "Acme cut 200 jobs": ["CHECKWORTHY"],
        "Prices rose 5% in 2023 🇺🇦": ["NOT_CHECKWORTHY"],
        "Officials said nothing": [],
    }
    # check-worthiness is judged per sentence: each claim's task shows its own sentence, not the paragraph
    docs = doc_by_id()
    for task in files["choice.jsonl"]:
        doc = docs[task["meta"]["doc_id"]]
        meta, (claim,) = task["meta"], task["spans"]
        assert meta["unit"] == "sentence" and list(doc["sentences"][meta["unit_index"]]) == [
            meta["offset"],
            meta["offset"] + len(task["text"]),
        ]
        assert (
            doc["text"][meta["offset"] + claim["start"] : meta["offset"] + claim["end"]]
            == task["text"][claim["start"] : claim["end"]]
        )
        check_task(task, docs)
    texts = {t["text"] for t in files["choice.jsonl"]}
    assert texts == {
        "Jane Doe 👩\u200d💻 said Acme cut 200 jobs.",
        "Officials said nothing.",
        "Prices rose 5% in 2023 🇺🇦.",
    }


def test_choice_tasks_do_not_depend_on_the_span_unit(tmp_path):
    """choice.jsonl is the same file at paragraph, sentence and document unit (it no longer grows with it)."""
    written = {
        unit: (tmp_path / unit / "choice.jsonl").read_bytes()
        for unit in ("paragraph", "sentence", "document")
        if export(tmp_path, unit)
    }
    assert written["paragraph"] == written["sentence"] == written["document"]
    # two claims in one sentence: same input, different tasks
    doc = segment_document(new_document("Acme cut 200 jobs and prices rose 5%. Rain fell.\n\nNothing else.", "t"))
    t = doc["text"]
    add_span(doc, "claims", "CLAIM", *_at(t, "Acme cut 200 jobs"), LABELLER, 0.5, {"checkworthy": True})
    add_span(doc, "claims", "CLAIM", *_at(t, "prices rose 5%"), LABELLER, 0.5)
    files, _, _ = export(tmp_path / "two", "document", docs=[doc])
    first, second = files["choice.jsonl"]
    assert first["text"] == second["text"] == "Acme cut 200 jobs and prices rose 5%."
    assert first["_input_hash"] == second["_input_hash"] and first["_task_hash"] != second["_task_hash"]
    assert first["_input_hash"] != files["ner.manual.jsonl"][0]["_input_hash"]  # a different unit


def test_choice_unit_widens_only_for_a_claim_that_crosses_sentences(tmp_path):
    text = "Prices will fall. Wages will rise. Ann Lee said so. Nothing else happened."
    doc = segment_document(new_document(text, "t.txt"))
    assert len(doc["sentences"]) == 4
    content = add_span(doc, "sources", "CONTENT", *_at(text, "Prices will fall"), LABELLER)
    source = add_span(doc, "sources", "SOURCE", *_at(text, "Ann Lee"), LABELLER)
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], LABELLER)  # widens the span views' unit
    add_span(doc, "claims", "CLAIM", *_at(text, "Prices will fall"), LABELLER, 0.4)
    add_span(doc, "claims", "CLAIM", *_at(text, "Wages will rise. Ann Lee said so"), LABELLER, 0.4)
    files, stats, _ = export(tmp_path, "sentence", docs=[doc])
    assert stats.widened_units == 1 and files["rel.manual.jsonl"][0]["text"].startswith("Prices will fall. Wages")
    one, two = files["choice.jsonl"]
    assert (one["text"], one["meta"]["offset"], one["meta"]["unit_index"]) == ("Prices will fall.", 0, 0)
    assert (two["text"], two["meta"]["offset"], two["meta"]["unit_index"]) == (
        "Wages will rise. Ann Lee said so.",
        18,
        1,
    )
    assert two["spans"][0]["start"] == 0 and two["spans"][0]["token_end"] == len(two["tokens"]) - 2


def test_hashes_are_stable_distinct_and_independently_reproducible(tmp_path):
    files, _, _ = export(tmp_path)
    again, _, _ = export(tmp_path / "again")
    assert files == again
    # input hash: BLAKE2b of the canonical JSON of (doc_id, unit, offset, text), as documented
    task = files["ner.manual.jsonl"][0]
    canonical = json.dumps(
        {"doc_id": task["meta"]["doc_id"], "unit": "paragraph", "offset": 0, "text": task["text"]},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    digest = hashlib.blake2b(canonical, digest_size=4, person=b"corpus-tasks").digest()
    assert task["_input_hash"] == int.from_bytes(digest, "big", signed=True)
    # the same unit has one input hash in every file; task hashes are unique across everything
    unit_hashes: dict[tuple, set] = {}
    all_task_hashes = []
    for tasks in files.values():
        for t in tasks:
            key = (t["meta"]["doc_id"], t["meta"]["unit"], t["meta"]["offset"])
            unit_hashes.setdefault(key, set()).add(t["_input_hash"])
            all_task_hashes.append(t["_task_hash"])
    assert all(len(h) == 1 for h in unit_hashes.values())
    assert len(set(all_task_hashes)) == len(all_task_hashes)
    # the paragraph both documents share: same text, different documents, different hashes
    shared = [t for t in files["ner.manual.jsonl"] if t["text"] == SHARED_PARAGRAPH]
    assert len(shared) == 2 and shared[0]["meta"]["doc_id"] != shared[1]["meta"]["doc_id"]
    assert shared[0]["_input_hash"] != shared[1]["_input_hash"]
    assert shared[0]["_task_hash"] != shared[1]["_task_hash"]
    # a changed pre-label changes the task hash but not the input hash
    docs = documents()
    docs[1]["spans"][0]["label"] = "GPE"
    changed, _, _ = export(tmp_path / "changed", docs=docs)
    before, after = files["ner.manual.jsonl"][3], changed["ner.manual.jsonl"][3]
    assert before["_input_hash"] == after["_input_hash"] and before["_task_hash"] != after["_task_hash"]
    assert input_hash("a", "paragraph", 0, "x") != input_hash("a", "sentence", 0, "x")


def test_rerun_writes_identical_bytes(tmp_path):
    first = write_tasks(documents(), tmp_path, "prodigy")
    before = {p: p.read_bytes() for p in first}
    second = write_tasks(documents(), tmp_path, "prodigy")
    assert second == first and {p: p.read_bytes() for p in second} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in first)  # no temp files left


def test_sentence_unit_widens_over_a_multi_sentence_quote(tmp_path):
    files, stats, _ = export(tmp_path, "sentence")
    assert stats.widened_units == 1
    # 5 sentences in doc 1, one pair merged -> 4 units; 3 in doc 2
    assert len(files["spans.manual.jsonl"]) == 4 + 3
    widened = files["rel.manual.jsonl"][1]
    assert widened["meta"]["unit"] == "sentence" and widened["meta"]["unit_index"] == 1
    assert widened["text"] == "“We will rebuild 🏗\ufe0f. It takes time,” said Zoë Tx\u0304o, the mayor of Montréal."
    content = next(s for s in widened["spans"] if s["label"] == "CONTENT")
    assert widened["text"][content["start"] : content["end"]] == "We will rebuild 🏗\ufe0f. It takes time"
    assert len(widened["relations"]) == 2
    docs = doc_by_id()
    for tasks in files.values():
        for task in tasks:
            check_task(task, docs)
    # the unit indices stay dense and in document order
    doc1 = [t["meta"] for t in files["ner.manual.jsonl"] if t["meta"]["doc_id"] == widened["meta"]["doc_id"]]
    assert [m["unit_index"] for m in doc1] == [0, 1, 2, 3]
    assert [m["offset"] for m in doc1] == sorted(m["offset"] for m in doc1)


def test_relation_across_sentences_widens_the_unit(tmp_path):
    doc = segment_document(new_document("Prices will fall. That is what Ann Lee believes.", "t.txt"))
    t = doc["text"]
    content = add_span(doc, "sources", "CONTENT", *_at(t, "Prices will fall"), LABELLER)
    source = add_span(doc, "sources", "SOURCE", *_at(t, "Ann Lee"), LABELLER)
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], LABELLER)
    files, stats, _ = export(tmp_path, "sentence", docs=[doc])
    assert stats.widened_units == 1 and len(files["rel.manual.jsonl"]) == 1
    (rel,) = files["rel.manual.jsonl"][0]["relations"]
    assert (rel["head"], rel["child"]) == (8, 2)  # Prices0 will1 fall2 .3 That4 is5 what6 Ann7 Lee8


def test_document_unit_uses_document_offsets(tmp_path):
    files, stats, _ = export(tmp_path, "document")
    assert stats.units == 2 and stats.widened_units == 0
    docs = doc_by_id()
    for task in files["spans.manual.jsonl"]:
        doc = docs[task["meta"]["doc_id"]]
        assert task["meta"]["offset"] == 0 and task["text"] == doc["text"]
        assert len(task["spans"]) == sum(1 for s in doc["spans"] if s["layer"] in ("claims", "sources"))
    for tasks in files.values():
        for task in tasks:
            check_task(task, docs)


def test_bad_spans_and_unsegmented_documents_are_reported_not_exported(tmp_path):
    doc = other_document()
    doc["spans"].append(
        {
            "id": "E9",
            "layer": "entities",
            "label": "ORG",
            "start": 1,
            "end": 4,
            "text": "cme",
            "score": 1.0,
            "labeller": LABELLER,
            "attrs": {},
        }
    )  # cuts the token "Acme"
    doc["spans"].append({"id": "E10", "layer": "entities", "label": "NOT_A_LABEL", "start": 0, "end": 4})
    doc["relations"].append({"id": "R0", "label": "ATTRIBUTION", "head": "E9", "child": "E0", "labeller": "x"})
    raw = new_document("Never segmented.", "tests/raw.txt")
    files, stats, problems = export(tmp_path, docs=[doc, raw])
    assert stats.skipped_spans == 2 and stats.skipped_relations == 1 and stats.skipped_documents == 1
    assert len(problems) == 4 and all(p.severity == "warning" for p in problems)
    assert any("not on token boundaries" in p.message for p in problems)
    assert any("no tokens" in p.message and p.path == "tests/raw.txt" for p in problems)
    assert [s["id"] for s in files["ner.manual.jsonl"][0]["spans"]] == ["E0"]


def test_failed_run_leaves_previous_outputs_untouched(tmp_path):
    paths = write_tasks(documents(), tmp_path, "prodigy")
    before = {p: p.read_bytes() for p in paths}

    def exploding():
        yield article_document()
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_tasks(exploding(), tmp_path, "prodigy")
    assert {p: p.read_bytes() for p in paths} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_unknown_format_or_unit_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="unknown task format 'brat'"):
        write_tasks([], tmp_path, "brat")
    with pytest.raises(CorpusError, match="unknown task unit 'line'"):
        write_tasks([], tmp_path, "prodigy", "line")


def test_cli_writes_tasks_and_explains_errors(tmp_path):
    source = tmp_path / "documents.jsonl"
    write_jsonl(source, documents())
    with source.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["tasks", str(source), "--format", "prodigy", "--unit", "sentence", "-o", str(out)])
    assert result.exit_code == 3, result.output  # EXIT_PARTIAL: tasks written, the malformed line skipped
    assert sorted(p.name for p in out.iterdir()) == [
        "choice.jsonl",
        "ner.manual.jsonl",
        "rel.manual.jsonl",
        "spans.manual.jsonl",
    ]
    assert len(read(out / "ner.manual.jsonl")) == 7
    assert f"{source}:3" in result.output and "malformed JSON" in result.output  # bad line named, others kept
    assert "1 widened" in result.output
    bad = runner.invoke(app, ["tasks", str(source), "--format", "brat", "-o", str(out)])
    assert bad.exit_code == 2 and "unknown format 'brat'" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["tasks", str(tmp_path / "nope.jsonl"), "-o", str(out)])
    assert missing.exit_code == 2 and "no such file" in " ".join(missing.output.split())  # rich wraps long paths
    help_text = runner.invoke(app, ["tasks", "--help"]).output
    assert "UTF-16" in help_text and "rel.manual.jsonl" in help_text


def test_hash_collisions_are_resalted_unique_per_file_and_deterministic(tmp_path, monkeypatch):
    import corpus.formats.prodigy.tasks as prodigy

    monkeypatch.setattr(prodigy, "task_hash_of", lambda *args, **kwargs: 7)  # force every task onto one hash
    files, stats, problems = export(tmp_path)
    again, _, _ = export(tmp_path / "again")
    assert files == again  # same input order -> same hashes
    for name, tasks in files.items():
        hashes = [t["_task_hash"] for t in tasks]
        assert len(set(hashes)) == len(hashes), name
        assert hashes[0] == 7  # the first holder keeps the plain hash; only the later ones are re-salted
    # 5 + 5 + 5 + 3 tasks: one collision resolved per later task in each file; nothing to warn about
    assert stats.hash_collisions == 4 + 4 + 4 + 2
    assert not any("collide" in p.message for p in problems)


def test_input_hash_collisions_keep_one_hash_per_unit(tmp_path, monkeypatch):
    import corpus.formats.prodigy.tasks as prodigy

    monkeypatch.setattr(prodigy, "input_hash", lambda *args, **kwargs: 11)
    files, stats, _ = export(tmp_path)
    by_unit: dict[tuple, set] = {}
    for tasks in files.values():
        for t in tasks:
            by_unit.setdefault((t["meta"]["doc_id"], t["meta"]["unit"], t["meta"]["offset"]), set()).add(
                t["_input_hash"]
            )
    assert all(len(h) == 1 for h in by_unit.values())
    assert len({h for hs in by_unit.values() for h in hs}) == len(by_unit)  # distinct units, distinct hashes
    for tasks in files.values():
        assert len({t["_task_hash"] for t in tasks}) == len(tasks)
    assert stats.hash_collisions == len(by_unit) - 1


def test_unique_hashes_salt_deterministically():
    from corpus.tasks.hashing import UniqueHashes, resalt

    hashes = UniqueHashes()
    assert [hashes.claim(5), hashes.claim(5), hashes.claim(5)] == [5, resalt(5, 1), resalt(5, 2)]
    assert hashes.claim(9, key="unit") == 9 and hashes.claim(9, key="unit") == 9  # same holder, same hash
    assert hashes.claim(9, key="other") == resalt(9, 1) and hashes.resalted == 3
    assert -(2**31) <= resalt(5, 1) < 2**31


def test_malformed_records_are_reported_and_the_rest_exported(tmp_path):
    broken_tokens, broken_sentences, good = other_document(), other_document(), other_document()
    broken_tokens["tokens"][1] = {"start": "x"}
    broken_sentences["sentences"] = [[5, 2]]
    broken_tokens["id"], broken_sentences["id"] = "broken-tokens", "broken-sentences"
    files, stats, problems = export(tmp_path, "sentence", docs=[broken_tokens, broken_sentences, good])
    assert stats.skipped_documents == 2 and stats.documents == 1
    assert [p.severity for p in problems] == ["error", "error"]
    assert "token 1 is not" in problems[0].message and "sentences[0] (5-2)" in problems[1].message
    assert {t["meta"]["doc_id"] for t in files["ner.manual.jsonl"]} == {good["id"]}


def test_shared_unit_tokens_equal_the_plain_definition():
    """The per-document token cache (texts, ws flags, JSON spliced into tasks) gives what the unit text says."""
    from corpus.tasks.units import DocTokens

    text = 'He said "no" 👩\u200d💻.\tThen\nleft'
    starts, ends = [0, 3, 8, 9, 11, 13, 16, 18, 23], [2, 7, 9, 11, 12, 16, 17, 22, 27]
    tokens = DocTokens(text, starts, ends)
    for start, end in [(0, len(text)), (0, 12), (3, 17), (8, 11), (18, 27), (13, 20)]:  # (13, 20): cuts a token
        unit_text = text[start:end]
        expected = [
            {
                "text": unit_text[s - start : e - start],
                "start": s - start,
                "end": e - start,
                "id": n,
                "ws": e - start < len(unit_text) and unit_text[e - start].isspace(),
            }
            for n, (s, e) in enumerate((s, e) for s, e in zip(starts, ends, strict=True) if start <= s < end)
        ]
        assert tokens.unit_tokens(start, end) == expected, (start, end)
        assert tokens.unit_tokens_json(start, end) == json.dumps(
            expected, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    assert tokens.unit_tokens(0, 12) is tokens.unit_tokens(0, 12)  # built once, shared by every view


def test_canonical_json_matches_the_json_module_on_what_tasks_hash():
    from corpus.tasks.hashing import canonical_json

    values = [
        {"doc_id": "d\u00e9j\u00e0", "unit": "sentence", "offset": 12, "text": 'a "b"\\ \n\t\x01\x7f\u2028 🇺🇦'},
        {
            "view": "relations",
            "spans": [[0, 4, "PERSON"]],
            "relations": [[1, 6, "CUE"]],
            "options": [],
            "input": -(2**31),
        },
        {"big": 2**70, "Z": None, "a": [True, False]},
    ]
    for value in values:
        assert canonical_json(value) == json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")


def test_unique_hashes_stay_exact_across_merges(monkeypatch):
    """The compact store (sorted runs + a recent dict) answers as a plain dict of every claim would."""
    import random

    from corpus.tasks.hashing import UniqueHashes, resalt

    monkeypatch.setattr(UniqueHashes, "_MERGE_AT", 16)  # many merges from a few thousand claims
    holder: dict[int, object] = {}
    by_key: dict[object, int] = {}

    def plain_claim(value: int, key=None) -> int:
        if key is not None and key in by_key:
            return by_key[key]
        candidate, salt = value, 0
        while candidate in holder:
            salt += 1
            candidate = resalt(value, salt)
        holder[candidate] = key
        if key is not None:
            by_key[key] = candidate
        return candidate

    rng = random.Random(7)
    hashes = UniqueHashes()
    value_of: dict[tuple, int] = {}
    for i in range(3000):
        if i % 3 == 0:  # keyed: one value per key, often colliding, often claimed again
            key = ("doc", rng.randrange(400))
            value = value_of.setdefault(key, rng.randrange(-40, 40))
        else:
            key, value = None, rng.randrange(-200, 200) if i % 5 == 0 else rng.randrange(-(2**31), 2**31)
        assert hashes.claim(value, key) == plain_claim(value, key), i
    assert len(hashes) == len(holder) and len(hashes._runs) == 1 and len(hashes._recent) < 16  # merged


def test_render_then_write_equals_write_tasks_and_survives_pickling(tmp_path):
    """The split export (workers render, one writer claims hashes) gives write_tasks' bytes, every format."""
    import pickle

    from corpus.formats.prodigy.tasks import unit_tasks
    from corpus.tasks import FORMATS, TaskStats, open_task_writer, render_document
    from corpus.tasks.units import document_units

    for fmt in FORMATS:
        for unit in ("paragraph", "sentence"):
            whole_stats, split_stats = TaskStats(), TaskStats()
            whole = write_tasks(documents(), tmp_path / "whole" / fmt / unit, fmt, unit, stats=whole_stats)
            writer = open_task_writer(tmp_path / "split" / fmt / unit, fmt, split_stats)
            for doc in documents():
                rendered = pickle.loads(pickle.dumps(render_document(doc, fmt, unit)))
                writer.add(rendered.items)
                split_stats.merge(rendered.stats)
            split = writer.close()
            assert [p.read_bytes() for p in whole] == [p.read_bytes() for p in split], (fmt, unit)
            assert whole_stats == split_stats
    # The plain hashes a worker computes are those of the readable tasks.
    doc = documents()[0]
    plain = [
        (t["_input_hash"], t["_task_hash"])
        for u in document_units(doc, "paragraph")
        for name, tasks in unit_tasks(u).items()
        if name != "choice.jsonl"
        for t in tasks
    ]
    pieces, rows, units = render_document(doc, "prodigy", "paragraph").items
    packed = [rows[i : i + 12] for i in range(0, len(rows), 12)]  # 12 integers a task (PackedTasks)
    assert [(units[r[1]][1], r[10]) for r in packed if r[0] != 3] == plain


def test_an_aborted_writer_publishes_nothing(tmp_path):
    from corpus.tasks import FORMATS, TaskStats, open_task_writer, render_document

    for fmt in FORMATS:
        writer = open_task_writer(tmp_path / fmt, fmt, TaskStats())
        writer.add(render_document(documents()[0], fmt).items)
        writer.abort()
        assert not [p for p in (tmp_path / fmt).iterdir()]


def test_choice_tasks_declare_single_choice_in_every_render_path(tmp_path):
    """The plain task (:func:`unit_tasks`) and the packed bytes agree, the schema accepts only the single style,
    and the setting does not enter the task hash (only what the annotator is asked counts)."""
    from corpus.formats.prodigy.tasks import unit_tasks
    from corpus.tasks.units import claim_sentence_units, document_units
    from corpus.validate import validate_task

    files, _, _ = export(tmp_path)
    doc = article_document()
    units = document_units(doc, "paragraph")
    claims = [s for s in doc["spans"] if s["layer"] == "claims"]
    choice_units = claim_sentence_units(doc, claims, units[0].doc_tokens)
    plain = [t for u in units for t in unit_tasks(u, choice_units)["choice.jsonl"]]
    written = [t for t in files["choice.jsonl"] if t["meta"]["doc_id"] == doc["id"]]
    assert [t["config"] for t in plain] == [t["config"] for t in written] == [{"choice_style": "single"}] * 3
    assert [t["_task_hash"] for t in plain] == [t["_task_hash"] for t in written]
    assert all(validate_task(t, "choice") == [] for t in written)
    for broken in ({}, {"choice_style": "multiple"}):
        assert validate_task({**written[0], "config": broken}, "choice")
