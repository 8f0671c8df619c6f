"""`corpus build`: every stage, end to end, from article files to tasks and a dataset folder.

ingest (this process) -> exact and near duplicates -> shards -> segment + pre-label + render each format's
tasks (this process or a pool of ``workers`` processes; datatrove's executor segments and pre-labels, then a
pool of the same size renders the tasks) -> ``documents.jsonl`` and the task files, written as shards arrive
(this process: unique Prodigy hashes, lines) -> validate -> dataset.
Everything is written into a staging folder and committed as one unit (:mod:`corpus.cache`), so a
build killed at any point leaves the previous outputs intact; processed shards are cached under
``OUT/.cache/shards`` so ``resume=True`` continues an interrupted build, and a rerun with the same inputs,
configuration and code rewrites nothing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from corpus import cache as cache_mod
from corpus.errors import CorpusError, InputProblem
from corpus.pipeline import (
    DocumentProcessor,
    ProcessorConfig,
    ShardResult,
    Stats,
    drop_exact_duplicates,
    flag_near_duplicates_stage,
    map_shards,
    quiet_gc,
    render_shard,
    shard_documents,
)
from corpus.prelabel.registry import DEFAULT_BACKENDS
from corpus.spill import RecordFile

TASK_FORMATS = ("prodigy", "labelstudio", "doccano")
ENGINES = ("local", "datatrove")
DOCUMENTS = "documents.jsonl"
MANIFEST_PROBLEMS = 10_000  # problems kept in the manifest, replayed by a no-op rerun


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


def run_build(
    inputs: Iterable[str | Path],
    out: str | Path,
    report: Callable[[InputProblem], None],
    backends: dict[str, str] | None = None,
    unit: str = "paragraph",
    formats: Iterable[str] | None = None,
    workers: int = 1,
    engine: str = "local",
    resume: bool = False,
    dataset: bool = True,
    progress: bool = True,
    drop_near_duplicates: bool = False,
    near_duplicate_threshold: float | None = None,
    force: bool = False,
    allow_outside: bool = False,
    validate: bool = True,
) -> BuildResult:
    """Build ``out/documents.jsonl``, ``out/tasks/<format>/…`` and ``out/dataset/`` from ``inputs``.

    ``workers`` processes run segmentation and pre-labelling (same bytes as one); ``engine="datatrove"`` runs
    them as datatrove pipeline steps instead. ``resume`` reuses shards a previous (possibly interrupted)
    build finished. ``force`` rebuilds even when inputs, configuration and code are unchanged.
    ``validate=False`` skips checking the outputs against the schemas (``corpus validate`` can do it later).
    ``allow_outside`` lets ``out`` lie outside the working folder (``corpus.safety.check_output_dir``).
    """
    started = time.perf_counter()
    out = Path(out)
    inputs = [Path(p) for p in inputs]
    formats = tuple(formats or TASK_FORMATS)
    unknown = [f for f in formats if f not in TASK_FORMATS]
    if unknown:
        raise CorpusError(f"unknown task format(s) {', '.join(unknown)} (choose from {', '.join(TASK_FORMATS)})")
    if engine not in ENGINES:
        raise CorpusError(f"unknown engine '{engine}' (available: {', '.join(ENGINES)})")
    if workers < 1:
        raise CorpusError(f"--workers must be at least 1 (got {workers})")
    if engine == "datatrove":
        from corpus.engines import require_datatrove

        require_datatrove()
    _check_output_dir(out, allow_outside, inputs)

    config = ProcessorConfig(backends=tuple(sorted({**DEFAULT_BACKENDS, **(backends or {})}.items())))
    processor = DocumentProcessor(config)  # fails early, with a clear message, on an unknown backend
    settings = {
        "processing": config.describe(),
        "versions": processor.versions(),
        "unit": unit,
        "formats": list(formats),
        "dataset": dataset,
        "validate": validate,
        "drop_near_duplicates": drop_near_duplicates,
        "near_duplicate_threshold": near_duplicate_threshold,
    }
    # Shards depend on the processing settings and labeller versions only (a new task unit reuses them all);
    # the build as a whole depends on every setting.
    shard_key = cache_mod.config_fingerprint({"processing": settings["processing"], "versions": settings["versions"]})
    config_key = cache_mod.config_fingerprint(settings)

    out.mkdir(parents=True, exist_ok=True)
    with cache_mod.build_lock(out):
        note = cache_mod.recover(out)
        if note:
            report(InputProblem(str(out), note, severity="warning"))
        from corpus.ingest.readers import iter_input_files

        files = list(iter_input_files(inputs, lambda problem: None))
        inputs_key, estimate = cache_mod.hash_inputs(files)
        build_key = cache_mod.digest(config_key, inputs_key)

        manifest = cache_mod.read_manifest(out)
        if not force and manifest and manifest.get("build") == build_key and cache_mod.outputs_intact(out, manifest):
            return _up_to_date(out, manifest, report, started)

        staging = cache_mod.new_staging(out)
        try:
            # The manifest's copy of the problems waits on disk, not in a list: thousands of small objects kept
            # for the whole build would pin memory pages the shards' short-lived objects share (peak RSS grew
            # with the number of near duplicates).
            with quiet_gc(), RecordFile() as problems:
                result = _build_into(
                    staging,
                    out,
                    inputs,
                    report,
                    processor,
                    config,
                    shard_key,
                    unit,
                    formats,
                    workers,
                    engine,
                    resume,
                    dataset,
                    progress,
                    drop_near_duplicates,
                    near_duplicate_threshold,
                    estimate,
                    build_key,
                    settings,
                    validate,
                    problems,
                )
        finally:
            if staging.exists() and not (out / cache_mod.CACHE_DIR / cache_mod.JOURNAL).exists():
                shutil.rmtree(staging, ignore_errors=True)  # failed or empty build: old outputs stay as they were
    result.seconds = time.perf_counter() - started
    return result


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


def _build_into(
    staging: Path,
    out: Path,
    inputs: list[Path],
    report: Callable[[InputProblem], None],
    processor: DocumentProcessor,
    config: ProcessorConfig,
    shard_key: str,
    unit: str,
    formats: tuple[str, ...],
    workers: int,
    engine: str,
    resume: bool,
    dataset: bool,
    progress: bool,
    drop_near: bool,
    near_threshold: float | None,
    estimate: int,
    build_key: str,
    settings: dict,
    validate: bool,
    problems: RecordFile,
) -> BuildResult:
    from corpus.ingest import read_documents

    def relay(problem: InputProblem) -> None:
        """Name final paths, not staging ones, and keep problems for the manifest (replayed on no-op reruns)."""
        if str(staging) in problem.path:
            problem.path = problem.path.replace(str(staging), str(out))
        if len(problems) < MANIFEST_PROBLEMS:
            problems.append(orjson.dumps(asdict(problem)))
        report(problem)

    stats = Stats()
    result = BuildResult(stats)
    shard_cache = cache_mod.ShardCache(out / cache_mod.CACHE_DIR / "shards")
    docs = drop_exact_duplicates(read_documents(inputs, relay), relay, stats)
    docs = flag_near_duplicates_stage(docs, relay, drop=drop_near, threshold=near_threshold, stats=stats)
    keys: list[str] = []

    def keyed_shards() -> Iterator[tuple[str, list[dict] | ShardResult]]:
        from corpus.jsonl import dumps

        for shard in shard_documents(docs):
            key = cache_mod.digest(shard_key, *(dumps(d) for d in shard))
            keys.append(key)
            hit = shard_cache.get(key) if resume else None
            if hit is not None:
                path, info = hit
                result.cached_shards += 1
                yield key, ShardResult(path.read_bytes(), info["stats"], info["problems"], cached=True)
            else:
                yield key, shard

    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.timings[phase] = now - clock
        clock = now

    documents_path = staging / DOCUMENTS
    # Workers render every document's tasks right after pre-labelling (corpus.tasks.render_document); this
    # process only makes Prodigy hashes unique and writes lines, as shards arrive: the tasks phase runs in
    # parallel and overlaps the documents phase.
    render = (formats, unit)
    task_writers = _TaskFiles(staging / "tasks", formats)
    try:
        if engine == "datatrove":
            from corpus.engines.datatrove import map_shards_datatrove

            work_dir = out / cache_mod.CACHE_DIR / "datatrove"
            results = map_shards_datatrove(keyed_shards(), config, workers, work_dir, resume=resume)
            # datatrove segments and pre-labels; the tasks are rendered by a pool of the same size as shards
            # come back (in this process with one worker).
            results = map_shards(results, config, workers, processor=processor, render=render)
        else:
            results = map_shards(keyed_shards(), config, workers, processor=processor, render=render)
    except BaseException:
        task_writers.abort()
        raise
    bar = _progress(progress, estimate)
    try:
        with bar as advance, open(documents_path, "wb") as fh:
            for key, shard in results:
                if not shard.cached:
                    shard_cache.put(key, shard.data, {"stats": shard.stats, "problems": shard.problems})
                fh.write(shard.data)
                if shard.tasks is None:  # an engine that does not render (datatrove): render here
                    render_shard(shard, render)
                task_writers.add(shard.tasks)
                shard.tasks = None
                stats.merge(shard.stats)
                for problem in shard.problems:
                    relay(InputProblem(**problem))
                advance(shard.stats["documents"] + shard.stats["failed"])
        result.shards = len(keys)
        lap("documents")
        if stats.documents == 0:
            return result  # nothing readable: keep whatever a previous build left

        entries = [DOCUMENTS, "tasks"]
        with _progress(progress, 0, "tasks"):
            outcomes = _finish_tasks(task_writers)
    finally:
        results.close()  # stops the worker pool now, also when the build is interrupted
        task_writers.abort()
    written = _report_outcomes(outcomes, relay)
    result.outputs.append(str(out / DOCUMENTS))
    result.outputs.extend(str(out / Path(p).relative_to(staging)) for p in written)
    lap("tasks")

    if validate:
        from corpus.validate import validate_paths

        with _progress(progress, 0, "validate"):
            invalid = validate_paths([documents_path, *sorted((staging / "tasks" / "prodigy").glob("*.jsonl"))])
        for problem in invalid:
            relay(problem)
        result.invalid = sum(1 for p in invalid if p.severity == "error")
        lap("validate")

    if dataset:
        from corpus.publish import build_dataset

        options = {}
        if progress:
            from corpus.cli.common import track

            options["progress"] = lambda records: track(records, "dataset", total=stats.documents)
        build_dataset(documents_path, staging / "dataset", report=relay, **options)
        entries.append("dataset")
        result.outputs.append(str(out / "dataset"))
        lap("dataset")

    manifest = {
        "build": build_key,
        "settings": settings,
        "entries": entries,
        "stats": stats.to_dict(),
        "invalid": result.invalid,
        "shards": keys,
        "problems": [orjson.loads(problems[i]) for i in range(len(problems))],
    }
    result.rewritten = cache_mod.commit(out, staging, entries, manifest)
    shard_cache.prune(set(keys))
    shutil.rmtree(out / cache_mod.CACHE_DIR / "datatrove", ignore_errors=True)
    lap("commit")
    return result


def _progress(enabled: bool, total: int, description: str = "build"):
    """A context giving ``advance(n)``: a rich bar with rate and ETA when stderr is a terminal (a spinner with
    the elapsed time when ``total`` is 0: a phase that cannot count its progress)."""
    if not enabled:
        return nullcontext(lambda n: None)
    from contextlib import contextmanager

    from corpus.cli.common import progress_bar

    @contextmanager
    def bar():
        with progress_bar(total or None, description, enabled=True) as prog:
            task_id = prog.task_ids[0]
            yield lambda n: prog.advance(task_id, n)

    return bar()


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


def _finish_tasks(task_writers: _TaskFiles) -> list[tuple[list[str], list[dict]]]:
    """Publish the task files (inside the staging folder); outcomes in format order."""
    return task_writers.close()


def _report_outcomes(outcomes: list[tuple[list[str], list[dict]]], report: Callable[[InputProblem], None]) -> list[str]:
    written: list[str] = []
    for paths, problems in outcomes:
        written.extend(paths)
        for problem in problems:
            report(InputProblem(**problem))
    return written
