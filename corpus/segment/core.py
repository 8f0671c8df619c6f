"""Paragraph, sentence and token segmentation with exact code-point offsets."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

import regex

from corpus.segment._nltk import import_punkt

# Punkt without the rest of NLTK (`import_punkt`: ~1 s less start-up); the same classes as ``nltk.tokenize.punkt``.
_punkt = import_punkt()
PunktLanguageVars = _punkt.PunktLanguageVars
PunktParameters = _punkt.PunktParameters
PunktSentenceTokenizer = _punkt.PunktSentenceTokenizer
PunktToken = _punkt.PunktToken
PunktTrainer = _punkt.PunktTrainer

SEGMENTER_VERSION = "2"

# Clitics split off the word they follow, as spaCy and the Penn Treebank do ("Ukraine’s" -> "Ukraine" "’s"),
# so that an entity can end before a possessive.
_CLITIC = regex.compile(r"(?i)(?<=\p{L})(?:['’](?:s|re|ve|ll|d|m)|n['’]t)$")

_BLANK_LINE = regex.compile(r"\n[ \t]*\n\s*")
_LINE = regex.compile(r"\n")


def _word_lines(name: str) -> tuple[str, ...]:
    """A one-word-a-line list from ``corpus/segment/data``, in file order (``#`` comments and blank lines skipped)."""
    text = resources.files("corpus.segment").joinpath(f"data/{name}").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _word_list(name: str) -> frozenset[str]:
    return frozenset(_word_lines(name))


# Words that start sentences far more often than they follow an abbreviation inside one
# (``data/sentence_starters.txt``): after "U.S." a capitalised one of these begins a new sentence.
SENTENCE_STARTERS = _word_list("sentence_starters.txt")

# Initials ("J.", "K.C.") end a Punkt sentence when the next word is capitalised; a name usually follows.
_INITIALS_END = regex.compile(r"(?:^|[\s(\[\"'“‘])(?:\p{Lu}\.){1,3}$")
_CAPITAL_PERIOD = regex.compile(r"\p{Lu}\.")
_FIRST_WORD = regex.compile(r"[\"'“‘(\[]*(\p{L}[\p{L}\p{M}'’-]*)")
# A line break inside a paragraph ends a sentence when the next line starts like one (headline, dateline,
# caption, list item): not lowercase, so hard-wrapped prose ("...said\nthe minister") stays whole.
# Also split before a caption label ("... in Milan. Image: Jane Doe") and after a dateline
# ("Thursday, May 7, 2015 On Tuesday, ..."), which scraped news runs into the next sentence.
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_CAPTION = rf"(?:{'|'.join(map(regex.escape, _word_lines('caption_labels.txt')))})s?:\s"  # data/caption_labels.txt
_LINE_BREAK = regex.compile(
    r"[ \t]*\n\s*(?=[^\p{Ll}\s])"
    rf"|(?<=\p{{L}})[ \t]+(?={_CAPTION})",
)
# Cheap pre-checks: a paragraph with no line break and no caption label has no split from _LINE_BREAK (its
# lookbehind at every space is the costly part of the scan).
_CAPTION_LABEL = regex.compile(_CAPTION)
# The dateline rule, matched forwards from a line start; group 1 is the split (the whitespace before the text).
# Its splits never touch those of _LINE_BREAK (they follow a year's digit and hold no line break).
_DATELINE = regex.compile(
    rf"^{_WEEKDAY},?\s+(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH}),?\s+\d{{4}}([ \t]+)(?=\p{{Lu}})",
    regex.MULTILINE,
)
# A list marker alone ("1.", "b)") is not a sentence: Punkt splits after it at the start of a line.
_LIST_MARKER = regex.compile(r"(?:\d{1,3}|\p{L})[.)]")


@lru_cache(maxsize=1)
def abbreviations() -> tuple[str, ...]:
    """The project's abbreviation list (``corpus/segment/data/abbreviations.txt``)."""
    text = resources.files("corpus.segment").joinpath("data/abbreviations.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` shaped as a trie, longest match first.

    It matches exactly what ``"|".join(sorted(words, key=len, reverse=True))`` matches, but the engine tests one
    character per step instead of every word at every position.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict) -> str:
        alts = [regex.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        if "" in node:  # a word ends here: try the longer words first (greedy), then stop
            return f"(?:{'|'.join(alts)})?"
        return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"

    return render(trie)


def _token_pattern_source(letter: str, lnm: str, with_email: bool, space: str = r"\s") -> str:
    # ``plain`` is a shortcut for the commonest token, a word of letters followed by a space or a punctuation
    # mark that no other branch can start or continue (no ".", ":", "@", "-", "+", "_" or apostrophe): there
    # the url, e-mail, abbreviation, initialism and number branches cannot match and ``word`` would match the
    # same letters, so the tokens are the same, found in one step.
    # Every branch starts on a non-space character, so the leading ``(?=\S)`` only makes the scan skip spaces
    # without trying each branch there. ``plain`` and ``email`` are possessive
    # (``++``): giving letters back can never satisfy what follows them (a non-letter, an "@").
    # ``space``: what the pattern counts as space, as the contents of a character class (``\s`` for ``regex``).
    abbrev_alt = _alternation({a.lower() for a in abbreviations()})
    email = r"|(?P<email>[\w.+-]++@[\w-]+(?:\.[\w-]+)+)" if with_email else ""
    one_space, non_space = (r"\s", r"\S") if space == r"\s" else (f"[{space}]", f"[^{space}]")
    return rf"""(?={non_space})(?:
        (?P<plain>[{letter}]++(?=[{space},;)\]"!?”]|$))
        |(?P<url>https?://[^{space}<>"]+?(?=[.,;:!?)\]"'’”]*(?:{one_space}|$)))
        {email}
        |(?P<abbrev>(?i:\b{abbrev_alt})\.(?=\W|$))
        |(?P<initialism>\b(?:[{letter}]\.){{2,}})
        |(?P<number>[$€£]?\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s|m|bn|km|kg)?\b)
        |(?P<word>[{lnm}]+(?:['’][{lnm}]+)*)
        |(?P<punct>(?P<p1>[^{lnm}{space}])(?P=p1)*)
        )"""


@lru_cache(maxsize=2)
def _token_pattern(with_email: bool = True) -> regex.Pattern:
    """The token pattern; ``with_email=False`` drops the e-mail branch, for text without an "@"."""
    return regex.compile(_token_pattern_source(r"\p{L}", r"\p{L}\p{N}\p{M}", with_email), regex.VERBOSE)


@lru_cache(maxsize=2)
def _ascii_token_pattern(with_email: bool = True) -> re.Pattern:
    """The same pattern for the stdlib ``re`` engine (faster), valid only on text without ``_NOT_PLAIN_TEXT``.

    On ASCII letters, digits and spaces, the no-break space (a space to ``regex``, named as one here) and a few
    typographic marks that are neither letters, digits, marks, spaces nor word characters, ASCII classes
    (``re.ASCII``) select exactly what the Unicode classes select.
    """
    return re.compile(_token_pattern_source("A-Za-z", "A-Za-z0-9", with_email, _ASCII_SPACES), re.VERBOSE | re.ASCII)


# What the ASCII pattern counts as space (a character-class body): ``re.ASCII``'s ``\s`` and the no-break
# space, which scraped news is full of (one article in four of a PolNeAR feed): ``regex`` counts it as space.
_ASCII_SPACES = r"\s\xa0"
# Text the ASCII pattern handles exactly: printable ASCII, ASCII spaces (not \x1c-\x1f, which ``re.ASCII``
# and ``regex`` disagree on), the no-break space and typographic quotes, dashes, ellipsis and currency signs.
# A class of listed characters means the same in both engines; ``re`` scans it faster.
_NOT_PLAIN_TEXT = re.compile(r"[^\t\n\r\x0b\x0c\x20-\x7e\xa0’‘“”–—…€£]")
_GRAPHEME = regex.compile(r"\X")
# Characters that can join a grapheme cluster to the character before them (or, for Prepend, after). Text
# without any of them has single-character clusters only, so the tokenizer skips the per-token cluster check.
_CLUSTER_JOINER = regex.compile(
    r"[\p{M}\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}\p{Grapheme_Cluster_Break=SpacingMark}"
    r"\p{Grapheme_Cluster_Break=Prepend}\p{Grapheme_Cluster_Break=Regional_Indicator}]"
)
_RE_SPAN = re.Match.span
_REGEX_SPAN = regex.Match.span


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token ``(start, end)`` offsets for ``text[start:end]``, as offsets into ``text``.

    Tokens cover every non-space character exactly once. Punctuation runs of one character ("...", "--")
    stay together, a grapheme cluster (emoji with joiners, combining marks) is never split.
    """
    end = len(text) if end is None else end
    return _tokens(text, start, end, _engine(text, start, end))


# Which path ``tokenize`` takes for a range: the stdlib ``re`` engine, the ``regex`` engine, grapheme clusters.
_ASCII, _UNICODE, _CLUSTERS = 0, 1, 2


def _engine(text: str, start: int, end: int) -> int:
    # ``\b`` looks one character before ``start``, so that character must be plain text too.
    if _NOT_PLAIN_TEXT.search(text, max(start - 1, 0), end) is None:
        return _ASCII
    # Without a joiner every grapheme cluster is one character: tokens are the pattern's matches.
    return _UNICODE if _CLUSTER_JOINER.search(text, start, end) is None else _CLUSTERS


def _tokens(text: str, start: int, end: int, engine: int) -> list[tuple[int, int]]:
    with_email = text.find("@", start, end) >= 0
    if engine == _ASCII:
        out = list(map(_RE_SPAN, _ascii_token_pattern(with_email).finditer(text, start, end)))
    elif engine == _UNICODE:
        out = list(map(_REGEX_SPAN, _token_pattern(with_email).finditer(text, start, end)))
    else:
        return _tokenize_clusters(text, start, end, _token_pattern(with_email))
    apostrophe = text.find("'", start, end)
    curly = text.find("’", start, end)
    if apostrophe >= 0 or curly >= 0:
        _split_clitics(text, out, end, apostrophe, curly)
    return out


# What each engine's pattern skips as space (``re.ASCII`` and ``regex`` disagree beyond ASCII and on \x1c-\x1f).
_ASCII_SPACE = re.compile(r"[ \t\n\r\x0b\x0c\xa0]+")
_UNICODE_SPACE = regex.compile(r"\s+")


def _sentence_tokens(text: str, sentences: list[list[int]]) -> list[tuple[int, int]]:
    r"""The tokens of every sentence in order: ``tokenize`` sentence by sentence, in fewer engine calls.

    Consecutive sentences that ``tokenize`` runs on the same engine and that only the engine's own spaces
    separate are tokenized as one range. That gives the same tokens: no token holds a space, a lookahead at a
    sentence end sees a space where it saw the range end and accepts both (``\s|$``, ``\W|$``, ``\b``), and
    ``\b`` at a start always looked at the character before. The e-mail branch, on when any sentence of a run
    holds an "@", only matches around one. Grapheme-cluster sentences stay on their own (a cluster is read up
    to the sentence end).
    """
    out: list[tuple[int, int]] = []
    if not sentences:
        return out
    plain = _NOT_PLAIN_TEXT.search(text) is None
    run_start, run_end = sentences[0]
    run_engine = _ASCII if plain else _engine(text, run_start, run_end)
    for s, e in sentences[1:]:
        engine = _ASCII if plain else _engine(text, s, e)
        if engine == run_engine != _CLUSTERS:
            space = _ASCII_SPACE if engine == _ASCII else _UNICODE_SPACE
            if space.fullmatch(text, run_end, s):  # None for adjacent sentences too (an empty gap)
                run_end = e
                continue
        out += _tokens(text, run_start, run_end, run_engine)
        run_start, run_end, run_engine = s, e, engine
    out += _tokens(text, run_start, run_end, run_engine)
    return out


def _split_clitics(text: str, tokens: list[tuple[int, int]], end: int, apostrophe: int, curly: int) -> None:
    """Split "’s", "n't" and the like off the words that end with them, in place.

    Only tokens holding an apostrophe can end with a clitic, so only those (found by the apostrophes' offsets)
    are tested. Words are the only tokens with an apostrophe and a letter apart from URLs, which stay whole.
    """
    found: set[int] = set()
    for mark, pos in (("'", apostrophe), ("’", curly)):
        while pos >= 0:
            found.add(bisect_right(tokens, (pos, end)) - 1)  # the token that starts at or before the mark
            pos = text.find(mark, pos + 1, end)
    for i in sorted(found, reverse=True):
        s, e = tokens[i]
        if e - s > 2 and not text.startswith(("http://", "https://"), s):
            clitic = _CLITIC.search(text, s, e)
            if clitic and clitic.start() > s:
                tokens[i : i + 1] = [(s, clitic.start()), (clitic.start(), e)]


def _tokenize_clusters(text: str, start: int, end: int, pattern: regex.Pattern) -> list[tuple[int, int]]:
    """The general path, for text where a grapheme cluster may span several code points."""
    out: list[tuple[int, int]] = []
    append = out.append
    for m in pattern.finditer(text, start, end):
        s, e = m.span()
        if m.lastgroup == "word" and e - s > 2:
            clitic = _CLITIC.search(text, s, e)
            if clitic and clitic.start() > s:
                append((s, clitic.start()))
                append((clitic.start(), e))
                continue
        elif m.lastgroup == "punct" and e - s == 1:
            # Keep grapheme clusters whole: an emoji with a skin tone or a ZWJ sequence is one token.
            g = _GRAPHEME.match(text[s:end])  # a slice: the cluster is read from ``s`` alone
            if g and g.end() > 1:
                append((s, s + g.end()))
                continue
        append((s, e))
    return _merge_overlaps(out)


def _merge_overlaps(tokens: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Grapheme extension can swallow the next match; merge so tokens never overlap."""
    if not tokens:
        return tokens
    merged = [tokens[0]]
    for s, e in tokens[1:]:
        ps, pe = merged[-1]
        if s < pe:
            merged[-1] = (ps, max(pe, e))
        else:
            merged.append((s, e))
    return merged


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph offsets, whitespace-trimmed.

    Blank lines separate paragraphs. A text with no blank line at all (one paragraph per line, as scraped
    news often is) is split at every line break instead.
    """
    pieces = _split_on(text, _BLANK_LINE if _BLANK_LINE.search(text) else _LINE)
    return [p for p in (_trim(text, s, e) for s, e in pieces) if p[0] < p[1]]


def _split_on(text: str, pattern: regex.Pattern) -> list[tuple[int, int]]:
    pieces, pos = [], 0
    for m in pattern.finditer(text):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(text)))
    return pieces


def _line_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The paragraph ``text[start:end]`` cut at the line-break, caption and dateline rules, trimmed."""
    cuts = _line_cuts(text, start, end)
    if not cuts:
        return [(start, end)]  # paragraphs come trimmed
    pieces, pos = [], start
    for s, e in cuts:
        pieces.append((pos, s))
        pos = e
    pieces.append((pos, end))
    return [p for p in (_trim(text, s, e) for s, e in pieces) if p[0] < p[1]]


def _line_cuts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The stretches to cut the paragraph at: line breaks (when there is one, or a caption label), datelines."""
    cuts: list[tuple[int, int]] = []
    # A caption label holds a colon: a cheap test before the search.
    if text.find("\n", start, end) >= 0 or (
        text.find(":", start, end) >= 0 and _CAPTION_LABEL.search(text, start, end)
    ):
        cuts = [m.span() for m in _LINE_BREAK.finditer(text, start, end)]
    # Every weekday name ends in "day": a cheap test before the line-start scan.
    datelines = [m.span(1) for m in _DATELINE.finditer(text, start, end)] if text.find("day", start, end) >= 0 else []
    if datelines:
        cuts = sorted(cuts + datelines)
    return cuts


def _join_after_initials(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Undo a split after initials ("J. | Smith", "K.C. | Maurer") unless the next word starts sentences."""
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        if out:
            ps, pe = out[-1]
            if pe - ps <= 4 and _LIST_MARKER.fullmatch(text, ps, pe):  # a marker is 2 to 4 characters long
                out[-1] = (ps, e)
                continue
            if _ends_in_initials(text, ps, pe) and _starts_with_name(text, s, e):
                out[-1] = (ps, e)
                continue
        out.append((s, e))
    return out


def _ends_in_initials(text: str, ps: int, pe: int) -> bool:
    # Initials end in a capital and a period: test that cheaply before the search over the sentence.
    return bool(text[pe - 1] == "." and _CAPITAL_PERIOD.match(text, pe - 2, pe) and _INITIALS_END.search(text, ps, pe))


def _starts_with_name(text: str, s: int, e: int) -> bool:
    """The piece starts with a capitalised word that does not usually start sentences."""
    first = _FIRST_WORD.match(text, s, e)
    return bool(first and first.group(1)[0].isupper() and first.group(1).lower() not in SENTENCE_STARTERS)


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _untimed(pattern: Any) -> regex.Pattern | re.Pattern:  # an nltk.redos.TimedPattern or a compiled one
    """The same pattern compiled plainly with ``regex``, the engine NLTK's ReDoS guard compiles with."""
    if isinstance(pattern, (regex.Pattern, re.Pattern)):
        return pattern
    return regex.compile(pattern.pattern, pattern.flags)


def _break_after(candidate: Any) -> tuple[int, int]:
    """``(end of the sentence, start of the next)`` at a candidate found to break (its ``next_tok`` is -1 when
    the candidate is followed by punctuation: the next sentence starts right after it)."""
    next_start = candidate.start("next_tok")
    return candidate.end(), next_start if next_start >= 0 else candidate.end()


def _slices(text: str, breaks: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """NLTK's ``_slices_from_text``: a sentence ends after each break's candidate; the next starts at the next
    word; the last one ends before trailing whitespace (NLTK: ``len(text.rstrip())``)."""
    slices: list[tuple[int, int]] = []
    last = start
    for sentence_end, next_start in breaks:
        slices.append((last, sentence_end))
        last = next_start
    stop = end
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    slices.append((last, stop))
    return slices


class _PunktLanguageVars(PunktLanguageVars):
    """NLTK's English Punkt variables, their patterns run without NLTK's per-call ReDoS timeout.

    Subclassing the language variables is Punkt's documented way to adapt them. The patterns are Punkt's own,
    fixed and linear; on Punkt's short contexts the timeout's per-call bookkeeping cost more than the matching.
    """

    __slots__ = ()
    re_boundary_realignment = _untimed(PunktLanguageVars.re_boundary_realignment)

    def __init__(self) -> None:
        super().__init__()
        self._compile_untimed()

    def __setstate__(self, state: Any) -> None:
        self._compile_untimed()  # NLTK pickles no state: an unpickled copy compiles its patterns again

    def _compile_untimed(self) -> None:
        # NLTK compiles these on first use into the attributes its methods then return: compiled here untimed,
        # its methods return them with no wrapper call on each context.
        self._re_word_tokenizer = _untimed(super()._word_tokenizer_re())
        self._re_period_context = _untimed(super().period_context_re())


# What NLTK's Punkt counts as whitespace when it looks for the word before a candidate break (string.whitespace).
_PUNKT_WHITESPACE = " \t\n\r\x0b\x0c"


def _word_period(non_word: str) -> regex.Pattern:
    """A candidate's context that Punkt always finds a break in, unless its word is an abbreviation or the
    parameters hold collocations (`_CachingPunkt._word_period_breaks`): a word of two or more letters, its period,
    then a space or line break and another token ("said. The", "there.\n\"We"), or one of Punkt's ``non_word``
    characters, which end a word token ('said."', "ago.)")."""
    return regex.compile(rf"(\p{{L}}{{2,}})\.(?:[ \n]+\S|{non_word})")


class _PunktToken(PunktToken):
    """NLTK's Punkt token, its patterns run without the per-call ReDoS timeout (as ``_PunktLanguageVars``).

    ``token_cls`` is Punkt's hook for a token class. Each candidate break builds a few tokens and runs these
    patterns on each; the timeout's bookkeeping was most of the cost of Punkt's decision.
    """

    __slots__ = ()
    _RE_ELLIPSIS = _untimed(PunktToken._RE_ELLIPSIS)
    _RE_NUMERIC = _untimed(PunktToken._RE_NUMERIC)
    _RE_INITIAL = _untimed(PunktToken._RE_INITIAL)
    _RE_ALPHA = _untimed(PunktToken._RE_ALPHA)


class _CachingPunkt(PunktSentenceTokenizer):
    """Punkt with its per-candidate decision memoised and its span loop in one function.

    ``text_contains_sentbreak`` is a pure function of the short context around a candidate break ("said. The",
    "U.S. officials") for fixed parameters, and news repeats many contexts; the decision is Punkt's own.
    """

    _CACHE_LIMIT = 100_000

    def __init__(self, params: PunktParameters) -> None:
        super().__init__(params, lang_vars=_PunktLanguageVars(), token_cls=_PunktToken)
        self._sentbreak_cache: dict[str, bool] = {}
        self._word_period = _word_period(self._lang_vars._re_non_word_chars)

    def text_contains_sentbreak(self, text: str) -> bool:
        found = self._sentbreak_cache.get(text)
        if found is None:
            found = self._decide(text)
            if len(self._sentbreak_cache) < self._CACHE_LIMIT:
                self._sentbreak_cache[text] = found
        return found

    def _decide(self, text: str) -> bool:
        """NLTK's ``text_contains_sentbreak`` with its generator chain run as two plain loops.

        Punkt's annotation passes, in its order: every token's first pass, then each token's second pass, which
        reads the next token's first-pass state and changes only its own. A sentence break followed by another
        token is a break in the text.
        """
        if self._word_period_breaks(text):
            return True
        tokens = list(self._tokenize_words(text))
        first_pass = self._first_pass_annotation
        for token in tokens:
            first_pass(token)
        second_pass = self._second_pass_annotation
        for token, following in pairwise(tokens):
            second_pass(token, following)
            if token.sentbreak:
                return True
        return False

    def _word_period_breaks(self, text: str) -> bool:
        """Punkt's decision, known without its passes, for the commonest contexts (`_word_period`, most of the
        contexts news gives it): a word of letters, a period, then a space and a token or a non-word character.

        Punkt's word tokenizer makes "word." the first token (a letter is no word end, nor a lone period; a space
        or non-word character is), and at least one token follows. Its first pass marks "word." a break: the
        word is no abbreviation. Its second pass can only undo that for a collocation (none here), an
        abbreviation or ellipsis (neither), an initial (one letter only) or a number (letters only). So the
        first token is a break followed by a token.
        """
        word = self._word_period.match(text)
        params = self._params
        return word is not None and not params.collocations and word.group(1).lower() not in params.abbrev_types

    def spans(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
        """NLTK's ``span_tokenize(text[start:end])`` as a list of offsets into ``text``.

        NLTK's generator pipeline (``_match_potential_end_contexts``, ``_slices_from_text``,
        ``_realign_boundaries``) run as plain loops on the text in place, with the same steps and decisions.

        Each candidate's context is the word before it (back to the last ASCII whitespace, never into the
        previous candidate's word) plus the candidate and what follows it; a candidate whose word overlaps the
        next candidate's is skipped, as in NLTK. ``tests/test_segment.py`` checks this against NLTK's own.
        """
        end = len(text) if end is None else end
        breaks = self._breaks(text, start, end)
        slices = _slices(text, breaks, start, end)
        return self._realigned(text, slices)

    def _breaks(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """NLTK's ``_match_potential_end_contexts`` and break decisions: ``(end of a sentence, start of the
        next)`` for each break."""
        contains_sentbreak = self.text_contains_sentbreak
        whitespace = _PUNKT_WHITESPACE
        breaks: list[tuple[int, int]] = []  # (end of a sentence, start of the next) for each break
        # Each candidate is decided once the next one is known. Its context is text[word_start:after_end]: the
        # word, the candidate character and the lookahead ``after_tok`` that directly follows it.
        previous: Any = None
        word_start = word_end = start
        for match in self._lang_vars.period_context_re().finditer(text, start, end):
            match_start = match.start()
            # The last whitespace between the previous candidate and this one (NLTK's _get_last_whitespace_index,
            # which reports one at the first position like none at all).
            i = match_start - 1
            while i > word_end and text[i] not in whitespace:
                i -= 1
            after_space = i + 1 if i > word_end else word_start
            if (
                previous is not None
                and word_end <= after_space
                and contains_sentbreak(text[word_start : previous.end("after_tok")])
            ):
                breaks.append(_break_after(previous))
            previous, word_start, word_end = match, after_space, match_start
        if previous is not None and contains_sentbreak(text[word_start : previous.end("after_tok")]):
            breaks.append(_break_after(previous))
        return breaks

    def _realigned(self, text: str, slices: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """NLTK's ``_realign_boundaries``: closing punctuation opening a sentence ('"', ")") moves to the one
        before; empty sentences are dropped."""
        realign_re = self._lang_vars.re_boundary_realignment
        spans: list[tuple[int, int]] = []
        realign = 0
        for (s, e), (next_start, next_end) in pairwise(slices):
            s += realign
            moved = realign_re.match(text[next_start:next_end])
            if moved:
                spans.append((s, next_start + len(moved.group(0).rstrip())))
                realign = moved.end()
            else:
                realign = 0
                if s < e:
                    spans.append((s, e))
        s, e = slices[-1]
        if s + realign < e:
            spans.append((s + realign, e))
        return spans


class Segmenter:
    """Punkt sentence splitting with the project's parameters, plus paragraphs and tokens.

    ``train_text`` (optional) lets Punkt learn abbreviations, collocations and sentence starters from the
    corpus itself; the project's abbreviation list is always kept.
    """

    name = "punkt"
    version = SEGMENTER_VERSION

    def __init__(self, train_text: str | None = None, extra_abbreviations: Iterable[str] = ()):
        params = PunktParameters()
        if train_text:
            trainer = PunktTrainer()
            trainer.INCLUDE_ALL_COLLOCS = True
            trainer.train(train_text, finalize=True)
            params = trainer.get_params()
        params.abbrev_types.update(a.lower() for a in abbreviations())
        params.abbrev_types.update(a.lower().rstrip(".") for a in extra_abbreviations)
        params.sent_starters.update(SENTENCE_STARTERS)
        self._punkt = _CachingPunkt(params)

    def sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence offsets inside the paragraph ``text[start:end]``."""
        out: list[tuple[int, int]] = []
        # Punkt's own test for a candidate break: a ".", "?" or "!" followed by punctuation or by a next word.
        candidate_break = self._punkt._lang_vars.period_context_re()
        for ls, le in _line_pieces(text, start, end):
            if candidate_break.search(text, ls, le) is None:
                out.append((ls, le))  # Punkt has no candidate break here: the (trimmed) line is one sentence
                continue
            pieces = []
            for s, e in self._spans(text, ls, le):
                s, e = _trim(text, s, e)
                if s < e:
                    pieces.append((s, e))
            out.extend(_join_after_initials(text, pieces))
        return out

    def _spans(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        punkt = self._punkt
        if isinstance(punkt, _CachingPunkt):
            return punkt.spans(text, start, end)
        # Any other PunktSentenceTokenizer put in its place (the doctor's tests do): NLTK's own loop.
        return [(start + s, start + e) for s, e in punkt.span_tokenize(text[start:end])]

    def __call__(self, doc: dict) -> dict:
        return segment_document(doc, self)


_DEFAULT: Segmenter | None = None


def default_segmenter() -> Segmenter:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Segmenter()
    return _DEFAULT


# A headline without a title to compare with: one line, short, opening like a sentence, and ending in a letter or
# digit (no final punctuation, so it is no sentence of prose). Its only splits would be at abbreviations.
_HEADLINE_SHAPE = regex.compile(r"[\p{Lu}\p{N}\"'“‘][^\n]{0,198}[\p{L}\p{N}]")
_MAX_HEADLINE_WORDS = 20
_MAX_TITLE_CHARS = 300


def _squashed(text: str) -> str:
    return " ".join(text.split())


def is_headline(text: str, start: int, end: int, title: str = "") -> bool:
    """Whether the paragraph ``text[start:end]`` is a headline: the document's title (``title`` given, spaces
    squashed: the paragraph is the title or the start of it), or shaped like one (see ``_HEADLINE_SHAPE``)."""
    if title and end - start <= _MAX_TITLE_CHARS:
        paragraph = _squashed(text[start:end])
        if paragraph == title or (title.startswith(paragraph + " ") and paragraph.count(" ") >= 2):
            return True
    if not _HEADLINE_SHAPE.fullmatch(text, start, end):
        return False
    return text.count(" ", start, end) < _MAX_HEADLINE_WORDS


def segment_document(doc: dict, segmenter: Segmenter | None = None) -> dict:
    """Fill ``paragraphs``, ``sentences`` and ``tokens`` of a document record (in place; returned)."""
    seg = segmenter or default_segmenter()
    text = doc["text"]
    paragraphs = split_paragraphs(text)
    sentences: list[list[int]] = []
    title = _squashed(doc.get("title") or "")
    for k, (ps, pe) in enumerate(paragraphs):
        # Only the first paragraph can be the headline: short unpunctuated paragraphs further down are as often
        # sign-offs and table rows, whose splits the evaluation sets expect.
        if k == 0 and is_headline(text, ps, pe, title):
            sentences.append([ps, pe])  # a headline is one sentence, whatever abbreviations it holds
        else:
            sentences += map(list, seg.sentences(text, ps, pe))
    n = len(text)
    tokens = [{"start": s, "end": e, "ws": e < n and text[e].isspace()} for s, e in _sentence_tokens(text, sentences)]
    doc["paragraphs"] = [[s, e] for s, e in paragraphs]
    doc["sentences"] = sentences
    doc["tokens"] = tokens
    return doc
