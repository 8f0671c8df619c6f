"""Issue 12, the CLI-wide rules: where every command may write, what its exit code says, one line for a full
disk, and validate's line for a malformed documents.jsonl record. Every test writes its own input."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.errors import EXIT_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from corpus.jsonl import atomic_writer, write_jsonl

runner = CliRunner()

ARTICLE = (
    "Mayor Jane Doe said on Monday that the city would cut 200 jobs.\n\n"
    "The union called the plan a disgrace and promised to fight it in court, its leader said."
)


def one_line(output: str) -> str:
    return " ".join(output.split())  # rich wraps long paths


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    """A real documents.jsonl: two articles ingested, segmented and pre-labelled by `corpus build`."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    (tmp_path / "in" / "b.txt").write_text("Officials in the harbour town confirmed that the ferry will resume.")
    result = runner.invoke(app, ["build", "in", "-o", "built", "--no-dataset", "--no-validate", "-f", "prodigy"])
    assert result.exit_code == EXIT_OK, result.output
    return tmp_path / "built" / "documents.jsonl"


def command_lines(documents: Path, out: str) -> dict[str, list[str]]:
    """Every writing command with its output (``out``) in the place the rule is about."""
    docs, inputs = str(documents), str(documents.parent.parent / "in")
    return {
        "build": ["build", inputs, "-o", out, "--no-dataset"],
        "ingest": ["ingest", inputs, "-o", out],
        "segment": ["segment", docs, "-o", out],
        "prelabel": ["prelabel", docs, "-o", out],
        "tasks": ["tasks", docs, "-o", out],
        "preview": ["preview", docs, "-o", out],
        "publish": ["publish", docs, "-o", out],
        "eval": ["eval", docs, "--predictions", out],
        "annotations ingest": ["annotations", "ingest", docs, "--documents", docs, "-o", out],
        "annotations merge": ["annotations", "merge", docs, "--documents", docs, "-o", out],
    }


FOLDER_OUTPUTS = {"build", "tasks", "preview", "publish"}


# --------------------------------------------------------------------------------------- where commands write


def test_every_writing_command_refuses_an_output_outside_the_working_folder(tmp_path, documents):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    for name, args in command_lines(documents, str(outside / "x")).items():
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_USAGE, (name, result.output)
        assert "outside the project folder" in one_line(result.output) and "--allow-outside" in one_line(
            result.output
        ), name
        assert "Traceback" not in result.output and not outside.exists(), name


def test_allow_outside_lets_a_command_write_there(tmp_path, documents):
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    result = runner.invoke(app, ["tasks", str(documents), "-o", str(outside / "tasks"), "--allow-outside"])
    assert result.exit_code == EXIT_OK, result.output
    assert (outside / "tasks" / "ner.manual.jsonl").is_file()


def test_a_file_where_a_folder_is_expected_and_the_reverse_are_one_line(tmp_path, documents):
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    a_folder = tmp_path / "folder"
    a_folder.mkdir()
    for name, args in command_lines(documents, "taken").items():
        if name in FOLDER_OUTPUTS:
            result = runner.invoke(app, args)
            assert result.exit_code == EXIT_USAGE and "is an existing file" in one_line(result.output), name
    for name, args in command_lines(documents, "folder").items():
        if name not in FOLDER_OUTPUTS:
            result = runner.invoke(app, args)
            assert result.exit_code == EXIT_USAGE and "is an existing folder" in one_line(result.output), name
    assert a_file.read_text() == "keep me" and not any(a_folder.iterdir())


def test_a_path_below_an_existing_file_is_one_line(tmp_path, documents):
    (tmp_path / "taken").write_text("keep me")
    for name, args in command_lines(documents, "taken/child/out").items():
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_USAGE, (name, result.output)
        assert "is a file, not a folder" in one_line(result.output) and "Traceback" not in result.output, name
    assert (tmp_path / "taken").read_text() == "keep me"


def test_an_unwritable_folder_is_one_line(tmp_path, documents, monkeypatch):
    # Tests run as root, who may write anywhere: the permission check itself is what is simulated.
    locked = (tmp_path / "locked").resolve()
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked else real_access(p, mode, **kw))
    for name, args in command_lines(documents, "locked/out").items():
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_USAGE, (name, result.output)
        assert f"folder {locked} is not writable" in one_line(result.output), name
    assert not any(locked.iterdir())


