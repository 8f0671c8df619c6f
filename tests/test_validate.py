"""`corpus validate`: schemas + semantic checks on documents and Prodigy tasks, files, folders and the CLI."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import (
    CHECKWORTHY_OPTIONS,
    CLAIM_LABELS,
    ENTITY_LABELS,
    LAYERS,
    RELATION_LABELS,
    SOURCE_KINDS,
    SOURCE_LABELS,
    add_relation,
    add_span,
    new_document,
)
from corpus.segment.core import segment_document
from corpus.validate import (
    SCHEMA_DIR,
    SCHEMA_FILES,
    detect_kind,
    load_schema,
    validate_document,
    validate_files,
    validate_paths,
    validate_task,
)

runner = CliRunner()

TEXT = "Jane Doe said Acme cut 200 jobs.\n\nThe mayor of Springfield denied it on Monday."


def make_doc() -> dict:
    doc = segment_document(new_document(TEXT, "t.txt"))
    add_span(doc, "entities", "PERSON", 0, 8, "rules@1", 0.9)
    add_span(doc, "entities", "ORG", 14, 18, "rules@1", 0.8)
    add_span(doc, "entities", "GPE", 47, 58, "rules@1", 0.8)
    source = add_span(doc, "sources", "SOURCE", 0, 8, "rules@1", 0.9, {"kind": "named_person"})
    cue = add_span(doc, "sources", "CUE", 9, 13, "rules@1", 0.9)
    content = add_span(doc, "sources", "CONTENT", 14, 31, "rules@1", 0.9)
    add_span(doc, "claims", "CLAIM", 14, 31, "rules@1", 0.7, {"checkworthy": "CHECKWORTHY"})
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], "rules@1")
    add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    doc["labellers"] = {layer: "rules@1" for layer in LAYERS}
    return doc


UNIT = "Jane Doe said Acme cut 200 jobs."
WORDS = [
    ("Jane", 0, 4),
    ("Doe", 5, 8),
    ("said", 9, 13),
    ("Acme", 14, 18),
    ("cut", 19, 22),
    ("200", 23, 26),
    ("jobs", 27, 31),
    (".", 31, 32),
]
TOKENS = [{"text": w, "start": s, "end": e, "id": i, "ws": UNIT[e : e + 1] == " "} for i, (w, s, e) in enumerate(WORDS)]


def span(start: int, end: int, ts: int, te: int, label: str, span_id: str) -> dict:
    return {
        "start": start,
        "end": end,
        "token_start": ts,
        "token_end": te,
        "label": label,
        "id": span_id,
        "score": 0.9,
        "labeller": "rules@1",
    }


def make_task(kind: str, doc_id: str = "0" * 16, task_hash: int = 7) -> dict:
    base = {
        "text": UNIT,
        "tokens": copy.deepcopy(TOKENS),
        "spans": [],
        "meta": {"doc_id": doc_id, "unit": "paragraph", "unit_index": 0, "offset": 0},
        "_input_hash": 1,
        "_task_hash": task_hash,
    }
    if kind == "ner.manual":
        base["spans"] = [span(0, 8, 0, 1, "PERSON", "E0"), span(14, 18, 3, 3, "ORG", "E1")]
        base["_view_id"] = "ner_manual"
    elif kind == "spans.manual":
        base["spans"] = [
            span(0, 8, 0, 1, "SOURCE", "S0"),
            span(14, 31, 3, 6, "CONTENT", "S2"),
            span(14, 31, 3, 6, "CLAIM", "C0"),
        ]
        base["_view_id"] = "spans_manual"
    elif kind == "rel.manual":
        src, cue, content = (
            span(0, 8, 0, 1, "SOURCE", "S0"),
            span(9, 13, 2, 2, "CUE", "S1"),
            span(14, 31, 3, 6, "CONTENT", "S2"),
        )
        base["spans"] = [src, cue, content]
        base["relations"] = [
            {"head": 1, "child": 6, "label": "ATTRIBUTION", "head_span": dict(src), "child_span": dict(content)},
            {"head": 2, "child": 6, "label": "CUE", "head_span": dict(cue), "child_span": dict(content)},
        ]
        base["_view_id"] = "relations"
    else:
        base["spans"] = [span(14, 31, 3, 6, "CLAIM", "C0")]
        base["meta"].update(span_id="C0", score=0.7)
        base["options"] = [
            {"id": "CHECKWORTHY", "text": "Check-worthy"},
            {"id": "NOT_CHECKWORTHY", "text": "Not check-worthy"},
        ]
        base["accept"] = ["CHECKWORTHY"]
        base["_view_id"] = "choice"
    return base


def write_lines(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


# ------------------------------------------------------------------------------------------------ schemas


def test_schemas_are_valid_draft_2020_12_and_match_the_label_sets():
    for kind, name in SCHEMA_FILES.items():
        schema = load_schema(kind)
        assert (SCHEMA_DIR / name).is_file()
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)
    doc_schema = load_schema("documents")
    by_layer = {
        rule["if"]["properties"]["layer"]["const"]: rule["then"]["properties"]["label"]["enum"]
        for rule in doc_schema["$defs"]["span"]["allOf"]
    }
    assert by_layer == {"entities": list(ENTITY_LABELS), "sources": list(SOURCE_LABELS), "claims": list(CLAIM_LABELS)}
    assert doc_schema["$defs"]["relation"]["properties"]["label"]["enum"] == list(RELATION_LABELS)
    kinds = doc_schema["$defs"]["span"]["allOf"][1]["then"]["properties"]["attrs"]["properties"]["kind"]["enum"]
    assert kinds == list(SOURCE_KINDS)
    assert load_schema("ner.manual")["$defs"]["span"]["properties"]["label"]["enum"] == list(ENTITY_LABELS)
    choice = load_schema("choice")["properties"]
    assert choice["options"]["items"]["properties"]["id"]["enum"] == list(CHECKWORTHY_OPTIONS)
    # The record new_document() writes has exactly the fields the schema requires.
    assert set(doc_schema["required"]) == set(new_document("x", "o"))


def test_shared_task_definitions_are_identical_across_prodigy_schemas():
    tokens = {
        kind: load_schema(kind)["$defs"]["token"] for kind in ("ner.manual", "spans.manual", "rel.manual", "choice")
    }
    assert len({orjson.dumps(t) for t in tokens.values()}) == 1


# ------------------------------------------------------------------------------------------------ documents


def test_a_segmented_labelled_document_is_valid():
    assert validate_document(make_doc()) == []


def _set(path: str, value) -> Callable[[dict], None]:
    def mutate(record: dict) -> None:
        *parents, last = path.split(".")
        target = record
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _shift_token(doc: dict) -> None:
    doc["tokens"][1]["start"] = 3  # "Doe" 5-8 moved onto "Jane" 0-4


DOC_CORRUPTIONS = [
    ("span text differs", _set("spans.0.text", "Jane D"), "spans[0].text", "!= text[0:8]"),
    ("span end moved", _set("spans.0.end", 7), "spans[0].text", "'Jane Doe' != text[0:7] 'Jane Do'"),
    (
        "span off token boundary",
        lambda d: d["spans"][0].update(end=7, text="Jane Do"),
        "spans[0].end",
        "not on token boundaries",
    ),
    ("span past the end", lambda d: d["spans"][0].update(end=999), "spans[0]", "outside the text"),
    ("label of another layer", _set("spans.0.label", "CLAIM"), "spans[0].label", "not one of"),
    ("unknown layer", _set("spans.0.layer", "topics"), "spans[0].layer", "not one of"),
    ("duplicate span id", _set("spans.1.id", "E0"), "spans[1].id", "duplicate span id"),
    ("relation to a missing span", _set("relations.0.child", "S99"), "relations[0].child", "does not exist"),
    ("relation with wrong ends", _set("relations.0.head", "S1"), "relations[0].head", "must be a SOURCE span"),
    ("unknown relation label", _set("relations.0.label", "QUOTE"), "relations[0].label", "not one of"),
    ("overlapping tokens", _shift_token, "tokens[1]", "overlaps"),
    ("token missing", lambda d: d["tokens"].pop(2), "tokens", "'s' at 9 is in no token"),
    ("wrong ws flag", _set("tokens.0.ws", False), "tokens[0].ws", "is false but the next character is ' '"),
    (
        "sentence outside paragraphs",
        lambda d: d["sentences"].__setitem__(0, [0, 33]),
        "sentences[0]",
        "not inside any of the paragraphs",
    ),
    ("paragraph past the end", lambda d: d["paragraphs"].append([80, 500]), "paragraphs[2]", "outside the text"),
    ("wrong type", _set("tokens.3.start", "14"), "tokens[3].start", "expected integer, got string"),
    ("missing field", lambda d: d.pop("sentences"), "sentences", "missing"),
    ("unexpected span field", _set("spans.0.lable", "PERSON"), "spans[0].lable", "unexpected field"),
    ("score out of range", _set("spans.0.score", 1.5), "spans[0].score", "above the maximum"),
    ("bad source kind", _set("spans.3.attrs", {"kind": "celebrity"}), "spans[3].attrs.kind", "not one of"),
]


@pytest.mark.parametrize(("name", "mutate", "field", "message"), DOC_CORRUPTIONS, ids=[c[0] for c in DOC_CORRUPTIONS])
def test_document_corruptions_are_named(name, mutate, field, message):
    doc = make_doc()
    mutate(doc)
    problems = validate_document(doc)
    assert any(p.startswith(f"{field}: ") and message in p for p in problems), problems


def test_document_id_not_matching_the_text_is_a_warning_in_files(tmp_path):
    doc = make_doc()
    doc["text"] = doc["text"].replace("Monday", "Sunday")
    problems = validate_paths([write_lines(tmp_path / "documents.jsonl", [doc])])
    assert [(p.severity, p.field, p.line) for p in problems] == [("warning", "id", 1)]


# ------------------------------------------------------------------------------------------------ tasks

KINDS = ("ner.manual", "spans.manual", "rel.manual", "choice")


@pytest.mark.parametrize("kind", KINDS)
def test_well_formed_tasks_are_valid(kind):
    assert validate_task(make_task(kind), kind) == []


def _rel_head(task: dict) -> None:
    task["relations"][0]["head"] = 0


TASK_CORRUPTIONS = [
    (
        "ner.manual",
        "span off token boundaries",
        lambda t: t["spans"][0].update(end=7),
        "spans[0]",
        "not on token boundaries",
    ),
    ("ner.manual", "token_end inconsistent", _set("spans.0.token_end", 2), "spans[0]", "cover [0, 13)"),
    ("ner.manual", "token range past the tokens", _set("spans.0.token_end", 12), "spans[0]", "not a token range"),
    (
        "ner.manual",
        "overlapping entities",
        lambda t: t["spans"].append(span(5, 13, 1, 2, "ORG", "E2")),
        "spans[2]",
        "must not overlap",
    ),
    ("ner.manual", "entity label unknown", _set("spans.0.label", "CELEBRITY"), "spans[0].label", "not one of"),
    ("ner.manual", "token text differs", _set("tokens.1.text", "Doh"), "tokens[1].text", "!= text[5:8]"),
    ("ner.manual", "token ids not indices", _set("tokens.2.id", 7), "tokens[2].id", "expected its index 2"),
    ("ner.manual", "tokens overlap", _set("tokens.1.start", 3), "tokens[1]", "overlaps"),
    ("ner.manual", "wrong view", _set("_view_id", "spans_manual"), "_view_id", "expected 'ner_manual'"),
    ("ner.manual", "hash not an int", _set("_task_hash", "7"), "_task_hash", "expected integer"),
    ("ner.manual", "span text key differs", _set("spans.0.text", "Jane"), "spans[0].text", "!= text[0:8]"),
    ("spans.manual", "missing meta field", lambda t: t["meta"].pop("offset"), "meta.offset", "missing"),
    (
        "spans.manual",
        "document unit with offset",
        _set("meta", {"doc_id": "0" * 16, "unit": "document", "unit_index": 0, "offset": 3}),
        "meta.offset",
        "must be 0",
    ),
    ("rel.manual", "head not the span's token_end", _rel_head, "relations[0].head", "ends at token 1"),
    (
        "rel.manual",
        "head_span not a task span",
        lambda t: t["relations"][0].update(head_span=span(9, 13, 2, 2, "SOURCE", "S9"), head=2),
        "relations[0].head_span",
        "not one of the task",
    ),
    (
        "rel.manual",
        "relation ends of the wrong kind",
        lambda t: t["relations"][0].update(label="CUE"),
        "relations[0].head_span.label",
        "must be a CUE span",
    ),
    (
        "rel.manual",
        "relation span off tokens",
        lambda t: t["relations"][1]["child_span"].update(start=15),
        "relations[1].child_span",
        "not on token boundaries",
    ),
    ("choice", "option twice", lambda t: t["options"].__setitem__(1, t["options"][0]), "options", "expected each of"),
    ("choice", "unknown accept", _set("accept", ["MAYBE"]), "accept[0]", "not one of"),
    ("choice", "meta without span_id", lambda t: t["meta"].pop("span_id"), "meta.span_id", "missing"),
]


@pytest.mark.parametrize(
    ("kind", "name", "mutate", "field", "message"), TASK_CORRUPTIONS, ids=[f"{c[0]}-{c[1]}" for c in TASK_CORRUPTIONS]
)
def test_task_corruptions_are_named(kind, name, mutate, field, message):
    task = make_task(kind)
    mutate(task)
    problems = validate_task(task, kind)
    assert any(p.startswith(f"{field}: ") and message in p for p in problems), problems


# ------------------------------------------------------------------------------------------------ files


def _valid_tree(root: Path) -> dict[str, Path]:
    doc = make_doc()
    paths = {"documents": write_lines(root / "documents.jsonl", [doc])}
    for i, kind in enumerate(KINDS):
        paths[kind] = write_lines(
            root / "tasks" / "prodigy" / f"{kind}.jsonl", [make_task(kind, doc["id"], task_hash=10 * i + 1)]
        )
    return paths


def test_a_valid_tree_validates_and_every_file_is_found(tmp_path):
    paths = _valid_tree(tmp_path)
    (tmp_path / "tasks" / "labelstudio").mkdir(parents=True)
    (tmp_path / "tasks" / "labelstudio" / "other.jsonl").write_text('{"data": {"text": "x"}}\n')
    result = validate_files([tmp_path])
    assert result.problems == []
    assert {Path(f.path) for f in result.files} == set(paths.values())
    assert all(f.records == 1 for f in result.files)


def test_tasks_are_cross_checked_against_their_documents(tmp_path):
    paths = _valid_tree(tmp_path)
    doc_id = make_doc()["id"]
    shifted = make_task("ner.manual", doc_id, task_hash=99)
    shifted["meta"]["offset"] = 2
    orphan = make_task("ner.manual", "f" * 16, task_hash=98)
    choice = make_task("choice", doc_id, task_hash=97)
    choice["meta"]["span_id"] = "C9"
    write_lines(paths["ner.manual"], [make_task("ner.manual", doc_id), shifted, orphan])
    write_lines(paths["choice"], [choice])
    problems = validate_paths([tmp_path])
    found = {(Path(p.path).name, p.line, p.field) for p in problems}
    assert found == {
        ("ner.manual.jsonl", 2, "meta.offset"),
        ("ner.manual.jsonl", 3, "meta.doc_id"),
        ("choice.jsonl", 1, "meta.span_id"),
    }
    assert all(p.severity == "error" for p in problems)
    # Without the documents there is nothing to compare with: the tasks alone are valid.
    assert validate_paths([paths["ner.manual"].parent]) == []


def test_duplicate_hashes_and_ids_are_reported_with_both_lines(tmp_path):
    doc = make_doc()
    docs = write_lines(tmp_path / "documents.jsonl", [doc, doc])
    task = make_task("ner.manual", doc["id"])
    tasks = write_lines(tmp_path / "ner.manual.jsonl", [task, task])
    problems = validate_paths([docs, tasks])
    assert [(Path(p.path).name, p.line, p.field, p.message) for p in problems] == [
        ("documents.jsonl", 2, "id", f"duplicate document id {doc['id']} (first on line 1)"),
        ("ner.manual.jsonl", 2, "_task_hash", "duplicate _task_hash 7 (first on line 1)"),
    ]


def test_garbage_lines_are_reported_by_line_and_good_lines_still_checked(tmp_path):
    good = orjson.dumps(make_task("ner.manual"))
    bad_span = make_task("ner.manual", task_hash=8)
    bad_span["spans"][1]["start"] = 15
    path = tmp_path / "ner.manual.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + good
        + b'\n{not json\n\n[1, 2]\n"text"\n'
        + orjson.dumps(bad_span)
        + b"\n\xff\xfe garbage\n"
        + b'{"text": 5}\n'
    )
    problems = validate_paths([path])
    lines = [(p.line, p.field) for p in problems]
    assert lines[0] == (1, None) and "byte-order mark" in problems[0].message
    assert (2, None) in lines and "malformed JSON" in problems[1].message
    assert (4, None) in lines and (5, None) in lines
    assert (6, "spans[1]") in lines
    assert (7, None) in lines
    assert any(p.line == 8 and p.field == "text" for p in problems)
    assert all(p.severity == "error" for p in problems)


def test_problem_cap_per_file_counts_the_rest(tmp_path):
    path = tmp_path / "documents.jsonl"
    path.write_text("nope\n" * 30)
    result = validate_files([path], max_problems_per_file=5)
    assert len(result.problems) == 6
    assert result.problems[-1].message == "... and 25 more problems not shown"
    assert result.errors == 30


def test_kind_detection_by_name_then_content(tmp_path):
    assert detect_kind(write_lines(tmp_path / "a" / "rel.manual.jsonl", [{}])) == "rel.manual"
    assert detect_kind(write_lines(tmp_path / "custom.jsonl", [make_task("choice")])) == "choice"
    assert detect_kind(write_lines(tmp_path / "docs.jsonl", [make_doc()])) == "documents"
    answered = {**make_task("ner.manual"), "answer": "accept"}
    assert detect_kind(write_lines(tmp_path / "db-out.jsonl", [answered])) is None
    assert detect_kind(write_lines(tmp_path / "ls.jsonl", [{"data": {"text": "x"}}])) is None


def test_an_explicit_file_of_unknown_kind_is_an_error_but_skipped_inside_folders(tmp_path):
    unknown = write_lines(tmp_path / "notes.jsonl", [{"hello": "world"}])
    problems = validate_paths([unknown])
    assert len(problems) == 1 and "not a known file kind" in problems[0].message
    assert validate_paths([tmp_path]) == []


def test_validate_with_exporter_output(tmp_path):
    """Tasks written by corpus.tasks for every unit validate cleanly against their documents."""
    from corpus.jsonl import write_jsonl
    from corpus.tasks import write_tasks

    doc = make_doc()
    write_jsonl(tmp_path / "documents.jsonl", [doc])
    for unit in ("paragraph", "sentence", "document"):
        written = write_tasks([copy.deepcopy(doc)], tmp_path / "tasks" / unit, fmt="prodigy", unit=unit)
        assert {p.name for p in written} == {f"{k}.jsonl" for k in KINDS}
    result = validate_files([tmp_path])
    assert result.problems == []
    assert len(result.files) == 13


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_valid_tree_exits_zero(tmp_path):
    _valid_tree(tmp_path)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "valid: 5 files, 5 records checked: 0 errors" in result.output


def test_cli_corrupted_copy_fails_with_file_line_and_field(tmp_path):
    paths = _valid_tree(tmp_path)
    doc_id = make_doc()["id"]
    bad = make_task("spans.manual", doc_id, task_hash=12345)
    bad["spans"][0]["end"] = 6  # "Jane D": off the token boundaries
    good = make_task("spans.manual", doc_id, task_hash=21)
    write_lines(paths["spans.manual"], [good, bad])
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    expected = f"error: {paths['spans.manual']}:2: [spans[0]] [0, 6) 'Jane D' is not on token boundaries"
    assert expected in result.output.splitlines()
    assert "Traceback" not in result.output


def test_cli_no_known_files_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no documents, task or annotation files found" in " ".join(result.output.split())


def test_cli_warnings_only_exit_zero(tmp_path):
    doc = make_doc()
    doc["text"] = doc["text"].replace("Monday", "Sunday")
    path = write_lines(tmp_path / "documents.jsonl", [doc])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert f"warning: {path}:1: [id]" in result.output


# ------------------------------------------------------------------------------- Label Studio, doccano, annotations

EMOJI_TEXT = "Zoë 👩\u200d💻 said Acme cut 200 jobs 🇺🇦.\n\nThe mayor of Springfield denied it."


def emoji_doc() -> dict:
    doc = segment_document(new_document(EMOJI_TEXT, "e.txt"))
    t = doc["text"]
    source = add_span(doc, "sources", "SOURCE", 0, 3, "rules@1", 0.9, {"kind": "named_person"})
    content = add_span(doc, "sources", "CONTENT", t.index("Acme"), t.index(" 🇺🇦"), "rules@1", 0.8)
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], "rules@1")
    add_span(doc, "entities", "ORG", t.index("Acme"), t.index("Acme") + 4, "rules@1", 0.8)
    add_span(doc, "claims", "CLAIM", t.index("Acme"), t.index(" 🇺🇦"), "rules@1", 0.7, {"checkworthy": True})
    doc["labellers"] = {layer: "rules@1" for layer in LAYERS}
    return doc


def _tool_tree(tmp_path: Path) -> dict[str, Path]:
    from corpus.jsonl import write_jsonl
    from corpus.tasks import write_tasks

    write_jsonl(tmp_path / "documents.jsonl", [emoji_doc()])
    paths = {}
    for fmt in ("labelstudio", "doccano"):
        for p in write_tasks([emoji_doc()], tmp_path / "tasks" / fmt, fmt, "paragraph"):
            paths[p.name] = p
    return paths


def test_label_studio_and_doccano_exports_validate_and_are_found_by_name(tmp_path):
    paths = _tool_tree(tmp_path)
    result = validate_files([tmp_path])
    assert result.problems == []
    assert {Path(f.path).name: f.kind for f in result.files} == {
        "documents.jsonl": "documents",
        "tasks.json": "labelstudio",
        "relations.jsonl": "doccano.relations",
        "spans.jsonl": "doccano.spans",
        "span-types.json": "doccano.labels",
        "relation-types.json": "doccano.labels",
    }
    assert all(f.records == 2 for f in result.files if f.kind not in ("documents", "doccano.labels"))
    # the doccano offsets really are UTF-16: the emoji before "said" shift them
    first = orjson.loads(paths["relations.jsonl"].read_bytes().splitlines()[0])
    org = next(e for e in first["entities"] if e["label"] == "ORG")
    assert org["start_offset"] == EMOJI_TEXT.index("Acme") + 2


def _first_ls_task(paths: dict[str, Path]) -> dict:
    return orjson.loads(paths["tasks.json"].read_bytes())[0]


def _region(task: dict, label: str) -> dict:
    return next(
        r for r in task["predictions"][0]["result"] if r["type"] == "labels" and r["value"]["labels"] == [label]
    )


LS_CORRUPTIONS: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("end past the text", lambda t: _region(t, "ORG")["value"].update(end=999), "value", "outside the text"),
    ("text differs", lambda t: _region(t, "ORG")["value"].update(text="Acne"), "value.text", "!= text"),
    (
        "duplicate region id",
        lambda t: _region(t, "ORG").update(id=_region(t, "SOURCE")["id"]),
        ".id",
        "duplicate region id",
    ),
    (
        "relation to nowhere",
        lambda t: next(r for r in t["predictions"][0]["result"] if r["type"] == "relation").update(to_id="nope"),
        "to_id",
        "does not exist",
    ),
    (
        "label outside the config",
        lambda t: _region(t, "ORG")["value"].update(labels=["COMPANY"]),
        "labels",
        "is not one of",
    ),
    ("unknown control name", lambda t: _region(t, "ORG").update(from_name="ner"), "from_name", "no <Labels> name"),
    (
        "choice on an entity",
        lambda t: next(r for r in t["predictions"][0]["result"] if r["type"] == "choices").update(
            id=_region(t, "ORG")["id"]
        ),
        ".id",
        "only claims",
    ),
    (
        "relation backwards",
        lambda t: next(r for r in t["predictions"][0]["result"] if r["type"] == "relation").update(
            from_id=_region(t, "CONTENT")["id"], to_id=_region(t, "SOURCE")["id"]
        ),
        "result",
        "must go from",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "field", "message"), LS_CORRUPTIONS, ids=[c[0] for c in LS_CORRUPTIONS])
def test_label_studio_task_corruptions_are_named(tmp_path, name, mutate, field, message):
    task = _first_ls_task(_tool_tree(tmp_path))
    assert validate_task(task, "labelstudio") == []
    mutate(task)
    problems = validate_task(task, "labelstudio")
    assert any(field in p and message in p for p in problems), problems


def test_label_studio_labels_are_checked_against_the_config_beside_the_tasks(tmp_path):
    paths = _tool_tree(tmp_path)
    config = paths["config.xml"]
    config.write_text(config.read_text("utf-8").replace('<Label value="ORG"', '<Label value="COMPANY"'), "utf-8")
    problems = validate_paths([paths["tasks.json"]])
    assert len(problems) == 1 and problems[0].line == 2 and "'ORG' is not a <Label>" in problems[0].message


def test_label_studio_tasks_are_cross_checked_against_documents_with_line_numbers(tmp_path):
    paths = _tool_tree(tmp_path)
    tasks = orjson.loads(paths["tasks.json"].read_bytes())
    tasks[1]["data"]["offset"] += 1
    paths["tasks.json"].write_text("[\n" + ",\n".join(orjson.dumps(t).decode() for t in tasks) + "\n]\n", "utf-8")
    problems = validate_paths([tmp_path])
    assert [(Path(p.path).name, p.line, p.field) for p in problems] == [("tasks.json", 3, "data.offset")]


def test_broken_tasks_json_is_one_problem(tmp_path):
    bad = tmp_path / "tasks.json"
    bad.write_text('{"data": {}}', "utf-8")
    assert [p.message for p in validate_paths([bad])][0].startswith("not a JSON array")
    bad.write_text('[\n{"data": 1},\n{broken\n]', "utf-8")
    problems = validate_paths([bad])
    assert [(p.line, "malformed JSON" in p.message) for p in problems][-1] == (3, True)


def _first_line(path: Path) -> dict:
    return orjson.loads(path.read_bytes().splitlines()[0])


def test_doccano_offsets_must_be_utf16_code_point_boundaries(tmp_path):
    paths = _tool_tree(tmp_path)
    record = _first_line(paths["relations.jsonl"])
    assert validate_task(record, "doccano.relations") == []
    emoji_at = EMOJI_TEXT.index("👩")
    inside = copy.deepcopy(record)
    inside["entities"][0].update(start_offset=emoji_at + 1, end_offset=emoji_at + 3)
    assert any("surrogate pair" in p for p in validate_task(inside, "doccano.relations"))
    past = copy.deepcopy(record)
    past["entities"][0]["end_offset"] = len(EMOJI_TEXT.encode("utf-16-le")) // 2 + 1
    assert any("outside the text" in p for p in validate_task(past, "doccano.relations"))
    dup = copy.deepcopy(record)
    dup["entities"][1]["id"] = dup["entities"][0]["id"]
    assert any("duplicate entity id" in p for p in validate_task(dup, "doccano.relations"))
    dangling = copy.deepcopy(record)
    dangling["relations"][0]["to_id"] = 99
    assert any("entity 99 does not exist" in p for p in validate_task(dangling, "doccano.relations"))
    unknown = copy.deepcopy(record)
    unknown["entities"][0]["label"] = "COMPANY"
    assert any("entities[0].label" in p for p in validate_task(unknown, "doccano.relations"))
    spans = _first_line(paths["spans.jsonl"])
    assert validate_task(spans, "doccano.spans") == []
    spans["label"][0][:2] = [emoji_at + 1, emoji_at + 3]
    assert any("label[0]" in p and "surrogate pair" in p for p in validate_task(spans, "doccano.spans"))


def test_doccano_files_by_content_and_cross_checked(tmp_path):
    paths = _tool_tree(tmp_path)
    lines = paths["spans.jsonl"].read_bytes().splitlines()
    renamed = tmp_path / "tasks" / "doccano" / "batch-1.jsonl"
    renamed.write_bytes(lines[0] + b"\n")
    assert detect_kind(renamed) == "doccano.spans"
    record = orjson.loads(lines[1])
    record["meta"]["offset"] = 0
    paths["spans.jsonl"].write_bytes(lines[0] + b"\n" + orjson.dumps(record) + b"\n")
    problems = validate_paths([tmp_path])
    assert [(Path(p.path).name, p.line, p.field) for p in problems] == [("spans.jsonl", 2, "meta.offset")]


def test_annotation_records_validate(tmp_path):
    from corpus.annotations import ingest_exports
    from corpus.annotations.ingest import write_annotations

    paths = _tool_tree(tmp_path)
    doc = emoji_doc()
    records, _ = ingest_exports([paths["relations.jsonl"]], {doc["id"]: doc}, lambda p: None, annotator="ann")
    out = write_annotations(tmp_path / "annotations.jsonl", records) and tmp_path / "annotations.jsonl"
    assert detect_kind(out) == "annotations" and validate_paths([out]) == []
    broken = copy.deepcopy(records[0])
    broken["relations"][0]["head"] = "a99"
    broken["answer"] = "maybe"
    assert any("answer" in p for p in validate_task(broken, "annotations"))
    del broken["answer"]
    broken["answer"] = "accept"
    assert any("relations[0].head" in p for p in validate_task(broken, "annotations"))


# --------------------------------------------------------------------------- fast path == jsonschema, every kind

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from corpus.validate import _validator, conforms  # noqa: E402

# Values that sit on the schemas' edges: strict integers (1.0, True), bounds (-1, 2.5 for scores), empty strings,
# enum members of the wrong field, a doc_id-shaped hex string, containers of the wrong shape.
EDGE_VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    0.5,
    2.5,
    "",
    "x",
    "a@b",
    "a @b",
    "E0",
    "PERSON",
    "CLAIM",
    "SOURCE",
    "ATTRIBUTION",
    "entities",
    "claims",
    "labels",
    "relation",
    "choices",
    "right",
    "up",
    "CHECKWORTHY",
    "document",
    "0" * 16,
    "ner_manual",
    [],
    [0],
    [0, 1],
    [0, 1, "ORG"],
    [1, 2, 3],
    {},
    {"start": 0, "end": 1, "ws": True},
    {"kind": "anonymous"},
    {"kind": "alien"},
]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i))


def _mutate(record, path, action, value):
    """Replace the value at ``path``, delete it, or add an extra key / item beside it."""
    record = copy.deepcopy(record)
    if not path:
        return value if action == "replace" else record
    parent = record
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent["extra_field"] = value
    else:
        parent.append(value)
    return record


def _valid_records(tmp_path_factory) -> dict[str, list[dict]]:
    from corpus.annotations import ingest_exports

    root = tmp_path_factory.mktemp("fast")
    paths = _tool_tree(root)
    doc = emoji_doc()
    ls_tasks = orjson.loads(paths["tasks.json"].read_bytes())
    annotations, _ = ingest_exports([paths["relations.jsonl"]], {doc["id"]: doc}, lambda p: None, annotator="ann")
    records = {
        "documents": [make_doc(), doc],
        "labelstudio": ls_tasks,
        "doccano.relations": [orjson.loads(x) for x in paths["relations.jsonl"].read_bytes().splitlines()],
        "doccano.spans": [orjson.loads(x) for x in paths["spans.jsonl"].read_bytes().splitlines()],
        "annotations": annotations,
        "doccano.labels": [
            orjson.loads(paths[name].read_bytes()) for name in ("span-types.json", "relation-types.json")
        ],
    }
    records.update({kind: [make_task(kind)] for kind in KINDS})
    return records


@pytest.fixture(scope="module")
def valid_records(tmp_path_factory):
    return _valid_records(tmp_path_factory)


def test_fast_path_covers_every_schema_and_accepts_valid_records(valid_records):
    assert set(valid_records) == set(SCHEMA_FILES)
    for kind, records in valid_records.items():
        for record in records:
            assert _validator(kind).is_valid(record), kind
            assert conforms(record, kind), kind


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_path_agrees_with_jsonschema_on_corrupted_records(valid_records, data):
    """The compiled schemas accept exactly what jsonschema accepts: never a bad record (that would skip the
    messages and let the semantic checks meet wrong types), and no good one sent needlessly to jsonschema."""
    kind = data.draw(st.sampled_from(sorted(valid_records)))
    record = data.draw(st.sampled_from(valid_records[kind]))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(record))))
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        record = _mutate(record, path, action, data.draw(st.sampled_from(EDGE_VALUES)))
    assert conforms(record, kind) == _validator(kind).is_valid(record)


def test_messages_for_rejected_records_come_from_jsonschema():
    task = make_task("ner.manual")
    task["tokens"][3]["start"] = 14.0  # 1.0 is no offset
    assert not conforms(task, "ner.manual")
    assert validate_task(task, "ner.manual") == ["tokens[3].start: expected integer, got number"]


def test_cross_checks_over_many_documents_and_two_documents_files(tmp_path):
    """Documents wait on disk (flat memory): every task still finds its own document, wherever it is."""
    base = make_doc()
    docs = []
    for n in range(300):
        doc = copy.deepcopy(base)
        doc["id"] = f"{n:016x}"
        docs.append(doc)
    first = write_lines(tmp_path / "a" / "documents.jsonl", docs[:200] + [docs[5]])  # a repeat in the same file
    second = write_lines(tmp_path / "b" / "documents.jsonl", docs[150:])  # overlaps the first: not a duplicate
    tasks = [make_task("ner.manual", d["id"], task_hash=n) for n, d in enumerate(reversed(docs))]
    tasks[10]["meta"]["offset"] = 3  # not the document's text there
    tasks[20]["meta"]["doc_id"] = "e" * 16  # in neither documents file
    path = write_lines(tmp_path / "ner.manual.jsonl", tasks)
    problems = [
        p
        for p in validate_files([first, second, path], max_problems_per_file=10_000).problems
        # made-up ids do not hash the text: not what this test is about
        if not (p.field == "id" and "duplicate" not in p.message)
    ]
    assert [(Path(p.path).name, p.line, p.field) for p in problems] == [
        ("documents.jsonl", 201, "id"),
        ("ner.manual.jsonl", 11, "meta.offset"),
        ("ner.manual.jsonl", 21, "meta.doc_id"),
    ]
    assert "first on line 6" in problems[0].message and str(first) == problems[0].path


_TOKEN_TEXT = "Jane  Doe said: 5 jobs.\n\nOk 👩‍💻"


def _task_tokens(text: str) -> list[dict]:
    import re

    words = list(re.finditer(r"\w+|[^\w\s]+", text))
    return [
        {"text": m.group(), "start": m.start(), "end": m.end(), "id": i, "ws": m.end() < len(text)}
        for i, m in enumerate(words)
    ]


_TOKEN_MUTATIONS: dict[str, Callable[[list[dict]], object]] = {
    "none": lambda t: None,
    "id": lambda t: t[2].update(id=5),
    "bool id": lambda t: t[1].update(id=True),
    "start": lambda t: t[3].update(start=t[3]["start"] - 1),
    "end past text": lambda t: t[-1].update(end=len(_TOKEN_TEXT) + 1),
    "empty": lambda t: t[2].update(end=t[2]["start"]),
    "overlap": lambda t: t[2].update(start=t[1]["start"]),
    "text": lambda t: t[0].update(text="June"),
    "dropped": lambda t: (t.pop(3), [tok.update(id=i) for i, tok in enumerate(t)]),
    "no ws": lambda t: t[0].pop("ws"),
    "not a dict": lambda t: t.__setitem__(0, ["Jane", 0, 4]),
    "extra key": lambda t: t[0].update(extra=1),
}


@pytest.mark.parametrize("name", list(_TOKEN_MUTATIONS))
def test_the_token_shortcut_passes_only_tokens_the_full_checks_pass(name):
    """prodigy.checks.tokens_fine (the build's once-per-unit check, and validate's shortcut) says fine only when
    the schema's token $def and the per-token checks find nothing."""
    from corpus.formats.prodigy.checks import _tokens_ok, tokens_fine
    from corpus.records import check_tiling
    from corpus.validate.schemas import load_schema

    tokens = _task_tokens(_TOKEN_TEXT)
    _TOKEN_MUTATIONS[name](tokens)
    token_schema = {"$defs": load_schema("ner.manual")["$defs"], "type": "array", "items": {"$ref": "#/$defs/token"}}
    schema_ok = Draft202012Validator(token_schema).is_valid(tokens) and all(
        type(t.get(k)) is int for t in tokens if isinstance(t, dict) for k in ("start", "end", "id")
    )
    out: list = []
    full_ok = (
        schema_ok
        and _tokens_ok(_TOKEN_TEXT, tokens, out)
        and not check_tiling(_TOKEN_TEXT, [(t["start"], t["end"]) for t in tokens], "tokens", out)
        and not out
    )
    assert tokens_fine(_TOKEN_TEXT, tokens) == full_ok
    assert full_ok == (name in ("none", "extra key"))


