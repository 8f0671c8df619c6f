"""The table of tool formats: every part of the project (CLI, tasks, validate, ingest) reads its tools from it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import add_relation, add_span, new_document
from corpus.formats import FORMAT_NAMES, FORMATS, export_format, format_of_kind, tool_format
from corpus.formats.exports import record_format
from corpus.segment.core import segment_document
from corpus.tasks import write_tasks
from corpus.validate import FILE_NAMES, SCHEMA_DIR, SCHEMA_FILES, detect_kind, validate_files

runner = CliRunner()
TOOL_API = (
    "fine_arrays",
    "render",
    "Writer",
    "check",
    "records",
    "kind_of_record",
    "file_context",
    "task_meta",
    "is_export",
    "task_key",
)


def small_doc() -> dict:
    doc = segment_document(new_document("The minister said prices rose 4% in Lyon last year.", "t.txt"))
    add_span(doc, "entities", "GPE", 36, 40, "rules@1", 0.9)
    source = add_span(doc, "sources", "SOURCE", 0, 12, "rules@1", 0.9, {"kind": "named_person"})
    cue = add_span(doc, "sources", "CUE", 13, 17, "rules@1", 0.9)
    content = add_span(doc, "sources", "CONTENT", 18, 50, "rules@1", 0.9)
    add_relation(doc, "ATTRIBUTION", source["id"], content["id"], "rules@1")
    add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    add_span(doc, "claims", "CLAIM", 18, 50, "rules@1", 0.8, {"checkworthy": True})
    doc["labellers"] = {"entities": "rules@1", "sources": "rules@1", "claims": "rules@1"}
    return doc


def test_one_table_in_a_fixed_order():
    assert FORMAT_NAMES == ("prodigy", "labelstudio", "doccano") == tuple(FORMATS)
    assert all(name == tool.name for name, tool in FORMATS.items())
    with pytest.raises(KeyError, match="choose from prodigy, labelstudio, doccano"):
        tool_format("brat")


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_tool_package_has_the_whole_interface(name):
    package = FORMATS[name].package()
    missing = [attr for attr in TOOL_API if not callable(getattr(package, attr, None))]
    assert not missing, f"{name} lacks {missing}"


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_writer_writes_the_files_the_table_lists_and_validate_knows_them(tmp_path, name):
    tool = FORMATS[name]
    paths = write_tasks([small_doc()], tmp_path, name, "sentence")
    assert tuple(p.name for p in paths) == tool.files
    for file_name, kind in {**tool.kinds, **tool.label_kinds}.items():
        assert FILE_NAMES[file_name] == kind and detect_kind(tmp_path / file_name) == kind
        assert format_of_kind(kind) is tool
        assert (SCHEMA_DIR / SCHEMA_FILES[kind]).is_file()
    result = validate_files([tmp_path])
    assert result.ok, [str(p) for p in result.problems]
    assert {f.kind for f in result.files} == set(tool.kinds.values()) | set(tool.label_kinds.values())


def test_cli_choices_and_help_come_from_the_table(tmp_path):
    docs = tmp_path / "documents.jsonl"
    docs.write_text(json.dumps(small_doc()) + "\n", "utf-8")
    wrong = runner.invoke(app, ["tasks", str(docs), "-f", "brat", "-o", str(tmp_path / "t"), "--allow-outside"])
    assert wrong.exit_code == 2 and "choose from prodigy, labelstudio, doccano" in wrong.output
    help_text = runner.invoke(app, ["tasks", "--help"]).output
    assert all(name in help_text for name in FORMAT_NAMES)
    validate_help = runner.invoke(app, ["validate", "--help"]).output
    assert all(tool.title in validate_help for tool in FORMATS.values())


def exports() -> dict[str, dict]:
    """One exported item of each tool, as the tools write them (shapes only)."""
    return {
        "prodigy": {"text": "a b", "spans": [], "answer": "accept", "_task_hash": 1, "_input_hash": 2},
        "labelstudio": {"id": 1, "data": {"text": "a b"}, "annotations": []},
        "doccano": {"id": 3, "text": "a b", "entities": [], "relations": []},
    }


def test_each_export_is_claimed_by_exactly_one_tool():
    for name, item in exports().items():
        claims = [tool.name for tool in FORMATS.values() if tool.package().is_export(item)]
        assert claims == [name] and record_format(item) == name
    # a Label Studio task that happens to carry a Prodigy key is still Label Studio's; text alone is nobody's
    assert record_format({"data": {"text": "x"}, "_task_hash": 1}) == "labelstudio"
    assert record_format({"text": "x"}) is None and record_format(["x"]) is None


def test_the_file_form_decides_when_the_first_record_does_not_fit_it():
    items = exports()
    assert export_format("array", items["doccano"]) == "doccano"
    assert export_format("lines", items["doccano"]) == "doccano"
    assert export_format("array", items["prodigy"]) == "labelstudio"  # Prodigy never exports an array
    assert export_format("lines", items["labelstudio"]) == "prodigy"  # nor Label Studio lines
    assert export_format("lines", None) == "prodigy" and export_format("array", None) == "labelstudio"


def test_a_task_file_under_another_name_is_told_by_its_first_record(tmp_path):
    written = write_tasks([small_doc()], tmp_path / "t", "prodigy", "sentence")
    rel = next(p for p in written if p.name == "rel.manual.jsonl")
    renamed = tmp_path / "batch-7.jsonl"
    renamed.write_bytes(rel.read_bytes())
    assert detect_kind(renamed) == "rel.manual"
    doccano = write_tasks([small_doc()], tmp_path / "d", "doccano", "sentence")
    spans = tmp_path / "batch-8.jsonl"
    spans.write_bytes(doccano[1].read_bytes())
    assert detect_kind(spans) == "doccano.spans"


def _awkward_docs() -> list[dict]:
    """Documents that make cutting report things: a span off token boundaries, a relation to it, a paragraph
    without spans, emoji and accents, and one document with no tokens at all."""
    doc = small_doc()
    doc["spans"].append(
        {"id": "X9", "layer": "entities", "label": "GPE", "start": 37, "end": 40, "text": "yon", "attrs": {}}
    )
    doc["relations"].append({"id": "R9", "label": "ATTRIBUTION", "head": "X9", "child": "S1"})
    text = "Zoë said 😀 prices rose in Łódź.\n\nNothing here.\n\nThe 🇺🇦 mayor of Kyiv spoke."
    emoji = segment_document(new_document(text, "e.txt"))
    start = text.index("Łódź")
    add_span(emoji, "entities", "GPE", start, start + 4, "rules@1", 0.9)
    add_span(emoji, "claims", "CLAIM", 0, text.index("\n"), "rules@1", 0.6, {"checkworthy": False})
    bare = new_document("No tokens were made for this text.", "bare.txt")
    return [doc, emoji, bare]


@pytest.mark.parametrize("unit", ["paragraph", "sentence", "document"])
def test_render_formats_equals_one_format_at_a_time(unit):
    """Cutting the units once for every format gives each format what rendering it alone gives: the same items,
    problems (in order) and counts."""
    from corpus.tasks import TaskStats, render_formats

    for doc in _awkward_docs():
        together = render_formats(doc, FORMAT_NAMES, unit)
        assert list(together) == list(FORMAT_NAMES)
        for fmt in FORMAT_NAMES:
            problems, stats = [], TaskStats()  # the format's own render, cutting the units itself
            items = tool_format(fmt).render(doc, unit, problems.append, stats)
            assert together[fmt].items == items, (fmt, unit)
            assert together[fmt].problems == problems
            assert together[fmt].stats == stats
    problems = render_formats(_awkward_docs()[0], FORMAT_NAMES, unit)["doccano"].problems
    assert any("X9" in p.message for p in problems)  # the off-boundary span was reported to every format
