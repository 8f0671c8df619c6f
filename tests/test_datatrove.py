"""`--engine datatrove`: the same stages as datatrove pipeline steps give the same bytes as the plain build."""

from __future__ import annotations

import sys

import pytest
from conftest import build, output_bytes, read_records, write_articles, write_feed

from corpus.errors import CorpusError


def test_a_clear_error_when_datatrove_is_not_installed(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "datatrove", None)  # makes `import datatrove` fail
    with pytest.raises(CorpusError, match=r"pip install 'corpus\[datatrove\]'"):
        build(write_articles(tmp_path / "in", 1), tmp_path / "out", engine="datatrove")
    assert not (tmp_path / "out" / "documents.jsonl").exists()


@pytest.fixture
def datatrove(monkeypatch):
    pytest.importorskip("datatrove", reason="datatrove is an optional extra: pip install 'corpus[datatrove]'")
    monkeypatch.setattr("corpus.pipeline.shards.SHARD_TARGET", 3)
    monkeypatch.setattr("corpus.pipeline.shards.SHARD_MAX_DOCS", 5)


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor_gives_the_same_bytes_as_the_plain_build(tmp_path, datatrove, workers):
    src = write_articles(tmp_path / "in", 20)
    write_feed(src / "feed.jsonl", 10, seed=9)
    (src / "article_0007.txt").write_text("Short item.\n\nThe EXPLODE word trips the test labeller.\n")
    plain, plain_reporter = build(src, tmp_path / "plain")
    engine, engine_reporter = build(src, tmp_path / "dt", engine="datatrove", workers=workers)
    assert output_bytes(tmp_path / "dt") == output_bytes(tmp_path / "plain")
    assert engine.stats == plain.stats and engine.stats.failed == 1 and engine.shards > 4
    assert [str(p) for p in engine_reporter.problems] == [str(p) for p in plain_reporter.problems]
    assert len(read_records(tmp_path / "dt" / "documents.jsonl")) == 29
    assert not (tmp_path / "dt" / ".cache" / "datatrove").exists()  # its work folders are cleaned up


def test_datatrove_steps_compose_with_datatrove_filters(tmp_path, datatrove):
    """Our steps are ordinary datatrove steps: a datatrove filter can run between reader and segmenter."""
    from conftest import TEST_BACKENDS
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.filters import LambdaFilter

    from corpus.document import new_document
    from corpus.engines.datatrove import (
        CorpusShardReader,
        CorpusStageStep,
        JsonlWriter,
        record_adapter,
        write_input_shards,
    )
    from corpus.pipeline import ProcessorConfig

    docs = [new_document(f"Officials in Bremen met {i} times. Maria Keller said so.", f"mem:{i}") for i in range(6)]
    write_input_shards([docs[:3], docs[3:]], tmp_path / "input")
    config = ProcessorConfig(backends=tuple(TEST_BACKENDS.items()))
    LocalPipelineExecutor(
        pipeline=[
            CorpusShardReader(str(tmp_path / "input")),
            LambdaFilter(lambda doc: " 3 " not in doc.text),
            *(CorpusStageStep(stage, config) for stage in config.stages),
            JsonlWriter(
                str(tmp_path / "output"),
                output_filename="${corpus_shard}.jsonl",
                compression=None,
                adapter=record_adapter,
            ),
        ],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()
    records = read_records(tmp_path / "output" / "00000000.jsonl") + read_records(
        tmp_path / "output" / "00000001.jsonl"
    )
    assert [r["origin"] for r in records] == ["mem:0", "mem:1", "mem:2", "mem:4", "mem:5"]
    assert all(r["tokens"] and r["labellers"]["entities"] == "test@1" for r in records)
