"""`corpus annotations ingest`: Prodigy db-out and Label Studio exports mapped back onto documents.

The tests write their own articles (emoji, ZWJ sequences, flags, a combining mark NFC cannot compose, CRLF input)
and their own task/export files following the task contract of `corpus tasks` (helpers in ``conftest.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    SECOND_ARTICLE,
    _unit,
    _utf16,
    answer,
    doccano_export_line,
    find,
    labelstudio_task,
    ls_annotation,
    make_document,
    prodigy_choice_task,
    prodigy_task,
    write_documents,
)
from typer.testing import CliRunner

from corpus.annotations import ingest_exports, load_documents
from corpus.annotations.ingest import emitted_task_keys
from corpus.cli import app
from corpus.document import add_span, new_document
from corpus.errors import InputProblem
from corpus.ingest.normalize import clean_text
from corpus.jsonl import write_jsonl
from corpus.segment.core import segment_document
from corpus.tasks import write_tasks


@pytest.fixture()
def doc() -> dict:
    return make_document()


def ingest(paths, docs, emitted=None, existing=()):
    problems: list[InputProblem] = []
    records, stats = ingest_exports(paths, {d["id"]: d for d in docs}, problems.append, emitted, existing)
    return records, stats, problems


def test_article_keeps_astral_characters_and_combining_marks(doc):
    assert "\r" not in doc["text"] and "x\u0301" in doc["text"] and "🇺🇦" in doc["text"]
    assert len(doc["paragraphs"]) == 2  # the CRLF blank line still separates paragraphs


def test_prodigy_spans_map_back_to_document_offsets(tmp_path, doc):
    text = doc["text"]
    task = prodigy_task(doc, 1, "entities")  # second paragraph: its offset counts the emoji of the first
    told = find(text, "Officials")
    line = answer(task, doc, "alice", spans=[(*told, "NORP"), (*find(text, "Łódź"), "GPE")])
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [line])

    records, stats, problems = ingest([export], [doc])

    assert problems == [] and stats.added == 1
    (rec,) = records
    assert rec["annotator"] == "news-alice" and rec["answer"] == "accept" and rec["layers"] == ["entities"]
    assert rec["task"]["start"] == doc["paragraphs"][1][0] and rec["task"]["doc_id"] == doc["id"]
    assert [(s["start"], s["end"], s["label"]) for s in rec["spans"]] == [(*told, "NORP"), (*find(text, "Łódź"), "GPE")]
    for span in rec["spans"]:
        assert text[span["start"] : span["end"]] == span["text"]
    # Prodigy counts code points: the unit-relative offset after "😀" is not shifted by surrogates.
    assert line["spans"][1]["start"] == find(text, "Łódź")[0] - doc["paragraphs"][1][0]


def test_prodigy_relations_and_choice(tmp_path, doc):
    text = doc["text"]
    src, cue = find(text, "Zoë Máx\u0301well"), find(text, "said")
    content = find(text, "Acme cut 200 jobs in Kyiv")
    rel_task = prodigy_task(doc, 0, "sources")
    assert rel_task["relations"] and rel_task["relations"][0]["head"] == 1  # token_end of the source
    spans = [(*src, "SOURCE"), (*cue, "CUE"), (*content, "CONTENT")]
    # The annotator drew ATTRIBUTION backwards (content -> source): it is turned round, not rejected.
    rels = [("ATTRIBUTION", (*content, "CONTENT"), (*src, "SOURCE")), ("CUE", (*cue, "CUE"), (*content, "CONTENT"))]
    claim_id = next(s["id"] for s in doc["spans"] if s["layer"] == "claims" and s["start"] > 60)
    choice = answer(prodigy_choice_task(doc, claim_id), doc, "bob", accept=["CHECKWORTHY"])
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [answer(rel_task, doc, "bob", spans=spans, relations=rels), choice])

    records, _, problems = ingest([export], [doc])

    assert problems == []
    rel_rec = next(r for r in records if r["view"] == "relations")
    by_id = {s["id"]: (s["start"], s["end"], s["label"]) for s in rel_rec["spans"]}
    assert rel_rec["layers"] == ["sources"]
    assert sorted((r["label"], by_id[r["head"]], by_id[r["child"]]) for r in rel_rec["relations"]) == [
        ("ATTRIBUTION", (*src, "SOURCE"), (*content, "CONTENT")),
        ("CUE", (*cue, "CUE"), (*content, "CONTENT")),
    ]
    choice_rec = next(r for r in records if r["view"] == "choice")
    claim = find(text, "prices rose 5% in Łódź")
    assert choice_rec["choices"] == [{"start": claim[0], "end": claim[1], "span_id": claim_id, "label": "CHECKWORTHY"}]
    assert choice_rec["layers"] == ["checkworthy"] and choice_rec["spans"] == []


def test_label_studio_export_code_points(tmp_path, doc):
    text = doc["text"]
    task = labelstudio_task(doc, 0, 7)
    acme, kyiv = find(text, "Acme"), find(text, "Kyiv")  # both after the astronaut emoji (3 astral code points)
    task["annotations"] = [
        ls_annotation(
            doc,
            task,
            1,
            [
                (*acme, "ORG"),
                (*kyiv, "GPE"),
                (*find(text, "Zoë Máx\u0301well"), "SOURCE"),
                (*find(text, "Acme cut 200 jobs in Kyiv"), "CONTENT"),
            ],
            relations=[(2, 3, "ATTRIBUTION")],
            choice="NOT_CHECKWORTHY",
        ),
        ls_annotation(doc, task, 2, [(*acme, "ORG")], cancelled=True),
    ]
    export = tmp_path / "project-1-at-2024.json"
    export.write_text(json.dumps([task], indent=2, ensure_ascii=False), "utf-8")

    records, stats, problems = ingest([export], [doc])

    assert stats.by_answer == {"accept": 1, "reject": 0, "ignore": 1} and stats.rejected == 1
    first = next(r for r in records if r["annotator"] == "1")
    assert first["tool"] == "labelstudio" and first["layers"] == ["entities", "sources", "claims"]
    got = {(s["start"], s["end"], s["label"]) for s in first["spans"]}
    assert {(*acme, "ORG"), (*kyiv, "GPE")} <= got
    assert all(text[s["start"] : s["end"]] == s["text"] for s in first["spans"])
    assert [r["label"] for r in first["relations"]] == ["ATTRIBUTION"]
    # The annotation has no CLAIM region and the task no span_id: the choice cannot be pinned to a claim.
    # It is rejected (into the rejects file); the annotation's spans and relations are kept.
    assert first["choices"] == [] and first["rejected"] == 1
    assert [(p.severity, p.line) for p in problems] == [("error", 2)] and "choice rejected" in problems[0].message
    assert [(r["kind"], r["line"]) for r in stats.rejects] == [("choice", 2)]


def test_label_studio_choice_needs_a_claim(tmp_path, doc):
    text = doc["text"]
    task = labelstudio_task(doc, 1, 3)
    claim = find(text, "prices rose 5% in Łódź")
    task["annotations"] = [ls_annotation(doc, task, 4, [(*claim, "CLAIM")], choice="CHECKWORTHY")]
    orphan = labelstudio_task(doc, 0, 4)
    orphan["annotations"] = [ls_annotation(doc, orphan, 4, [], choice="CHECKWORTHY")]
    export = tmp_path / "ls.json"
    export.write_text(json.dumps([task, orphan], indent=1), "utf-8")

    records, _, problems = ingest([export], [doc])

    claim_id = next(s["id"] for s in doc["spans"] if s["layer"] == "claims" and s["start"] == claim[0])
    assert [r["choices"] for r in records] == [
        [],
        [{"start": claim[0], "end": claim[1], "span_id": claim_id, "label": "CHECKWORTHY"}],
    ]  # sorted by document offset
    assert len(problems) == 1 and "without a claim" in problems[0].message
    assert problems[0].line == export.read_text().splitlines().index(" {", 2) + 1  # the second task's line


def test_label_studio_per_region_choices(tmp_path, doc):
    """The exporter's config asks check-worthiness per CLAIM region: each choice names its region by id."""
    text = doc["text"]
    task = labelstudio_task(doc, 0, 5)
    claim = find(text, "Acme cut 200 jobs in Kyiv")
    other = find(text, "Acme cut 200 jobs")  # a second, shorter claim the annotator added
    task["annotations"] = [
        ls_annotation(
            doc,
            task,
            3,
            [(*claim, "CLAIM"), (*other, "CLAIM")],
            region_choices=[(1, "NOT_CHECKWORTHY"), (0, "CHECKWORTHY")],
        )
    ]
    export = tmp_path / "ls.json"
    export.write_text(json.dumps([task]), "utf-8")

    (rec,), _, problems = ingest([export], [doc])

    claim_id = next(s["id"] for s in doc["spans"] if s["layer"] == "claims" and s["start"] == claim[0])
    assert problems == []
    assert rec["choices"] == [
        {"start": other[0], "end": other[1], "span_id": None, "label": "NOT_CHECKWORTHY"},
        {"start": claim[0], "end": claim[1], "span_id": claim_id, "label": "CHECKWORTHY"},
    ]


