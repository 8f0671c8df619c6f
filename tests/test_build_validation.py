"""The build's validate phase: checks made in the workers (corpus.validate.build_checks), reported like `corpus
validate` (same files, lines, fields, messages), and the writer guarantees that make re-reading the files needless.

Each test builds its own articles (conftest's writers and test labellers) and compares what the build reported
with what a full, independent `corpus validate` says about the same outputs.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import orjson
import pytest
from conftest import TEST_BACKENDS, build, read_records, write_articles

from corpus.document import add_span, clear_layer
from corpus.formats import FORMATS
from corpus.prelabel.registry import _REGISTRY, register
from corpus.tasks import TaskStats, open_task_writer, render_document
from corpus.validate import validate_paths

ALL_FORMATS = ["prodigy", "labelstudio", "doccano"]


def _checked_files(out: Path) -> list[Path]:
    """The files the build checks, in the order it reports them: documents, each format's task files by name,
    then the label files."""
    files = [out / "documents.jsonl"]
    for fmt in ALL_FORMATS:
        files += [out / "tasks" / fmt / name for name in sorted(FORMATS[fmt].kinds)]
    return files + [out / "tasks" / "doccano" / name for name in FORMATS["doccano"].label_kinds]


def _rows(problems) -> list[tuple]:
    return [(p.path, p.line, p.field, p.message, p.severity) for p in problems]


def _output_problems(reporter, out: Path) -> list[tuple]:
    """What the build reported about its outputs (not about its input articles)."""
    return [row for row in _rows(reporter.problems) if row[0].startswith(str(out))]


def _assert_same_as_validate(reporter, out: Path) -> list[tuple]:
    expected = _rows(validate_paths(_checked_files(out)))
    assert _output_problems(reporter, out) == expected
    return expected


# --- a labeller that gets offsets wrong ---------------------------------------------------------------------------


class _BadOffsets:
    """Entities: a span starting one character into each capitalised word (off token boundaries), and one whose
    text is not the text at its offsets; in the first article, a NaN score (JSON writes it as null)."""

    name, version, layer = "badoffsets", "1", "entities"

    def __call__(self, doc: dict) -> dict:
        clear_layer(doc, "entities")
        text = doc["text"]
        words = [t for t in doc["tokens"] if text[t["start"] : t["end"]].istitle() and t["end"] - t["start"] > 3]
        for tok in words[:2]:
            add_span(doc, "entities", "PERSON", tok["start"] + 1, tok["end"], "badoffsets@1", 0.5)
        if words:
            tok = words[-1]
            add_span(doc, "entities", "ORG", tok["start"], tok["end"], "badoffsets@1", 0.5)
            doc["spans"][-1]["text"] = "not the text"
            if str(doc.get("origin")).endswith("article_0000.txt"):
                doc["spans"][0]["score"] = math.nan  # a schema error: the other checks are skipped for it
        doc["labellers"]["entities"] = "badoffsets@1"
        return doc


if ("entities", "badoffsets") not in _REGISTRY:
    register("entities", "badoffsets")(lambda arg=None: _BadOffsets())


def test_a_labeller_with_wrong_offsets_makes_the_build_invalid_as_validate_would(tmp_path):
    src = write_articles(tmp_path / "in", 6)
    out = tmp_path / "out"
    result, reporter = build(src, out, backends={**TEST_BACKENDS, "entities": "badoffsets"}, formats=ALL_FORMATS)
    expected = _assert_same_as_validate(reporter, out)
    assert result.invalid == sum(1 for row in expected if row[4] == "error") > 0
    messages = [row[3] for row in expected if row[0].endswith("documents.jsonl")]
    assert any("is not on token boundaries" in m for m in messages)
    assert any("!= text[" in m for m in messages)
    assert any(m == "expected number, got null" for m in messages)  # NaN in the object, null once written
    assert {row[1] for row in expected if row[0].endswith("documents.jsonl")} <= set(range(1, 7))


def test_the_cli_exits_with_failure_on_an_invalid_build(tmp_path):
    from typer.testing import CliRunner

    from corpus.cli import app

    src = write_articles(tmp_path / "in", 3)
    args = ["build", str(src), "--out", str(tmp_path / "out"), "--allow-outside", "--format", "prodigy"]
    for layer, backend in {**TEST_BACKENDS, "entities": "badoffsets"}.items():
        args += ["--backend", f"{layer}={backend}"]
    outcome = CliRunner().invoke(app, [*args, "--no-dataset"])
    assert outcome.exit_code != 0
    assert "validation failed" in outcome.output


# --- a renderer that gets a task wrong ----------------------------------------------------------------------------


def _corrupt_prodigy(monkeypatch) -> None:
    """Prodigy's render, with token 1's id wrong in every token list (the same length, so the packing holds)."""
    package = FORMATS["prodigy"].package()
    original = package.render

    def render(doc, unit, report=None, stats=None, **kwargs):
        packed = original(doc, unit, report, stats, **kwargs)
        return packed._replace(pieces=packed.pieces.replace(b'"id":1,', b'"id":7,'))

    monkeypatch.setattr(package, "render", render)


def _corrupt_labelstudio(monkeypatch) -> None:
    """Label Studio's render, with the first region of each document's first task one character off."""
    package = FORMATS["labelstudio"].package()
    original = package.render

    def render(doc, unit, report=None, stats=None, **kwargs):
        items = original(doc, unit, report, stats, **kwargs)
        for n, (file_index, line) in enumerate(items):
            task = orjson.loads(line)
            regions = [r for r in task["predictions"][0]["result"] if r["type"] == "labels"]
            if regions:
                regions[0]["value"]["start"] += 1
                items[n] = (file_index, orjson.dumps(task))
                break
        return items

    monkeypatch.setattr(package, "render", render)


@pytest.mark.parametrize("corrupt", [_corrupt_prodigy, _corrupt_labelstudio])
def test_a_renderer_bug_is_caught_by_the_build_as_validate_would(tmp_path, monkeypatch, corrupt):
    src = write_articles(tmp_path / "in", 5)
    corrupt(monkeypatch)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=ALL_FORMATS)
    expected = _assert_same_as_validate(reporter, out)
    assert result.invalid == sum(1 for row in expected if row[4] == "error") > 0
    assert not any(row[0].endswith("documents.jsonl") for row in expected)  # the documents are fine


def test_a_wrong_offset_in_one_view_of_a_unit_is_reported_though_its_other_view_is_fine(tmp_path, monkeypatch):
    """The document reference a unit's views share is checked once per (doc_id, offset, text) found fine: a
    view that names another offset (doccano's spans task here; its relations task is fine) is still checked."""
    package = FORMATS["doccano"].package()
    original = package.render
    spans_file = FORMATS["doccano"].files.index("spans.jsonl")

    def render(doc, unit, report=None, stats=None, **kwargs):
        items = original(doc, unit, report, stats, **kwargs)
        for n, (file_index, line) in enumerate(items):
            task = orjson.loads(line)
            if file_index == spans_file and task["meta"]["offset"] > 0:
                task["meta"]["offset"] -= 1
                items[n] = (file_index, orjson.dumps(task) + b"\n")
        return items

    monkeypatch.setattr(package, "render", render)
    src = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=ALL_FORMATS)
    expected = _assert_same_as_validate(reporter, out)
    offsets = [row for row in expected if row[2] == "meta.offset"]
    assert offsets and all(row[0].endswith("spans.jsonl") for row in offsets)
    assert result.invalid == len(expected)


