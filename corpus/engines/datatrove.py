"""The per-document stages as HF datatrove pipeline steps (``corpus build --engine datatrove``).

Pipeline: :class:`CorpusShardReader` (our ingested records, one input file per shard) -> one
:class:`CorpusStageStep` per document stage of the build's list (segment, entities, sources, claims) ->
datatrove's ``JsonlWriter`` (one output file per shard, named by the shard index carried in the document
metadata). Each datatrove ``Document`` carries our full record in ``metadata["corpus_record"]``
(``Document.text`` is the same string), so any datatrove filter can sit between our steps. The parent process
ingests and shards the articles, runs the executor, then concatenates the per-shard outputs in shard order:
``documents.jsonl`` has the same bytes as a plain build, whatever the number of tasks or workers.

The executor is chosen with ``corpus build --engine datatrove --executor local|ray|slurm`` (options with
``--executor-option KEY=VALUE``; see :mod:`corpus.engines.executors`): locally ``LocalPipelineExecutor``
(``tasks = workers``, fork start method), on a cluster datatrove's Ray or Slurm executor, with the output folder
on storage every node sees. The pipeline can also be handed to any executor from Python::

    from datatrove.executor.slurm import SlurmPipelineExecutor
    from corpus.engines.datatrove import build_pipeline
    from corpus.pipeline import ProcessorConfig

    SlurmPipelineExecutor(
        pipeline=build_pipeline("/shared/run/input", "/shared/run/output", ProcessorConfig()),
        tasks=500,                 # shards are spread over tasks: files[rank::tasks]
        time="02:00:00", partition="cpu", cpus_per_task=1, mem_per_cpu_gb=2,
        logging_dir="/shared/run/logs", job_name="corpus-prelabel",
    ).run()

Write the input shards with :func:`write_input_shards` (or run ``corpus build --engine datatrove`` once with
``--workers 1`` to see the layout under ``OUT/.cache/datatrove/``), and assemble ``documents.jsonl`` by
concatenating ``output/<shard>.jsonl`` in shard order (:func:`assemble_shard`). Rerunning an executor with the
same ``logging_dir`` skips completed tasks (datatrove's own resume).
"""

from __future__ import annotations

import contextlib
import shutil
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from corpus.cache import digest
from corpus.engines import require_datatrove
from corpus.engines.executors import run_executor
from corpus.errors import CorpusError
from corpus.jsonl import dumps
from corpus.pipeline import Failed, ProcessorConfig, ShardResult, Stats, document_stages, run_isolated

require_datatrove()

from datatrove.data import Document, DocumentsPipeline  # noqa: E402 - after the friendly check above
from datatrove.pipeline.base import PipelineStep  # noqa: E402
from datatrove.pipeline.writers.jsonl import JsonlWriter  # noqa: E402

RECORD = "corpus_record"
SHARD = "corpus_shard"
PROBLEM = "__corpus_problem__"


def _shard_name(index: int) -> str:
    return f"{index:08d}"


class CorpusShardReader(PipelineStep):
    """Reads our ingested document records; whole shard files go to one task (``files[rank::world_size]``)."""

    name = "corpus shards"
    type = "📖 - READER"

    def __init__(self, input_folder: str):
        super().__init__()
        self.input_folder = input_folder

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.io import get_datafolder

        if data:
            yield from data
        folder = get_datafolder(self.input_folder)
        files = sorted(folder.list_files(glob_pattern="*.jsonl"))
        for file in files[rank::world_size]:
            shard = Path(file).name.split(".", 1)[0]
            with folder.open(file, "rb") as fh:
                for line in fh:
                    record = orjson.loads(line)
                    self.stat_update("documents")
                    yield Document(text=record["text"], id=record["id"], metadata={RECORD: record, SHARD: shard})


class CorpusStageStep(PipelineStep):
    """Any of our document stages (:mod:`corpus.pipeline.stages`) as a datatrove step.

    The stage is built once per task, at the first document, from a picklable :class:`ProcessorConfig` naming
    it; it sees the task's documents as one stream (so a labeller's batch hook batches). A document the stage
    fails on becomes a problem marker that later steps pass along and the build reports.
    """

    type = "🏷 - CORPUS"

    def __init__(self, stage: str, config: ProcessorConfig | None = None):
        super().__init__()
        config = config or ProcessorConfig()
        self.stage = stage
        self.name = f"corpus {stage}"
        self.config = ProcessorConfig(stages=(stage,), backends=config.backends, segmenter=config.segmenter)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        stages = document_stages(self.config)
        held: deque[Document] = deque()  # in input order: problem markers wait for the documents before them

        def records() -> Iterator[dict]:
            for doc in data:
                held.append(doc)
                record = doc.metadata[RECORD]
                if PROBLEM not in record:
                    record["text"] = doc.text
                    yield record

        for outcome in run_isolated(stages, records()):
            while PROBLEM in held[0].metadata[RECORD]:
                yield held.popleft()
            doc = held.popleft()
            doc.metadata[RECORD] = self._marked(outcome)
            yield doc
        yield from held

    def _marked(self, outcome: dict | Failed) -> dict:
        if not isinstance(outcome, Failed):
            return outcome
        self.stat_update("failed")  # one bad article must not stop the task; reported by the build
        problem = outcome.problem()
        return {PROBLEM: {"path": problem.path, "message": problem.message}}


def record_adapter(writer: Any, document: Document) -> dict:
    """JsonlWriter adapter: write our record itself (orjson, same bytes as :func:`corpus.jsonl.dumps`)."""
    return document.metadata[RECORD]