def test_label_studio_utf16_offsets_are_rejected(tmp_path, doc):
    """Old Label Studio (and doccano) count UTF-16 units: after an emoji they point past the token."""
    text = doc["text"]
    task = labelstudio_task(doc, 0, 1)
    task["annotations"] = [ls_annotation(doc, task, 1, [(*find(text, "said"), "CUE")], utf16=True)]
    export = tmp_path / "old-ls.json"
    export.write_text(json.dumps([task]), "utf-8")

    records, stats, problems = ingest([export], [doc])

    # The span is rejected, not the annotation: the record says it lost one item.
    assert [(r["spans"], r["rejected"]) for r in records] == [([], 1)] and stats.rejected == 1
    assert f"{export}:1:" in str(problems[0]) and "off token boundaries" in problems[0].message


def test_misfits_are_rejected_with_line_numbers(tmp_path, doc):
    text = doc["text"]
    task = prodigy_task(doc, 0, "entities")
    acme = find(text, "Acme")
    good = answer(task, doc, "alice", spans=[(*acme, "ORG")])
    changed = dict(good, text=good["text"].replace("Acme", "ACME"))
    off_text = json.loads(json.dumps(good))
    off_text["spans"] = [{"start": 40, "end": 400, "label": "ORG"}]
    off_tokens = json.loads(json.dumps(good))
    off_tokens["spans"] = [{"start": acme[0] + 1, "end": acme[1], "label": "ORG"}]
    unknown_doc = json.loads(json.dumps(good))
    unknown_doc["meta"]["doc_id"] = "0000000000000000"
    bad_label = json.loads(json.dumps(good))
    bad_label["spans"][0]["label"] = "PERSONA"
    export = tmp_path / "db-out.jsonl"
    lines = [json.dumps(x, ensure_ascii=False) for x in (good, changed, off_text, off_tokens, unknown_doc, bad_label)]
    export.write_text("\n".join(lines[:2] + ["{not json"] + lines[2:]) + "\n", "utf-8")

    records, stats, problems = ingest([export], [doc])

    assert len(records) == 1 and records[0]["spans"][0]["text"] == "Acme"
    messages = {p.line: p.message for p in problems}
    assert "text changed" in messages[2]
    assert "malformed JSON" in messages[3]
    assert "off the text" in messages[4]
    assert "off token boundaries" in messages[5]
    assert "unknown document id" in messages[6]
    assert "unknown label 'PERSONA'" in messages[7]
    assert all("\n" not in str(p) and str(p).startswith(f"{export}:") for p in problems)
    assert stats.rejected == 6  # the malformed line too
    # the answers that lost their only span do not replace the good answer to the same task
    assert stats.unchanged == 3 and records[0].get("rejected") is None


