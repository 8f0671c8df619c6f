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
    plain, plain_reporter = build(src, tmp_path / "plain", dataset=True)
    engine, engine_reporter = build(src, tmp_path / "dt", engine="datatrove", workers=workers, dataset=True)
    assert any(k.startswith("dataset/") for k in output_bytes(tmp_path / "dt"))  # rows made from its shards
    assert output_bytes(tmp_path / "dt") == output_bytes(tmp_path / "plain")
    assert engine.stats == plain.stats and engine.stats.failed == 1 and engine.shards > 4
    named = [str(p).replace(str(tmp_path / "dt"), str(tmp_path / "plain")) for p in engine_reporter.problems]
    assert named == [str(p) for p in plain_reporter.problems]
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


# --- executors: local, ray, slurm ---------------------------------------------------------------------------


def test_executor_options_are_parsed_and_checked(tmp_path, monkeypatch):
    from corpus.engines.executors import check_executor, parse_executor_options

    assert parse_executor_options(["partition=cpu", "time=02:00:00", "mem_per_cpu_gb=1.5", "tasks_per_job=2"]) == {
        "partition": "cpu",
        "time": "02:00:00",
        "mem_per_cpu_gb": 1.5,
        "tasks_per_job": 2,
    }
    assert parse_executor_options(["requeue=false"]) == {"requeue": False}
    with pytest.raises(CorpusError, match="expected KEY=VALUE"):
        parse_executor_options(["partition"])
    with pytest.raises(CorpusError, match="unknown executor 'spark'"):
        check_executor("spark")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(CorpusError, match="needs Slurm's sbatch on PATH"):
        check_executor("slurm", {"partition": "cpu", "time": "1:00:00"})
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(CorpusError, match="--executor-option partition=… and --executor-option time=…"):
        check_executor("slurm", {})


def test_a_missing_ray_is_one_line_before_anything_is_read(tmp_path, datatrove, monkeypatch):
    from typer.testing import CliRunner

    from corpus.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    write_articles(tmp_path / "in", 1)
    result = CliRunner().invoke(app, ["build", "in", "-o", "out", "--engine", "datatrove", "--executor", "ray"])
    assert result.exit_code == 2, result.output
    assert "the ray executor needs the optional 'ray' package: pip install 'corpus[ray]'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out" / "documents.jsonl").exists()


def test_an_executor_needs_the_datatrove_engine(tmp_path):
    with pytest.raises(CorpusError, match="add --engine datatrove"):
        build(write_articles(tmp_path / "in", 1), tmp_path / "out", executor="ray")


def test_the_slurm_wait_ends_when_the_ranks_are_done_or_the_job_left_the_queue(monkeypatch):
    from corpus.engines import executors

    class Job:
        job_id = "4242"

        def __init__(self, done_after: int) -> None:
            self.polls, self.done_after = 0, done_after

        def is_rank_completed(self, rank: int) -> bool:
            self.polls += 1
            return self.polls > self.done_after

    queued = iter([True, True, False])
    monkeypatch.setattr(executors, "_slurm_job_queued", lambda job_id: next(queued))
    job = Job(done_after=2)
    executors.wait_for_slurm(job, tasks=1, poll_seconds=0)
    assert job.polls == 3  # two polls still running, then complete
    stuck = Job(done_after=10**6)
    executors.wait_for_slurm(stuck, tasks=1, poll_seconds=0)  # the job left the queue: the caller reports ranks


@pytest.mark.slow
def test_ray_executor_on_a_local_cluster_gives_the_same_bytes_as_the_plain_build(tmp_path, datatrove):
    """A real distributed run: a 2-CPU Ray cluster on loopback, datatrove's RayPipelineExecutor, default labellers."""
    ray = pytest.importorskip("ray", reason="the ray extra: pip install 'corpus[ray]'")
    src = write_articles(tmp_path / "in", 14)
    write_feed(src / "feed.jsonl", 6, seed=3)
    plain, plain_reporter = build(src, tmp_path / "plain", backends=None, formats=None, dataset=True)
    ray.init(num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False, log_to_driver=False)
    try:
        assert ray.cluster_resources()["CPU"] == 2
        options = {"mem_per_cpu_gb": 0.5}
        distributed, reporter = build(
            src,
            tmp_path / "ray",
            backends=None,
            formats=None,
            dataset=True,
            engine="datatrove",
            executor="ray",
            executor_options=options,
            workers=2,
        )
    finally:
        ray.shutdown()
    assert output_bytes(tmp_path / "ray") == output_bytes(tmp_path / "plain")
    assert distributed.stats == plain.stats and distributed.shards > 2 and distributed.invalid == 0
    assert [str(p).replace("/ray/", "/plain/") for p in reporter.problems] == [str(p) for p in plain_reporter.problems]
