"""The rules `claims` labeller on sentences written for these tests."""

from __future__ import annotations

from corpus.document import new_document, spans_of
from corpus.prelabel.claims import claim_features, load_weights
from corpus.prelabel.registry import get_labeller
from corpus.segment.core import segment_document


def claims(text: str, backend: str = "rules", with_sources: bool = False) -> dict:
    doc = segment_document(new_document(text, "test"))
    if with_sources:
        get_labeller("sources", "rules")(doc)
    get_labeller("claims", backend)(doc)
    return {s["text"]: s for s in spans_of(doc, "claims")}


FACT = "Unemployment fell from 7.8 percent to 4.1 percent between 2012 and 2016 in Ohio."
OPINION = "I think this is a wonderful and beautiful evening for all of us."
QUESTION = "Will the government raise taxes next year?"


def test_factual_numbers_outscore_opinion_and_questions():
    spans = claims(f"{FACT} {OPINION} {QUESTION}")
    fact, opinion, question = spans[FACT], spans[OPINION], spans[QUESTION]
    assert fact["score"] > 0.5 > opinion["score"]
    assert fact["score"] > question["score"]
    assert fact["attrs"]["checkworthy"] is True and opinion["attrs"]["checkworthy"] is False
    assert "numbers" in fact["attrs"]["evidence"] and "quantities" in fact["attrs"]["evidence"]
    assert opinion["attrs"]["evidence"] == [] or "numbers" not in opinion["attrs"]["evidence"]
    for span in spans.values():
        assert 0.0 <= span["score"] <= 1.0
        assert span["attrs"]["source_id"] is None


def test_hedging_lowers_the_score_of_the_same_statement():
    plain = claims("The factory closed in 2019 and 300 workers lost their jobs.")
    hedged = claims("Maybe the factory could possibly close and perhaps some workers might lose their jobs.")
    assert next(iter(plain.values()))["score"] > next(iter(hedged.values()))["score"]


def test_threshold_argument_and_attribute_agree():
    strict = claims(FACT, backend="rules:0.999")[FACT]
    loose = claims(FACT, backend="rules:0.001")[FACT]
    assert strict["score"] == loose["score"]
    assert strict["attrs"]["checkworthy"] is False and loose["attrs"]["checkworthy"] is True


def test_claim_inside_reported_speech_links_to_its_source():
    text = "The health minister said that 1,200 new beds were added to hospitals in 2023. The weather was mild."
    doc = segment_document(new_document(text, "test"))
    get_labeller("sources", "rules")(doc)
    get_labeller("claims", "rules")(doc)
    source = next(s for s in spans_of(doc, "sources") if s["label"] == "SOURCE")
    by_text = {s["text"]: s for s in spans_of(doc, "claims")}
    assert (
        by_text["The health minister said that 1,200 new beds were added to hospitals in 2023."]["attrs"]["source_id"]
        == source["id"]
    )
    assert by_text["The weather was mild."]["attrs"]["source_id"] is None


def test_spans_sit_on_tokens_and_rerun_replaces():
    text = "Exports rose by 12 percent last year. Thanks!"
    doc = segment_document(new_document(text, "test"))
    labeller = get_labeller("claims", "rules")
    labeller(doc)
    first = [dict(s) for s in spans_of(doc, "claims")]
    labeller(doc)
    assert spans_of(doc, "claims") == first
    assert [s["text"] for s in first] == ["Exports rose by 12 percent last year."]  # too short to be a claim
    starts = {t["start"] for t in doc["tokens"]}
    ends = {t["end"] for t in doc["tokens"]}
    assert all(s["start"] in starts and s["end"] in ends and s["labeller"] == "rules@1" for s in first)
    assert doc["labellers"]["claims"] == "rules@1"


def test_features_name_the_evidence():
    words = ["Sales", "doubled", "because", "prices", "were", "lower", "than", "in", "France", "."]
    feats = claim_features(words, [w[:1].isupper() for w in words])
    for name in ("f=causal", "f=comparisons", "f=named_entities", "f=numbers"):
        assert name in feats
    assert "w=sales" in feats


def test_weights_file_is_generic():
    weights = load_weights()
    assert 0.0 < weights["threshold"] < 1.0
    # per-feature weights only: every key is one evidence feature or one word
    assert all(k.startswith(("f=", "w=")) and " " not in k for k in weights["weights"])


def test_evidence_lists_features_not_words_that_share_their_name():
    text = "The harbour board reviewed the passenger numbers and the ferry timetable again."
    span = claims(text)[text]
    assert "numbers" not in span["attrs"]["evidence"]  # the word "numbers" is no count
    assert span["attrs"]["evidence"] == sorted(set(span["attrs"]["evidence"]))
