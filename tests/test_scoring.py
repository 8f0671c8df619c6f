"""Named matching rules and span scoring (corpus/scoring.py): the one definition of "the same span"."""

from __future__ import annotations

import pytest

from corpus.errors import CorpusError
from corpus.scoring import (
    EXACT,
    JACCARD_HALF,
    OVERLAP_HALF,
    PRF,
    MatchRule,
    best_match,
    count_matches,
    jaccard,
    match_spans,
    micro,
    overlap_of_shorter,
    per_label,
    set_counts,
)


def test_rules_parse_from_their_names_and_print_back():
    assert MatchRule.parse("exact") == EXACT
    assert MatchRule.parse("jaccard>=0.5") == JACCARD_HALF
    assert MatchRule.parse(" overlap >= .5 ") == OVERLAP_HALF
    assert MatchRule.parse(JACCARD_HALF) is JACCARD_HALF
    for rule in ("exact", "jaccard>=0.5", "overlap>=0.25", "jaccard>=1"):
        assert str(MatchRule.parse(rule)) == rule


@pytest.mark.parametrize("bad", ["", "jaccard", "jaccard>0.5", "jaccard>=0", "jaccard>=1.5", "dice>=0.5", "exactly"])
def test_bad_rule_names_are_one_clear_error(bad: str):
    with pytest.raises(CorpusError, match="matching rule"):
        MatchRule.parse(bad)


def test_similarities():
    assert jaccard((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert jaccard((0, 4), (4, 8)) == 0.0
    assert overlap_of_shorter((0, 100), (90, 110)) == pytest.approx(0.5)
    assert overlap_of_shorter((0, 0), (0, 5)) == 0.0
    assert EXACT.similarity((3, 5, "A"), (3, 5, "B")) == 1.0  # offsets only: labels are checked by accepts


def test_accepts_needs_the_same_label_and_the_threshold():
    assert EXACT.accepts((0, 5, "PER"), (0, 5, "PER"))
    assert not EXACT.accepts((0, 5, "PER"), (0, 5, "ORG"))
    assert not EXACT.accepts((0, 5), (0, 4))
    assert JACCARD_HALF.accepts((0, 10, "X"), (0, 5, "X"))  # exactly 0.5
    assert not JACCARD_HALF.accepts((0, 10, "X"), (0, 4, "X"))
    assert OVERLAP_HALF.accepts((0, 100), (90, 110)) and not OVERLAP_HALF.accepts((0, 100), (91, 111))


def test_matching_is_one_to_one_and_best_first():
    gold = [(0, 10, "A"), (20, 30, "A")]
    pred = [(0, 9, "A"), (1, 10, "A"), (22, 30, "A"), (20, 30, "B")]
    assert match_spans(gold, pred, JACCARD_HALF) == [(0, 0), (1, 2)]  # 0.9 beats another 0.9 by position
    assert count_matches(gold, pred, JACCARD_HALF) == 2
    assert count_matches(gold, pred, EXACT) == 0
    assert match_spans([(0, 10)], [(0, 5), (0, 8)], JACCARD_HALF) == [(0, 1)]  # the better one wins


def test_exact_matching_counts_repeated_spans_as_often_as_both_sides_have_them():
    gold = [(0, 3, "X"), (0, 3, "X"), (5, 6, "Y")]
    pred = [(0, 3, "X"), (5, 6, "Y"), (5, 6, "Y")]
    assert match_spans(gold, pred, EXACT) == [(0, 0), (2, 1)]
    assert count_matches(gold, pred, EXACT) == 2
    assert count_matches(gold, pred, MatchRule("jaccard", 1.0)) == 2  # the same answer as a Jaccard of 1


def test_best_match_takes_the_first_among_equals():
    assert best_match((0, 10), [(0, 4), (0, 9), (1, 10)], JACCARD_HALF) == 1
    assert best_match((0, 10), [(0, 4)], JACCARD_HALF) is None


def test_counts_per_label_and_micro():
    gold = [(0, 5, "PER"), (10, 15, "ORG"), (20, 25, "ORG")]
    pred = [(0, 5, "PER"), (10, 14, "ORG"), (30, 35, "LOC")]
    exact = per_label(gold, pred, EXACT)
    assert list(exact) == ["LOC", "ORG", "PER"]
    assert (exact["ORG"].tp, exact["ORG"].fp, exact["ORG"].fn) == (0, 1, 2)
    loose = per_label(gold, pred, JACCARD_HALF)
    assert loose["ORG"].tp == 1
    total = micro(loose.values())
    assert (total.tp, total.fp, total.fn) == (2, 1, 1)
    assert total.as_dict() == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "tp": 2, "fp": 1, "fn": 1}


def test_prf_from_matches_and_sets():
    counts = PRF()
    counts.add_matches(3, 4, 6)
    assert (counts.tp, counts.fp, counts.fn, counts.predicted, counts.gold) == (3, 1, 3, 4, 6)
    assert counts.precision == 0.75 and counts.recall == 0.5 and counts.f1 == pytest.approx(0.6)
    assert PRF().as_dict()["f1"] == 0.0
    assert set_counts({1, 2, 3}, {2, 3, 4, 5}) == (2, 2, 1)
