"""Annotators' work is never dropped: one bad item rejects that item only, every rejected item is kept in the
rejects file with its reason, malformed exports never abort a run, and merge checks what it is given.

Every test writes its own documents and exports (helpers from ``conftest.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    _unit,
    answer,
    doccano_export_line,
    find,
    labelstudio_task,
    ls_annotation,
    make_document,
    prodigy_task,
    write_documents,
)
from typer.testing import CliRunner

from corpus.annotations import ingest_exports
from corpus.annotations.ingest import rejects_path
from corpus.cli import app
from corpus.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, InputProblem
from corpus.jsonl import write_jsonl


@pytest.fixture()
def doc() -> dict:
    return make_document()


def ingest(paths: list[Path], doc: dict):
    problems: list[InputProblem] = []
    records, stats = ingest_exports(paths, {doc["id"]: doc}, problems.append)
    return records, stats, problems


def run(*args: str):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def spans_of(rec: dict) -> set[tuple[int, int, str]]:
    return {(s["start"], s["end"], s["label"]) for s in rec["spans"]}


def source_regions(doc: dict) -> list[tuple[int, int, str]]:
    text = doc["text"]
    return [
        (*find(text, "Zoë Máx\u0301well"), "SOURCE"),
        (*find(text, "said"), "CUE"),
        (*find(text, "Acme cut 200 jobs in Kyiv"), "CONTENT"),
        (*find(text, "Acme"), "ORG"),
    ]


# --------------------------------------------------------------------- one bad item rejects that item only


def test_label_studio_wrong_relation_keeps_every_span_of_the_task(tmp_path, doc):
    task = labelstudio_task(doc, 0, 1)
    regions = source_regions(doc)
    # CUE -> SOURCE is no relation the project has; SOURCE -> CONTENT is right.
    task["annotations"] = [
        ls_annotation(doc, task, 1, regions, relations=[(1, 0, "ATTRIBUTION"), (0, 2, "ATTRIBUTION")])
    ]
    export = tmp_path / "ls.json"
    export.write_text(json.dumps([task], indent=1, ensure_ascii=False), "utf-8")

    (rec,), stats, problems = ingest([export], doc)

    assert spans_of(rec) == set(regions) and [r["label"] for r in rec["relations"]] == ["ATTRIBUTION"]
    assert rec["rejected"] == 1 and stats.rejected == 1
    (problem,) = problems
    assert problem.path == str(export) and problem.line == 2 and "\n" not in str(problem)
    assert "ATTRIBUTION relation from CUE" in problem.message and "relation rejected" in problem.message
    (entry,) = stats.rejects
    assert entry["kind"] == "relation" and entry["item"]["from_id"] == "r1_1" and entry["line"] == 2


def test_prodigy_bad_span_and_relation_reject_only_themselves(tmp_path, doc):
    text = doc["text"]
    task = prodigy_task(doc, 0, "sources")
    src, cue, content, _org = source_regions(doc)
    line = answer(
        task,
        doc,
        "alice",
        spans=[src, cue, content],
        relations=[("ATTRIBUTION", src, content), ("ATTRIBUTION", cue, src)],
    )
    acme = find(text, "Acme")
    line["spans"].append(
        {"start": acme[0] + 1 - task["meta"]["offset"], "end": acme[1] - task["meta"]["offset"], "label": "ORG"}
    )  # off token boundaries
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [line])

    (rec,), stats, problems = ingest([export], doc)

    assert spans_of(rec) == {src, cue, content} and len(rec["relations"]) == 1 and rec["rejected"] == 2
    assert [(p.line, p.field) for p in problems] == [(1, "spans[3]"), (1, "relations[1]")]
    assert "off token boundaries; span rejected" in problems[0].message
    assert [e["kind"] for e in stats.rejects] == ["span", "relation"]


def test_doccano_entity_off_boundaries_rejects_it_and_its_relations(tmp_path, doc):
    src, cue, content, _org = source_regions(doc)
    line = doccano_export_line(doc, 0, [src, cue, content], [(0, 2, "ATTRIBUTION"), (1, 2, "CUE")])
    line["entities"][1]["end_offset"] -= 1  # "sai": off token boundaries
    line["relations"].append({"id": 9, "from_id": 0, "to_id": 77, "type": "ATTRIBUTION"})  # no entity 77
    export = tmp_path / "dana.jsonl"
    write_jsonl(export, [line])

    (rec,), stats, problems = ingest([export], doc)

    assert spans_of(rec) == {src, content} and [r["label"] for r in rec["relations"]] == ["ATTRIBUTION"]
    assert [e["kind"] for e in stats.rejects] == ["entity", "relation", "relation"]
    assert "rejected" in problems[1].message and "does not exist" in problems[2].message
    assert all(p.line == 1 and p.path == str(export) for p in problems)


# ------------------------------------------------------------------------ malformed exports never abort


def test_malformed_items_are_one_line_each_and_name_the_field(tmp_path, doc):
    text = doc["text"]
    offset = _unit(doc, 0)[0]
    acme = (find(text, "Acme")[0] - offset, find(text, "Acme")[1] - offset)
    good = answer(prodigy_task(doc, 0, "entities"), doc, "alice", spans=[(*find(text, "Acme"), "ORG")])

    def variant(**span) -> dict:
        line = json.loads(json.dumps(good))
        line["spans"] = [{"start": acme[0], "end": acme[1], "label": "ORG", **span}]
        return line

    no_text = json.loads(json.dumps(good))
    del no_text["text"]
    bad_lines = [
        variant(label=["ORG"]),
        variant(label={"name": "ORG"}),
        variant(start=None),
        variant(end=7.0),
        variant(start=str(acme[0])),
        no_text,
        [good],
        "just a string",
        dict(good, spans={"x": 1}),
    ]
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [good, *bad_lines])

    task = labelstudio_task(doc, 0, 1)
    task["annotations"] = [ls_annotation(doc, task, 1, [(*find(text, "Acme"), "ORG"), (*find(text, "Kyiv"), "GPE")])]
    task["annotations"][0]["result"][0]["value"]["labels"] = "ORG"  # a string where a list is expected
    ls_export = tmp_path / "ls.json"
    ls_export.write_text(json.dumps([task]), "utf-8")

    records, stats, problems = ingest([export, ls_export], doc)

    by_line = {(p.path, p.line): p for p in problems}
    assert len(problems) == len(bad_lines) + 1 and all("\n" not in str(p) for p in problems)
    assert "label must be a string, got a list" in by_line[(str(export), 2)].message
    assert by_line[(str(export), 2)].field == "spans[0].label"
    assert "got an object" in by_line[(str(export), 3)].message
    assert by_line[(str(export), 4)].field == "spans[0].start" and "got null" in by_line[(str(export), 4)].message
    assert "got a number 7.0" in by_line[(str(export), 5)].message
    assert "got a string" in by_line[(str(export), 6)].message
    assert "task has no text" in by_line[(str(export), 7)].message
    assert "a JSON array where" in by_line[(str(export), 8)].message
    assert "got a string" in by_line[(str(export), 9)].message
    assert by_line[(str(export), 10)].field == "spans" and "must be a list" in by_line[(str(export), 10)].message
    ls_problem = by_line[(str(ls_export), 1)]
    assert ls_problem.field == "result[0].value.labels" and "the string 'ORG'" in ls_problem.message
    assert "unknown label" not in ls_problem.message
    ls_rec = next(r for r in records if r["tool"] == "labelstudio")
    assert spans_of(ls_rec) == {(*find(text, "Kyiv"), "GPE")} and ls_rec["rejected"] == 1
    assert stats.files[str(export)].accepted == 6 and stats.files[str(export)].rejected == len(bad_lines)


def test_broken_files_never_stop_the_others(tmp_path, doc):
    text = doc["text"]
    docs_path = write_documents(tmp_path, [doc])
    task = labelstudio_task(doc, 0, 1)
    task["annotations"] = [ls_annotation(doc, task, 1, [(*find(text, "Acme"), "ORG")])]
    second = labelstudio_task(doc, 1, 2)
    second["annotations"] = [ls_annotation(doc, second, 1, [(*find(text, "Łódź"), "GPE")])]
    whole = json.dumps([task, second], indent=1, ensure_ascii=False)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(whole[: whole.index('"Łódź"') - 40], "utf-8")  # cut inside the second task
    empty = tmp_path / "empty.json"
    empty.write_text("", "utf-8")
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(b'[{"data": {"text": "caf\xe9"}}]')
    good = tmp_path / "db-out.jsonl"
    write_jsonl(good, [answer(prodigy_task(doc, 0, "entities"), doc, "bob", spans=[(*find(text, "Kyiv"), "GPE")])])
    out = tmp_path / "annotations.jsonl"

    result = run("annotations", "ingest", truncated, empty, not_utf8, good, "-d", docs_path, "-o", out)

    assert result.exit_code == EXIT_PARTIAL, result.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert sorted(r["annotator"] for r in records) == ["1", "news-bob"]  # the truncated file's first task too
    rejects = [json.loads(line) for line in rejects_path(out).read_text("utf-8").splitlines()]
    assert [(Path(r["source"]).name, r["kind"]) for r in rejects] == [
        ("truncated.json", "rest of file"),
        ("empty.json", "file"),
        ("latin1.json", "rest of file"),
    ]
    assert "no closing" in rejects[0]["reason"] or "malformed JSON" in rejects[0]["reason"]
    assert rejects[0]["item"] and truncated.read_text("utf-8").endswith(rejects[0]["item"])  # the rest, to fix
    assert "empty file" in rejects[1]["reason"] and "not UTF-8" in rejects[2]["reason"]
    assert f"{truncated}: 1 annotations accepted, 1 items rejected" in " ".join(result.output.split())


def test_json_array_line_in_a_jsonl_export_is_one_bad_line(tmp_path, doc):
    text = doc["text"]
    good = answer(prodigy_task(doc, 0, "entities"), doc, "alice", spans=[(*find(text, "Acme"), "ORG")])
    export = tmp_path / "db-out.jsonl"
    export.write_text(json.dumps([1, 2]) + "\n" + json.dumps(good, ensure_ascii=False) + "\n", "utf-8")

    records, stats, problems = ingest([export], doc)

    assert len(records) == 1 and [(p.line, "a JSON array where" in p.message) for p in problems] == [(1, True)]


def test_overlapping_entity_spans_get_a_warning_and_are_kept(tmp_path, doc):
    text = doc["text"]
    acme_cut = (find(text, "Acme")[0], find(text, "cut")[1])
    line = answer(
        prodigy_task(doc, 0, "entities"),
        doc,
        "alice",
        spans=[(*find(text, "Acme"), "ORG"), (*acme_cut, "ORG"), (*find(text, "Kyiv"), "GPE")],
    )
    export = tmp_path / "db-out.jsonl"
    write_jsonl(export, [line])

    (rec,), stats, problems = ingest([export], doc)

    assert len(rec["spans"]) == 3 and stats.rejected == 0 and "rejected" not in rec
    assert [(p.severity, p.line) for p in problems] == [("warning", 1)] and "overlap" in problems[0].message


# ------------------------------------------------------------------------ rejects file, reruns, exit codes


def test_rejects_file_reruns_and_a_fixed_export(tmp_path, doc):
    docs_path = write_documents(tmp_path, [doc])
    task = labelstudio_task(doc, 0, 1)
    regions = source_regions(doc)
    task["annotations"] = [ls_annotation(doc, task, 1, regions, relations=[(1, 0, "ATTRIBUTION")])]
    export = tmp_path / "ls.json"
    export.write_text(json.dumps([task], ensure_ascii=False), "utf-8")
    out = tmp_path / "out" / "annotations.jsonl"
    args = ["annotations", "ingest", export, "-d", docs_path, "-o", out]

    first = run(*args)
    assert first.exit_code == EXIT_PARTIAL, first.output
    rejects = rejects_path(out)
    assert rejects == out.parent / "annotations.rejects.jsonl"
    once = (out.read_bytes(), rejects.read_bytes())
    (entry,) = [json.loads(line) for line in once[1].splitlines()]
    assert entry["source"] == str(export) and entry["line"] == 1 and entry["kind"] == "relation"
    assert "relation rejected" in first.output and "annotations.rejects.jsonl" in first.output

    assert run(*args).exit_code == EXIT_PARTIAL
    assert (out.read_bytes(), rejects.read_bytes()) == once  # idempotent, rejects included

    # The annotator fixes the relation in the export: the fixed answer replaces the partial one.
    task["annotations"] = [ls_annotation(doc, task, 1, regions, relations=[(1, 2, "CUE")])]
    export.write_text(json.dumps([task], ensure_ascii=False), "utf-8")
    fixed = run(*args)
    assert fixed.exit_code == EXIT_OK, fixed.output
    (rec,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert "rejected" not in rec and [r["label"] for r in rec["relations"]] == ["CUE"]
    assert not rejects.exists()  # nothing left to fix


def test_nothing_usable_exits_1(tmp_path, doc):
    docs_path = write_documents(tmp_path, [doc])
    empty = tmp_path / "empty.json"
    empty.write_text("  \n", "utf-8")
    result = run("annotations", "ingest", empty, "-d", docs_path, "-o", tmp_path / "a.jsonl")
    assert result.exit_code == EXIT_FAILED and "empty file" in result.output


# ------------------------------------------------------------------------------ Label Studio annotators


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        ({"completed_by": {"id": 3, "email": "ann@example.org", "first_name": "Ann"}}, "ann@example.org"),
        ({"completed_by": {"id": 3, "email": "", "first_name": "Ann", "last_name": "Lee"}}, "Ann Lee"),
        ({"completed_by": 3, "created_username": " ann@example.org, 3"}, "ann@example.org"),
        ({"completed_by": 3}, "3"),
    ],
)
def test_label_studio_annotator_is_the_email_or_name_when_the_export_has_it(tmp_path, doc, annotation, expected):
    task = labelstudio_task(doc, 0, 1)
    ann = ls_annotation(doc, task, 3, [(*find(doc["text"], "Acme"), "ORG")])
    ann.pop("completed_by")
    task["annotations"] = [{**ann, **annotation}]
    export = tmp_path / "ls.json"
    export.write_text(json.dumps([task]), "utf-8")

    (rec,), _, problems = ingest([export], doc)

    assert problems == [] and rec["annotator"] == expected and rec["key"].startswith(f"{expected}|")


# ----------------------------------------------------------------------------------- merge checks input


def test_merge_skips_malformed_records_one_line_each(tmp_path, doc):
    text = doc["text"]
    docs_path = write_documents(tmp_path, [doc])
    export = tmp_path / "db-out.jsonl"
    write_jsonl(
        export,
        [
            answer(prodigy_task(doc, 0, "entities"), doc, who, spans=[(*find(text, "Acme"), "ORG")])
            for who in ("alice", "bob")
        ],
    )
    annotations = tmp_path / "annotations.jsonl"
    assert run("annotations", "ingest", export, "-d", docs_path, "-o", annotations).exit_code == EXIT_OK
    good = [json.loads(line) for line in annotations.read_text("utf-8").splitlines()]

    def broken(change) -> dict:
        rec = json.loads(json.dumps(good[1]))
        change(rec)
        rec["key"] = f"{rec['annotator']}|{rec['task']['hash']}" if isinstance(rec["annotator"], str) else rec["key"]
        return rec

    bad = [
        broken(lambda r: r.update(spans=None, annotator="c1")),
        broken(lambda r: (r["spans"][0].update(start=str(r["spans"][0]["start"])), r.update(annotator="c2"))),
        broken(lambda r: r.update(annotator=5)),
        broken(lambda r: (r["spans"][0].update(label=["ORG"]), r.update(annotator="c4"))),
        broken(
            lambda r: (
                r["spans"][0].update(end=len(text) + 5),
                r["task"].update(end=len(text) + 5),
                r.update(annotator="c5"),
            )
        ),
        good[0],  # the same key twice: it would vote twice
    ]
    write_jsonl(annotations, [*good, *bad])
    gold_path = tmp_path / "gold.jsonl"

    result = run(
        "annotations", "merge", annotations, "-d", docs_path, "-o", gold_path, "--report", tmp_path / "agreement.json"
    )

    assert result.exit_code == EXIT_PARTIAL, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error")]
    by_line = {int(line.split(f"{annotations}:")[1].split(":")[0]): line for line in lines}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8] and len(lines) == 6
    assert "[spans]" in by_line[3] or "spans" in by_line[3]
    assert "past the end of document" in by_line[7] and "already on line 1" in by_line[8]
    (gold,) = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines()]
    assert gold["annotation"]["annotators"] == ["news-alice", "news-bob"]
    assert [(s["start"], s["end"], s["label"]) for s in gold["spans"]] == [(*find(text, "Acme"), "ORG")]


def test_doccano_label_entries_of_the_wrong_shape_reject_only_themselves(tmp_path, doc):
    text = doc["text"]
    line = doccano_export_line(doc, 0, [])
    line.pop("entities")
    line.pop("relations")
    # doccano's UTF-16 offsets of Kyiv and Acme, as the exporter helper computes them
    kyiv, acme = doccano_export_line(doc, 0, [(*find(text, "Kyiv"), "GPE"), (*find(text, "Acme"), "ORG")])["entities"]
    line["label"] = [
        [kyiv["start_offset"], kyiv["end_offset"], "GPE"],
        [0, 4],
        "ORG",
        [acme["start_offset"], acme["end_offset"], ["ORG"]],
        {"start_offset": kyiv["start_offset"]},
    ]
    export = tmp_path / "erin.jsonl"
    write_jsonl(export, [line])

    (rec,), stats, problems = ingest([export], doc)

    assert spans_of(rec) == {(*find(text, "Kyiv"), "GPE")} and rec["rejected"] == 4
    assert [p.field for p in problems] == ["label[1]", "label[2]", "label[3].label", "label[4].end_offset"]
    assert all(p.line == 1 and "\n" not in str(p) for p in problems)
