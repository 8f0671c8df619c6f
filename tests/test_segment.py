"""Segmentation: paragraphs, sentences, tokens and their invariants, on text written for these tests."""

from __future__ import annotations

from corpus.document import new_document
from corpus.segment import segment_document, split_paragraphs, tokenize


def _sentences(text: str) -> list[str]:
    doc = segment_document(new_document(text, origin="t"))
    return [text[s:e] for s, e in doc["sentences"]]


def test_invariants_hold_on_a_mixed_article():
    text = ("CITY COUNCIL VOTES ON BUDGET\n\nMonday, June 2, 2025\n\nThe council met at 9 a.m. in Springfield. "
            "Dr. Lee said the U.S. grant was late. K.C. Moran disagreed.\nImage: Council photo.\n\n"
            "Results:\n1. Parks\n2. Roads\n")
    doc = segment_document(new_document(text, origin="t"))
    paragraphs, sentences, tokens = doc["paragraphs"], doc["sentences"], doc["tokens"]
    assert all(any(ps <= s and e <= pe for ps, pe in paragraphs) for s, e in sentences)
    assert all(any(ss <= t["start"] and t["end"] <= se for ss, se in sentences) for t in tokens)
    covered = {i for t in tokens for i in range(t["start"], t["end"])}
    assert covered == {i for i, ch in enumerate(text) if not ch.isspace()}


def test_dateline_and_caption_are_their_own_sentences():
    got = _sentences("Thursday, May 7, 2015 On Tuesday, the mayor resigned. Crowds gathered in the square "
                     "Image: Jane Roe.")
    assert got == ["Thursday, May 7, 2015", "On Tuesday, the mayor resigned.", "Crowds gathered in the square",
                   "Image: Jane Roe."]


def test_line_breaks_inside_a_paragraph():
    # A line starting like a sentence ends the previous one; a hard-wrapped lowercase continuation does not.
    got = _sentences("Flood warning for the valley\nResidents were told to leave.\nOfficials said the river\n"
                     "would crest tonight.\n\nMore later.")
    assert got == ["Flood warning for the valley", "Residents were told to leave.",
                   "Officials said the river\nwould crest tonight.", "More later."]


def test_abbreviation_then_sentence_starter_splits():
    got = _sentences("The delegation flew to Washington D.C. The talks began on Monday.")
    assert got == ["The delegation flew to Washington D.C.", "The talks began on Monday."]


def test_initials_do_not_end_sentences():
    got = _sentences("The firm hired K.C. Moran last year. J. Whitfield signed the order.")
    assert got == ["The firm hired K.C. Moran last year.", "J. Whitfield signed the order."]


def test_list_numbers_stay_with_their_item():
    got = _sentences("Results:\n1. Anna Berg 12.71\n2. Mia Holt 12.74")
    assert got == ["Results:", "1. Anna Berg 12.71", "2. Mia Holt 12.74"]


def test_paragraphs_and_tokens():
    assert split_paragraphs("One.\n\n  Two.\n") == [(0, 4), (8, 12)]
    assert split_paragraphs("Line one\nLine two") == [(0, 8), (9, 17)]
    text = "Ukraine's $5.5 bn deal"
    assert [text[s:e] for s, e in tokenize(text)] == ["Ukraine", "'s", "$5.5", "bn", "deal"]


def _words(text: str, end: int | None = None) -> list[str]:
    return [text[s:e] for s, e in tokenize(text, 0, end)]


def test_tokens_are_the_same_on_every_engine_path():
    # Plain text takes the stdlib `re` path; any other character the `regex` path; a combining mark the
    # grapheme-cluster path. The tokens of the shared prefix must not depend on which one ran.
    prefix = ("Mr. Ortiz's U.S. trip cost $5.5bn, didn’t it?! Write to desk.news@example.org or see "
              "https://example.org/it's. Gen. Diaz met St. Clair on Sept. 3 -- \"Fine,\" she said…")
    plain = _words(prefix)
    for tail in (" Zoë", " cafe\u0301", " \u00a0x"):
        text = prefix + tail
        assert [text[s:e] for s, e in tokenize(text) if e <= len(prefix)] == plain
    assert plain[:8] == ["Mr.", "Ortiz", "'s", "U.S.", "trip", "cost", "$5.5bn", ","]
    assert plain[8:10] == ["did", "n’t"]
    assert "desk.news@example.org" in plain and "https://example.org/it's" in plain
    at = plain.index("Gen.")
    assert plain[at:at + 9] == ["Gen.", "Diaz", "met", "St.", "Clair", "on", "Sept.", "3", "--"]


def test_grapheme_clusters_stay_whole_next_to_punctuation():
    text = "Great work 👍🏽! Flag 🇫🇷, and ¡a\u0301h!"
    words = [text[s:e] for s, e in tokenize(text)]
    assert words[2:4] == ["👍🏽", "!"] and "🇫🇷" in words and "a\u0301h" in words
    assert "".join(words) == "".join(text.split())


def test_abbreviation_alternation_prefers_the_longest_abbreviation():
    import regex

    from corpus.segment.core import _alternation

    words = {"u.s", "u.s.a", "st", "sept", "sep", "e.g"}
    trie = regex.compile(rf"(?i:\b{_alternation(words)})\.(?=\W|$)")
    flat = regex.compile(rf"(?i:\b(?:{'|'.join(regex.escape(w) for w in sorted(words, key=len, reverse=True))}))"
                         r"\.(?=\W|$)")
    for text in ("U.S.A. and U.S. and Sept. and SEP. and st. e.g. u.s.x.", "Sept.x St.", "u.s.a.b."):
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_lines_without_a_candidate_break_are_one_sentence():
    # A final "?" or "." and periods inside numbers give Punkt no candidate break: the line is not split.
    got = _sentences("Rates rose 2.5 percent in the U.S. economy\nWhat next?\n\nPi is 3.14, e.g. in class.")
    assert got == ["Rates rose 2.5 percent in the U.S. economy", "What next?", "Pi is 3.14, e.g. in class."]
