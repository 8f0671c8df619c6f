"""How the pre-labels hold up on real news: one markdown table of measures that need no gold (issue 14).

Usage: python scripts/bench_realnews.py [--eval-dir ../shared/eval] [--articles FOLDER] [--limit N]

Runs segmentation and the default pre-labellers (entities -> sources -> claims) over the PolNeAR dev and train
texts (real US election news, read at run time from ``--eval-dir`` and never copied; the gold is not used) and,
with ``--articles``, over a folder of ``.txt``/``.md``/``.html`` articles read as ``corpus ingest`` reads them.
Per corpus it prints:

* quotes covered: direct quotes (at least 4 words between double quotes, straight or curly) whose words lie
  inside a CONTENT span, at least 90% of their characters (a quote nobody is credited with is the miss);
* hyphen pieces: entity spans that are part of a hyphenated word ("zero" in zero-hours, "12" in 2011-12);
* edge symbols: entity spans that start or end with an emoji, a dash or a pipe (% of entity spans);
* claim sentences: sentences that carry a CLAIM span (% of sentences);
* attributions per 1k words: CUE spans (one per attribution) per thousand words.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from corpus.document import new_document
from corpus.evaluate import read_gold
from corpus.ingest.readers import read_documents
from corpus.prelabel import build_labellers
from corpus.segment.core import default_segmenter, segment_document

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SETS = ("polnear-dev.jsonl", "polnear-train.jsonl")

# A quotation inside one paragraph: curly marks, or straight ones paired left to right.
QUOTE = re.compile(r"“([^“”\n]*)”|\"([^\"\n]*)\"")
WORD = re.compile(r"\w+(?:[’'-]\w+)*")
DASHES = frozenset("-‐‑‒–—―|")
MIN_QUOTE_WORDS = 4
COVERED_SHARE = 0.9


@dataclass
class Counts:
    """Counts over a corpus; each measure is a ratio of two of them."""

    documents: int = 0
    words: int = 0
    quotes: int = 0
    quotes_covered: int = 0
    entities: int = 0
    hyphen_pieces: int = 0
    edge_symbols: int = 0
    sentences: int = 0
    claim_sentences: int = 0
    attributions: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def spans(doc: dict, layer: str, label: str | None = None) -> list[dict]:
    return [s for s in doc.get("spans", ()) if s["layer"] == layer and (label is None or s["label"] == label)]


def direct_quotes(text: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation of at least ``MIN_QUOTE_WORDS`` words, marks included."""
    found = []
    for m in QUOTE.finditer(text):
        inner = m.group(1) if m.group(1) is not None else m.group(2)
        if len(WORD.findall(inner)) >= MIN_QUOTE_WORDS:
            found.append((m.start(), m.end()))
    return found


def quote_coverage(doc: dict) -> tuple[int, int]:
    """(quotes covered by CONTENT spans, direct quotes) of one labelled document."""
    contents = sorted((s["start"], s["end"]) for s in spans(doc, "sources", "CONTENT"))
    quotes = direct_quotes(doc["text"])
    return sum(_covered_share(q, contents) >= COVERED_SHARE for q in quotes), len(quotes)


def _covered_share(quote: tuple[int, int], contents: list[tuple[int, int]]) -> float:
    """The share of the quote's characters between its marks that lie inside the union of ``contents``."""
    a, b = quote[0] + 1, quote[1] - 1
    if a >= b:
        return 0.0
    inside, reached = 0, a
    for s, e in contents:
        s, e = max(s, reached), min(e, b)
        if s < e:
            inside += e - s
            reached = e
    return inside / (b - a)


def hyphen_pieces(doc: dict) -> int:
    """Entity spans that are only part of a hyphenated word: a hyphen joins them to a letter or digit."""
    text = doc["text"]

    def joined(i: int, j: int) -> bool:  # text[i] is a hyphen and text[j] a letter or digit
        return 0 <= j < len(text) and 0 <= i < len(text) and text[i] == "-" and text[j].isalnum()

    return sum(joined(s["start"] - 1, s["start"] - 2) or joined(s["end"], s["end"] + 1) for s in spans(doc, "entities"))