def test_a_wrong_offset_in_a_prodigy_head_is_reported_on_every_view_that_shares_it(tmp_path, monkeypatch):
    """The build checks a Prodigy head's document reference once for the views sharing it (ner, spans, rel):
    each of them still reports it, and on every line, as `corpus validate` does."""
    package = FORMATS["prodigy"].package()
    original = package.render

    def shift(match: re.Match) -> bytes:  # one digit changed: the same length, so the packing holds
        digits = match.group(1)
        return b'"offset":' + digits[:-1] + str((int(digits[-1:]) + 1) % 10).encode()

    def render(doc, unit, report=None, stats=None, **kwargs):
        packed = original(doc, unit, report, stats, **kwargs)
        return packed._replace(pieces=re.sub(rb'"offset":(\d+)', shift, packed.pieces))

    monkeypatch.setattr(package, "render", render)
    src = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=ALL_FORMATS)
    expected = _assert_same_as_validate(reporter, out)
    for name in ("ner.manual.jsonl", "spans.manual.jsonl", "rel.manual.jsonl", "choice.jsonl"):
        lines = len((out / "tasks" / "prodigy" / name).read_bytes().splitlines())
        reported = {row[1] for row in expected if row[0].endswith(name) and row[2] == "meta.offset"}
        assert lines and reported == set(range(1, lines + 1)), name
    assert result.invalid == len(expected)