_SPACE_TEXTS = [
    "a\u00a0b\u2003c d",
    "x\x1cy z",
    "a\u200bb c",
    "New York is big",
    "tab\there\nnew\r\nline",
    " lead trail ",
]


def _tokens_of(text: str, merge: bool, drop: bool) -> tuple[list[dict], bool]:
    """The text's words as tokens (two merged into one over a space, or one dropped), and whether one was dropped."""
    import re

    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if merge and len(spans) > 1:  # one token over a space: allowed, the space is inside it
        spans[:2] = [(spans[0][0], spans[1][1])]
    dropped = drop and len(spans) > 1
    if dropped:  # a word in no token: a gap that is not all space
        spans.pop(1)
    tokens = [
        {"text": text[s:e], "start": s, "end": e, "id": i, "ws": e < len(text) and text[e].isspace()}
        for i, (s, e) in enumerate(spans)
    ]
    return tokens, dropped


@pytest.mark.parametrize("text", _SPACE_TEXTS)
@pytest.mark.parametrize("merge", [False, True])
@pytest.mark.parametrize("drop", [False, True])
def test_the_token_shortcut_counts_spaces_as_the_tiling_check_does(text, merge, drop):
    """tokens_fine's gap test (as many non-space characters in the text as in its tokens) agrees with
    check_tiling on unusual spaces (no-break, em, file separator, zero-width: not a space) and spaced tokens."""
    from corpus.formats.prodigy.checks import tokens_fine
    from corpus.records import check_tiling

    tokens, dropped = _tokens_of(text, merge, drop)
    out: list = []
    check_tiling(text, [(t["start"], t["end"]) for t in tokens], "tokens", out)
    assert tokens_fine(text, tokens) == (not out)
    assert bool(out) == dropped