def test_unknown_task_is_reported(tmp_path, doc):
    tasks_dir = tmp_path / "tasks"
    emitted = prodigy_task(doc, 0, "entities")
    write_jsonl(tasks_dir / "prodigy" / "entities.jsonl", [emitted])
    ls_emitted = labelstudio_task(doc, 0, 1)
    (tasks_dir / "labelstudio").mkdir()
    (tasks_dir / "labelstudio" / "tasks.json").write_text(json.dumps([ls_emitted]), "utf-8")
    never = prodigy_task(doc, 1, "entities")
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [answer(emitted, doc, "alice", spans=[]), answer(never, doc, "alice", spans=[])])
    ls_never = labelstudio_task(doc, 1, 2)
    ls_emitted["annotations"] = [ls_annotation(doc, ls_emitted, 1, [])]
    ls_never["annotations"] = [ls_annotation(doc, ls_never, 1, [])]
    ls_export = tmp_path / "ls.json"
    ls_export.write_text(json.dumps([ls_emitted, ls_never]), "utf-8")

    keys = emitted_task_keys(tasks_dir, lambda p: None)
    records, stats, problems = ingest([export, ls_export], [doc], emitted=keys)

    assert len(records) == 2 and stats.rejected == 2
    assert [(p.path, p.line) for p in problems] == [(str(export), 2), (str(ls_export), 1)]
    assert all("never emitted" in p.message for p in problems)
    assert str(never["_task_hash"]) in problems[0].message