def test_a_line_that_is_not_json_is_reported_as_validate_reports_it(tmp_path, monkeypatch):
    """doccano's render with every spans line cut short: malformed JSON, with `corpus validate`'s message."""
    package = FORMATS["doccano"].package()
    original = package.render
    spans_file = FORMATS["doccano"].files.index("spans.jsonl")

    def render(doc, unit, report=None, stats=None, **kwargs):
        items = original(doc, unit, report, stats, **kwargs)
        return [(i, line[:-3] + b"\n" if i == spans_file else line) for i, line in items]

    monkeypatch.setattr(package, "render", render)
    src = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=["doccano"])
    found = _output_problems(reporter, out)
    assert found and all(row[0].endswith("spans.jsonl") and row[3].startswith("malformed JSON (") for row in found)
    assert found == _rows(validate_paths([out / "tasks" / "doccano" / "spans.jsonl"]))


def test_a_bad_token_list_is_reported_on_every_task_that_shows_it(tmp_path, monkeypatch):
    """A unit's tokens are checked once, yet every task (ner, spans, rel) that carries them is reported."""
    src = write_articles(tmp_path / "in", 2)
    _corrupt_prodigy(monkeypatch)
    out = tmp_path / "out"
    result, reporter = build(src, out)
    problems = _output_problems(reporter, out)
    for name in ("ner.manual.jsonl", "spans.manual.jsonl", "rel.manual.jsonl"):
        lines = len((out / "tasks" / "prodigy" / name).read_bytes().splitlines())
        reported = {row[1] for row in problems if row[0].endswith(name) and row[2] == "tokens[1].id"}
        assert reported == set(range(1, lines + 1))


def test_the_per_file_cap_and_its_summary_line_match_validate(tmp_path, monkeypatch):
    src = write_articles(tmp_path / "in", 40)
    _corrupt_prodigy(monkeypatch)
    out = tmp_path / "out"
    result, reporter = build(src, out)
    expected = _rows(validate_paths(_checked_files(out)[:5]))
    assert _output_problems(reporter, out) == expected
    assert any(row[3].startswith("... and ") for row in expected)


# --- a normal build ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_normal_build_is_valid_and_validate_agrees(tmp_path, workers):
    src = write_articles(tmp_path / "in", 30)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=ALL_FORMATS, workers=workers)
    assert result.invalid == 0 and result.stats.documents == 30
    assert validate_paths([out]) == []
    assert _output_problems(reporter, out) == []
    assert result.timings["validate"] < 1.0  # nothing is read back


