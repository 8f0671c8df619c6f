"""The rules `claims` labeller on sentences written for these tests."""

from __future__ import annotations

from corpus.document import add_span, new_document, spans_of
from corpus.prelabel.claims import (
    _I_FORMS,
    _NAMED,
    _SHORT,
    NEGATIVE_EVIDENCE,
    POSITIVE_EVIDENCE,
    _evidence,
    _TokenFacts,
    claim_features,
    load_weights,
    score_features,
)
from corpus.prelabel.lexicon import lower_tokens
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


def test_factual_numbers_are_claims_opinion_and_questions_are_not():
    spans = claims(f"{FACT} {OPINION} {QUESTION}")
    assert list(spans) == [FACT]  # pure opinion and a question get no CLAIM span
    fact = spans[FACT]
    assert fact["score"] > 0.5 and fact["attrs"]["checkworthy"] is True
    assert "numbers" in fact["attrs"]["evidence"] and "quantities" in fact["attrs"]["evidence"]
    assert fact["attrs"]["source_id"] is None


def test_factual_numbers_outscore_opinion_and_questions(monkeypatch):
    monkeypatch.setattr("corpus.prelabel.claims.not_a_claim", lambda mask: False)  # score every sentence
    spans = claims(f"{FACT} {OPINION} {QUESTION}")
    fact, opinion, question = spans[FACT], spans[OPINION], spans[QUESTION]
    assert fact["score"] > 0.5 > opinion["score"]
    assert fact["score"] > question["score"]
    assert opinion["attrs"]["checkworthy"] is False
    for span in spans.values():
        assert 0.0 <= span["score"] <= 1.0


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
    text = "The health minister said that 1,200 new beds were added to hospitals in 2023. It rained on 3 days."
    doc = segment_document(new_document(text, "test"))
    get_labeller("sources", "rules")(doc)
    get_labeller("claims", "rules")(doc)
    source = next(s for s in spans_of(doc, "sources") if s["label"] == "SOURCE")
    by_text = {s["text"]: s for s in spans_of(doc, "claims")}
    assert (
        by_text["The health minister said that 1,200 new beds were added to hospitals in 2023."]["attrs"]["source_id"]
        == source["id"]
    )
    assert by_text["It rained on 3 days."]["attrs"]["source_id"] is None


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
    assert all(s["start"] in starts and s["end"] in ends and s["labeller"] == "rules@2" for s in first)
    assert doc["labellers"]["claims"] == "rules@2"


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
    text = "The Harbour Board reviewed the passenger numbers and the ferry timetable again."
    span = claims(text)[text]
    assert "numbers" not in span["attrs"]["evidence"]  # the word "numbers" is no count
    assert span["attrs"]["evidence"] == sorted(set(span["attrs"]["evidence"]))


# --- shortcuts of the labeller that must agree with the plain definitions ----------------------------------


def test_labeller_evidence_and_score_agree_with_claim_features(monkeypatch):
    monkeypatch.setattr("corpus.prelabel.claims.not_a_claim", lambda mask: False)  # score questions and opinion too
    text = (
        "Unemployment fell from 7.8 percent to 4.1 percent in Ohio. I think we should maybe wait, don't you? "
        "Exports to France rose because the euro was weaker than last year. Prices will probably rise again. "
        "Twelve thousand troops were sent. The mayor said that taxes caused the deficit. It is 5 km long!\n\n"
        "Nordbank paid €2 billion for the Harbour Act? I’m proud of our best team. Short one here."
    )
    doc = segment_document(new_document(text, "test"))
    entities = (("Ohio", "GPE"), ("France", "GPE"), ("Twelve thousand", "CARDINAL"), ("€2 billion", "MONEY"))
    for surface, label in entities:
        start = text.index(surface)
        add_span(doc, "entities", label, start, start + len(surface), "test@1")
    weights = load_weights()
    get_labeller("claims", "rules")(doc)
    claims = spans_of(doc, "claims")
    assert [c["text"] for c in claims][-3:] == [
        "Nordbank paid €2 billion for the Harbour Act?",
        "I’m proud of our best team.",
        "Short one here.",
    ]
    fired: set[str] = set()
    for span in claims:
        inside = [t for t in doc["tokens"] if span["start"] <= t["start"] and t["end"] <= span["end"]]
        words = [text[t["start"] : t["end"]] for t in inside]
        labels = frozenset(
            s["label"] for s in spans_of(doc, "entities") if s["start"] < span["end"] and s["end"] > span["start"]
        )
        feats = claim_features(words, [w[:1].isupper() for w in words], labels)
        assert span["score"] == round(score_features(feats, weights), 4), span["text"]
        evidence = _plain_evidence(span["text"], words, labels)
        positive = [f[2:] for f in evidence if f[2:] in POSITIVE_EVIDENCE and weights["weights"].get(f, 0.0) > 0]
        assert span["attrs"]["evidence"] == positive, span["text"]
        fired.update(evidence)
    assert fired == {f"f={name}" for name in (*POSITIVE_EVIDENCE, *NEGATIVE_EVIDENCE)}  # every feature tried


