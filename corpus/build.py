"""`corpus build`: every stage, end to end, from article files to tasks and a dataset folder.

ingest (this process) -> the stream stages (exact and near duplicates) -> shards -> the document stages
(segment, entities, sources, claims: :mod:`corpus.pipeline`) + render each format's tasks (this process or a pool
of ``workers`` processes; datatrove's executor runs the document stages, then a pool of the same size renders the
tasks, and check each document and its tasks as `corpus validate` would: :mod:`corpus.validate.build_checks`) ->
``documents.jsonl`` and the task files, written as shards arrive (this process: unique Prodigy hashes, lines,
the line numbers of what the workers found); then the build's phases in order (:data:`PHASES`): tasks ->
validate (reports the workers' findings; nothing is read back) -> dataset -> commit.
Everything is written into a staging folder and committed as one unit (:mod:`corpus.cache`), so a
build killed at any point leaves the previous outputs intact; processed shards are cached under
``OUT/.cache/shards`` so ``resume=True`` continues an interrupted build, and a rerun with the same inputs,
configuration and code rewrites nothing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from corpus import cache as cache_mod
from corpus.errors import CorpusError, InputProblem
from corpus.formats import FORMAT_NAMES
from corpus.ingest.parts import DEFAULT_PART_CHARS
from corpus.pipeline import (
    DocumentProcessor,
    ProcessorConfig,
    ShardResult,
    Stats,
    ingest_stages,
    map_shards,
    quiet_gc,
    render_shard,
    run_stages,
    shard_documents,
)
from corpus.pipeline.rows import DatasetThread, SpilledRows, lines_as_rows
from corpus.pipeline.transport import supported as transport_supported
from corpus.prelabel.registry import DEFAULT_BACKENDS
from corpus.spill import RecordFile

TASK_FORMATS = FORMAT_NAMES  # every tool format (corpus.formats), the default set
ENGINES = ("local", "datatrove")
DOCUMENTS = "documents.jsonl"
SPILL = ".spill"  # the workers' results on their way to this process, in the staging folder
MANIFEST_PROBLEMS = 10_000  # problems kept in the manifest, replayed by a no-op rerun
# The phases after the documents phase, in order; validate and dataset can be switched off.
PHASES = ("tasks", "validate", "dataset", "commit")

Advance = Callable[[int], None]
# Progress is the caller's: ``progress(description, total)`` is a context giving ``advance(n)`` (total None: a
# phase that cannot count). The command line draws a bar; the library never imports it.
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


@dataclass
class BuildResult:
    stats: Stats
    outputs: list[str] = field(default_factory=list)
    invalid: int = 0
    up_to_date: bool = False  # nothing changed since the last build: nothing was rewritten
    shards: int = 0
    cached_shards: int = 0  # shards reused from OUT/.cache (``resume``)
    rewritten: list[str] = field(default_factory=list)  # top-level outputs replaced by this build
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (documents, tasks, validate, …)


@dataclass(frozen=True)
class BuildOptions:
    """What a build was asked for (everything but its inputs and output folder), checked on creation."""

    backends: dict[str, str] | None = None
    unit: str = "paragraph"
    formats: tuple[str, ...] = TASK_FORMATS
    workers: int = 1
    engine: str = "local"
    resume: bool = False
    dataset: bool = True
    drop_near_duplicates: bool = False
    near_duplicate_threshold: float | None = None
    part_chars: int = DEFAULT_PART_CHARS  # longer articles are built as parts (corpus.ingest.parts)
    force: bool = False
    allow_outside: bool = False
    validate: bool = True
    executor: str = "local"  # the datatrove engine's executor (corpus.engines.executors): local, ray, slurm
    executor_options: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in TASK_FORMATS]
        if unknown:
            raise CorpusError(f"unknown task format(s) {', '.join(unknown)} (choose from {', '.join(TASK_FORMATS)})")
        if self.engine not in ENGINES:
            raise CorpusError(f"unknown engine '{self.engine}' (available: {', '.join(ENGINES)})")
        if self.workers < 1:
            raise CorpusError(f"--workers must be at least 1 (got {self.workers})")
        if self.engine == "datatrove":
            from corpus.engines import require_datatrove
            from corpus.engines.executors import check_executor

            require_datatrove()
            check_executor(self.executor, self.executor_options)
        elif self.executor != "local":
            raise CorpusError(f"--executor {self.executor} runs datatrove's executors: add --engine datatrove")

    def phases(self) -> tuple[str, ...]:
        off = {"validate": not self.validate, "dataset": not self.dataset}
        return tuple(phase for phase in PHASES if not off.get(phase))


@dataclass
class _Plan:
    """The document stages and the keys of a build: shards depend on the processing settings and stage versions
    only (a new task unit reuses them all); the build as a whole depends on every setting."""

    config: ProcessorConfig
    processor: DocumentProcessor
    settings: dict
    shard_key: str
    config_key: str


def _plan(opts: BuildOptions) -> _Plan:
    config = ProcessorConfig(backends=tuple(sorted({**DEFAULT_BACKENDS, **(opts.backends or {})}.items())))
    processor = DocumentProcessor(config)  # fails early, with a clear message, on an unknown backend
    settings = {
        "processing": config.describe(),
        "versions": processor.versions(),
        "unit": opts.unit,
        "formats": list(opts.formats),
        "dataset": opts.dataset,
        "validate": opts.validate,
        "drop_near_duplicates": opts.drop_near_duplicates,
        "near_duplicate_threshold": opts.near_duplicate_threshold,
        "part_chars": opts.part_chars,
    }
    shard_key = cache_mod.config_fingerprint({"processing": settings["processing"], "versions": settings["versions"]})
    return _Plan(config, processor, settings, shard_key, cache_mod.config_fingerprint(settings))


def run_build(
    inputs: Iterable[str | Path],
    out: str | Path,
    report: Callable[[InputProblem], None],
    progress: Progress | None = None,
    **options,
) -> BuildResult:
    """Build ``out/documents.jsonl``, ``out/tasks/<format>/…`` and ``out/dataset/`` from ``inputs``.

    ``options`` are :class:`BuildOptions`' fields. ``workers`` processes run the document stages (same bytes as
    one); ``engine="datatrove"`` runs them as datatrove pipeline steps instead. ``resume`` reuses shards a
    previous (possibly interrupted) build finished. ``force`` rebuilds even when inputs, configuration and code
    are unchanged. ``validate=False`` skips checking the outputs against the schemas (``corpus validate`` can do
    it later). ``allow_outside`` lets ``out`` lie outside the working folder (``corpus.safety.check_output_dir``).
    ``progress`` shows each phase's progress (see :data:`Progress`); None shows nothing.
    """
    started = time.perf_counter()
    out = Path(out)
    inputs = [Path(p) for p in inputs]
    opts = BuildOptions(**{**options, "formats": tuple(options.get("formats") or TASK_FORMATS)})
    _check_output_dir(out, opts.allow_outside, inputs)
    plan = _plan(opts)

    out.mkdir(parents=True, exist_ok=True)
    with cache_mod.build_lock(out):
        note = cache_mod.recover(out)
        if note:
            report(InputProblem(str(out), note, severity="warning"))
        from corpus.ingest.readers import iter_input_files

        inputs_key, estimate = cache_mod.hash_inputs(list(iter_input_files(inputs, lambda problem: None)))
        build_key = cache_mod.digest(plan.config_key, inputs_key)
        manifest = cache_mod.read_manifest(out)
        if (
            not opts.force
            and manifest
            and manifest.get("build") == build_key
            and cache_mod.outputs_intact(out, manifest)
        ):
            return _up_to_date(out, manifest, report, started)
        result = _build_staged(_Build(out, inputs, report, opts, plan, progress or _no_progress), build_key, estimate)
    result.seconds = time.perf_counter() - started
    return result


def _build_staged(build: _Build, build_key: str, estimate: int) -> BuildResult:
    staging = build.staging = cache_mod.new_staging(build.out)
    try:
        # The manifest's copy of the problems waits on disk, not in a list: thousands of small objects kept for
        # the whole build would pin memory pages the shards' short-lived objects share (peak RSS grew with the
        # number of near duplicates).
        with quiet_gc(), RecordFile() as problems:
            build.problems = problems
            return build.run(build_key, estimate)
    finally:
        if staging.exists() and not (build.out / cache_mod.CACHE_DIR / cache_mod.JOURNAL).exists():
            shutil.rmtree(staging, ignore_errors=True)  # failed or empty build: old outputs stay as they were


@contextmanager
def _no_progress(description: str, total: int | None) -> Iterator[Advance]:
    yield lambda n: None


def _check_output_dir(out: Path, allow_outside: bool, inputs: list[Path]) -> None:
    """The project's output-path rule: not outside the working folder unless allowed, not inside an input, a
    writable folder (not a file, not below one)."""
    from corpus.safety import check_output_path

    check_output_path(out, "dir", allow_outside=allow_outside, inputs=inputs)


def _up_to_date(out: Path, manifest: dict, report: Callable[[InputProblem], None], started: float) -> BuildResult:
    for problem in manifest.get("problems", []):
        report(InputProblem(**problem))
    result = BuildResult(
        Stats.from_dict(manifest.get("stats", {})), up_to_date=True, shards=len(manifest.get("shards", []))
    )
    result.outputs = [str(out / e) for e in manifest.get("entries", [])]
    result.invalid = manifest.get("invalid", 0)
    result.seconds = time.perf_counter() - started
    return result


class _Build:
    """One build into a staging folder: the documents phase, then :data:`PHASES` in order."""

    staging: Path
    problems: RecordFile

    def __init__(
        self,
        out: Path,
        inputs: list[Path],
        report: Callable[[InputProblem], None],
        opts: BuildOptions,
        plan: _Plan,
        progress: Progress,
    ) -> None:
        self.out, self.inputs, self.report, self.opts, self.plan, self.progress = (
            out,
            inputs,
            report,
            opts,
            plan,
            progress,
        )
        self.stats = Stats()
        self.result = BuildResult(self.stats)
        self.shard_cache = cache_mod.ShardCache(out / cache_mod.CACHE_DIR / "shards")
        self.keys: list[str] = []
        self.entries: list[str] = []
        self.task_paths: list[Path] = []

    def relay(self, problem: InputProblem) -> None:
        """Name final paths, not staging ones, and keep problems for the manifest (replayed on no-op reruns)."""
        if str(self.staging) in problem.path:
            problem.path = problem.path.replace(str(self.staging), str(self.out))
        if len(self.problems) < MANIFEST_PROBLEMS:
            self.problems.append(orjson.dumps(asdict(problem)))
        self.report(problem)

    def run(self, build_key: str, estimate: int) -> BuildResult:
        self.build_key = build_key
        clock = time.perf_counter()
        # Workers render every document's tasks right after pre-labelling (corpus.tasks.render_document); this
        # process only makes Prodigy hashes unique and writes lines, as shards arrive: the tasks phase runs in
        # parallel and overlaps the documents phase.
        self.task_writers = _TaskFiles(self.staging / "tasks", self.opts.formats)
        self.checks = _build_findings(self.staging, self.opts) if self.opts.validate else None
        self.rows: SpilledRows | DatasetThread | None = None  # where the workers' dataset rows go (_documents)
        try:
            self._documents(estimate)
            clock = self._lap("documents", clock)
            if self.stats.documents == 0:
                return self.result  # nothing readable: keep whatever a previous build left
            for phase in self.opts.phases():
                getattr(self, f"_{phase}")()
                clock = self._lap(phase, clock)
        finally:
            self.task_writers.abort()
            if self.rows is not None:
                self.rows.close()
        return self.result

    def _lap(self, phase: str, clock: float) -> float:
        now = time.perf_counter()
        self.result.timings[phase] = now - clock
        return now

    # --- the documents phase ------------------------------------------------------------------------------

    def _documents(self, estimate: int) -> None:
        """Ingest, the stream stages, then the document stages shard by shard; documents and tasks written as
        shards arrive, in input order."""
        from corpus.ingest import read_documents

        stages = ingest_stages(
            self.relay, self.stats, self.opts.drop_near_duplicates, self.opts.near_duplicate_threshold
        )
        docs = run_stages(stages, read_documents(self.inputs, self.relay, part_chars=self.opts.part_chars))
        results = self._processed(self._keyed_shards(docs))
        try:
            with self.progress("build", estimate or None) as advance, open(self.staging / DOCUMENTS, "wb") as fh:
                self.rows = self._row_sink()  # after the workers started: no thread may exist when they fork
                for key, shard in results:
                    self._write_shard(key, shard, fh)
                    advance(shard.stats["documents"] + shard.stats["failed"])
        finally:
            results.close()  # stops the worker pool now, also when the build is interrupted
        self.result.shards = len(self.keys)

    def _row_sink(self) -> SpilledRows | DatasetThread | None:
        """Where the workers' dataset rows go: with worker processes, to the dataset built alongside in a thread
        (this process mostly waits for them); with one, to disk until the dataset phase."""
        if not self.opts.dataset:
            return None
        if self.opts.workers > 1:
            return DatasetThread(self.staging / DOCUMENTS, self.staging / "dataset", depth=2 * self.opts.workers)
        return SpilledRows()

    def _keyed_shards(self, docs: Iterable[dict]) -> Iterator[tuple[str, list[dict] | ShardResult]]:
        from corpus.jsonl import dumps

        for shard in shard_documents(docs):
            key = cache_mod.digest(self.plan.shard_key, *(dumps(d) for d in shard))
            self.keys.append(key)
            hit = self.shard_cache.get(key) if self.opts.resume else None
            if hit is None:
                yield key, shard
                continue
            path, info = hit
            self.result.cached_shards += 1
            yield key, ShardResult(path.read_bytes(), info["stats"], info["problems"], cached=True)

    def _processed(self, shards: Iterator[tuple[str, list[dict] | ShardResult]]) -> Iterator[tuple[str, ShardResult]]:
        opts, plan = self.opts, self.plan
        render = self._render_spec()
        if opts.engine == "datatrove":
            from corpus.engines.datatrove import map_shards_datatrove

            work_dir = self.out / cache_mod.CACHE_DIR / "datatrove"
            shards = map_shards_datatrove(
                shards,
                plan.config,
                opts.workers,
                work_dir,
                resume=opts.resume,
                executor=opts.executor,
                executor_options=opts.executor_options,
            )
            # datatrove runs the document stages; the tasks are rendered by a pool of the same size as shards come
            # back (in this process with one worker).
        # With worker processes, results come back through files in the staging folder (removed with it), not
        # the result pipe: corpus.pipeline.transport.
        spill_to = self.staging / SPILL if opts.workers > 1 and transport_supported() else None
        return map_shards(shards, plan.config, opts.workers, processor=plan.processor, render=render, spill_to=spill_to)

    def _render_spec(self) -> tuple[tuple[str, ...], str, bool, bool]:
        """What the workers render, whether they check it (the validate phase's work, done where the documents
        and tasks already are: :mod:`corpus.validate.build_checks`), and whether they make the documents'
        dataset rows (:mod:`corpus.pipeline.rows`)."""
        return self.opts.formats, self.opts.unit, self.checks is not None, self.opts.dataset

    def _write_shard(self, key: str, shard: ShardResult, fh) -> None:
        if not shard.cached:
            self.shard_cache.put(key, shard.data, {"stats": shard.stats, "problems": shard.problems})
        fh.write(shard.data)
        if shard.tasks is None:  # an engine that does not render: render here
            render_shard(shard, self._render_spec())
        self.task_writers.add(shard.tasks)
        shard.tasks = None
        if self.checks is not None and shard.checks is not None:
            self.checks.add(shard.checks)  # line numbers: the shards are written in this order
        if self.rows is not None:
            self.rows.add(shard.rows if shard.rows is not None else lines_as_rows(bytes(shard.data)))
        shard.rows = None
        self.stats.merge(shard.stats)
        for problem in shard.problems:
            self.relay(InputProblem(**problem))

    # --- the phases after it ------------------------------------------------------------------------------

    def _tasks(self) -> None:
        with self.progress("tasks", None):
            outcomes = self.task_writers.close()
        written = _report_outcomes(outcomes, self.relay)
        self.task_paths = [Path(p) for p in written]
        self.entries += [DOCUMENTS, "tasks"]
        self.result.outputs.append(str(self.out / DOCUMENTS))
        self.result.outputs.extend(str(self.out / Path(p).relative_to(self.staging)) for p in written)

    def _validate(self) -> None:
        """Report what the workers' checks found (nothing is read back: see :mod:`corpus.validate.build_checks`)."""
        assert self.checks is not None
        with self.progress("validate", None):
            self.checks.check_label_files(self.task_paths)
            invalid = self.checks.problems()
        for problem in invalid:
            self.relay(problem)
        self.result.invalid = sum(1 for p in invalid if p.severity == "error")

    def _dataset(self) -> None:
        # The workers made every document's rows (documents.jsonl is not read again); a record they sent back
        # as its line is read as a trusted one (the build wrote it and the validate phase checks it).
        assert self.rows is not None
        self.rows.build(self.staging / DOCUMENTS, self.staging / "dataset", self.relay, progress=self._tracked)
        self.entries.append("dataset")
        self.result.outputs.append(str(self.out / "dataset"))

    def _tracked(self, records: Iterable) -> Iterator:
        with self.progress("dataset", self.stats.documents) as advance:
            for record in records:
                yield record
                advance(1)

    def _commit(self) -> None:
        manifest = {
            "build": self.build_key,
            "settings": self.plan.settings,
            "entries": self.entries,
            "stats": self.stats.to_dict(),
            "invalid": self.result.invalid,
            "shards": self.keys,
            "problems": [orjson.loads(self.problems[i]) for i in range(len(self.problems))],
        }
        self.result.rewritten = cache_mod.commit(self.out, self.staging, self.entries, manifest)
        self.shard_cache.prune(set(self.keys))
        shutil.rmtree(self.out / cache_mod.CACHE_DIR / "datatrove", ignore_errors=True)