def is_edge_symbol(ch: str) -> bool:
    """A dash, a pipe, or an emoji / pictograph (a symbol outside the letter planes)."""
    return ch in DASHES or (unicodedata.category(ch) == "So" and (ord(ch) >= 0x2190))


def edge_symbols(doc: dict) -> tuple[int, int]:
    """(entity spans starting or ending with an emoji, dash or pipe, entity spans)."""
    ents = spans(doc, "entities")
    return sum(bool(s["text"]) and (is_edge_symbol(s["text"][0]) or is_edge_symbol(s["text"][-1])) for s in ents), len(
        ents
    )


def claim_sentences(doc: dict) -> tuple[int, int]:
    """(sentences overlapped by a CLAIM span, sentences)."""
    claims = sorted((s["start"], s["end"]) for s in spans(doc, "claims", "CLAIM"))
    sentences = doc.get("sentences") or []
    return sum(any(s < e2 and s2 < e for s2, e2 in claims) for s, e in sentences), len(sentences)


def count(doc: dict) -> Counts:
    """Every measure's counts for one segmented, pre-labelled document."""
    covered, quotes = quote_coverage(doc)
    edges, entities = edge_symbols(doc)
    claimed, sentences = claim_sentences(doc)
    return Counts(
        documents=1,
        words=len(WORD.findall(doc["text"])),
        quotes=quotes,
        quotes_covered=covered,
        entities=entities,
        hyphen_pieces=hyphen_pieces(doc),
        edge_symbols=edges,
        sentences=sentences,
        claim_sentences=claimed,
        attributions=len(spans(doc, "sources", "CUE")),
    )


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def row(name: str, c: Counts) -> str:
    per_k = f"{1000 * c.attributions / c.words:.1f}" if c.words else "—"
    return (
        f"| {name} | {c.documents} | {c.words:,} | {_pct(c.quotes_covered, c.quotes)} ({c.quotes_covered}/{c.quotes}) "
        f"| {c.hyphen_pieces} | {_pct(c.edge_symbols, c.entities)} ({c.edge_symbols}/{c.entities}) "
        f"| {_pct(c.claim_sentences, c.sentences)} | {per_k} |"
    )


HEADER = (
    "| texts | documents | words | direct quotes in a CONTENT span | entity spans in hyphenated words "
    "| entity spans with emoji/dash/pipe edge | sentences with a CLAIM | attributions per 1k words |\n"
    "|---|---|---|---|---|---|---|---|"
)


def label_all(docs: Iterable[dict], limit: int | None) -> Counts:
    labellers = build_labellers()
    segmenter = default_segmenter()
    total = Counts()
    for n, doc in enumerate(docs):
        if limit is not None and n >= limit:
            break
        segment_document(doc, segmenter)
        for labeller in labellers:
            doc = labeller(doc)
        total.add(count(doc))
    return total


def gold_texts(path: Path) -> Iterator[dict]:
    """Fresh records over the gold texts (the annotations are not read)."""
    for gold in read_gold(path, report=lambda problem: print(f"{path.name}: {problem}", file=sys.stderr)):
        yield new_document(gold["text"], origin=gold["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL, help="folder holding the PolNeAR files")
    parser.add_argument("--articles", type=Path, help="a folder of .txt/.md/.html articles to measure too")
    parser.add_argument("--limit", type=int, help="at most this many documents per corpus")
    args = parser.parse_args(argv)
    rows = []
    for name in SETS:
        path = args.eval_dir / name
        if not path.is_file():
            print(f"bench_realnews: {path} not found, skipped", file=sys.stderr)
            continue
        rows.append(row(name.removesuffix(".jsonl"), label_all(gold_texts(path), args.limit)))
    if args.articles is not None:
        docs = read_documents([args.articles], lambda problem: print(problem, file=sys.stderr))
        rows.append(row(args.articles.name or str(args.articles), label_all(docs, args.limit)))
    if not rows:
        print("bench_realnews: no texts to measure", file=sys.stderr)
        return 1
    print(HEADER)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
