#!/usr/bin/env python
"""Wall time and peak memory of a default `corpus build` on huge single-line articles (issue 12).

The article is composed here from the script's own word lists: varied news-like sentences (attributions,
quotes, numbers, dates, names, places), no paragraph break anywhere, ``--mb`` megabytes of UTF-8 text. With
``--no-punctuation`` it has no sentence punctuation at all (one 10 MB "sentence": the task units fall back to
token boundaries). Each build runs ``corpus build in -o out`` with no other flag, in a fresh temporary working
folder, in its own measuring process, so that ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak RSS
of that build alone (the largest of its processes).

    python scripts/bench_hostile.py                   # 10 MB and 20 MB
    python scripts/bench_hostile.py --mb 1 2 4        # scaling check (time should grow linearly)
    python scripts/bench_hostile.py --mb 10 --no-punctuation

Targets (issue 12): 10 MB <= 120 s and <= 1 GB peak RSS; 20 MB <= 240 s, memory bounded.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST = ("Maria", "John", "Olena", "Ahmed", "Kaja", "Luis", "Priya", "Tom", "Ingrid", "Kwame", "Mei", "Sergei")
LAST = ("Kovalenko", "Smith", "Garcia", "Okafor", "Lindqvist", "Tanaka", "Rossi", "Novak", "Haddad", "Brown")
ROLES = (
    "the finance minister",
    "a senior official",
    "the mayor",
    "the company's chief executive",
    "a spokeswoman for the agency",
    "the opposition leader",
    "an analyst at the bank",
    "the governor",
)
ORGS = (
    "the European Commission",
    "the World Bank",
    "Reuters",
    "the United Nations",
    "the central bank",
    "the city council",
    "NATO",
    "the Ministry of Health",
    "Acme Energy Ltd",
    "the Supreme Court",
)
PLACES = ("Kyiv", "Brussels", "London", "Nairobi", "Texas", "Berlin", "Tokyo", "the Baltic region", "Lagos")
VERBS = ("said", "told reporters", "wrote in a statement", "argued", "warned", "added", "insisted")
TOPICS = (
    "the budget",
    "the new tax",
    "grain exports",
    "the ceasefire talks",
    "interest rates",
    "the pension reform",
    "the power grid",
    "vaccine supplies",
    "housing prices",
    "the trade deal",
)
CHANGES = ("rose", "fell", "climbed", "dropped", "jumped", "slipped")
MONTHS = ("January", "March", "May", "July", "September", "November")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _sentence(rng: random.Random) -> str:
    n = rng.randrange(7)
    if n == 0:
        return (
            f"{_person(rng)}, {rng.choice(ROLES)}, {rng.choice(VERBS)} on {rng.choice(DAYS)} that "
            f"{rng.choice(TOPICS)} would be reviewed before {rng.choice(MONTHS)} {rng.randrange(1, 29)}."
        )
    if n == 1:
        return (
            f"“We will not accept {rng.choice(TOPICS)} in its current form,” {rng.choice(VERBS)} "
            f"{_person(rng)} in {rng.choice(PLACES)}."
        )
    if n == 2:
        return (
            f"According to {rng.choice(ORGS)}, {rng.choice(TOPICS)} {rng.choice(CHANGES)} by "
            f"{rng.randrange(2, 40)}.{rng.randrange(10)} percent in {rng.randrange(2015, 2025)}."
        )
    if n == 3:
        return (
            f"Officials in {rng.choice(PLACES)} {rng.choice(VERBS)} that about ${rng.randrange(2, 900)} "
            f"million had been set aside for {rng.choice(TOPICS)}."
        )
    if n == 4:
        return f"Is {rng.choice(TOPICS)} really the priority for {rng.choice(ORGS)} this year?"
    if n == 5:
        org = rng.choice(ORGS)
        return (
            f"{org[0].upper()}{org[1:]} met in {rng.choice(PLACES)} on {rng.choice(DAYS)}, and "
            f"{rng.choice(ROLES)} {rng.choice(VERBS)} the talks had been difficult."
        )
    return (
        f"Some {rng.randrange(3, 5000):,} people in {rng.choice(PLACES)} were affected, "
        f"{rng.choice(ROLES)} {rng.choice(VERBS)}, citing figures from {rng.choice(ORGS)}."
    )


def compose_article(megabytes: float, punctuation: bool = True, seed: int = 12) -> str:
    """One line of news-like text of about ``megabytes`` MB of UTF-8, deterministic for a seed."""
    rng = random.Random(seed)
    target = int(megabytes * 1_000_000)
    parts, size = ["Council budget talks run long"], 0
    while size < target:
        sentence = _sentence(rng)
        if not punctuation:
            sentence = sentence.translate(str.maketrans("", "", ".?!"))
        parts.append(sentence)
        size += len(sentence.encode("utf-8")) + 1
    return " ".join(parts)


def measure(workdir: str) -> None:
    """Child mode: run the build in ``workdir``, print wall time, exit code and the build's peak RSS as JSON."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "corpus", "build", "in", "-o", "out"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_mb": peak_kb / 1024,
                "code": proc.returncode,
                "stderr_tail": proc.stderr.strip().splitlines()[-3:],
            }
        )
    )


def bench(megabytes: float, punctuation: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_hostile_") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        text = compose_article(megabytes, punctuation)
        (work / "in" / "huge.txt").write_text(text, encoding="utf-8")
        proc = subprocess.run([sys.executable, __file__, "--measure", tmp], capture_output=True, text=True, check=True)
        result = json.loads(proc.stdout)
        out = work / "out"
        result["mb"] = len(text.encode("utf-8")) / 1e6
        result["outputs_mb"] = {
            p.name: round(p.stat().st_size / 1e6, 1)
            for p in [out / "documents.jsonl", *sorted((out / "tasks").rglob("*.json*"))]
            if p.exists()
        }
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[10, 20], help="article sizes in MB")
    parser.add_argument("--no-punctuation", action="store_true", help="no sentence punctuation at all")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    print("| article | punctuation | wall s | MB/s | peak RSS MB | exit | largest outputs (MB) |")
    print("|---|---|---|---|---|---|---|")
    for mb in args.mb:
        r = bench(mb, not args.no_punctuation)
        largest = ", ".join(f"{k} {v}" for k, v in sorted(r["outputs_mb"].items(), key=lambda kv: -kv[1])[:3])
        print(
            f"| {r['mb']:.1f} MB one line | {'no' if args.no_punctuation else 'yes'} | {r['seconds']:.1f} | "
            f"{r['mb'] / r['seconds']:.3f} | {r['rss_mb']:.0f} | {r['code']} | {largest} |",
            flush=True,
        )
        if r["code"] != 0:
            print("  " + " / ".join(r["stderr_tail"]), flush=True)


if __name__ == "__main__":
    main()