def test_ingest_cli_is_idempotent_and_newer_answers_win(tmp_path, doc):
    other = make_document(SECOND_ARTICLE)
    docs_path = write_documents(tmp_path, [doc, other])
    text = doc["text"]
    task = prodigy_task(doc, 0, "entities")
    first = answer(task, doc, "alice", spans=[(*find(text, "Acme"), "ORG")], timestamp=100)
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [first, answer(task, doc, "bob", spans=[], timestamp=100)])
    out = tmp_path / "annotations.jsonl"
    runner = CliRunner()
    args = ["annotations", "ingest", str(export), "--documents", str(docs_path), "-o", str(out)]

    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    once = out.read_bytes()
    assert runner.invoke(app, args).exit_code == 0
    assert out.read_bytes() == once  # same export again: nothing changes
    assert runner.invoke(app, [*args[:3], str(export), *args[3:]]).exit_code == 0
    assert out.read_bytes() == once  # the same file twice in one run
    assert len(once.splitlines()) == 2

    later = tmp_path / "db-out-2.jsonl"
    write_jsonl(later, [answer(task, doc, "alice", spans=[(*find(text, "Kyiv"), "GPE")], timestamp=200)])
    assert (
        runner.invoke(
            app, ["annotations", "ingest", str(later), "--documents", str(docs_path), "-o", str(out)]
        ).exit_code
        == 0
    )
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    alice = next(r for r in records if r["annotator"] == "news-alice")
    assert len(records) == 2 and [s["text"] for s in alice["spans"]] == ["Kyiv"]


def test_ingest_cli_reports_rejections_without_traceback(tmp_path, doc):
    docs_path = write_documents(tmp_path, [doc])
    task = prodigy_task(doc, 0, "entities")
    bad = answer(task, doc, "alice", spans=[])
    bad["text"] = bad["text"] + " (edited)"
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [bad])
    out = tmp_path / "annotations.jsonl"

    result = CliRunner().invoke(
        app, ["annotations", "ingest", str(export), "--documents", str(docs_path), "-o", str(out)]
    )

    assert result.exit_code == 1
    assert f"{export}:1:" in result.output and "text changed" in result.output
    assert "Traceback" not in result.output
    assert out.read_bytes() == b""


def _exported(doc: dict, tmp_path: Path, fmt: str) -> list[Path]:
    return [Path(p) for p in write_tasks([doc], tmp_path / "tasks", fmt, "paragraph")]


def _prelabels(doc: dict) -> tuple[set, set]:
    spans = {(s["layer"], s["start"], s["end"], s["label"]) for s in doc["spans"]}
    choices = {
        (s["start"], s["end"], s["id"], "CHECKWORTHY" if s["attrs"]["checkworthy"] else "NOT_CHECKWORTHY")
        for s in doc["spans"]
        if s["layer"] == "claims"
    }
    return spans, choices


def test_round_trip_through_the_prodigy_exporter(tmp_path, doc):
    """Tasks written by `corpus tasks` come back in as exactly their pre-labels when accepted untouched."""
    lines = []
    for path in _exported(doc, tmp_path, "prodigy"):
        for raw in path.read_text("utf-8").splitlines():
            lines.append(
                {
                    **json.loads(raw),
                    "answer": "accept",
                    "_annotator_id": "news-alice",
                    "_session_id": "news-alice",
                    "_timestamp": 1,
                }
            )
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, lines)

    records, stats, problems = ingest([export], [doc], emitted_task_keys(tmp_path / "tasks", lambda p: None))

    assert problems == [] and stats.rejected == 0
    spans, choices = _prelabels(doc)
    assert {(s["layer"], s["start"], s["end"], s["label"]) for r in records for s in r["spans"]} == spans
    assert {(c["start"], c["end"], c["span_id"], c["label"]) for r in records for c in r["choices"]} == choices
    assert _relation_offsets(records) == _relation_offsets([doc])