def build_pipeline(input_folder: str, output_folder: str, config: ProcessorConfig) -> list[PipelineStep]:
    """Reader, one :class:`CorpusStageStep` per configured document stage, writer."""
    return [
        CorpusShardReader(input_folder),
        *(CorpusStageStep(stage, config) for stage in config.stages),
        JsonlWriter(output_folder, output_filename="${" + SHARD + "}.jsonl", compression=None, adapter=record_adapter),
    ]


def write_input_shards(shards: Iterable[list[dict]], input_folder: Path, start: int = 0) -> int:
    """Write shards of ingested records as ``<index>.jsonl`` files; return how many."""
    input_folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for n, shard in enumerate(shards, start=1):
        (input_folder / f"{_shard_name(start + n - 1)}.jsonl").write_bytes(b"".join(dumps(d) + b"\n" for d in shard))
    return n


def assemble_shard(path: Path) -> ShardResult:
    """One shard's output: our JSON lines verbatim, stats counted, problem markers turned into problems."""
    stats = Stats()
    problems: list[dict] = []
    lines: list[bytes] = []
    with open(path, "rb") as fh:
        for line in fh:
            record = orjson.loads(line)
            if PROBLEM in record:
                stats.failed += 1
                problems.append({**record[PROBLEM], "line": None, "field": None, "severity": "error"})
                continue
            stats.count(record)
            lines.append(line)
    return ShardResult(b"".join(lines), stats.to_dict(), problems)


def map_shards_datatrove(
    shards: Iterable[tuple[str, list[dict] | ShardResult]],
    config: ProcessorConfig,
    workers: int,
    work_dir: Path,
    resume: bool = False,
    executor: str = "local",
    executor_options: dict[str, Any] | None = None,
) -> Iterator[tuple[str, ShardResult]]:
    """Like :func:`corpus.pipeline.map_shards`, with a datatrove executor doing the work
    (:mod:`corpus.engines.executors`: ``local``, ``ray`` or ``slurm``).

    Shards already done (cached results) pass through; the others are written to an input folder and
    processed by ``workers`` tasks, all during this call; the returned iterator reads them back in shard order.
    """
    staging = work_dir / "pending"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    order: list[tuple[str, int | ShardResult]] = []
    pending = 0
    for key, item in shards:
        if isinstance(item, ShardResult):
            # Keep only the small parts in memory; the bytes wait on disk like the processed shards.
            (staging / f"{key}.cached").write_bytes(item.data)
            order.append((key, ShardResult(b"", item.stats, item.problems, cached=True)))
        else:
            write_input_shards([item], staging / "input", start=pending)
            order.append((key, pending))
            pending += 1

    run_dir = output_dir = work_dir
    if pending:
        # A run folder per set of pending shards: datatrove's completion markers are only valid for that set.
        run_key = digest(*(k for k, i in order if isinstance(i, int)), str(workers))
        run_dir = work_dir / run_key
        if not resume:
            shutil.rmtree(run_dir, ignore_errors=True)
        input_dir = run_dir / "input"
        if input_dir.exists():
            shutil.rmtree(input_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        (staging / "input").rename(input_dir)
        logs = run_dir / "logs"
        _run_executor(input_dir, run_dir / "output", logs, config, workers, pending, executor, executor_options)
        output_dir = run_dir / "output"
    return _assemble(order, staging, output_dir, run_dir)


def _assemble(
    order: list[tuple[str, int | ShardResult]], staging: Path, output_dir: Path, run_dir: Path
) -> Iterator[tuple[str, ShardResult]]:
    for key, item in order:
        if isinstance(item, ShardResult):
            cached_path = staging / f"{key}.cached"
            yield key, ShardResult(cached_path.read_bytes(), item.stats, item.problems, cached=True)
            cached_path.unlink()
        else:
            path = output_dir / f"{_shard_name(item)}.jsonl"
            if not path.exists():
                raise CorpusError(
                    f"datatrove engine: shard {item} produced no output ({path}); "
                    f"see the task logs in {run_dir / 'logs'}"
                )
            yield key, assemble_shard(path)


def _run_executor(
    input_dir: Path,
    output_dir: Path,
    logs: Path,
    config: ProcessorConfig,
    workers: int,
    shards: int,
    executor: str = "local",
    options: dict[str, Any] | None = None,
) -> None:
    tasks = max(1, min(workers, shards))
    logs.mkdir(parents=True, exist_ok=True)
    # datatrove logs every task to stderr (loguru); keep the terminal for our progress bar and one-line
    # problems, and keep datatrove's log beside its task logs.
    from datatrove.utils.logging import setup_default_logger

    try:
        with open(logs / "console.log", "a") as log, contextlib.redirect_stderr(log):
            setup_default_logger()  # loguru keeps the stream it was given: hand it the log file
            # Built here so that its warnings go to the log too (one file per shard name, never per rank:
            # datatrove warns that ranks could overwrite each other, which shard names rule out).
            pipeline = build_pipeline(str(input_dir), str(output_dir), config)
            done = run_executor(executor, pipeline, tasks, logs, options)
    except CorpusError:
        raise
    except Exception as exc:
        raise CorpusError(f"datatrove engine failed ({type(exc).__name__}: {exc}); task logs in {logs}") from None
    finally:
        setup_default_logger()  # back to the real stderr, not the closed log file
    failed = [rank for rank in range(tasks) if not done.is_rank_completed(rank)]
    if failed:
        raise CorpusError(f"datatrove engine: task(s) {failed} did not complete; task logs in {logs}")


__all__ = [
    "CorpusShardReader",
    "CorpusStageStep",
    "assemble_shard",
    "build_pipeline",
    "map_shards_datatrove",
    "write_input_shards",
]
