"""`corpus build` end to end: per-document stages, summary, near duplicates, bad articles, CLI options.

The helpers at the top (articles the tests write, small deterministic labellers registered under the name
``test``) are shared with test_parallel.py, test_resume.py and test_datatrove.py. Worker processes are
forked, so they inherit these registrations.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from corpus.build import run_build
from corpus.document import add_span, clear_layer
from corpus.errors import CorpusError
from corpus.prelabel.registry import _REGISTRY, register
from corpus.report import Reporter

# --- shared helpers ---------------------------------------------------------------------------------------

TEST_BACKENDS = {"entities": "test", "sources": "test", "claims": "test"}
FIRST = ["Maria", "Jonas", "Aisha", "Pedro", "Lena", "Tomasz", "Ines", "Oskar"]
LAST = ["Keller", "Novak", "Okafor", "Silva", "Brandt", "Haddad", "Moreau", "Lindqvist"]
PLACES = ["Lisbon", "Gdansk", "Accra", "Toulouse", "Uppsala", "Bremen"]
TOPICS = ["the harbour budget", "a new tram line", "school meals", "the flood barrier", "rent controls"]


def make_article(i: int, seed: int = 0) -> str:
    """A small, varied news article (title line, blank lines, quotes, numbers), made up from word lists."""
    rng = random.Random(i * 7919 + seed)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    n = rng.randint(2, 400)
    paragraphs = [
        f"Council debates {topic} in {place} (report {i})",
        f"Officials in {place} met on Tuesday to discuss {topic}. {name} said the plan would cost {n} million "
        f"euros. \u201cWe cannot wait any longer,\u201d {name.split()[0]} told reporters.",
        f"The opposition said {rng.randint(3, 90)} percent of residents disagreed. Dr. {rng.choice(LAST)} "
        f"of the U.S. embassy declined to comment on article {i}.",
    ]
    for _ in range(rng.randint(0, 3)):
        paragraphs.append(
            f"In {rng.choice(PLACES)}, {rng.choice(FIRST)} {rng.choice(LAST)} said {n + i} people "
            f"had signed a petition about {rng.choice(TOPICS)}."
        )
    return "\n\n".join(paragraphs) + "\n"


def write_articles(folder: Path, n: int, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"article_{i:04d}.txt").write_text(make_article(i, seed), encoding="utf-8")
    return folder


def write_feed(path: Path, n: int, seed: int = 0) -> Path:
    """The same kind of articles as one JSONL feed (one article per line, with metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for i in range(n):
            fh.write(
                orjson.dumps(
                    {
                        "text": make_article(i, seed),
                        "title": f"Report {i}",
                        "url": f"https://news.example/{i}",
                        "publisher": "Example News",
                    }
                )
                + b"\n"
            )
    return path


class _TokenLabeller:
    """Base for the test labellers: deterministic rules over the segmenter's tokens."""

    name = "test"
    version = "1"
    layer = ""

    def __call__(self, doc: dict) -> dict:
        clear_layer(doc, self.layer)
        self.label(doc)
        doc["labellers"][self.layer] = f"{self.name}@{self.version}"
        return doc

    def label(self, doc: dict) -> None:
        raise NotImplementedError


class CapitalisedNames(_TokenLabeller):
    """PERSON for runs of two or more capitalised tokens; GPE for a place from the list."""

    layer = "entities"

    def label(self, doc: dict) -> None:
        text, tokens, run = doc["text"], doc["tokens"], []
        if "EXPLODE" in text:
            raise ValueError("the test labeller refuses this article")
        for tok in [*tokens, None]:
            word = text[tok["start"] : tok["end"]] if tok else ""
            if word[:1].isupper() and word.isalpha():
                run.append(tok)
                continue
            if len(run) >= 2:
                add_span(doc, "entities", "PERSON", run[0]["start"], run[-1]["end"], "test@1", 0.9)
            elif len(run) == 1 and text[run[0]["start"] : run[0]["end"]] in PLACES:
                add_span(doc, "entities", "GPE", run[0]["start"], run[0]["end"], "test@1", 0.8)
            run = []


class SaidCues(_TokenLabeller):
    layer = "sources"

    def label(self, doc: dict) -> None:
        text = doc["text"]
        for tok in doc["tokens"]:
            if text[tok["start"] : tok["end"]] in ("said", "told"):
                add_span(doc, "sources", "CUE", tok["start"], tok["end"], "test@1", 0.7)


class NumberClaims(_TokenLabeller):
    layer = "claims"

    def label(self, doc: dict) -> None:
        text = doc["text"]
        for start, end in doc["sentences"]:
            if any(ch.isdigit() for ch in text[start:end]):
                add_span(doc, "claims", "CLAIM", start, end, "test@1", 0.6, attrs={"checkworthy": 0.6})


for _layer, _cls in (("entities", CapitalisedNames), ("sources", SaidCues), ("claims", NumberClaims)):
    if (_layer, "test") not in _REGISTRY:
        register(_layer, "test")(lambda arg=None, _cls=_cls: _cls())


def build(inputs, out: Path, **kwargs) -> tuple:
    """run_build with the test labellers, no progress bar and (by default) Prodigy tasks and no dataset."""
    reporter = Reporter(echo=None)
    kwargs.setdefault("backends", TEST_BACKENDS)
    kwargs.setdefault("formats", ["prodigy"])
    kwargs.setdefault("dataset", False)
    kwargs.setdefault("progress", None)
    kwargs.setdefault("allow_outside", True)
    inputs = inputs if isinstance(inputs, list) else [inputs]
    return run_build(inputs, out, reporter, **kwargs), reporter


def read_records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def output_bytes(out: Path) -> dict[str, bytes]:
    """Every visible output file under OUT (the cache and staging folders are hidden)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def rules_labellers_installed() -> bool:
    return all(importlib.util.find_spec(f"corpus.prelabel.{m}") for m in ("entities", "sources", "claims"))


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
    if importlib.util.find_spec("corpus.ingest.dedup") is None:
        pytest.skip("near-duplicate detection (corpus.ingest.dedup) not installed")
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
    for module in ("corpus.tasks", "corpus.publish.dataset", "corpus.validate"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} not installed")
    src = write_articles(tmp_path / "in", 8)
    result, reporter = build(src, tmp_path / "out", formats=None, dataset=True)
    out = tmp_path / "out"
    assert result.invalid == 0, [str(p) for p in reporter.problems]
    for fmt in ("prodigy", "labelstudio", "doccano"):
        assert any((out / "tasks" / fmt).iterdir())
    assert (out / "dataset" / "README.md").exists()
    assert not any(".staging-" in str(p) for p in reporter.problems)
    assert all(".staging-" not in o for o in result.outputs)
