"""The build's checks take the renderer's own objects instead of re-parsing the bytes it just wrote, only where
``orjson.dumps(object)`` is those bytes, and only to confirm that a task passes: objects that disagree with the
bytes (or a task they do not prove fine) are parsed, so the build still reports what `corpus validate` does.
The objects never leave the worker (they are not pickled)."""

from __future__ import annotations

import math
import pickle

import orjson
from conftest import build, read_records, write_articles
from test_build_validation import ALL_FORMATS, _assert_same_as_validate

from corpus.formats import FORMATS
from corpus.pipeline.records import task_record
from corpus.pipeline.shards import Renderer
from corpus.tasks import RenderedDocument, render_formats
from corpus.validate.build_checks import ShardChecker


def _documents(tmp_path, n: int = 3) -> list[dict]:
    out = tmp_path / "built"
    build(write_articles(tmp_path / "in", n), out, formats=ALL_FORMATS)
    docs = read_records(out / "documents.jsonl")
    for doc in docs:
        task_record(doc)
    return docs


def _found(docs: list[dict], rendered: list[dict[str, RenderedDocument]], with_objects: bool) -> list[tuple]:
    checker = ShardChecker()
    for doc, by_format in zip(docs, rendered, strict=True):
        for fmt, done in by_format.items():
            checker.rendered(doc, fmt, done.items, done.objects if with_objects else None)
    return checker.checks.found


def test_objects_are_kept_for_the_checks_and_agree_with_parsing(tmp_path):
    docs = _documents(tmp_path)
    rendered = [render_formats(doc, ALL_FORMATS, objects=True) for doc in docs]
    assert all(r["prodigy"].objects and r["labelstudio"].objects for r in rendered)
    assert all(r["doccano"].objects is None for r in rendered)  # its lines are ASCII-escaped: parsed
    plain = [render_formats(doc, ALL_FORMATS) for doc in docs]
    assert [{f: (r.items, r.objects) for f, r in by.items()} for by in plain] == [
        {f: (r.items, None) for f, r in by.items()} for by in rendered
    ]  # the same bytes; objects only when asked for
    assert _found(docs, rendered, True) == _found(docs, rendered, False) == []


def test_objects_are_not_pickled(tmp_path):
    docs = _documents(tmp_path, 1)
    done = render_formats(docs[0], ALL_FORMATS, objects=True)["prodigy"]
    copy = pickle.loads(pickle.dumps(done))
    assert done.objects and copy.objects is None
    assert copy.items == done.items and copy.problems == done.problems and copy.stats == done.stats
    renderer = Renderer((tuple(ALL_FORMATS), "paragraph", True))
    renderer.add(docs[0], orjson.dumps(docs[0]))
    assert all(r.objects is None for tasks in renderer.tasks.values() for r in tasks)  # dropped once checked


def test_objects_that_disagree_with_the_bytes_are_not_taken(tmp_path):
    """Objects made wrong after rendering (a token id, a region, a head's offset): the bytes are right, so
    nothing is found; and objects that look fine for bytes made wrong: what parsing finds is found."""
    docs = _documents(tmp_path)
    rendered = [render_formats(doc, ALL_FORMATS, objects=True) for doc in docs]
    for by_format in rendered:
        for key, value in by_format["prodigy"].objects.items():
            if type(value) is list and len(value) > 1:  # a token list
                by_format["prodigy"].objects[key] = [{**value[0], "id": 7}, *value[1:]]
            elif type(value) is tuple:  # a head: (text, meta)
                by_format["prodigy"].objects[key] = (value[0], {**value[1], "offset": value[1]["offset"] + 1})
        for task in by_format["labelstudio"].objects:
            task["predictions"] = []
    assert _found(docs, rendered, True) == []
    broken = [render_formats(doc, ALL_FORMATS, objects=True) for doc in docs]
    for by_format in broken:
        done = by_format["prodigy"]
        done.items = done.items._replace(pieces=done.items.pieces.replace(b'"id":1,', b'"id":7,'))
        ls = by_format["labelstudio"]
        ls.items = [(i, line.replace(b'"start":', b'"start":-')) for i, line in ls.items]
    found = _found(docs, broken, True)
    assert found and found == _found(docs, broken, False)
    assert {f[0] for f in found} >= {"tasks/prodigy/ner.manual.jsonl", "tasks/labelstudio/tasks.json"}


def test_a_nan_in_an_object_is_checked_as_the_null_written(tmp_path):
    """JSON has no NaN: an object holding one encodes to null, so it is the bytes (null) that are checked."""
    docs = _documents(tmp_path)
    rendered = [render_formats(doc, ["labelstudio"], objects=True) for doc in docs]
    for by_format in rendered:
        done = by_format["labelstudio"]
        for task in done.objects:
            for prediction in task["predictions"]:
                prediction["score"] = math.nan
        done.items = [(0, orjson.dumps(task)) for task in done.objects]
    found = _found(docs, rendered, True)
    assert found and found == _found(docs, rendered, False)


def test_a_renderer_whose_objects_disagree_with_its_bytes_is_caught_as_validate_would(tmp_path, monkeypatch):
    """In a build: Prodigy and Label Studio renders whose bytes are broken (a token id, a span's label) while the
    objects they hand over are the unbroken ones; the build reports exactly what `corpus validate` reports."""
    for fmt, old, new in (("prodigy", b'"id":2,', b'"id":9,'), ("labelstudio", b'"labels":["', b'"labels":["X')):
        package = FORMATS[fmt].package()

        def render(doc, unit, report=None, stats=None, _original=package.render, _fmt=fmt, _old=old, _new=new, **kw):
            items = _original(doc, unit, report, stats, **kw)
            assert kw.get("objects")  # the build asks for them
            if _fmt == "prodigy":
                return items._replace(pieces=items.pieces.replace(_old, _new))
            return [(i, line.replace(_old, _new)) for i, line in items]

        monkeypatch.setattr(package, "render", render)
    src = write_articles(tmp_path / "in", 4)
    out = tmp_path / "out"
    result, reporter = build(src, out, formats=ALL_FORMATS)
    expected = _assert_same_as_validate(reporter, out)
    assert result.invalid > 0 and {row[0].split("/tasks/")[-1].split("/")[0] for row in expected} == {
        "prodigy",
        "labelstudio",
    }