def _relation_offsets(records: list[dict]) -> set[tuple[str, tuple[int, int], tuple[int, int]]]:
    """Relations as (label, head offsets, child offsets), comparable across records with different span ids."""
    out = set()
    for r in records:
        by_id = {s["id"]: (s["start"], s["end"]) for s in r["spans"]}
        out |= {(rel["label"], by_id[rel["head"]], by_id[rel["child"]]) for rel in r["relations"]}
    return out


def test_round_trip_through_the_label_studio_exporter(tmp_path, doc):
    """Label Studio copies accepted predictions into the annotation: the pre-labels come back unchanged."""
    (tasks_path,) = [p for p in _exported(doc, tmp_path, "labelstudio") if p.suffix == ".json"]
    tasks = json.loads(tasks_path.read_text("utf-8"))
    for n, task in enumerate(tasks, start=1):
        task["id"] = n
        task["annotations"] = [
            {
                "id": n,
                "completed_by": {"id": 1, "email": "ann@example.org"},
                "result": (task["predictions"] or [{"result": []}])[0]["result"],
                "was_cancelled": False,
                "updated_at": "2024-05-01T10:00:00Z",
            }
        ]
    export = tmp_path / "ls-export.json"
    export.write_text(json.dumps(tasks, indent=2, ensure_ascii=False), "utf-8")

    records, stats, problems = ingest([export], [doc], emitted_task_keys(tmp_path / "tasks", lambda p: None))

    assert problems == [] and stats.rejected == 0 and {r["annotator"] for r in records} == {"ann@example.org"}
    spans, choices = _prelabels(doc)
    assert {(s["layer"], s["start"], s["end"], s["label"]) for r in records for s in r["spans"]} == spans
    assert {(c["start"], c["end"], c["span_id"], c["label"]) for r in records for c in r["choices"]} == choices


def test_load_documents_reports_bad_lines(tmp_path, doc):
    path = tmp_path / "documents.jsonl"
    path.write_text(json.dumps(doc, ensure_ascii=False) + "\n[1, 2]\n", "utf-8")
    problems: list[InputProblem] = []
    docs = load_documents(path, problems.append)
    assert list(docs) == [doc["id"]] and problems[0].line == 2


def test_choice_tasks_at_sentence_unit_map_back_to_the_claim(tmp_path, doc):
    """choice.jsonl shows each claim's own sentence even at paragraph unit; the answer lands on the claim."""
    text, _, _ = clean_text(
        "Rain fell on Tuesday 🌧. Acme cut 200 jobs in Kyiv 🇺🇦.\r\n\r\n"
        "Officials said prices rose 5% in Łódź. Nobody cared.\r\n"
    )
    doc = segment_document(new_document(text, "test"))
    add_span(doc, "claims", "CLAIM", *find(text, "Acme cut 200 jobs in Kyiv"), "rules@1", 0.8, {"checkworthy": True})
    add_span(doc, "claims", "CLAIM", *find(text, "prices rose 5% in Łódź"), "rules@1", 0.3)
    doc["labellers"] = {"claims": "rules@1"}
    (choice_path,) = [p for p in _exported(doc, tmp_path, "prodigy") if p.name == "choice.jsonl"]
    tasks = [json.loads(raw) for raw in choice_path.read_text("utf-8").splitlines()]
    assert {t["meta"]["unit"] for t in tasks} == {"sentence"}
    lines = []
    for task in tasks:
        s, e = task["meta"]["offset"], task["meta"]["offset"] + len(task["text"])
        assert [s, e] in [list(x) for x in doc["sentences"]] and [s, e] not in [list(x) for x in doc["paragraphs"]]
        lines.append(
            {
                **task,
                "answer": "accept",
                "accept": ["NOT_CHECKWORTHY"],
                "_annotator_id": "cw-ann",
                "_session_id": "cw-ann",
                "_timestamp": 5,
            }
        )
    export = tmp_path / "choice-db-out.jsonl"
    write_jsonl(export, lines)

    records, stats, problems = ingest([export], [doc], emitted_task_keys(tmp_path / "tasks", lambda p: None))

    assert problems == [] and stats.rejected == 0
    claims = {(s["start"], s["end"], s["id"]) for s in doc["spans"] if s["layer"] == "claims"}
    assert {(c["start"], c["end"], c["span_id"]) for r in records for c in r["choices"]} == claims
    assert {c["label"] for r in records for c in r["choices"]} == {"NOT_CHECKWORTHY"}
    for rec, task in zip(records, sorted(tasks, key=lambda t: t["meta"]["offset"]), strict=True):
        assert rec["task"]["unit"] == "sentence" and rec["task"]["start"] == task["meta"]["offset"]
        assert rec["layers"] == ["checkworthy"] and rec["spans"] == []


