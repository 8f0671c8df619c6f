"""Segmentation: paragraphs, sentences, tokens and their invariants, on text written for these tests."""

from __future__ import annotations

from corpus.document import new_document
from corpus.segment import segment_document, split_paragraphs, tokenize


def _sentences(text: str) -> list[str]:
    doc = segment_document(new_document(text, origin="t"))
    return [text[s:e] for s, e in doc["sentences"]]


def test_invariants_hold_on_a_mixed_article():
    text = (
        "CITY COUNCIL VOTES ON BUDGET\n\nMonday, June 2, 2025\n\nThe council met at 9 a.m. in Springfield. "
        "Dr. Lee said the U.S. grant was late. K.C. Moran disagreed.\nImage: Council photo.\n\n"
        "Results:\n1. Parks\n2. Roads\n"
    )
    doc = segment_document(new_document(text, origin="t"))
    paragraphs, sentences, tokens = doc["paragraphs"], doc["sentences"], doc["tokens"]
    assert all(any(ps <= s and e <= pe for ps, pe in paragraphs) for s, e in sentences)
    assert all(any(ss <= t["start"] and t["end"] <= se for ss, se in sentences) for t in tokens)
    covered = {i for t in tokens for i in range(t["start"], t["end"])}
    assert covered == {i for i, ch in enumerate(text) if not ch.isspace()}


def test_dateline_and_caption_are_their_own_sentences():
    got = _sentences(
        "Thursday, May 7, 2015 On Tuesday, the mayor resigned. Crowds gathered in the square Image: Jane Roe."
    )
    assert got == [
        "Thursday, May 7, 2015",
        "On Tuesday, the mayor resigned.",
        "Crowds gathered in the square",
        "Image: Jane Roe.",
    ]


def test_line_breaks_inside_a_paragraph():
    # A line starting like a sentence ends the previous one; a hard-wrapped lowercase continuation does not.
    got = _sentences(
        "Flood warning for the valley\nResidents were told to leave.\nOfficials said the river\n"
        "would crest tonight.\n\nMore later."
    )
    assert got == [
        "Flood warning for the valley",
        "Residents were told to leave.",
        "Officials said the river\nwould crest tonight.",
        "More later.",
    ]


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
    prefix = (
        "Mr. Ortiz's U.S. trip cost $5.5bn, didn’t it?! Write to desk.news@example.org or see "
        'https://example.org/it\'s. Gen. Diaz met St. Clair on Sept. 3 -- "Fine," she said…'
    )
    plain = _words(prefix)
    for tail in (" Zoë", " cafe\u0301", " \u00a0x"):
        text = prefix + tail
        assert [text[s:e] for s, e in tokenize(text) if e <= len(prefix)] == plain
    assert plain[:8] == ["Mr.", "Ortiz", "'s", "U.S.", "trip", "cost", "$5.5bn", ","]
    assert plain[8:10] == ["did", "n’t"]
    assert "desk.news@example.org" in plain and "https://example.org/it's" in plain
    at = plain.index("Gen.")
    assert plain[at : at + 9] == ["Gen.", "Diaz", "met", "St.", "Clair", "on", "Sept.", "3", "--"]


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
    flat = regex.compile(
        rf"(?i:\b(?:{'|'.join(regex.escape(w) for w in sorted(words, key=len, reverse=True))}))"
        r"\.(?=\W|$)"
    )
    for text in ("U.S.A. and U.S. and Sept. and SEP. and st. e.g. u.s.x.", "Sept.x St.", "u.s.a.b."):
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_lines_without_a_candidate_break_are_one_sentence():
    # A final "?" or "." and periods inside numbers give Punkt no candidate break: the line is not split.
    got = _sentences("Rates rose 2.5 percent in the U.S. economy\nWhat next?\n\nPi is 3.14, e.g. in class.")
    assert got == ["Rates rose 2.5 percent in the U.S. economy", "What next?", "Pi is 3.14, e.g. in class."]


