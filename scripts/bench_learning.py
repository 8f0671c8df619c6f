"""Learning curves: how much annotation buys how much pre-label quality.

Usage: python scripts/bench_learning.py [--eval-dir ../shared/eval] [--sets conll polnear ct24]
       [--sizes 25 50 100 200 all] [--max-minutes 5] [--seed 0] [--keep DIR]

For each training set (conll-train, polnear-train, ct24-train in ../shared/eval) and each size, trains a model
on that many documents (a stable hash order, so a smaller subset is inside every larger one) with
`corpus.train`, scores it on the matching dev set with `corpus.evaluate.evaluate` (the library behind
`corpus eval`), and prints one markdown table with the rules' scores on the same dev set and each run's training
time. The gold is read from the eval folder at run time; subsets are written to a temporary folder and deleted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from corpus.errors import CorpusError
from corpus.evaluate import CONLL_LABEL_MAP, evaluate
from corpus.jsonl import read_jsonl, write_jsonl
from corpus.train.gold import load_gold, stable_fraction
from corpus.train.loop import Settings, train

# name -> (train file, dev file, layer, label map for the rules, what one score means)
SETS = {
    "conll": ("conll-train.jsonl", "conll-testa.jsonl", "entities", CONLL_LABEL_MAP, "typed F1"),
    "polnear": ("polnear-train.jsonl", "polnear-dev.jsonl", "sources", None, "source / cue / content span F1"),
    "ct24": ("ct24-train.jsonl", "ct24-dev.jsonl", "claims", None, "check-worthy F1"),
}


def headline(result: dict, layer: str) -> str:
    """The set's measure from a `corpus eval` report, as it appears in the README tables."""
    scores = result["scores"]
    if layer == "entities":
        return f"{scores['entities']['typed']['f1']:.3f}"
    if layer == "sources":
        return " / ".join(f"{scores['attributions'][r]['span']['f1']:.3f}" for r in ("source", "cue", "content"))
    return f"{scores['claims']['checkworthy']['f1']:.3f}"


def subset(records: list[dict], n: int | None, folder: Path) -> Path:
    """The first ``n`` records in stable hash order, written to a temporary gold file."""
    chosen = sorted(records, key=lambda r: stable_fraction(r["id"]))[:n]
    path = folder / f"train-{len(chosen)}.jsonl"
    write_jsonl(path, chosen)
    return path


def run_set(name: str, eval_dir: Path, sizes: list[str], args: argparse.Namespace, folder: Path) -> list[list[str]]:
    train_file, dev_file, layer, rules_map, _ = SETS[name]
    train_path, dev_path = eval_dir / train_file, eval_dir / dev_file
    if not train_path.is_file() or not dev_path.is_file():
        print(f"skipped {name}: {train_path} or {dev_path} is absent", file=sys.stderr)
        return []
    records = [obj for _, obj in read_jsonl(train_path)]
    dev_docs = load_gold([dev_path])
    rules = evaluate(dev_path, label_map=rules_map, layers=[layer])
    rows = [[name, "rules", "—", headline(rules, layer), "—"]]
    for size in sizes:
        n = None if size == "all" else int(size)
        if n is not None and n >= len(records):
            continue
        gold = subset(records, n, folder)
        out = folder / f"{name}-{size}"
        started = time.monotonic()
        settings = Settings(layer, max_minutes=args.max_minutes, seed=args.seed)
        train([gold], load_gold([gold]), dev_docs, settings, out)
        seconds = time.monotonic() - started
        result = evaluate(dev_path, backends={layer: f"model:{out}"}, layers=[layer])
        rows.append([name, "model", str(n or len(records)), headline(result, layer), f"{seconds:.0f} s"])
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
        if args.keep:
            out.rename(Path(args.keep) / out.name)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "eval"))
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--sizes", nargs="+", default=["25", "50", "100", "200", "all"])
    parser.add_argument("--max-minutes", type=float, default=5.0, help="time budget of each training run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="move the trained model folders here")
    args = parser.parse_args()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-learning-") as tmp:
            for name in args.sets:
                rows += run_set(name, Path(args.eval_dir), args.sizes, args, Path(tmp))
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("| set | labeller | training documents | dev score | training time |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