def test_an_output_inside_the_input_folder_is_refused(tmp_path, documents):
    result = runner.invoke(app, ["ingest", "in", "-o", "in/ingested.jsonl"])
    assert result.exit_code == EXIT_USAGE and "inside the input folder" in one_line(result.output)
    assert not (tmp_path / "in" / "ingested.jsonl").exists()


def test_ids_from_documents_never_become_paths(tmp_path, documents):
    """A record whose id tries to climb out is not a document record: nothing is written from its name."""
    record = orjson.loads(documents.read_bytes().splitlines()[0])
    record["id"] = "../../escaped"
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_bytes(documents.read_bytes() + orjson.dumps(record) + b"\n")
    for command in (
        ["tasks", str(hostile), "-o", "t"],
        ["preview", str(hostile), "-o", "p"],
        ["publish", str(hostile), "-o", "d"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == EXIT_PARTIAL, result.output
        assert f"{hostile}:3: [id] '../../escaped' does not match" in one_line(result.output)
    assert not list(tmp_path.parent.glob("escaped*")) and not list(tmp_path.rglob("escaped*"))


# ------------------------------------------------------------------------------------------------ exit codes


def test_exit_codes_are_documented_in_help():
    for args in (["--help"], ["build", "--help"], ["ingest", "--help"], ["tasks", "--help"], ["publish", "--help"]):
        text = one_line(runner.invoke(app, args).output)
        assert "Exit codes: 0 every input used" in text and "3 outputs written but some inputs skipped" in text, args


def test_ingest_and_build_exit_codes_tell_the_truth(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    (tmp_path / "in" / "copy.txt").write_text(ARTICLE)  # a duplicate is reported, not an error
    assert runner.invoke(app, ["ingest", "in", "-o", "ok.jsonl"]).exit_code == EXIT_OK
    assert runner.invoke(app, ["build", "in", "-o", "ok", "--no-dataset"]).exit_code == EXIT_OK
    (tmp_path / "in" / "empty.txt").write_text("")
    for args in (["ingest", "in", "-o", "partial.jsonl"], ["build", "in", "-o", "partial", "--no-dataset"]):
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_PARTIAL and "empty.txt: empty article" in one_line(result.output), args
    assert len((tmp_path / "partial.jsonl").read_bytes().splitlines()) == 1  # the good article was written
    assert (tmp_path / "partial" / "documents.jsonl").is_file()
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "empty.txt").write_text("")
    assert runner.invoke(app, ["ingest", "none", "-o", "none.jsonl"]).exit_code == EXIT_FAILED
    assert runner.invoke(app, ["ingest", "none", "--max-chars", "many"]).exit_code == EXIT_USAGE


def test_an_unexpected_crash_is_one_line_and_its_own_code(tmp_path, monkeypatch):
    import corpus.ingest

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(corpus.ingest, "read_documents", broken)
    monkeypatch.delenv("CORPUS_DEBUG", raising=False)
    (tmp_path / "in").mkdir()
    result = runner.invoke(app, ["ingest", "in", "-o", "x.jsonl"])
    assert result.exit_code == EXIT_INTERNAL and "Traceback" not in result.output
    assert "internal error (ZeroDivisionError: a bug)" in one_line(result.output)
    assert "CORPUS_DEBUG=1" in one_line(result.output)
    monkeypatch.setenv("CORPUS_DEBUG", "1")
    debug = runner.invoke(app, ["ingest", "in", "-o", "x.jsonl"])
    assert isinstance(debug.exception, ZeroDivisionError)  # the traceback is there when asked for


# ------------------------------------------------------------------------------------------------- disk full


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith((".tmp", ".part", ".link")) or p.name.startswith(".staging")
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts
    }


class FullDiskFile:
    """Wraps a writable file: ``write`` fails once ``budget`` bytes were written, as a full disk does."""

    def __init__(self, fh, budget: int):
        self.fh, self.budget = fh, budget

    def write(self, data):
        self.budget -= len(data)
        if self.budget < 0:
            full_disk()
        return self.fh.write(data)

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


class OsWithFullDisk:
    """``corpus.jsonl``'s view of :mod:`os`: files it opens run out of space after ``budget`` bytes."""

    def __init__(self, budget: int):
        self.budget = budget

    def fdopen(self, fd, mode):
        return FullDiskFile(os.fdopen(fd, mode), self.budget)

    def __getattr__(self, name):
        return getattr(os, name)


@pytest.mark.parametrize("budget", [0, 1, 700])  # before, inside and after the first record
def test_disk_full_in_the_jsonl_writer_is_one_line_and_keeps_the_old_output(tmp_path, monkeypatch, budget):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    assert runner.invoke(app, ["ingest", "in", "-o", "out/ingested.jsonl"]).exit_code == EXIT_OK
    before = snapshot(tmp_path / "out")
    (tmp_path / "in" / "b.txt").write_text("A second article, so that the output would change.")
    import corpus.jsonl

    monkeypatch.setattr(corpus.jsonl, "os", OsWithFullDisk(budget))
    result = runner.invoke(app, ["ingest", "in", "-o", "out/ingested.jsonl"])
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output
    assert f"no space left on device while writing {Path('out/ingested.jsonl')}" in one_line(result.output)
    assert snapshot(tmp_path / "out") == before and leftovers(tmp_path) == []


def test_disk_full_in_a_build_keeps_the_previous_build_and_leaves_no_temporaries(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    assert runner.invoke(app, ["build", "in", "-o", "out"]).exit_code == EXIT_OK
    before = snapshot(tmp_path / "out")
    (tmp_path / "in" / "b.txt").write_text("A second article, so that every output would change.")
    import corpus.cache
    import corpus.publish.dataset

    points = {
        "cache shard": (corpus.cache.ShardCache, "put"),
        "staging": (corpus.cache, "commit"),
        "parquet": (corpus.publish.dataset.ConfigWriter, "close"),
        "atomic writer": (corpus.jsonl, "atomic_writer"),
    }
    for where, (owner, name) in points.items():
        with monkeypatch.context() as patch:
            if name == "atomic_writer":
                patch.setattr(corpus.jsonl, "os", OsWithFullDisk(100))
            else:
                patch.setattr(owner, name, full_disk)
            result = runner.invoke(app, ["build", "in", "-o", "out", "--force"])
        assert result.exit_code == EXIT_USAGE, (where, result.output)
        assert "no space left on device" in one_line(result.output) and "Traceback" not in result.output, where
        assert snapshot(tmp_path / "out") == before, where
        assert leftovers(tmp_path / "out") == [], where
    cache = tmp_path / "out" / ".cache" / "shards"
    orphans = [p.name for p in cache.glob("*.jsonl") if not p.with_suffix(".json").exists()] if cache.exists() else []
    assert orphans == []


def test_a_shard_whose_info_cannot_be_written_leaves_no_data_behind(tmp_path, monkeypatch):
    from corpus.cache import ShardCache

    cache = ShardCache(tmp_path / "shards")
    real = atomic_writer

    def writer(path, *args, **kwargs):
        if str(path).endswith(".json"):
            full_disk()
        return real(path, *args, **kwargs)

    monkeypatch.setattr("corpus.cache.atomic_writer", writer)
    with pytest.raises(OSError):
        cache.put("k", b"data", {})
    assert list((tmp_path / "shards").iterdir()) == []


# --------------------------------------------------------------------------- malformed documents.jsonl records


MALFORMED = {
    "null spans": ("spans", None, "[spans] expected array, got null"),
    "string spans": ("spans", "E0", "[spans] expected array, got string"),
    "string offsets": ("tokens", [{"start": "0", "end": 5, "ws": True}], "[tokens[0].start] expected integer"),
    "float offsets": ("sentences", [[0.0, 5]], "[sentences[0][0]] expected integer, got number"),
    "null relations": ("relations", None, "[relations] expected array, got null"),
    "string labellers": ("labellers", "rules", "[labellers] expected object, got string"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
@pytest.mark.parametrize("command", ["tasks", "preview", "publish"])
def test_malformed_records_get_validates_line_and_the_others_are_processed(tmp_path, documents, case, command):
    key, value, message = MALFORMED[case]
    good = [orjson.loads(line) for line in documents.read_bytes().splitlines()]
    bad = {**good[0], key: value}
    path = tmp_path / "docs.jsonl"
    write_jsonl(path, [bad, good[1]])
    validated = runner.invoke(app, ["validate", str(path)])
    expected = f"{path}:1: {message}"
    assert validated.exit_code == EXIT_FAILED and expected in one_line(validated.output)
    result = runner.invoke(app, [command, str(path), "-o", "out"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert expected in one_line(result.output) and "Traceback" not in result.output
    assert (
        good[1]["id"]
        in "".join(
            p.read_bytes().decode("utf-8", "replace")
            for p in (tmp_path / "out").rglob("*")
            if p.suffix in (".jsonl", ".json", ".html")
        )
        or command == "publish"
    )
    if command == "publish":
        assert "1 documents" in one_line(result.output) or "1 document" in one_line(result.output)
