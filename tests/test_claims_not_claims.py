"""Not every sentence is a claim: headlines, bylines, captions, questions, pure opinion, greetings, furniture."""

from __future__ import annotations

import pytest

from corpus.document import new_document, spans_of
from corpus.prelabel import build_labellers
from corpus.prelabel.claims import _furniture_by_opening, _furniture_rules, is_furniture
from corpus.segment.core import segment_document

HEADLINE = "Port Reopens After Floods Cost Halvern €4 Million"
CLAIMS = [
    "The river port of Halvern reopened on Monday after floods that the city council said cost 4 million euros.",
    "Thanks to the new flood wall, 40 homes stayed dry, the mayor said.",
    "By Friday, the port had handled 120 barges.",
    "Share prices of the port operator fell 3 percent on Monday.",
    "Dock workers in Halvern blamed the operator for the delays.",
]
NOT_CLAIMS = [
    "By Mara Lindqvist and Jonas Beck, Valley Post",
    "Updated: 19 January 2020",
    "Photo: Barges wait on the river near the old quay.",
    "Why did the water rise so fast?",
    "Good evening and welcome to our live coverage.",
    "What a wonderful, beautiful town this is.",
    "I think we should all be proud of them.",
    "Copyright 2020 Valley Post Media",
    "Follow Jane Roe on Twitter @janeroe.",  # a line corpus ingest strips, in text that did not go through it
]


def _claims(text: str, title: str | None = None) -> list[str]:
    doc = segment_document(new_document(text, "test", title=title))
    for labeller in build_labellers():
        doc = labeller(doc)
    return [s["text"] for s in spans_of(doc, "claims")]


def test_only_checkable_sentences_of_an_article_are_claims():
    paragraphs = [HEADLINE, NOT_CLAIMS[0], NOT_CLAIMS[1], CLAIMS[0], NOT_CLAIMS[2], *NOT_CLAIMS[3:], *CLAIMS[1:]]
    assert _claims("\n\n".join(paragraphs), title=HEADLINE) == CLAIMS


@pytest.mark.parametrize(
    "headline",
    [
        HEADLINE,
        "Port Reopens After Floods Cost Halvern Millions.",
        "Halvern port reopens after floods cost the city 4 million euros.",  # short, in sentence case
        "Floods close Halvern port; \nCouncil says repairs will cost 4 million euros",  # with a subheading
    ],
)
def test_the_headline_is_no_claim_without_a_title_too(headline):
    assert _claims(f"{headline}\n\n{CLAIMS[0]}") == [CLAIMS[0]]


def test_a_one_paragraph_statement_is_never_a_headline():
    statement = "Unemployment Fell To 4 Percent In Ohio Under The Last Governor."
    assert _claims(statement) == [statement]
    # a first paragraph of prose is no headline either
    assert _claims(f"{CLAIMS[0]}\n\n{CLAIMS[1]}") == CLAIMS[:2]


def test_rules_keep_sentences_that_only_start_like_furniture():
    def match(sentence: str) -> bool | None:
        return is_furniture(sentence, 0, len(sentence)) or None

    for sentence in (*CLAIMS, "Thank you for cutting taxes by 20 percent.", "Copyright claims rose 12 percent."):
        assert match(sentence) is None, sentence
    for sentence in (*NOT_CLAIMS[:3], NOT_CLAIMS[4], NOT_CLAIMS[-1], "(Photo: Jonas Beck)", "Read more: floods"):
        assert match(sentence) is not None, sentence


def test_furniture_tries_only_rules_that_can_open_the_sentence_and_misses_none():
    """``is_furniture`` tries the rules that can open with the sentence's first two characters: on lines opening with
    letters, digits, brackets, quote marks and symbols (after a word, a space or nothing) it agrees with trying
    every rule, and it does skip some."""
    lines = [
        *CLAIMS,
        *NOT_CLAIMS,
        "(Photo: Jonas Beck)",
        "[Image credit: Valley Post]",
        "© 2020 Valley Post",
        "“Thanks for reading,” she said.",
        "5 min read",
        "AFP via Getty Images",
        "Jane Roe/Getty Images",
        "Reporting by Jonas Beck; editing by Mara Lindqvist",
        "— Valley Post",
        "Sign up for our newsletter",
        "ünder the bridge, 3 barges",
        "‘Delivered to your inbox every morning’",  # a \b right after a non-word opening
        "“Straight to your inbox: the week’s best reads",
    ]
    for before in ("", "x", " ", "\n"):
        for line in lines:
            text = before + line + "\n"
            every = any(rule.fullmatch(text, len(before), len(text) - 1) for rule in _furniture_rules())
            assert is_furniture(text, len(before), len(text) - 1) == every, (before, line)
    by_opening = _furniture_by_opening()
    assert 0 < len(by_opening.at("5 min", 0, 5)) <= len(by_opening.at("5", 0, 1)) < len(_furniture_rules())
