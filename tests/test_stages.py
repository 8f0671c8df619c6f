"""The pipeline as a list of stages: the stage protocol, the processor's batch hooks and its isolation of a
document a stage fails on (also inside a batch), and the same list behind every entry point."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from conftest import CapitalisedNames, build, make_article, read_records, write_articles

from corpus.document import new_document
from corpus.errors import CorpusError
from corpus.jsonl import dumps
from corpus.pipeline import (
    DOCUMENT_STAGES,
    DocumentProcessor,
    Failed,
    ProcessorConfig,
    SegmentStage,
    document_stages,
    run_isolated,
    run_stages,
)
from corpus.prelabel.registry import register


class BatchedNames(CapitalisedNames):
    """The test entity labeller with a batch hook that takes documents three at a time, as a model would."""

    name = "batched"
    batches: list[int] = []

    def label_batch(self, docs: Iterable[dict]) -> Iterator[dict]:
        batch: list[dict] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) == 3:
                yield from self._flush(batch)
        yield from self._flush(batch)

    def _flush(self, batch: list[dict]) -> Iterator[dict]:
        if batch:
            BatchedNames.batches.append(len(batch))
            done = [self(doc) for doc in batch]  # a failure here loses the whole batch in flight
            batch.clear()
            yield from done


register("entities", "batched")(lambda arg=None: BatchedNames())
BACKENDS = (("claims", "test"), ("sources", "test"))


def _docs(n: int, bad: set[int] = frozenset()) -> list[dict]:
    texts = [make_article(i) if i not in bad else "A short item.\n\nThe EXPLODE word trips it.\n" for i in range(n)]
    return [new_document(text, f"mem:{i}") for i, text in enumerate(texts)]


def test_a_config_names_its_stages_in_pipeline_order():
    assert ProcessorConfig().stages == DOCUMENT_STAGES == ("segment", "entities", "sources", "claims")
    config = ProcessorConfig(stages=("claims", "segment"), backends=BACKENDS)
    assert config.stages == ("segment", "claims") and config.layers == ("claims",)
    stages = document_stages(config)
    assert [s.name for s in stages] == ["segment", "claims"] and stages[1].version == "test@1"
    with pytest.raises(CorpusError, match="unknown stage"):
        ProcessorConfig(stages=("segment", "translate"))


def test_a_batching_labeller_runs_through_its_hook_with_the_same_bytes():
    BatchedNames.batches.clear()
    batched = DocumentProcessor(ProcessorConfig(backends=(("entities", "batched"), *BACKENDS)))
    plain = DocumentProcessor(ProcessorConfig(backends=(("entities", "test"), *BACKENDS)))
    one = batched.process_shard(_docs(7))
    assert BatchedNames.batches == [3, 3, 1]
    other = plain.process_shard(_docs(7))
    assert one.data.replace(b"batched@1", b"test@1") == other.data and one.stats == other.stats


def test_a_document_failing_inside_a_batch_is_the_only_one_left_out():
    BatchedNames.batches.clear()
    batched = DocumentProcessor(ProcessorConfig(backends=(("entities", "batched"), *BACKENDS)))
    result = batched.process_shard(_docs(8, bad={4}))
    assert result.stats["documents"] == 7 and result.stats["failed"] == 1
    [problem] = result.problems
    assert problem["path"] == "mem:4" and "ValueError" in problem["message"] and "skipped" in problem["message"]
    kept = DocumentProcessor(ProcessorConfig(backends=(("entities", "batched"), *BACKENDS))).process_shard(
        [d for i, d in enumerate(_docs(8)) if i != 4]
    )
    assert result.data == kept.data  # the batch-mates of the bad document were redone alone, same bytes


def test_an_error_of_the_input_stream_is_not_blamed_on_a_document():
    def broken() -> Iterator[dict]:
        yield new_document("One sentence here.", "mem:0")
        raise OSError("disk went away")

    outcomes = run_isolated([SegmentStage()], broken())
    assert not isinstance(next(outcomes), Failed)
    with pytest.raises(OSError, match="disk went away"):
        next(outcomes)


def test_run_stages_streams_one_document_at_a_time():
    seen: list[str] = []

    def source() -> Iterator[dict]:
        for doc in _docs(3):
            seen.append(doc["origin"])
            yield doc

    stream = run_stages(document_stages(ProcessorConfig(backends=(("entities", "test"), *BACKENDS))), source())
    first = next(stream)
    assert seen == ["mem:0"] and first["labellers"]["claims"] == "test@1"


def test_the_build_and_the_stage_commands_run_the_same_list(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from corpus.cli import app

    src = write_articles(tmp_path / "in", 5)
    build(src, tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    backends = sum((["-b", f"{layer}=test"] for layer in ("entities", "sources", "claims")), [])
    for args in (
        ["ingest", "in", "-o", "ingested.jsonl"],
        ["segment", "ingested.jsonl", "-o", "segmented.jsonl"],
        ["prelabel", "segmented.jsonl", "-o", "documents.jsonl", *backends],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output

    def records(path) -> list[bytes]:  # the build was given an absolute path, the commands a relative one
        return [dumps({k: v for k, v in d.items() if k != "origin"}) for d in read_records(path)]

    assert records(tmp_path / "documents.jsonl") == records(tmp_path / "out" / "documents.jsonl")
