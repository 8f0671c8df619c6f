"""Span scoring with named matching rules: the one place that says when two spans are "the same".

``corpus eval``, the data card's pre-label quality and annotator agreement / pre-label acceptance all count
matches through :func:`match_spans` under a :class:`MatchRule`, and each report names the rule it used, so two
numbers about the same data can always be told apart by their rule. A rule is written as a string:

- ``exact``: identical offsets (and label, when spans carry one);
- ``jaccard>=T``: character Jaccard (overlap / union) at least ``T`` (0 < T <= 1), same label;
- ``overlap>=T``: the overlap covers at least ``T`` of the shorter span (0 < T <= 1), same label.

Matching is one-to-one and greedy: the best-scoring pairs first, ties broken by gold position then prediction
position, so a result never depends on input order beyond the positions themselves. Spans are tuples
``(start, end)`` or ``(start, end, label, ...)``: everything after the offsets must be equal to match.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from corpus.errors import CorpusError

Span = tuple  # (start, end, *label parts)
KINDS = ("exact", "jaccard", "overlap")
_RULE = re.compile(r"^\s*(jaccard|overlap)\s*>=\s*([0-9]*\.?[0-9]+)\s*$")


@dataclass(frozen=True)
class MatchRule:
    """When a predicted span matches a gold one; ``str(rule)`` is the name reports carry."""

    kind: str = "exact"
    threshold: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CorpusError(f"unknown matching rule kind {self.kind!r} (use one of {', '.join(KINDS)})")
        if not 0.0 < self.threshold <= 1.0:
            raise CorpusError(f"matching rule threshold {self.threshold:g} must be in (0, 1]")

    @classmethod
    def parse(cls, text: str | MatchRule) -> MatchRule:
        """``exact`` | ``jaccard>=0.5`` | ``overlap>=0.5``."""
        if isinstance(text, MatchRule):
            return text
        if text.strip() == "exact":
            return cls()
        m = _RULE.match(text)
        if m is None:
            raise CorpusError(f"matching rule {text!r}: use 'exact', 'jaccard>=T' or 'overlap>=T' (0 < T <= 1)")
        return cls(m.group(1), float(m.group(2)))

    def __str__(self) -> str:
        return "exact" if self.kind == "exact" else f"{self.kind}>={self.threshold:g}"

    def describe(self) -> str:
        """The rule in words, for prose (a data card)."""
        if self.kind == "exact":
            return "identical offsets"
        if self.kind == "jaccard":
            return f"character Jaccard ≥ {self.threshold:g}"
        return f"overlap of at least {self.threshold:g} of the shorter span"

    def similarity(self, a: Span, b: Span) -> float:
        """How well two spans' offsets agree under this rule (1.0 for identical offsets, 0.0 when disjoint)."""
        if self.kind == "exact":
            return 1.0 if a[0] == b[0] and a[1] == b[1] else 0.0
        if self.kind == "jaccard":
            return jaccard(a, b)
        return overlap_of_shorter(a, b)

    def accepts(self, a: Span, b: Span) -> bool:
        """Whether ``a`` and ``b`` match: same label parts and a similarity at or above the threshold."""
        if tuple(a[2:]) != tuple(b[2:]):
            return False
        score = self.similarity(a, b)
        return score > 0 and score >= self.threshold


EXACT = MatchRule()
JACCARD_HALF = MatchRule("jaccard", 0.5)
OVERLAP_HALF = MatchRule("overlap", 0.5)


def rules_over(
    defaults: Mapping[str, MatchRule], rules: Mapping[str, MatchRule | str] | Iterable[str] | None
) -> dict[str, MatchRule]:
    """``defaults`` (layer -> rule) with ``rules`` laid over them: a mapping layer -> rule (or its name), or
    ``LAYER=RULE`` strings as command lines give them (``entities=jaccard>=0.5``)."""
    out = dict(defaults)
    pairs = rules.items() if isinstance(rules, Mapping) else (_layer_rule(spec) for spec in rules or ())
    for layer, rule in pairs:
        if layer not in defaults:
            raise CorpusError(f"no matching rule for {layer!r}: layers are {', '.join(defaults)}")
        out[layer] = MatchRule.parse(rule)
    return out


def _layer_rule(spec: str) -> tuple[str, str]:
    layer, eq, rule = spec.partition("=")
    if not eq or not layer.strip() or not rule.strip():
        raise CorpusError(f"matching rule {spec!r}: use LAYER=RULE, e.g. 'entities=jaccard>=0.5'")
    return layer.strip(), rule.strip()


