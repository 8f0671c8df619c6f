"""Agreement coefficients against published worked examples and hand-computed cases."""

from __future__ import annotations

import pytest

from corpus.annotations.agreement import (
    cohen_kappa,
    krippendorff_alpha_nominal,
    label_agreement,
    pairwise_span_agreement,
    span_f1,
)
from corpus.scoring import MatchRule


def test_krippendorff_alpha_nominal_reference_example():
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units, missing values;
    the nominal alpha published there is 0.743."""
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = [[v for v in unit if v is not None] for unit in zip(*coders, strict=True)]
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_edge_cases():
    assert krippendorff_alpha_nominal([["a", "a"], ["b", "b", "b"]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "a"]]) is None  # one category only: undefined
    assert krippendorff_alpha_nominal([["a"], ["b"]]) is None  # nothing rated twice
    # Two coders who always disagree on two balanced categories: systematic disagreement, alpha < 0.
    assert krippendorff_alpha_nominal([["a", "b"], ["b", "a"], ["a", "b"]]) < 0


def test_cohen_kappa_worked_example():
    """50 items: both yes 20, yes/no 5, no/yes 10, both no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4."""
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("y", "y"), ("n", "n")]) == pytest.approx(1.0)
    assert cohen_kappa([("y", "y"), ("y", "y")]) is None
    assert cohen_kappa([]) is None


def test_two_raters_kappa_and_alpha_agree_in_sign_and_order():
    votes = {
        i: {"ann": a, "bob": b}
        for i, (a, b) in enumerate([("C", "C"), ("C", "N"), ("N", "N"), ("N", "N"), ("C", "C"), ("N", "C")])
    }
    result = label_agreement(votes)
    assert result["annotators"] == 2 and result["items_rated_twice"] == 6
    assert result["cohen_kappa"] == result["pairs"][0]["kappa"] == pytest.approx(1 / 3, abs=1e-4)
    # Alpha pools both raters' labels (6 C, 6 N) and corrects for sample size: 1 - 11 * 4 / (2 * 6 * 6).
    assert result["krippendorff_alpha"] == pytest.approx(1 - 44 / 72, abs=1e-4)
    assert result["pairs"][0]["observed"] == pytest.approx(4 / 6, abs=1e-4)


def test_three_raters_have_alpha_but_no_single_kappa():
    votes = {1: {"a": "C", "b": "C", "c": "C"}, 2: {"a": "N", "b": "N"}, 3: {"b": "C", "c": "N"}, 4: {"a": "C"}}
    result = label_agreement(votes)
    assert result["cohen_kappa"] is None and len(result["pairs"]) == 3
    assert result["items"] == 4 and result["items_rated_twice"] == 3
    assert result["krippendorff_alpha"] == pytest.approx(
        krippendorff_alpha_nominal([["C", "C", "C"], ["N", "N"], ["C", "N"]]), abs=1e-4
    )


def test_span_f1_is_symmetric_and_exact():
    a = {(0, 4, "PERSON"), (10, 14, "ORG")}
    b = {(0, 4, "PERSON"), (10, 15, "ORG"), (20, 22, "GPE")}
    assert span_f1(a, b) == (pytest.approx(0.4), 1, 2, 3)
    assert span_f1(b, a) == (pytest.approx(0.4), 1, 3, 2)
    assert span_f1(set(), set()) == (None, 0, 0, 0)


def test_pairwise_agreement_only_counts_text_both_annotated():
    spans = {
        "ann": {"d1": {(0, 4, "PERSON"), (50, 54, "ORG")}},
        "bob": {"d1": {(0, 4, "PERSON"), (10, 12, "GPE")}, "d2": {(0, 3, "ORG")}},
        "cy": {"d2": {(0, 3, "ORG")}},
    }
    regions = {
        "ann": {"d1": [(0, 40), (45, 60)]},
        "bob": {"d1": [(0, 40)], "d2": [(0, 10)]},  # bob never saw d1[45:60], so ann's ORG there is not a miss
        "cy": {"d2": [(0, 10)]},
    }
    result = pairwise_span_agreement(spans, regions)
    pairs = {(r["a"], r["b"]): r for r in result["pairs"]}
    assert set(pairs) == {("ann", "bob"), ("bob", "cy")}  # ann and cy share no text
    assert pairs["ann", "bob"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert (pairs["ann", "bob"]["a_spans"], pairs["ann", "bob"]["b_spans"]) == (1, 2)
    assert pairs["bob", "cy"]["f1"] == 1.0
    assert result["micro_f1"] == pytest.approx(2 * 2 / (3 + 2), abs=1e-4)
    assert result["mean_f1"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)


def test_pairwise_agreement_names_its_matching_rule_and_can_match_loosely():
    spans = {"ann": {"d1": {(0, 10, "ORG"), (20, 24, "GPE")}}, "bob": {"d1": {(0, 8, "ORG"), (20, 24, "LOC")}}}
    regions = {"ann": {"d1": [(0, 30)]}, "bob": {"d1": [(0, 30)]}}
    exact = pairwise_span_agreement(spans, regions)
    assert exact["match"] == "exact" and exact["pairs"][0]["matches"] == 0
    loose = pairwise_span_agreement(spans, regions, MatchRule.parse("jaccard>=0.5"))
    # "ORG" 0-8 inside 0-10 (Jaccard 0.8) now matches; a different label never does.
    assert loose["match"] == "jaccard>=0.5" and loose["pairs"][0]["matches"] == 1
    assert loose["micro_f1"] == 0.5