class _TaskFiles:
    """The build's task writers, one per format (:func:`corpus.tasks.open_task_writer`), fed rendered shards.

    Problems met while rendering are kept per format and reported after the documents' own problems, format
    by format (the order a format-at-a-time export reports them in).
    """

    def __init__(self, tasks_dir: Path, formats: tuple[str, ...]):
        from corpus.tasks import TaskStats, open_task_writer

        self.writers = {}
        self.problems: dict[str, list[dict]] = {fmt: [] for fmt in formats}
        try:
            for fmt in formats:
                self.writers[fmt] = open_task_writer(tasks_dir / fmt, fmt, TaskStats())
        except BaseException:
            self.abort()
            raise
        self.open = True

    def add(self, tasks: dict[str, list]) -> None:
        for fmt, writer in self.writers.items():
            problems = self.problems[fmt]
            for rendered in tasks[fmt]:
                writer.add(rendered.items)
                writer.stats.merge(rendered.stats)
                problems.extend(asdict(p) for p in rendered.problems)

    def close(self) -> list[tuple[list[str], list[dict]]]:
        self.open = False
        return [([str(p) for p in writer.close()], self.problems[fmt]) for fmt, writer in self.writers.items()]

    def abort(self) -> None:
        if getattr(self, "open", True):
            self.open = False
            for writer in self.writers.values():
                writer.abort()


def _build_findings(staging: Path, opts: BuildOptions) -> Any:
    from corpus.validate import DEFAULT_MAX_PROBLEMS_PER_FILE
    from corpus.validate.build_checks import BuildFindings, build_files

    return BuildFindings(staging, build_files(opts.formats), DEFAULT_MAX_PROBLEMS_PER_FILE)


def _report_outcomes(outcomes: list[tuple[list[str], list[dict]]], report: Callable[[InputProblem], None]) -> list[str]:
    written: list[str] = []
    for paths, problems in outcomes:
        written.extend(paths)
        for problem in problems:
            report(InputProblem(**problem))
    return written
