"""Claims: a spaCy text classifier (bag of words and bigrams) deciding check-worthiness sentence by sentence.

A linear model over n-grams, not a CNN: on debates other than the training ones a plain bag-of-n-grams
classifier keeps most of its F1, where richer models and the rules lose much more.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from corpus.evaluate import Scores
from corpus.offsets import TokenIndex
from corpus.train.engine import ensure_component, make_doc
from corpus.train.gold import GoldDoc

COMPONENT = "textcat"
POSITIVE, NEGATIVE = "CHECKWORTHY", "NOT_CHECKWORTHY"
THRESHOLD = 0.5
TEXTCAT_MODEL = {
    "@architectures": "spacy.TextCatBOW.v3",
    "exclusive_classes": True,
    "ngram_size": 2,
    "no_output_layer": False,
    "length": 262144,
    "nO": None,
}


def labels(docs: list[GoldDoc]) -> list[str]:
    seen = {bool(c.get("checkworthy")) for d in docs if d.has("claims") for c in d.gold["claims"]}
    return [POSITIVE, NEGATIVE] if seen else []


def add_component(nlp: Any, label_set: list[str]) -> bool:
    return ensure_component(nlp, COMPONENT, TEXTCAT_MODEL, label_set)


def _claim_ranges(gd: GoldDoc, stats: Counter[str]) -> list[tuple[int, int, bool]]:
    """Gold claims as token ranges ``[i, j)`` with their decision (widened to whole tokens when needed)."""
    index = TokenIndex(gd.doc["tokens"])
    out = []
    for claim in gd.gold["claims"]:
        snapped = index.snap(claim["start"], claim["end"])
        rng = None if snapped is None else index.token_range(*snapped)
        if rng is None:
            stats["lost"] += 1
            continue
        out.append((rng[0], rng[1] + 1, bool(claim.get("checkworthy"))))
    return out


def examples(nlp: Any, docs: list[GoldDoc], stats: Counter[str]) -> list[Any]:
    from spacy.training import Example

    out = []
    for gd in docs:
        if not gd.has("claims"):
            continue
        for i, j, positive in _claim_ranges(gd, stats):
            stats[POSITIVE if positive else NEGATIVE] += 1
            cats = {POSITIVE: float(positive), NEGATIVE: float(not positive)}
            out.append(Example.from_dict(make_doc(nlp.vocab, gd.doc, i, j), {"cats": cats}))
    return out


def probabilities(nlp: Any, doc: dict, units: list[tuple[int, int]], batch_size: int = 256) -> list[float]:
    """P(check-worthy) of each token range."""
    docs = (make_doc(nlp.vocab, doc, i, j) for i, j in units)
    return [sdoc.cats.get(POSITIVE, 0.0) for sdoc in nlp.pipe(docs, batch_size=batch_size)]


def score(nlp: Any, dev: list[GoldDoc]) -> tuple[float, dict]:
    """Positive-class F1 on the dev claims (the project's scorer), the model deciding each gold claim's text."""
    scores = Scores()
    for gd in dev:
        if not gd.has("claims"):
            continue
        ranges = _claim_ranges(gd, Counter())
        tokens = gd.doc["tokens"]
        probs = probabilities(nlp, gd.doc, [(i, j) for i, j, _ in ranges])
        pred = [
            {"start": tokens[i]["start"], "end": tokens[j - 1]["end"], "checkworthy": p >= THRESHOLD}
            for (i, j, _), p in zip(ranges, probs, strict=True)
        ]
        scores.docs_with["claims"] += 1
        scores.add_claims(gd.gold["claims"], pred)
    report = scores.as_dict().get("claims")
    return (report["checkworthy"]["f1"], report) if report else (0.0, {})
