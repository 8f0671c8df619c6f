"""The counting functions of scripts/bench_realnews.py, on a document this test writes and labels by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from corpus.document import add_span, new_document
from corpus.segment.core import segment_document

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_realnews.py"

TEXT = (
    "Zero-hours contracts rose by two-thirds, the union said. 🚀 Kestrel launched.\n\n"
    "“We will not accept these terms at all,” Jane Doe said. "
    '"This is only the beginning of it," she added. "Too short," said one.'
)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_realnews", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_realnews"] = module  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["bench_realnews"]
    return module


def span(doc: dict, layer: str, label: str, surface: str) -> None:
    start = doc["text"].index(surface)
    add_span(doc, layer, label, start, start + len(surface), "test@1")


@pytest.fixture
def doc() -> dict:
    doc = segment_document(new_document(TEXT, "test"))
    span(doc, "entities", "CARDINAL", "Zero")  # a piece of "Zero-hours"
    span(doc, "entities", "CARDINAL", "two")  # a piece of "two-thirds"
    span(doc, "entities", "ORG", "🚀 Kestrel")  # starts with an emoji
    span(doc, "entities", "PERSON", "Jane Doe")
    span(doc, "sources", "CONTENT", "“We will not accept these terms at all,”")
    span(doc, "sources", "CUE", "said")
    span(doc, "sources", "CUE", "added")
    span(doc, "claims", "CLAIM", "Zero-hours contracts rose by two-thirds, the union said.")
    return doc


def test_direct_quotes_need_four_words(bench):
    quotes = [TEXT[a:b] for a, b in bench.direct_quotes(TEXT)]
    assert quotes == ["“We will not accept these terms at all,”", '"This is only the beginning of it,"']


def test_quote_coverage_counts_quotes_inside_content(bench, doc):
    assert bench.quote_coverage(doc) == (1, 2)


def test_entity_edge_and_hyphen_counts(bench, doc):
    assert bench.hyphen_pieces(doc) == 2
    assert bench.edge_symbols(doc) == (1, 4)
    assert bench.is_edge_symbol("—") and bench.is_edge_symbol("|") and not bench.is_edge_symbol("K")


def test_claim_sentences_and_the_table_row(bench, doc):
    claimed, sentences = bench.claim_sentences(doc)
    assert claimed == 1 and sentences == len(doc["sentences"]) > 1
    counts = bench.count(doc)
    assert (counts.attributions, counts.quotes, counts.quotes_covered, counts.hyphen_pieces) == (2, 2, 1, 2)
    row = bench.row("written", counts)
    assert row.startswith("| written | 1 |") and "50.0% (1/2)" in row and "25.0% (1/4)" in row
