"""Inter-annotator agreement: pairwise span F1, Cohen's kappa and Krippendorff's alpha (nominal).

Implemented from the definitions (a few lines each) rather than pulling a dependency for them:

- span F1 between annotators A and B over the same text: ``2 |A ∩ B| / (|A| + |B|)``, where ``A ∩ B`` are the
  one-to-one matches of ``(start, end, label)`` keys under a named matching rule of :mod:`corpus.scoring`
  (``exact`` by default; symmetric, so neither annotator is "gold").
- Cohen's kappa (two raters, every item rated by both): ``(p_o - p_e) / (1 - p_e)`` with ``p_e`` from each
  rater's own label distribution.
- Krippendorff's alpha, nominal metric, any number of raters, missing ratings allowed:
  ``alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k`` from the coincidence matrix ``o``
  (each unit with ``m >= 2`` ratings adds ``1 / (m - 1)`` per ordered pair of its ratings).

Each function returns ``None`` where the coefficient is undefined (no items, or no variation at all).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations

from corpus.scoring import EXACT, MatchRule, count_matches


def span_f1(a: Iterable[Hashable], b: Iterable[Hashable]) -> tuple[float | None, int, int, int]:
    """``(f1, matches, len(a), len(b))``; ``f1`` is ``None`` when both sets are empty."""
    set_a, set_b = set(a), set(b)
    matches = len(set_a & set_b)
    total = len(set_a) + len(set_b)
    return (None if total == 0 else 2 * matches / total), matches, len(set_a), len(set_b)


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa for ``(label_by_rater_1, label_by_rater_2)`` per item."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for x, y in pairs if x == y) / n
    first, second = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(first[c] * second[c] for c in first.keys() | second.keys()) / (n * n)
    if expected == 1.0:
        return None  # both raters used one and the same label throughout: kappa is 0/0
    return (observed - expected) / (1 - expected)


def _coincidences(units: Iterable[Sequence[Hashable]]) -> Counter[tuple[Hashable, Hashable]]:
    """The coincidence matrix: every ordered pair of ratings within a unit, weighted 1 / (ratings - 1)."""
    coincidence: Counter[tuple[Hashable, Hashable]] = Counter()
    for ratings in units:
        m = len(ratings)
        if m < 2:
            continue  # a unit rated once carries no information about agreement
        for i, j in ((i, j) for i in range(m) for j in range(m) if i != j):
            coincidence[ratings[i], ratings[j]] += 1 / (m - 1)
    return coincidence


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's alpha (nominal) over units, each the list of ratings it received (missing left out)."""
    coincidence = _coincidences(units)
    marginals: Counter[Hashable] = Counter()
    for (c, _k), weight in coincidence.items():
        marginals[c] += weight
    n = sum(marginals.values())
    if n <= 1:
        return None
    disagree_observed = sum(w for (c, k), w in coincidence.items() if c != k)
    disagree_expected = sum(marginals[c] * marginals[k] for c in marginals for k in marginals if c != k)
    if disagree_expected == 0:
        return None  # a single category was ever used: no variation to agree on
    return 1 - (n - 1) * disagree_observed / disagree_expected


def pairwise_span_agreement(
    spans: Mapping[str, Mapping[Hashable, set]],
    regions: Mapping[str, Mapping[Hashable, list[tuple[int, int]]]],
    rule: MatchRule = EXACT,
) -> dict:
    """Pairwise span F1 between annotators on the text both of them annotated, spans matched under ``rule``.

    ``spans[annotator][doc_id]`` is a set of ``(start, end, label, ...)`` keys; ``regions[annotator][doc_id]``
    the ``(start, end)`` stretches of that document the annotator covered. Returns ``{"match": rule name,
    "pairs": [...], "micro_f1", "mean_f1"}`` where micro pools the matches of every pair.
    """
    rows = [
        row
        for a, b in combinations(sorted(spans.keys() | regions.keys()), 2)
        if (row := _pair_agreement(a, b, spans, regions, rule)) is not None
    ]
    pooled_matches = sum(r["matches"] for r in rows)
    pooled_total = sum(r["a_spans"] + r["b_spans"] for r in rows)
    defined = [r["f1"] for r in rows if r["f1"] is not None]
    return {
        "match": str(rule),
        "pairs": rows,
        "micro_f1": _round(2 * pooled_matches / pooled_total) if pooled_total else None,
        "mean_f1": _round(sum(defined) / len(defined)) if defined else None,
    }


def _pair_agreement(
    a: str,
    b: str,
    spans: Mapping[str, Mapping[Hashable, set]],
    regions: Mapping[str, Mapping[Hashable, list[tuple[int, int]]]],
    rule: MatchRule,
) -> dict | None:
    """One pair's row, or ``None`` when the two never covered the same text."""
    shared_docs = matches = n_a = n_b = 0
    for doc_id in regions.get(a, {}).keys() & regions.get(b, {}).keys():
        shared = intersect(regions[a][doc_id], regions[b][doc_id])
        if not shared:
            continue
        shared_docs += 1
        in_a = sorted(k for k in spans.get(a, {}).get(doc_id, ()) if inside(k[0], k[1], shared))
        in_b = sorted(k for k in spans.get(b, {}).get(doc_id, ()) if inside(k[0], k[1], shared))
        matches += count_matches(in_a, in_b, rule)
        n_a, n_b = n_a + len(in_a), n_b + len(in_b)
    if not shared_docs:
        return None
    f1 = 2 * matches / (n_a + n_b) if n_a + n_b else None
    return {
        "a": a,
        "b": b,
        "documents": shared_docs,
        "a_spans": n_a,
        "b_spans": n_b,
        "matches": matches,
        "f1": _round(f1),
    }


def _label_pair(a: str, b: str, votes: Mapping[Hashable, Mapping[str, Hashable]]) -> dict | None:
    """One pair's observed agreement and kappa over the items both rated; ``None`` when there are none."""
    both = [(by[a], by[b]) for by in votes.values() if a in by and b in by]
    if not both:
        return None
    agree = sum(1 for x, y in both if x == y)
    return {
        "a": a,
        "b": b,
        "items": len(both),
        "observed": _round(agree / len(both)),
        "kappa": _round(cohen_kappa(both)),
    }


def _two_rater_kappa(annotators: list, pairs: list[dict]) -> float | None:
    """Cohen's kappa itself, when exactly two annotators took part (and rated an item in common)."""
    return pairs[0]["kappa"] if len(annotators) == 2 and pairs else None


def label_agreement(votes: Mapping[Hashable, Mapping[str, Hashable]]) -> dict:
    """Agreement on one label per item (check-worthiness): ``votes[item][annotator] = label``.

    Cohen's kappa for every pair of annotators over the items both rated, ``cohen_kappa`` itself when exactly
    two annotators took part, and Krippendorff's alpha (nominal) over every item rated at least twice.
    """
    annotators = sorted({a for by in votes.values() for a in by})
    pairs = [row for a, b in combinations(annotators, 2) if (row := _label_pair(a, b, votes)) is not None]
    units = [[by[a] for a in sorted(by)] for by in votes.values()]
    rated_twice = sum(1 for u in units if len(u) >= 2)
    return {
        "annotators": len(annotators),
        "items": len(votes),
        "items_rated_twice": rated_twice,
        "cohen_kappa": _two_rater_kappa(annotators, pairs),
        "pairs": pairs,
        "krippendorff_alpha": _round(krippendorff_alpha_nominal(units)),
    }


def intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlaps of two lists of ``(start, end)`` stretches."""
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return out


def inside(start: int, end: int, regions: Iterable[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in regions)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