# --- Fast paths against the plain ones --------------------------------------------------------------------------
# Segmentation runs Punkt through fused loops, a decision cache and untimed patterns, and tokenizes runs of
# sentences in one engine call. These tests rebuild the slow path from NLTK's own PunktSentenceTokenizer and
# per-sentence ``tokenize`` and require the same offsets on text built from awkward pieces.

_ATOMS = [
    "Mr.",
    "Dr.",
    "Sen.",
    "U.S.",
    "D.C.",
    "J.",
    "K.C.",
    "e.g.",
    "a.m.",
    "No.",
    "Inc.",
    "St.",
    "vs.",
    "Gen.",
    "said.",
    "said",
    "The",
    "the",
    "He",
    "she",
    "Yes",
    "However,",
    "Ukraine's",
    "didn’t",
    "rock'n'roll",
    "N'T",
    "3.",
    "1.",
    "12.5",
    "2015.",
    "3rd",
    "$5.5bn",
    "12:30",
    "...",
    ". .",
    "..",
    "?!",
    "!",
    "?",
    ".",
    ",",
    ":",
    ";",
    "--",
    '"',
    "'",
    "“",
    "”",
    "’",
    "(",
    ")",
    "(Sent.)",
    'end."',
    "end.”",
    "}",
    "]",
    "—",
    "–",
    "…",
    "x@example.org",
    "https://example.org/a's.",
    "pic.twitter.com/x",
    "Zoë",
    "cafe\u0301",
    "a\u0301h",
    "👍🏽",
    "👨\u200d👩",
    "🇫🇷",
    "é",
    "\u00a0",
    "\u2009",
    "\x1c",
    "\x85",
    "\u0600",
    " ",
    " ",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\r\n",
    "\x0b",
]


def _awkward_texts(count: int, seed: int) -> list[str]:
    import random

    rnd = random.Random(seed)
    return [
        "".join(rnd.choice(_ATOMS) + (" " if rnd.random() < 0.6 else "") for _ in range(rnd.randint(1, 18)))
        for _ in range(count)
    ]


def _nltk_punkt():
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    from corpus.segment.core import Segmenter

    segmenter = Segmenter()
    # NLTK's tokenizer as shipped (timed patterns, its own token class and generators), the same parameters.
    return segmenter, PunktSentenceTokenizer(segmenter._punkt._params)


def test_fused_punkt_spans_match_nltk_span_tokenize():
    segmenter, nltk_punkt = _nltk_punkt()
    texts = _awkward_texts(3000, seed=1) + [
        'He met Mr. Smith. Then he left!! Did he? (Yes.) "Fine." she said. J. K. Rowling wrote it.',
        "Prices rose 2.5 pct. in Q3. The U.S. economy grew... Analysts said . . . nothing.\r\nNext line.",
        'A long-word-without-spaces-before.Period and a.b.c. test?" Quote! ) x. y',
    ]
    for text in texts:
        assert segmenter._punkt.spans(text) == list(nltk_punkt.span_tokenize(text)), repr(text)
        start, end = len(text) // 3, len(text) - len(text) // 4
        expected = [(s + start, e + start) for s, e in nltk_punkt.span_tokenize(text[start:end])]
        assert segmenter._punkt.spans(text, start, end) == expected, repr(text)


def test_cached_punkt_decision_matches_nltk():
    segmenter, nltk_punkt = _nltk_punkt()
    contexts = [
        "said. The",
        "Mr. Trump",
        "U.S. officials",
        "J. Smith",
        "3. The",
        "end.\nThe",
        "end.\n\nthe",
        "Sen. Ted",
        ". .",
        "...",
        'word."',
        "so?!",
        "x.)",
        "pic.twitter.com/x. Then",
    ]
    contexts += [t for t in _awkward_texts(2000, seed=2) if len(t) < 40]
    for context in contexts:
        assert segmenter._punkt._decide(context) == nltk_punkt.text_contains_sentbreak(context), repr(context)
        # twice: the second answer comes from the cache
        assert segmenter._punkt.text_contains_sentbreak(context) == nltk_punkt.text_contains_sentbreak(context)
        assert segmenter._punkt.text_contains_sentbreak(context) == nltk_punkt.text_contains_sentbreak(context)


