"""Paragraph, sentence and token segmentation with exact code-point offsets."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import regex
from nltk.tokenize.punkt import PunktLanguageVars, PunktParameters, PunktSentenceTokenizer, PunktTrainer

SEGMENTER_VERSION = "2"

# Clitics split off the word they follow, as spaCy and the Penn Treebank do ("Ukraine’s" -> "Ukraine" "’s"),
# so that an entity can end before a possessive.
_CLITIC = regex.compile(r"(?i)(?<=\p{L})(?:['’](?:s|re|ve|ll|d|m)|n['’]t)$")

_BLANK_LINE = regex.compile(r"\n[ \t]*\n\s*")
_LINE = regex.compile(r"\n")

# Words that start sentences far more often than they follow an abbreviation inside one: after "U.S." or
# "D.C.", a capitalised one of these begins a new sentence (Punkt's frequent-sentence-starter heuristic).
SENTENCE_STARTERS = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "there", "here", "it", "its", "he", "she", "they",
    "we", "i", "you", "his", "her", "their", "our", "my", "your", "in", "on", "at", "after", "before",
    "when", "while", "during", "since", "until", "as", "if", "although", "though", "because", "but", "and",
    "or", "so", "yet", "however", "meanwhile", "also", "then", "now", "today", "yesterday", "earlier",
    "later", "still", "instead", "according", "despite", "some", "many", "most", "several", "few", "all",
    "both", "each", "every", "no", "one", "two", "three", "image", "photo", "picture", "caption", "source",
    "credit"
})

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
_LINE_BREAK = regex.compile(
    r"[ \t]*\n\s*(?=[^\p{Ll}\s])"
    r"|(?<=\p{L})[ \t]+(?=(?:Image|Photo|Picture|Photograph|Caption|Credit)s?:\s)",
)
# Cheap pre-checks: a paragraph with no line break and no caption label has no split from _LINE_BREAK (its
# lookbehind at every space is the costly part of the scan).
_CAPTION_LABEL = regex.compile(r"(?:Image|Photo|Picture|Photograph|Caption|Credit)s?:\s")
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
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` shaped as a trie, longest match first.

    It matches exactly what ``"|".join(sorted(words, key=len, reverse=True))`` matches, but the engine tests one
    character per step instead of every word at every position (the flat form of the abbreviation list was
    half the tokenizer's time).
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


def _token_pattern_source(letter: str, lnm: str, with_email: bool) -> str:
    # ``plain`` is a shortcut for the commonest token, a word of letters followed by a space or a punctuation
    # mark that no other branch can start or continue (no ".", ":", "@", "-", "+", "_" or apostrophe): there
    # the url, e-mail, abbreviation, initialism and number branches cannot match and ``word`` would match the
    # same letters, so the tokens are the same, found in one step.
    abbrev_alt = _alternation({a.lower() for a in abbreviations()})
    email = r"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)" if with_email else ""
    return rf"""
        (?P<plain>[{letter}]+(?=[\s,;)\]"!?”]|$))
        |(?P<url>https?://[^\s<>"]+?(?=[.,;:!?)\]"'’”]*(?:\s|$)))
        {email}
        |(?P<abbrev>(?i:\b{abbrev_alt})\.(?=\W|$))
        |(?P<initialism>\b(?:[{letter}]\.){{2,}})
        |(?P<number>[$€£]?\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s|m|bn|km|kg)?\b)
        |(?P<word>[{lnm}]+(?:['’][{lnm}]+)*)
        |(?P<punct>(?P<p1>[^{lnm}\s])(?P=p1)*)
        """


@lru_cache(maxsize=2)
def _token_pattern(with_email: bool = True) -> regex.Pattern:
    """The token pattern; ``with_email=False`` drops the e-mail branch, for text without an "@"."""
    return regex.compile(_token_pattern_source(r"\p{L}", r"\p{L}\p{N}\p{M}", with_email), regex.VERBOSE)


@lru_cache(maxsize=2)
def _ascii_token_pattern(with_email: bool = True) -> re.Pattern:
    """The same pattern for the stdlib ``re`` engine (faster), valid only on text matching ``_PLAIN_TEXT``.

    On ASCII letters, digits and spaces plus a few typographic marks that are neither letters, digits, marks,
    spaces nor word characters, ASCII classes (``re.ASCII``) select exactly what the Unicode classes select.
    """
    return re.compile(_token_pattern_source("A-Za-z", "A-Za-z0-9", with_email), re.VERBOSE | re.ASCII)


# Text the ASCII pattern handles exactly: printable ASCII, ASCII spaces (not \x1c-\x1f, which ``re.ASCII``
# and ``regex`` disagree on) and typographic quotes, dashes, ellipsis and currency signs.
_NOT_PLAIN_TEXT = regex.compile(r"[^\t\n\r\x0b\x0c\x20-\x7e’‘“”–—…€£]")
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
    with_email = text.find("@", start, end) >= 0
    # ``\b`` looks one character before ``start``, so that character must be plain text too.
    if _NOT_PLAIN_TEXT.search(text, max(start - 1, 0), end) is None:
        out = list(map(_RE_SPAN, _ascii_token_pattern(with_email).finditer(text, start, end)))
    elif _CLUSTER_JOINER.search(text, start, end) is None:
        # Every grapheme cluster is one character: tokens are the pattern's matches.
        out = list(map(_REGEX_SPAN, _token_pattern(with_email).finditer(text, start, end)))
    else:
        return _tokenize_clusters(text, start, end, _token_pattern(with_email))
    apostrophe = text.find("'", start, end)
    curly = text.find("’", start, end)
    if apostrophe >= 0 or curly >= 0:
        _split_clitics(text, out, end, apostrophe, curly)
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
                tokens[i:i + 1] = [(s, clitic.start()), (clitic.start(), e)]


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
    cuts: list[tuple[int, int]] = []
    if text.find("\n", start, end) >= 0 or _CAPTION_LABEL.search(text, start, end):
        cuts = [m.span() for m in _LINE_BREAK.finditer(text, start, end)]
    # Every weekday name ends in "day": a cheap test before the line-start scan.
    datelines = [m.span(1) for m in _DATELINE.finditer(text, start, end)] if text.find("day", start, end) >= 0 else []
    if datelines:
        cuts = sorted(cuts + datelines)
    if not cuts:
        return [(start, end)]  # paragraphs come trimmed
    pieces, pos = [], start
    for s, e in cuts:
        pieces.append((pos, s))
        pos = e
    pieces.append((pos, end))
    return [p for p in (_trim(text, s, e) for s, e in pieces) if p[0] < p[1]]


def _join_after_initials(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Undo a split after initials ("J. | Smith", "K.C. | Maurer") unless the next word starts sentences."""
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        if out:
            ps, pe = out[-1]
            if _LIST_MARKER.fullmatch(text, ps, pe):
                out[-1] = (ps, e)
                continue
            # Initials end in a capital and a period: test that cheaply before the search over the sentence.
            if _CAPITAL_PERIOD.match(text, pe - 2, pe) and _INITIALS_END.search(text, ps, pe):
                first = _FIRST_WORD.match(text, s, e)
                if first and first.group(1)[0].isupper() and first.group(1).lower() not in SENTENCE_STARTERS:
                    out[-1] = (ps, e)
                    continue
        out.append((s, e))
    return out


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


class _PunktLanguageVars(PunktLanguageVars):
    """NLTK's English Punkt variables, their patterns run without NLTK's per-call ReDoS timeout.

    Subclassing the language variables is Punkt's documented way to adapt them. The patterns are Punkt's own,
    fixed and linear; on Punkt's short contexts the timeout's per-call bookkeeping cost more than the matching.
    """

    __slots__ = ()
    re_boundary_realignment = _untimed(PunktLanguageVars.re_boundary_realignment)

    def _word_tokenizer_re(self) -> Any:
        pattern = super()._word_tokenizer_re()
        if not isinstance(pattern, (regex.Pattern, re.Pattern)):
            pattern = self._re_word_tokenizer = _untimed(pattern)
        return pattern

    def period_context_re(self) -> Any:
        pattern = super().period_context_re()
        if not isinstance(pattern, (regex.Pattern, re.Pattern)):
            pattern = self._re_period_context = _untimed(pattern)
        return pattern


class _CachingPunkt(PunktSentenceTokenizer):
    """Punkt with its per-candidate decision memoised.

    ``text_contains_sentbreak`` is a pure function of the short context around a candidate break ("said. The",
    "U.S. officials") for fixed parameters, and news repeats many contexts; the decision is Punkt's own.
    """

    _CACHE_LIMIT = 100_000

    def __init__(self, params: PunktParameters) -> None:
        super().__init__(params, lang_vars=_PunktLanguageVars())
        self._sentbreak_cache: dict[str, bool] = {}

    def text_contains_sentbreak(self, text: str) -> bool:
        found = self._sentbreak_cache.get(text)
        if found is None:
            found = super().text_contains_sentbreak(text)
            if len(self._sentbreak_cache) < self._CACHE_LIMIT:
                self._sentbreak_cache[text] = found
        return found


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
            chunk = text[ls:le]
            pieces = []
            for s, e in self._punkt.span_tokenize(chunk):
                s, e = _trim(chunk, s, e)
                if s < e:
                    pieces.append((ls + s, ls + e))
            out.extend(_join_after_initials(text, pieces))
        return out

    def __call__(self, doc: dict) -> dict:
        return segment_document(doc, self)


_DEFAULT: Segmenter | None = None


def default_segmenter() -> Segmenter:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Segmenter()
    return _DEFAULT


def segment_document(doc: dict, segmenter: Segmenter | None = None) -> dict:
    """Fill ``paragraphs``, ``sentences`` and ``tokens`` of a document record (in place; returned)."""
    seg = segmenter or default_segmenter()
    text = doc["text"]
    paragraphs = split_paragraphs(text)
    sentences: list[list[int]] = []
    tokens: list[dict] = []
    n = len(text)
    for ps, pe in paragraphs:
        for ss, se in seg.sentences(text, ps, pe):
            sentences.append([ss, se])
            tokens += [{"start": ts, "end": te, "ws": te < n and text[te].isspace()}
                       for ts, te in tokenize(text, ss, se)]
    doc["paragraphs"] = [[s, e] for s, e in paragraphs]
    doc["sentences"] = sentences
    doc["tokens"] = tokens
    return doc