# ------------------------------------------------------------------------------------------------- doccano


def test_doccano_relation_export_utf16_offsets_map_back_to_code_points(tmp_path, doc):
    text = doc["text"]
    person, org, kyiv = find(text, "Zoë Máx\u0301well"), find(text, "Acme"), find(text, "Kyiv")
    source, content = person, find(text, "Acme cut 200 jobs in Kyiv")
    line = doccano_export_line(
        doc,
        0,
        [(*person, "PERSON"), (*org, "ORG"), (*kyiv, "GPE"), (*source, "SOURCE"), (*content, "CONTENT")],
        [(3, 4, "ATTRIBUTION")],
    )
    # the emoji before "said" counts 2 (or more) UTF-16 units: the exported offsets really differ from code points
    assert line["entities"][1]["start_offset"] > org[0]
    export = tmp_path / "alice.jsonl"
    write_jsonl(export, [line])

    records, stats, problems = ingest([export], [doc])

    assert problems == [] and stats.rejected == 0
    (rec,) = records
    assert rec["annotator"] == "alice" and rec["tool"] == "doccano" and rec["answer"] == "accept"
    assert rec["layers"] == ["entities", "sources", "claims"] and rec["view"] == "doccano_relations"
    got = {(s["start"], s["end"], s["label"]) for s in rec["spans"]}
    assert got == {(*person, "PERSON"), (*org, "ORG"), (*kyiv, "GPE"), (*source, "SOURCE"), (*content, "CONTENT")}
    assert all(text[s["start"] : s["end"]] == s["text"] for s in rec["spans"])
    by_id = {s["id"]: (s["start"], s["end"]) for s in rec["spans"]}
    assert [(r["label"], by_id[r["head"]], by_id[r["child"]]) for r in rec["relations"]] == [
        ("ATTRIBUTION", source, content)
    ]


def test_doccano_sequence_labelling_form_and_annotator_option(tmp_path, doc):
    offset, end, _ = _unit(doc, 1)
    unit_text = doc["text"][offset:end]
    lodz = find(doc["text"], "Łódź")
    line = {
        "id": 3,
        "text": unit_text,
        "label": [[_utf16(unit_text, lodz[0] - offset), _utf16(unit_text, lodz[1] - offset), "GPE"]],
        "meta": {"doc_id": doc["id"], "unit": "paragraph", "unit_index": 1, "offset": offset},
    }
    export = tmp_path / "all.jsonl"
    write_jsonl(export, [line])
    docs_path = write_documents(tmp_path, [doc])
    out = tmp_path / "annotations.jsonl"

    result = CliRunner().invoke(
        app, ["annotations", "ingest", str(export), "--documents", str(docs_path), "-o", str(out), "--annotator", "bob"]
    )

    assert result.exit_code == 0, result.output
    (rec,) = [json.loads(raw) for raw in out.read_text("utf-8").splitlines()]
    assert rec["annotator"] == "bob" and rec["view"] == "doccano_spans" and rec["relations"] == []
    assert [(s["start"], s["end"], s["label"]) for s in rec["spans"]] == [(*lodz, "GPE")]