def test_word_period_shortcut_matches_nltk():
    # The shortcut for "word. Next" contexts (`_word_period_breaks`) against NLTK's whole decision: abbreviations,
    # initials, letters beyond ASCII, digits, hyphens, what follows, and parameters with a collocation.
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    from corpus.segment.core import Segmenter

    words = ["said", "Said", "mr", "Mr", "Sen", "inc", "Jan", "J", "a", "Zoë", "İstanbul", "ǅemal", "x2", "ab-cd"]
    words += ["vs", "etc", "cafe\u0301", "No", "US", "²²"]
    follow = ["The", "the", '"We', "(a", "5", ".", "...", "Mr.", "J.", "—", "’s", "said. The", "”", ")", "'", "?"]
    follow += ["!", ":", "»", "]", ",", "-", "..", "‘x", "* y"]
    gaps = [" ", "  ", "\n", "\n\n", " \n ", "\t", "\r\n", "\u00a0", ""]
    contexts = [f"{w}.{g}{f}" for w in words for g in gaps for f in follow] + [f"{w}.{g}" for w in words for g in gaps]
    with_collocations = Segmenter()
    with_collocations._punkt._params.collocations.update({("said", "the"), ("zoë", "we")})
    for segmenter in (Segmenter(), with_collocations):
        nltk_punkt = PunktSentenceTokenizer(segmenter._punkt._params)
        shortcuts = 0
        for context in contexts:
            shortcuts += segmenter._punkt._word_period_breaks(context)
            assert segmenter._punkt._decide(context) == nltk_punkt.text_contains_sentbreak(context), repr(context)
        assert shortcuts > 100 or segmenter is with_collocations


