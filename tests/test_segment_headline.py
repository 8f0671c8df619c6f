"""Headlines stay one sentence: the first paragraph, when it is the title or shaped like a headline."""

from __future__ import annotations

from corpus.segment.core import SENTENCE_STARTERS, is_headline, segment_document

BODY = "The senator spoke on Monday. She left before the vote."


def _sentences(text: str, title: str | None = None) -> list[str]:
    doc = segment_document({"text": text, "title": title})
    return [text[s:e] for s, e in doc["sentences"]]


def test_a_headline_is_not_split_at_an_abbreviation():
    headline = "U.S. Sen. Warns Of Shutdown As Talks In D.C. Stall"
    expected = [headline, "The senator spoke on Monday.", "She left before the vote."]
    assert _sentences(f"{headline}\n\n{BODY}") == expected


def test_the_title_paragraph_is_one_sentence_even_with_full_stops():
    headline = "Gov. Smith signs the budget. Critics object."
    text = f"{headline}\n\n{BODY}"
    assert _sentences(text, title=headline)[0] == headline
    # a title with a site suffix still matches the paragraph it starts with
    assert _sentences(text, title=f"{headline} | Valley Post")[0] == headline
    # without a title the punctuated paragraph is prose, split as before
    assert _sentences(text)[:2] == ["Gov. Smith signs the budget.", "Critics object."]


def test_one_line_articles_and_later_paragraphs_are_split_as_before():
    # scraped text without blank lines: the first line is the first paragraph
    assert _sentences(f"Markets Fall In U.S. Trade\n{BODY}")[0] == "Markets Fall In U.S. Trade"
    # a short unpunctuated paragraph further down is not treated as a headline
    later = f"{BODY}\n\nScore so far: home 1. Away 0\n\nThe match resumed."
    assert "Score so far: home 1." in _sentences(later)


def test_headline_shape():
    text = "Port Reopens After Floods"
    assert is_headline(text, 0, len(text))
    for prose in ("The port reopened after the floods.", "port reopens", "A " + "very " * 25 + "long line"):
        assert not is_headline(prose, 0, len(prose)), prose
    assert is_headline("Gov. Smith signs. Critics object.", 0, 33, title="Gov. Smith signs. Critics object.")


def test_sentence_starters_are_data():
    assert {"the", "however", "meanwhile"} <= SENTENCE_STARTERS and all(w == w.lower() for w in SENTENCE_STARTERS)
