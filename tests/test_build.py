"""`corpus build` end to end: per-document stages, summary, near duplicates, bad articles, CLI options.

The helpers (articles the tests write, small deterministic labellers registered under the name ``test``) live
in conftest.py, shared with test_parallel.py, test_resume.py and test_datatrove.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEST_BACKENDS, build, make_article, output_bytes, read_records, write_articles, write_feed
from typer.testing import CliRunner

from corpus.errors import CorpusError

# --- tests ------------------------------------------------------------------------------------------------


def test_build_writes_processed_documents_in_input_order(tmp_path):
    src = write_articles(tmp_path / "in", 12)
    result, reporter = build(src, tmp_path / "out")
    docs = read_records(tmp_path / "out" / "documents.jsonl")
    assert [Path(d["origin"]).name for d in docs] == [f"article_{i:04d}.txt" for i in range(12)]
    assert result.stats.documents == 12 and reporter.errors == 0
    for doc in docs:
        assert doc["sentences"] and doc["tokens"] and doc["paragraphs"]
        assert doc["labellers"] == {"entities": "test@1", "sources": "test@1", "claims": "test@1"}
        for span in doc["spans"]:
            assert doc["text"][span["start"] : span["end"]] == span["text"]
    assert result.stats.spans["entities"] == sum(1 for d in docs for s in d["spans"] if s["layer"] == "entities")
    assert result.stats.spans["claims"] > 0 and result.stats.spans["sources"] > 0
    assert (tmp_path / "out" / "tasks" / "prodigy" / "ner.manual.jsonl").stat().st_size > 0


def test_an_article_a_stage_fails_on_is_reported_and_the_others_are_kept(tmp_path):
    src = write_articles(tmp_path / "in", 5)
    (src / "article_0002.txt").write_text("Breaking news.\n\nThe EXPLODE word trips the test labeller.\n")
    result, reporter = build(src, tmp_path / "out")
    assert result.stats.documents == 4 and result.stats.failed == 1
    [problem] = [p for p in reporter.problems if p.severity == "error"]
    assert problem.path.endswith("article_0002.txt") and "could not be processed" in problem.message
    assert "ValueError" in problem.message
    assert len(read_records(tmp_path / "out" / "documents.jsonl")) == 4


def test_exact_and_near_duplicates_reported_and_near_ones_optionally_dropped(tmp_path):
    src = write_articles(tmp_path / "in", 3)
    original = "\n".join(make_article(i, seed=5) for i in range(6))  # long enough for a stable MinHash estimate
    (src / "article_0001_long.txt").write_text(original)
    (src / "article_0001_copy.txt").write_text(original)  # exact duplicate
    (src / "article_0001_edit.txt").write_text(original.replace("Tuesday", "Wednesday", 1))  # near dup
    result, reporter = build(src, tmp_path / "out")
    messages = [p.message for p in reporter.problems]
    assert any("exact duplicate" in m for m in messages)
    assert result.stats.duplicates == 1
    assert any("near duplicate" in m and m.endswith("kept") for m in messages)
    assert result.stats.documents == 5
    dropped, reporter = build(src, tmp_path / "out2", drop_near_duplicates=True)
    assert dropped.stats.documents == 4 and dropped.stats.near_duplicates == 1
    assert any("near duplicate" in p.message and p.message.endswith("skipped") for p in reporter.problems)


def test_no_readable_article_writes_nothing_and_keeps_old_outputs(tmp_path):
    src = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out"
    build(src, out)
    before = output_bytes(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("   \n")
    result, reporter = build(empty, out)
    assert result.stats.documents == 0 and reporter.errors >= 1
    assert output_bytes(out) == before
    assert not list(out.glob(".staging-*"))


def test_bad_options_are_clear_errors(tmp_path):
    src = write_articles(tmp_path / "in", 1)
    with pytest.raises(CorpusError, match="unknown engine 'spark'"):
        build(src, tmp_path / "out", engine="spark")
    with pytest.raises(CorpusError, match="--workers"):
        build(src, tmp_path / "out", workers=0)
    with pytest.raises(CorpusError, match="unknown entities backend"):
        build(src, tmp_path / "out", backends={**TEST_BACKENDS, "entities": "nope"})


def test_cli_build_prints_a_one_line_summary(tmp_path, monkeypatch):
    from corpus.cli import app

    write_articles(tmp_path / "in", 6)
    monkeypatch.chdir(tmp_path)
    args = [
        "build",
        "in",
        "--out",
        "out",
        "--no-dataset",
        "-f",
        "prodigy",
        "--workers",
        "2",
        *sum((["--backend", f"{layer}=test"] for layer in TEST_BACKENDS), []),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("done:")]
    for part in ("6 documents", "entities", "sources", "claims", "0 errors"):
        assert part in line
    # The rate is shown once the build takes long enough to measure one (6 small articles may not).
    assert "docs/s" in line or line.endswith(("0.0s", "0.1s")), line
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "up to date" in again.output


def test_cli_build_refuses_output_outside_the_project_unless_allowed(tmp_path, monkeypatch):
    from corpus.cli import app

    write_articles(tmp_path / "proj" / "in", 1)
    monkeypatch.chdir(tmp_path / "proj")
    args = [
        "build",
        "in",
        "--no-dataset",
        "-f",
        "prodigy",
        "--backend",
        "entities=test",
        "--backend",
        "sources=test",
        "--backend",
        "claims=test",
        "--out",
        str(tmp_path / "elsewhere"),
    ]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code != 0 and not (tmp_path / "elsewhere" / "documents.jsonl").exists()
    allowed = CliRunner().invoke(app, [*args, "--allow-outside"])
    assert allowed.exit_code == 0, allowed.output
    assert (tmp_path / "elsewhere" / "documents.jsonl").exists()


def test_segment_and_prelabel_commands_give_the_same_bytes_with_workers(tmp_path, monkeypatch):
    from corpus.cli import app

    monkeypatch.setattr("corpus.pipeline.shards.SHARD_TARGET", 4)  # several shards from a small input
    write_feed(tmp_path / "feed.jsonl", 30)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "feed.jsonl", "-o", "ingested.jsonl"]).exit_code == 0
    outputs = {}
    for workers in ("1", "2"):
        seg = runner.invoke(app, ["segment", "ingested.jsonl", "-o", f"seg{workers}.jsonl", "-w", workers])
        assert seg.exit_code == 0, seg.output
        lab = runner.invoke(
            app,
            [
                "prelabel",
                f"seg{workers}.jsonl",
                "-o",
                f"lab{workers}.jsonl",
                "-w",
                workers,
                *sum((["-b", f"{layer}=test"] for layer in TEST_BACKENDS), []),
            ],
        )
        assert lab.exit_code == 0, lab.output
        outputs[workers] = (Path(f"seg{workers}.jsonl").read_bytes(), Path(f"lab{workers}.jsonl").read_bytes())
    assert outputs["1"] == outputs["2"]
    docs = read_records(tmp_path / "lab1.jsonl")
    assert len(docs) == 30 and all(d["tokens"] and d["labellers"].get("claims") == "test@1" for d in docs)


def test_full_build_with_all_formats_and_dataset(tmp_path):
    src = write_articles(tmp_path / "in", 8)
    result, reporter = build(src, tmp_path / "out", formats=None, dataset=True)
    out = tmp_path / "out"
    assert result.invalid == 0, [str(p) for p in reporter.problems]
    for fmt in ("prodigy", "labelstudio", "doccano"):
        assert any((out / "tasks" / fmt).iterdir())
    assert (out / "dataset" / "README.md").exists()
    assert not any(".staging-" in str(p) for p in reporter.problems)
    assert all(".staging-" not in o for o in result.outputs)
