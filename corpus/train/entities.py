"""Entities: spaCy NER trained on our tokens, labels taken from the gold; predictions as code-point spans."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from typing import Any

from corpus.evaluate import Scores
from corpus.offsets import TokenIndex
from corpus.train.engine import ensure_component, make_doc, token_span
from corpus.train.gold import GoldDoc

COMPONENT = "ner"
# spaCy's default NER model with a larger hash embedding (fewer collisions on names): CPU-friendly, no vectors.
NER_MODEL = {
    "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
    "hidden_width": 64, "maxout_pieces": 2, "use_upper": True, "nO": None,
    "tok2vec": {"@architectures": "spacy.HashEmbedCNN.v2", "pretrained_vectors": None, "width": 96, "depth": 4,
                "embed_size": 5000, "window_size": 1, "maxout_pieces": 3, "subword_features": True},
}  # fmt: skip


def labels(docs: list[GoldDoc]) -> list[str]:
    return sorted({e["label"] for d in docs if d.has("entities") for e in d.gold["entities"]})


def add_component(nlp: Any, label_set: list[str]) -> bool:
    return ensure_component(nlp, COMPONENT, NER_MODEL, label_set)


def _token_ranges(gd: GoldDoc, spans: list[dict], stats: Counter[str]) -> list[tuple[int, int, str]]:
    """Gold spans as token ranges ``[a, b)``; a span off our token boundaries is widened to whole tokens."""
    index = TokenIndex(gd.doc["tokens"])
    out = []
    for ent in spans:
        rng = index.token_range(ent["start"], ent["end"])
        if rng is None:
            snapped = index.snap(ent["start"], ent["end"])
            rng = None if snapped is None else index.token_range(*snapped)
            stats["widened" if rng is not None else "lost"] += 1
        if rng is not None:
            out.append((rng[0], rng[1] + 1, ent["label"]))
    return sorted(out)


def _merge_units(units: list[tuple[int, int]], ents: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Join consecutive sentences that a gold entity crosses (a segmentation error must not cut a name)."""
    starts = [u[0] for u in units]
    joined = [False] * len(units)  # joined[k]: unit k continues into unit k + 1
    for a, b, _ in ents:
        first, last = bisect_right(starts, a) - 1, bisect_right(starts, b - 1) - 1
        for k in range(max(first, 0), last):
            joined[k] = units[k][1] == units[k + 1][0]
    out: list[tuple[int, int]] = []
    for k, unit in enumerate(units):
        if k and joined[k - 1]:
            out[-1] = (out[-1][0], unit[1])
        else:
            out.append(unit)
    return out


def examples(nlp: Any, docs: list[GoldDoc], stats: Counter[str]) -> list[Any]:
    """One training ``Example`` per sentence (sentences a gold entity crosses are joined)."""
    return span_examples(nlp, docs, "entities", lambda gd: gd.gold["entities"], stats)


def span_examples(
    nlp: Any, docs: list[GoldDoc], layer: str, gold_spans: Callable[[GoldDoc], list[dict]], stats: Counter[str]
) -> list[Any]:
    """NER examples, one per unit of the layer, from labelled gold spans (overlaps: the longest is kept)."""
    from spacy.training import Example
    from spacy.util import filter_spans

    out = []
    for gd in docs:
        if not gd.has(layer):
            continue
        ents = _token_ranges(gd, gold_spans(gd), stats)
        for i, j in _merge_units(gd.units(layer), ents):
            ref = make_doc(nlp.vocab, gd.doc, i, j)
            spans = [_labelled(ref, a - i, b - i, label) for a, b, label in ents if i <= a and b <= j]
            kept = filter_spans(spans)
            stats["overlapping"] += len(spans) - len(kept)
            ref.ents = kept
            out.append(Example(make_doc(nlp.vocab, gd.doc, i, j), ref))
    return out


def _labelled(ref: Any, a: int, b: int, label: str) -> Any:
    from spacy.tokens import Span

    return Span(ref, a, b, label=label)


def predict_many(
    nlp: Any, items: list[tuple[dict, list[tuple[int, int]]]], batch_size: int = 256
) -> list[list[tuple[int, int, str]]]:
    """The model's entities for several documents at once (one nlp.pipe stream), as code-point spans."""
    where = [(k, i) for k, (_, units) in enumerate(items) for i, _ in units]
    docs = (make_doc(nlp.vocab, doc, i, j) for doc, units in items for i, j in units)
    out: list[list[tuple[int, int, str]]] = [[] for _ in items]
    for (k, i), sdoc in zip(where, nlp.pipe(docs, batch_size=batch_size), strict=True):
        doc = items[k][0]
        out[k] += [(*token_span(doc, i, ent.start, ent.end), ent.label_) for ent in sdoc.ents]
    return out


def predict(nlp: Any, doc: dict, units: list[tuple[int, int]], batch_size: int = 256) -> list[tuple[int, int, str]]:
    """The model's entities over the given sentences of one document, as code-point ``(start, end, label)``."""
    return predict_many(nlp, [(doc, units)], batch_size)[0]


def score(nlp: Any, dev: list[GoldDoc]) -> tuple[float, dict]:
    """Typed F1 over the dev documents (the project's scorer), and the full entity report."""
    scores = Scores()
    for gd in dev:
        if not gd.has("entities"):
            continue
        units = gd.units("entities")
        bounds = [(gd.doc["tokens"][i]["start"], gd.doc["tokens"][j - 1]["end"]) for i, j in units]
        gold = [
            {"start": e["start"], "end": e["end"], "label": e["label"]}
            for e in gd.gold["entities"]
            if gd.coverage is None or any(s <= e["start"] and e["end"] <= t for s, t in bounds)
        ]
        pred = [{"start": s, "end": e, "label": lab} for s, e, lab in predict(nlp, gd.doc, units)]
        scores.docs_with["entities"] += 1
        scores.add_entities(gold, pred)
    report = scores.as_dict().get("entities")
    return (report["typed"]["f1"], report) if report else (0.0, {})