def test_resumed_shards_are_checked_too(tmp_path):
    src = write_articles(tmp_path / "in", 20)
    out = tmp_path / "out"
    build(src, out, backends={**TEST_BACKENDS, "entities": "badoffsets"})
    result, reporter = build(src, out, backends={**TEST_BACKENDS, "entities": "badoffsets"}, resume=True, force=True)
    assert result.cached_shards == result.shards > 0
    expected = _rows(validate_paths(_checked_files(out)[:5]))
    assert _output_problems(reporter, out) == expected and result.invalid > 0


def test_no_validate_checks_nothing(tmp_path):
    src = write_articles(tmp_path / "in", 4)
    result, reporter = build(
        src, tmp_path / "out", backends={**TEST_BACKENDS, "entities": "badoffsets"}, validate=False
    )
    assert result.invalid == 0 and "validate" not in result.timings


# --- what the writers guarantee (not re-checked by the build) -------------------------------------------------------


def test_the_prodigy_writer_makes_hashes_unique_and_writes_one_task_a_line_in_order(tmp_path):
    src = write_articles(tmp_path / "in", 3)
    built = tmp_path / "built"
    build(src, built)
    docs = read_records(built / "documents.jsonl")
    stats = TaskStats()
    writer = open_task_writer(tmp_path / "tasks", "prodigy", stats)
    for doc in [*docs, docs[0], docs[0]]:  # the same units again: the same plain hashes
        writer.add(render_document(doc, "prodigy").items)
    paths = writer.close()
    order = [d["id"] for d in docs] + [docs[0]["id"]] * 2
    input_hashes: dict[int, tuple] = {}
    for path in paths:
        lines = path.read_bytes().split(b"\n")
        assert lines[-1] == b"" and all(lines[:-1])  # one JSON object a line, newline-terminated
        tasks = [orjson.loads(line) for line in lines[:-1]]
        task_hashes = [t["_task_hash"] for t in tasks]
        assert len(set(task_hashes)) == len(task_hashes)  # unique within the file, repeats re-hashed
        for t in tasks:
            unit = (t["meta"]["doc_id"], t["meta"]["unit_index"], t["meta"]["offset"], t["text"])
            input_hashes.setdefault(t["_input_hash"], unit)
        in_file = [t["meta"]["doc_id"] for t in tasks]
        assert _runs(in_file) == _runs([d for d in order if d in set(in_file)])  # documents in the order added
    assert stats.hash_collisions > 0  # the repeats were re-hashed, not written twice


def _runs(ids: list[str]) -> list[str]:
    """``ids`` with consecutive repeats collapsed."""
    return [d for i, d in enumerate(ids) if i == 0 or ids[i - 1] != d]


def test_the_labelstudio_writer_writes_one_json_array_one_task_a_line(tmp_path):
    src = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out"
    build(src, out, formats=["labelstudio"])
    raw = (out / "tasks" / "labelstudio" / "tasks.json").read_bytes()
    lines = raw.split(b"\n")
    assert lines[0] == b"[" and lines[-2:] == [b"]", b""]
    body = lines[1:-2]
    tasks = orjson.loads(raw)
    assert len(body) == len(tasks) and [orjson.loads(line.removesuffix(b",")) for line in body] == tasks


def test_a_renderer_that_breaks_the_one_task_a_line_framing_is_caught(tmp_path, monkeypatch):
    """doccano's render without its line ends: two tasks on one line, which `corpus validate` calls malformed."""
    package = FORMATS["doccano"].package()
    original = package.render

    def render(doc, unit, report=None, stats=None, **kwargs):
        items = original(doc, unit, report, stats, **kwargs)
        return [(file_index, line.rstrip(b"\n")) for file_index, line in items]

    monkeypatch.setattr(package, "render", render)
    src = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=["doccano"])
    found = _output_problems(reporter, out)
    assert result.invalid > 0 and found
    assert all(row[0].endswith(("relations.jsonl", "spans.jsonl")) and "malformed JSON" in row[3] for row in found)
    assert validate_paths([out / "tasks" / "doccano" / "relations.jsonl"])  # validate agrees the file is broken