def test_doccano_misfits_are_rejected_with_file_and_line(tmp_path, doc):
    text = doc["text"]
    offset, end, _ = _unit(doc, 0)
    unit_text = text[offset:end]
    emoji_at = _utf16(unit_text, unit_text.index("👩"))
    good = doccano_export_line(doc, 0, [(*find(text, "Acme"), "ORG")])
    inside_pair = json.loads(json.dumps(good))
    inside_pair["entities"][0].update(start_offset=emoji_at + 1, end_offset=emoji_at + 2)
    off_text = json.loads(json.dumps(good))
    off_text["entities"][0]["end_offset"] = 10_000
    dangling = doccano_export_line(doc, 0, [(*find(text, "Acme"), "ORG")], [(0, 5, "ATTRIBUTION")])
    bad_label = doccano_export_line(doc, 0, [(*find(text, "Acme"), "COMPANY")])
    prodigy_line = {"text": unit_text, "spans": [], "_task_hash": 5, "answer": "accept"}
    export = tmp_path / "carol.jsonl"
    write_jsonl(export, [good, inside_pair, off_text, dangling, bad_label, prodigy_line])
    with export.open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")

    records, stats, problems = ingest([export], [doc])

    assert len(records) == 1 and stats.rejected == 6
    by_line = {p.line: p.message for p in problems}
    assert all(p.path == str(export) for p in problems)
    assert "surrogate pair" in by_line[2] and "off the text" in by_line[3]
    assert "does not exist" in by_line[4] and "unknown label 'COMPANY'" in by_line[5]
    assert "not a doccano record" in by_line[6] and "malformed JSON" in by_line[7]


def test_format_detection_by_content(tmp_path, doc):
    from corpus.annotations.ingest import detect_format

    doccano = tmp_path / "x.jsonl"
    doccano.write_text("\n{broken\n" + json.dumps(doccano_export_line(doc, 0, [])) + "\n", "utf-8")
    prodigy = tmp_path / "y.jsonl"
    write_jsonl(prodigy, [answer(prodigy_task(doc, 0, "entities"), doc, "alice")])
    doccano_array = tmp_path / "z.json"
    doccano_array.write_text(json.dumps([doccano_export_line(doc, 0, [])]), "utf-8")
    studio = tmp_path / "w.json"
    studio.write_text(json.dumps([labelstudio_task(doc, 0, 1)]), "utf-8")
    assert [detect_format(p) for p in (doccano, prodigy, doccano_array, studio)] == [
        "doccano",
        "prodigy",
        "doccano",
        "labelstudio",
    ]
    records, stats, problems = ingest([doccano_array], [doc])
    assert len(records) == 1 and problems == [] and records[0]["annotator"] == "z"


def test_doccano_reingest_is_idempotent_and_a_later_export_replaces(tmp_path, doc):
    acme, kyiv = find(doc["text"], "Acme"), find(doc["text"], "Kyiv")
    first = tmp_path / "first" / "dana.jsonl"
    first.parent.mkdir()
    write_jsonl(first, [doccano_export_line(doc, 0, [(*acme, "ORG")])])
    records, _, _ = ingest([first], [doc])
    again, stats, _ = ingest([first], [doc], existing=records)
    assert again == records and stats.unchanged == 1
    later = tmp_path / "later" / "dana.jsonl"
    later.parent.mkdir()
    write_jsonl(later, [doccano_export_line(doc, 0, [(*acme, "ORG"), (*kyiv, "GPE")])])
    updated, stats, _ = ingest([later], [doc], existing=records)
    assert stats.replaced == 1 and len(updated) == 1 and len(updated[0]["spans"]) == 2


def test_round_trip_through_the_doccano_exporter(tmp_path, doc):
    """doccano gives back what it was given: our relations.jsonl ingested as is is exactly the pre-labels."""
    paths = {p.name: p for p in _exported(doc, tmp_path, "doccano")}
    emitted = emitted_task_keys(tmp_path / "tasks", lambda p: None)

    records, stats, problems = ingest([paths["relations.jsonl"]], [doc], emitted)

    assert problems == [] and stats.rejected == 0
    spans, _ = _prelabels(doc)
    assert {(s["layer"], s["start"], s["end"], s["label"]) for r in records for s in r["spans"]} == spans
    assert _relation_offsets(records) == _relation_offsets([doc])
    spans_records, _, problems = ingest([paths["spans.jsonl"]], [doc], emitted)
    assert (
        problems == []
        and {(s["layer"], s["start"], s["end"], s["label"]) for r in spans_records for s in r["spans"]} == spans
    )
    # a unit the project never emitted is reported
    stray = doccano_export_line(doc, 0, [])
    stray["text"], stray["offset"] = stray["text"][:10], 0
    export = tmp_path / "stray.jsonl"
    write_jsonl(export, [stray])
    _, stats, problems = ingest([export], [doc], emitted)
    assert stats.rejected == 1 and "never emitted" in problems[0].message