def overlap(a: Span, b: Span) -> int:
    """Characters two half-open spans share."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def jaccard(a: Span, b: Span) -> float:
    """Character Jaccard: shared characters over the characters of either span."""
    inter = overlap(a, b)
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter else 0.0


def overlap_of_shorter(a: Span, b: Span) -> float:
    """Shared characters as a share of the shorter span."""
    shorter = min(a[1] - a[0], b[1] - b[0])
    return overlap(a, b) / shorter if shorter > 0 else 0.0


def match_spans(gold: Sequence[Span], pred: Sequence[Span], rule: MatchRule) -> list[tuple[int, int]]:
    """One-to-one matches ``(gold index, pred index)`` under ``rule``, best pairs first."""
    if rule.kind == "exact":
        return _match_exact(gold, pred)
    pairs = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if p[0] < g[1] and g[0] < p[1] and rule.accepts(g, p):
                pairs.append((-rule.similarity(g, p), i, j))
    pairs.sort()
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            out.append((i, j))
    return out


def _match_exact(gold: Sequence[Span], pred: Sequence[Span]) -> list[tuple[int, int]]:
    """Identical spans pair up in order of appearance (a repeated span matches as often as both sides have it)."""
    waiting: dict[tuple, list[int]] = {}
    for j, p in enumerate(pred):
        waiting.setdefault(tuple(p), []).append(j)
    out = []
    for i, g in enumerate(gold):
        queue = waiting.get(tuple(g))
        if queue:
            out.append((i, queue.pop(0)))
    return out


def count_matches(gold: Sequence[Span], pred: Sequence[Span], rule: MatchRule) -> int:
    """Number of one-to-one matches (:func:`match_spans`); exact matching skips building the pairs."""
    if rule.kind == "exact":
        gold_counts, pred_counts = Counter(map(tuple, gold)), Counter(map(tuple, pred))
        return sum(min(n, pred_counts[k]) for k, n in gold_counts.items())
    return len(match_spans(gold, pred, rule))


def best_match(span: Span, candidates: Sequence[Span], rule: MatchRule) -> int | None:
    """Index of the candidate most similar to ``span`` that the rule accepts (the first among equals)."""
    best, best_score = None, 0.0
    for i, cand in enumerate(candidates):
        if rule.accepts(span, cand):
            score = rule.similarity(span, cand)
            if best is None or score > best_score:
                best, best_score = i, score
    return best


class PRF:
    """True positives, false positives and false negatives, summed over documents or items."""

    __slots__ = ("tp", "fp", "fn")

    def __init__(self, tp: int = 0, fp: int = 0, fn: int = 0):
        self.tp, self.fp, self.fn = tp, fp, fn

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def add_matches(self, matched: int, predicted: int, gold: int) -> None:
        """Counts from a matching: ``matched`` of ``predicted`` predictions matched ``gold`` gold spans."""
        self.add(matched, predicted - matched, gold - matched)

    def score(self, gold: Sequence[Span], pred: Sequence[Span], rule: MatchRule) -> None:
        """Match ``pred`` against ``gold`` under ``rule`` and add the counts."""
        self.add_matches(count_matches(gold, pred, rule), len(pred), len(gold))

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def set_counts(gold: Iterable[Any], pred: Iterable[Any]) -> tuple[int, int, int]:
    """``(tp, fp, fn)`` of two sets of hashable items (exact matching of anything: boundaries, characters)."""
    gold, pred = set(gold), set(pred)
    tp = len(gold & pred)
    return tp, len(pred) - tp, len(gold) - tp


def per_label(gold: Iterable[Span], pred: Iterable[Span], rule: MatchRule) -> dict[str, PRF]:
    """Counts per label (the span's third item) under ``rule``; labels in order of name."""
    gold, pred = list(gold), list(pred)
    out = {}
    for label in sorted({s[2] for s in gold} | {s[2] for s in pred}):
        counts = PRF()
        counts.score([s for s in gold if s[2] == label], [s for s in pred if s[2] == label], rule)
        out[label] = counts
    return out


def micro(counts: Iterable[PRF]) -> PRF:
    """The counts pooled (micro average)."""
    total = PRF()
    for c in counts:
        total.add(c.tp, c.fp, c.fn)
    return total
