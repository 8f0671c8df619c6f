"""Oversized articles are cut into parts at paragraph, sentence or word ends (corpus.ingest.parts)."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings

from corpus.ingest import read_documents
from corpus.ingest.parts import part_bounds
from corpus.report import Reporter


def test_short_text_is_one_part():
    assert part_bounds("One short article.", 100) == [(0, 18)]
    assert part_bounds("x" * 50, 0) == [(0, 50)]  # 0: never cut


def test_cut_prefers_a_paragraph_break_then_a_sentence_end_then_a_space():
    first = "The mayor spoke first. Then the council voted on the plan."
    text = f"{first}\n\nA second paragraph follows here."
    assert [text[s:e] for s, e in part_bounds(text, len(first) + 5)][0] == first + "\n\n"
    sentences = "The port reopened on Monday. Officials counted forty ships by noon. Trade resumed."
    pieces = [sentences[s:e] for s, e in part_bounds(sentences, 50)]
    assert pieces[0] == "The port reopened on Monday. "
    words = "alpha beta gamma delta epsilon zeta eta theta"
    assert all(p.endswith(" ") for p in [words[s:e] for s, e in part_bounds(words, 20)][:-1])
    assert part_bounds("x" * 25, 10) == [(0, 10), (10, 20), (20, 25)]  # nowhere to cut: at the limit


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .\nAZ!"), max_size=400), st.integers(min_value=1, max_value=60))
def test_parts_tile_the_text_within_the_limit(text, limit):
    bounds = part_bounds(text, limit)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    if len(text) <= limit:
        assert bounds == [(0, len(text))]
    else:
        assert all(0 < e - s <= limit for s, e in bounds)


def test_a_long_one_line_article_becomes_parts_with_their_place(tmp_path):
    sentences = [f"Report {i} says the harbour handled {i * 7} ships in week {i}." for i in range(400)]
    text = " ".join(sentences)
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    (tmp_path / "short.txt").write_text("A short article about the harbour.", encoding="utf-8")
    reporter = Reporter(echo=None)
    docs = list(read_documents([tmp_path], reporter, part_chars=5_000))
    parts = [d for d in docs if d["origin"].endswith("long.txt")]
    assert len(parts) >= -(-len(text) // 5_000)
    assert all(len(d["text"]) <= 5_000 for d in parts)
    assert [d["ingest"]["part"]["index"] for d in parts] == list(range(1, len(parts) + 1))
    assert {d["ingest"]["part"]["of"] for d in parts} == {len(parts)}
    for d in parts:  # every part is the article's text at its recorded start, cut after a sentence
        start = d["ingest"]["part"]["start"]
        assert text[start : start + len(d["text"])] == d["text"]
        assert d["text"].endswith(".")
    assert len({d["id"] for d in parts}) == len(parts)
    assert any("built as" in str(p) and "long.txt" in str(p) for p in reporter.problems)
    assert reporter.errors == 0
    (short,) = [d for d in docs if d["origin"].endswith("short.txt")]
    assert "part" not in short["ingest"]
