"""Rules `claims` labeller: every sentence becomes a CLAIM span scored for check-worthiness.

The score is a logistic model over two kinds of features:

* evidence features, named after what makes a statement checkable or not — ``numbers``, ``quantities``,
  ``named_entities``, ``factual_verbs``, ``comparisons``, ``causal`` (raise the score) and ``opinion``,
  ``hedging``, ``question``, ``prediction``, ``first_person``, ``short`` (lower it);
* lower-cased word features, which let the model learn the vocabulary of checkable statements.

Weights live in ``data/claims_weights.json``, fitted by ``scripts/train_claims.py`` on the CLEF CheckThat! 2024
English training set (generic per-feature weights only: no sentence of that set is stored). ``attrs.evidence``
lists the positive evidence features that fired; ``attrs.source_id`` links a claim inside an attribution's
CONTENT to that attribution's SOURCE span.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources

from corpus.document import add_span, clear_layer, spans_of
from corpus.offsets import TokenIndex
from corpus.prelabel.registry import register

VERSION = "1"

POSITIVE_EVIDENCE = ("numbers", "quantities", "named_entities", "factual_verbs", "comparisons", "causal")
NEGATIVE_EVIDENCE = ("opinion", "hedging", "question", "prediction", "first_person", "short")

_NUMBER = re.compile(r"\d")
_NUMBER_WORDS = frozenset(
    [
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "billions",
        "trillion",
        "trillions",
        "dozen",
        "dozens",
        "half",
        "quarter",
        "third",
        "twice",
        "double",
        "doubled",
        "tripled",
    ]
)
_QUANTITY_WORDS = frozenset(
    [
        "percent",
        "per",
        "cent",
        "%",
        "$",
        "€",
        "£",
        "dollars",
        "dollar",
        "euros",
        "pounds",
        "million",
        "billion",
        "trillion",
        "tons",
        "tonnes",
        "miles",
        "km",
        "kilometres",
        "kilometers",
        "acres",
        "barrels",
        "gallons",
        "jobs",
        "votes",
        "people",
        "deaths",
        "soldiers",
        "troops",
        "rate",
        "rates",
        "budget",
        "deficit",
        "debt",
        "tax",
        "taxes",
        "gdp",
        "unemployment",
    ]
)
_FACTUAL_VERBS = frozenset(
    [
        "voted",
        "passed",
        "signed",
        "increased",
        "decreased",
        "raised",
        "cut",
        "cuts",
        "lost",
        "gained",
        "created",
        "killed",
        "died",
        "won",
        "spent",
        "paid",
        "approved",
        "banned",
        "closed",
        "opened",
        "launched",
        "invaded",
        "attacked",
        "arrested",
        "charged",
        "convicted",
        "fell",
        "rose",
        "grew",
        "doubled",
        "tripled",
        "dropped",
        "reduced",
        "expanded",
        "funded",
        "appointed",
        "elected",
        "fired",
        "hired",
        "shipped",
        "halted",
        "froze",
        "frozen",
        "announced",
        "reported",
        "recorded",
        "confirmed",
        "supported",
        "opposed",
        "introduced",
        "vetoed",
        "sued",
        "ruled",
        "built",
        "destroyed",
        "earned",
        "owes",
        "owed",
        "costs",
        "cost",
        "received",
        "sent",
        "took",
        "gave",
    ]
)
_COMPARISONS = frozenset(
    [
        "more",
        "less",
        "fewer",
        "than",
        "most",
        "least",
        "higher",
        "lower",
        "highest",
        "lowest",
        "larger",
        "largest",
        "smaller",
        "smallest",
        "biggest",
        "bigger",
        "increase",
        "increased",
        "decrease",
        "decreased",
        "double",
        "half",
        "record",
        "worst",
        "best",
        "only",
        "first",
        "last",
        "since",
        "compared",
    ]
)
_CAUSAL = frozenset(
    ["because", "caused", "causes", "cause", "led", "result", "resulted", "due", "therefore", "thanks", "consequence"]
)
_OPINION = frozenset(
    [
        "think",
        "believe",
        "feel",
        "felt",
        "great",
        "terrible",
        "wonderful",
        "horrible",
        "beautiful",
        "amazing",
        "disgrace",
        "disaster",
        "should",
        "must",
        "ought",
        "love",
        "hate",
        "hope",
        "wish",
        "proud",
        "honored",
        "honoured",
        "thank",
        "good",
        "bad",
        "wrong",
        "right",
        "nice",
        "incredible",
        "fantastic",
        "sad",
        "shame",
    ]
)
_HEDGING = frozenset(
    ["maybe", "perhaps", "might", "may", "could", "possibly", "probably", "likely", "seems", "seem", "apparently"]
)
_PREDICTION = frozenset(["will", "gonna", "going", "'ll", "’ll", "would"])
_FIRST_PERSON = frozenset(["i", "i'm", "i’m", "me", "my", "we", "we're", "we’re", "us", "our", "you", "your"])


_NUMERIC = frozenset({"CARDINAL", "PERCENT", "MONEY", "QUANTITY"})
_MEASURES = frozenset({"PERCENT", "MONEY", "QUANTITY"})
_NAMES = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "EVENT", "LAW", "FAC"})
_LEXICAL_EVIDENCE = (
    ("f=factual_verbs", _FACTUAL_VERBS),
    ("f=comparisons", _COMPARISONS),
    ("f=causal", _CAUSAL),
    ("f=opinion", _OPINION),
    ("f=hedging", _HEDGING),
    ("f=prediction", _PREDICTION),
    ("f=first_person", _FIRST_PERSON),
)


def claim_features(words: list[str], capitalised: list[bool], entity_labels: frozenset[str] = frozenset()) -> list[str]:
    """Feature names for one claim candidate, given its tokens (and the entity labels inside it)."""
    low = [w.lower() for w in words]
    vocab = set(low)
    feats = {"w=" + w for w in vocab if w[:1].isalnum()}
    n_alpha = sum(1 for w in low if w[:1].isalpha())
    if _NUMBER.search(" ".join(words)) or not vocab.isdisjoint(_NUMBER_WORDS) or entity_labels & _NUMERIC:
        feats.add("f=numbers")
    if not vocab.isdisjoint(_QUANTITY_WORDS) or entity_labels & _MEASURES:
        feats.add("f=quantities")
    # a capitalised word not opening the sentence and not "I" is taken as a name when no entity layer exists
    if entity_labels & _NAMES or any(
        cap and k > 0 and low[k] not in ("i", "i'm", "i’m") for k, cap in enumerate(capitalised)
    ):
        feats.add("f=named_entities")
    for name, lexicon in _LEXICAL_EVIDENCE:
        if not vocab.isdisjoint(lexicon):
            feats.add(name)
    if "?" in low[-2:]:
        feats.add("f=question")
    if n_alpha < 6:
        feats.add("f=short")
    return sorted(feats)


@lru_cache(maxsize=1)
def load_weights() -> dict:
    text = resources.files("corpus.prelabel").joinpath("data/claims_weights.json").read_text("utf-8")
    return json.loads(text)


def score_features(feats: list[str], weights: dict) -> float:
    w = weights["weights"]
    z = weights["bias"] + sum(w.get(f, 0.0) for f in feats)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class RulesClaimLabeller:
    layer = "claims"
    name = "rules"
    version = VERSION

    def __init__(self, threshold: float | None = None):
        self.weights = load_weights()
        self.threshold = float(self.weights["threshold"] if threshold is None else threshold)

    def __call__(self, doc: dict) -> dict:
        clear_layer(doc, self.layer)
        tag = f"{self.name}@{self.version}"
        text = doc["text"]
        tokens = doc.get("tokens") or []
        index = TokenIndex(tokens)
        entities = sorted((s["start"], s["end"], s["label"]) for s in spans_of(doc, "entities"))
        # CONTENT span -> its SOURCE span id, so claims inside reported speech point at who said them
        contents = {s["id"]: s for s in spans_of(doc, "sources") if s["label"] == "CONTENT"}
        source_of = {r["child"]: r["head"] for r in doc.get("relations", ()) if r["label"] == "ATTRIBUTION"}
        attributed = sorted((c["start"], c["end"], source_of[cid]) for cid, c in contents.items() if cid in source_of)
        weights = self.weights["weights"]
        # add_span numbers a span by counting its layer's spans in the record it is given; giving it a record of
        # this layer only (the layer was just cleared) keeps the same ids without rescanning every entity span
        own: dict = {"text": text, "spans": []}
        ent_i = 0
        for start, end in doc.get("sentences") or []:
            span = index.shrink(start, end)
            if span is None:
                continue
            first, last = index.token_range(*span) or (None, None)
            if first is None:
                continue
            words = [text[tokens[k]["start"] : tokens[k]["end"]] for k in range(first, last + 1)]
            if sum(1 for w in words if w[:1].isalnum()) < 3:
                continue
            while ent_i < len(entities) and entities[ent_i][1] <= start:
                ent_i += 1
            labels = frozenset(lab for es, ee, lab in entities[ent_i : ent_i + 64] if es < end and ee > start)
            feats = claim_features(words, [w[:1].isupper() for w in words], labels)
            score = score_features(feats, self.weights)
            evidence = [f[2:] for f in feats if f[2:] in POSITIVE_EVIDENCE and weights.get(f, 0.0) > 0]
            source_id = _source_for(attributed, span[0], span[1])
            add_span(
                own,
                self.layer,
                "CLAIM",
                span[0],
                span[1],
                tag,
                score,
                {"checkworthy": score >= self.threshold, "evidence": evidence, "source_id": source_id},
            )
        doc["spans"].extend(own["spans"])
        doc.setdefault("labellers", {})[self.layer] = tag
        return doc


def _source_for(attributed: list[tuple[int, int, str]], start: int, end: int) -> str | None:
    """The SOURCE id of the attribution whose content covers most of ``[start, end)`` (at least half)."""
    best, best_overlap = None, 0
    for cs, ce, source_id in attributed:
        if cs >= end:
            break
        overlap = min(ce, end) - max(cs, start)
        if overlap > best_overlap:
            best, best_overlap = source_id, overlap
    return best if best_overlap * 2 >= end - start else None


@register("claims", "rules")
def rules_claims(arg: str | None = None) -> RulesClaimLabeller:
    """``rules`` or ``rules:0.4`` (a check-worthiness threshold other than the fitted one)."""
    return RulesClaimLabeller(float(arg) if arg else None)