def _slow_segment(text: str, nltk_punkt) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Sentences and tokens the plain way: NLTK's span_tokenize on each line, ``tokenize`` on each sentence
    (a first paragraph shaped like a headline is one sentence)."""
    from corpus.segment.core import _join_after_initials, _line_pieces, _trim, is_headline

    sentences: list[list[int]] = []
    for k, (ps, pe) in enumerate(split_paragraphs(text)):
        if k == 0 and is_headline(text, ps, pe):
            sentences.append([ps, pe])
            continue
        for ls, le in _line_pieces(text, ps, pe):
            chunk = text[ls:le]
            pieces = []
            for s, e in nltk_punkt.span_tokenize(chunk):
                s, e = _trim(chunk, s, e)
                if s < e:
                    pieces.append((ls + s, ls + e))
            sentences += [[s, e] for s, e in _join_after_initials(text, pieces)]
    return sentences, [token for s, e in sentences for token in tokenize(text, s, e)]


def test_segment_document_matches_the_slow_path():
    _, nltk_punkt = _nltk_punkt()
    for text in _awkward_texts(1500, seed=3):
        doc = segment_document(new_document(text, origin="t"))
        sentences, tokens = _slow_segment(text, nltk_punkt)
        assert doc["sentences"] == sentences, repr(text)
        assert [(t["start"], t["end"]) for t in doc["tokens"]] == tokens, repr(text)
        assert [t["ws"] for t in doc["tokens"]] == [e < len(text) and text[e].isspace() for _, e in tokens]


def test_sentence_runs_tokenize_like_single_sentences():
    import random

    from corpus.segment.core import _sentence_tokens, _trim

    rnd = random.Random(4)
    for text in _awkward_texts(3000, seed=4):
        # Arbitrary trimmed ranges, some adjacent, some separated by spaces only one engine counts as space.
        cuts = sorted(rnd.sample(range(len(text) + 1), min(len(text) + 1, rnd.randint(1, 6))))
        bounds = [0, *cuts, len(text)]
        sentences = [[s, e] for s, e in (_trim(text, a, b) for a, b in zip(bounds, bounds[1:], strict=False)) if s < e]
        expected = [token for s, e in sentences for token in tokenize(text, s, e)]
        assert _sentence_tokens(text, sentences) == expected, (repr(text), sentences)


def test_token_pattern_guard_and_possessives_change_no_match():
    import re

    import regex

    from corpus.segment.core import _ASCII_SPACES, _token_pattern_source

    def plain_form(source: str) -> str:  # without the leading space guard and the possessive quantifiers
        guard = source[: source.index("(?:")]
        assert guard in ("(?=\\S)", "(?=[^\\s\\xa0])")
        return source[len(guard) :].replace("++", "+")

    texts = _awkward_texts(1500, seed=5)
    for with_email in (True, False):
        ascii_source = _token_pattern_source("A-Za-z", "A-Za-z0-9", with_email, _ASCII_SPACES)
        unicode_source = _token_pattern_source(r"\p{L}", r"\p{L}\p{N}\p{M}", with_email)
        pairs = [
            (re.compile(s, re.VERBOSE | re.ASCII), re.compile(plain_form(s), re.VERBOSE | re.ASCII))
            for s in (ascii_source,)
        ]
        pairs += [
            (regex.compile(s, regex.VERBOSE), regex.compile(plain_form(s), regex.VERBOSE)) for s in (unicode_source,)
        ]
        for fast, slow in pairs:
            for text in texts:
                assert [m.span() for m in fast.finditer(text)] == [m.span() for m in slow.finditer(text)], text


def test_ascii_and_unicode_token_patterns_agree_on_plain_text():
    # The stdlib pattern runs on any text without a `_NOT_PLAIN_TEXT` character, no-break spaces included; there
    # it must find exactly the `regex` pattern's tokens (texts with a no-break space, or only plain characters).
    from corpus.segment.core import _NOT_PLAIN_TEXT, _ascii_token_pattern, _token_pattern

    texts = [t for t in _awkward_texts(4000, seed=6) if _NOT_PLAIN_TEXT.search(t) is None]
    texts += ["Mr.\u00a0Smith\u00a0said so.\u00a0\u00a0See https://example.org/a\u00a0or x@y.org\u00a0now", "\u00a0"]
    assert sum("\u00a0" in t for t in texts) > 100
    for with_email in (True, False):
        for text in texts:
            ascii_spans = [m.span() for m in _ascii_token_pattern(with_email).finditer(text)]
            assert ascii_spans == [m.span() for m in _token_pattern(with_email).finditer(text)], repr(text)


def test_an_unpickled_segmenter_splits_the_same():
    import pickle

    from corpus.segment.core import Segmenter

    text = 'He met Mr. Smith. Then he left at 9 a.m. J. K. Rowling wrote it. "Fine." (Yes.) It ended... Next.'
    segmenter = Segmenter()
    copy = pickle.loads(pickle.dumps(segmenter))
    assert copy.sentences(text, 0, len(text)) == segmenter.sentences(text, 0, len(text))
    assert len(segmenter.sentences(text, 0, len(text))) >= 4


def test_segmenter_imports_punkt_without_the_rest_of_nltk():
    # In a fresh interpreter: the segmenter loads Punkt alone (no scipy, no nltk package __init__); a later
    # `import nltk` still gives the whole package, with Punkt's classes the segmenter's own.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import corpus.segment.core as core\n"
        "assert 'scipy' not in sys.modules and 'nltk' not in sys.modules, sorted(sys.modules)\n"
        "core.Segmenter()\n"
        "import nltk\n"
        "from nltk.tokenize import PunktSentenceTokenizer, word_tokenize\n"
        "assert nltk.tokenize.punkt.PunktSentenceTokenizer is PunktSentenceTokenizer is core.PunktSentenceTokenizer\n"
        "assert nltk.redos is sys.modules['nltk.redos'] and callable(nltk.download) and callable(word_tokenize)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