def _plain_evidence(sentence: str, words: list[str], labels: frozenset[str]) -> list[str]:
    """``_evidence`` of a sentence's words, its facts computed the plain way."""
    low = [w.lower() for w in words]
    return _evidence(
        set(low),
        any(c.isdigit() for c in sentence),
        any(w[:1].isupper() and k > 0 and low[k] not in _I_FORMS for k, w in enumerate(words)),
        sum(1 for w in low if w[:1].isalpha()),
        low[-2:],
        labels,
    )


def test_lower_tokens_matches_lower_casing_each_token():
    texts = [
        "Plain ASCII Words, SAID the Mayor.",
        "“Curly” QUOTES — and Ünïcödé CAPITALS.",
        "İSTANBUL İs a city: the dotted capital grows when lower-cased.",
        "ΟΔΟΣ ΟΔΟΣ. ΣΟΦΟΣ’Σ: a capital sigma lower-cases by what follows it.",
    ]
    for text in texts:
        doc = segment_document(new_document(text, "test"))
        starts = [t["start"] for t in doc["tokens"]]
        ends = [t["end"] for t in doc["tokens"]]
        # also offsets that cut words, so the sigma's neighbours differ inside and outside the token
        starts2 = [a + 1 if b - a > 2 else a for a, b in zip(starts, ends, strict=True)]
        for a_list, b_list in ((starts, ends), (starts2, ends)):
            expected = [text[a:b].lower() for a, b in zip(a_list, b_list, strict=True)]
            first = lower_tokens(text, a_list, b_list)
            assert first == expected
            first.append("changed by the caller")
            assert lower_tokens(text, a_list, b_list) == expected  # the kept copy is not the caller's list
    # a token ending in "Σ" inside a word: alone it is a final sigma, in the running text it is not
    assert lower_tokens("ΑΣΑ ΟΔΟΣ", [0, 4], [2, 8]) == ["ας", "οδος"]
    # the same text with other offsets is recomputed, not served from the last call
    text = "One Two Three"
    assert lower_tokens(text, [0, 4, 8], [3, 7, 13]) == ["one", "two", "three"]
    assert lower_tokens(text, [0, 4, 8], [3, 7, 12]) == ["one", "two", "thre"]
    starts = [0, 4]
    assert lower_tokens(text, starts, [3, 7]) == ["one", "two"]
    starts[1] = 8  # changed in place after the call
    assert lower_tokens(text, starts, [3, 13]) == ["one", "three"]


def test_token_classes_agree_with_the_string_methods():
    """The one-byte classes of the tokens' first characters count and find what the str methods would, on every
    short run of tokens (capitals that lower-case to two characters, numerals, curly quotes, "I" forms)."""
    text = "Ⅻ Ünïcödé said I’m in İstanbul, I said; 42 “Quote” ½ ok. ΣΟΦΟΣ IBM I'm i Iowa 3rd ǅemal ok"
    tokens = segment_document(new_document(text, "test"))["tokens"]
    facts = _TokenFacts(text, tokens)
    initials = [text[t["start"]] for t in tokens]
    for first in range(len(tokens)):
        for last in range(first, min(len(tokens), first + 9)):
            run = initials[first : last + 1]
            assert facts.alnum_count(first, last) == sum(c.isalnum() for c in run)
            bits = facts.mask(set(), first, last)
            named = any(initials[k].isupper() and facts.lows[k] not in _I_FORMS for k in range(first + 1, last + 1))
            assert bool(bits & _NAMED) == named, (first, last)
            assert bool(bits & _SHORT) == (sum(c.isalpha() for c in run) < 6), (first, last)


_SCORE_IN_A_FRESH_PROCESS = """
import sys
from corpus.prelabel.claims import RulesClaimLabeller
labeller = RulesClaimLabeller()
words = sorted(labeller.word_keys)
vocab = set(words[:: max(1, len(words) // 40)])  # ~40 weighted words, spread over the list
print(repr(labeller._score(0, vocab)[0]))
"""


def test_score_is_the_same_float_whatever_the_string_hash_seed():
    """A sentence's words are a set, whose order follows the process's hash seed; the unrounded score (which the
    threshold compares) must not, or reruns could differ in their last bits and a tie could flip."""
    import os
    import subprocess
    import sys

    scores = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", _SCORE_IN_A_FRESH_PROCESS], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        scores.add(run.stdout.strip())
    assert len(scores) == 1, scores
