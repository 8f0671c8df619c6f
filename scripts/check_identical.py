"""Build segmentation + every pre-label layer over the seed and the evaluation sets, and diff the outputs.

A refactoring of the segmenter or the labellers must not change a byte of their output. This script runs the
build's document stages (``corpus.pipeline``: segment, then entities -> sources -> claims with the default
backends, each labeller through its batch hook) over ``seeds/`` (read and
normalised as ``corpus ingest`` does) and over every ``../shared/eval/*.jsonl`` set (the gold text as it is, as
``corpus eval`` does), and records one SHA-256 per set and part (segmentation, each layer's spans and relations,
the labeller versions, the whole document records). The sets are read at run time, never copied.

    python scripts/check_identical.py --save /tmp/identical-baseline.json    # before the change
    python scripts/check_identical.py --check /tmp/identical-baseline.json   # after: exit 1 on any difference
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from corpus.document import LAYERS, new_document
from corpus.evaluate import read_gold
from corpus.ingest.readers import read_documents
from corpus.jsonl import dumps
from corpus.pipeline import ProcessorConfig, document_stages, run_stages

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
EVAL = ROOT.parent / "shared" / "eval"
PARTS = ("segmentation", *LAYERS, "labellers", "documents")


def seed_documents(folder: Path) -> Iterator[dict]:
    """The seed articles as ``corpus ingest`` reads them (problems go to stderr)."""
    yield from read_documents([folder], lambda problem: print(f"seed: {problem}", file=sys.stderr))


def gold_documents(path: Path) -> Iterator[dict]:
    """Fresh records over the gold texts, with the gold ids (what ``corpus eval`` labels)."""
    for gold in read_gold(path, report=lambda problem: print(f"{path.name}: {problem}", file=sys.stderr)):
        doc = new_document(gold["text"], origin=gold["id"])
        doc["id"] = gold["id"]
        yield doc


def layer_record(doc: dict, layer: str) -> bytes:
    """A layer's spans and the relations that start at them, as canonical bytes."""
    spans = [s for s in doc["spans"] if s["layer"] == layer]
    ids = {s["id"] for s in spans}
    relations = [r for r in doc["relations"] if r["head"] in ids]
    return dumps({"id": doc["id"], "spans": spans, "relations": relations})


def digest_set(docs: Iterable[dict], stages: list) -> dict[str, str]:
    """SHA-256 per part over every document of one set, in order, through the build's document stages."""
    hashes = {part: hashlib.sha256() for part in PARTS}
    segment, *labellers = stages

    def segmented(stream: Iterable[dict]) -> Iterator[dict]:
        # each document as it leaves the segment stage, before a labeller sees it
        for doc in stream:
            hashes["segmentation"].update(
                dumps({k: doc[k] for k in ("id", "text", "paragraphs", "sentences", "tokens")}) + b"\n"
            )
            yield doc

    for doc in run_stages(labellers, segmented(segment.run(docs))):
        for layer in LAYERS:
            hashes[layer].update(layer_record(doc, layer) + b"\n")
        hashes["labellers"].update(dumps(doc["labellers"]) + b"\n")
        hashes["documents"].update(dumps(doc) + b"\n")
    return {part: h.hexdigest() for part, h in hashes.items()}


def sets(names: list[str] | None) -> dict[str, Iterator[dict]]:
    """Set name -> document iterator: the seed folder and every evaluation file present."""
    out: dict[str, Iterator[dict]] = {}
    if SEEDS.is_dir():
        out["seeds"] = seed_documents(SEEDS)
    for path in sorted(EVAL.glob("*.jsonl")):
        out[path.stem] = gold_documents(path)
    if names:
        out = {name: docs for name, docs in out.items() if name in names}
    return out


def build(names: list[str] | None) -> dict[str, dict[str, str]]:
    stages = document_stages(ProcessorConfig())  # segment, entities, sources, claims with the default backends
    result: dict[str, dict[str, str]] = {}
    for name, docs in sets(names).items():
        started = time.perf_counter()
        result[name] = digest_set(docs, stages)
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return result


def differences(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[str]:
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in after or name not in before:
            lines.append(f"{name}: only in the {'baseline' if name in before else 'new build'}")
            continue
        for part in PARTS:
            if before[name].get(part) != after[name].get(part):
                lines.append(f"{name}: {part} differs")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="write the hashes to this JSON file (keep it outside the repo)")
    mode.add_argument("--check", type=Path, help="compare with hashes saved earlier; exit 1 on a difference")
    parser.add_argument("--sets", nargs="*", help="only these sets (e.g. seeds polnear-dev)")
    args = parser.parse_args(argv)
    if args.check is not None and not args.check.is_file():
        print(f"check_identical: {args.check}: no such baseline (run with --save first)", file=sys.stderr)
        return 2
    result = build(args.sets)
    if args.save is not None:
        args.save.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"saved {len(result)} sets to {args.save}")
        return 0
    baseline = json.loads(args.check.read_text(encoding="utf-8"))
    if args.sets:
        baseline = {name: parts for name, parts in baseline.items() if name in args.sets}
    diff = differences(baseline, result)
    for line in diff:
        print(line)
    print(f"{len(result)} sets: " + ("identical" if not diff else f"{len(diff)} differences"))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
