"""Paragraph, sentence and token segmentation with exact code-point offsets."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import regex
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

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
_FIRST_WORD = regex.compile(r"[\"'“‘(\[]*(\p{L}[\p{L}\p{M}'’-]*)")
# A line break inside a paragraph ends a sentence when the next line starts like one (headline, dateline,
# caption, list item): not lowercase, so hard-wrapped prose ("...said\nthe minister") stays whole.
# Also split before a caption label ("... in Milan. Image: Jane Doe") and after a dateline
# ("Thursday, May 7, 2015 On Tuesday, ..."), which scraped news runs into the next sentence.
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_LINE_BREAK = regex.compile(
    r"[ \t]*\n\s*(?=[^\p{Ll}\s])"
    r"|(?<=\p{L})[ \t]+(?=(?:Image|Photo|Picture|Photograph|Caption|Credit)s?:\s)"
    rf"|(?<=^{_WEEKDAY},?\s+(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH}),?\s+\d{{4}})[ \t]+(?=\p{{Lu}})",
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


@lru_cache(maxsize=1)
def _token_pattern() -> regex.Pattern:
    abbrevs = sorted(abbreviations(), key=len, reverse=True)
    abbrev_alt = "|".join(regex.escape(a) for a in abbrevs)
    word = r"[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*"
    return regex.compile(
        rf"""
        (?P<url>https?://[^\s<>"]+?(?=[.,;:!?)\]"'’”]*(?:\s|$)))
        |(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
        |(?P<abbrev>(?i:\b(?:{abbrev_alt}))\.(?=\W|$))
        |(?P<initialism>\b(?:\p{{L}}\.){{2,}})
        |(?P<number>[$€£]?\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s|m|bn|km|kg)?\b)
        |(?P<word>{word})
        |(?P<punct>(?P<p1>[^\p{{L}}\p{{N}}\p{{M}}\s])(?P=p1)*)
        """,
        regex.VERBOSE,
    )


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token ``(start, end)`` offsets for ``text[start:end]``, as offsets into ``text``.

    Tokens cover every non-space character exactly once. Punctuation runs of one character ("...", "--")
    stay together, a grapheme cluster (emoji with joiners, combining marks) is never split.
    """
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    append = out.append
    for m in _token_pattern().finditer(text, start, end):
        s, e = m.span()
        if m.lastgroup == "word" and e - s > 2:
            clitic = _CLITIC.search(text, s, e)
            if clitic and clitic.start() > s:
                append((s, clitic.start()))
                append((clitic.start(), e))
                continue
        elif m.lastgroup == "punct" and e - s == 1:
            # Keep grapheme clusters whole: an emoji with a skin tone or a ZWJ sequence is one token.
            g = regex.match(r"\X", text[s:end])
            if g and g.end() > 1:
                e = s + g.end()
                append((s, e))
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


def _split_on_range(text: str, start: int, end: int, pattern: regex.Pattern) -> list[tuple[int, int]]:
    pieces, pos = [], start
    for m in pattern.finditer(text, start, end):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, end))
    return [p for p in (_trim(text, s, e) for s, e in pieces) if p[0] < p[1]]


def _join_after_initials(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Undo a split after initials ("J. | Smith", "K.C. | Maurer") unless the next word starts sentences."""
    out: list[tuple[int, int]] = []
    for s, e in pieces:
        if out and _LIST_MARKER.fullmatch(text, out[-1][0], out[-1][1]):
            out[-1] = (out[-1][0], e)
            continue
        if out and _INITIALS_END.search(text, out[-1][0], out[-1][1]):
            first = _FIRST_WORD.match(text, s, e)
            if first and first.group(1)[0].isupper() and first.group(1).lower() not in SENTENCE_STARTERS:
                out[-1] = (out[-1][0], e)
                continue
        out.append((s, e))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


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
        self._punkt = PunktSentenceTokenizer(params)

    def sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence offsets inside the paragraph ``text[start:end]``."""
        out: list[tuple[int, int]] = []
        for ls, le in _split_on_range(text, start, end, _LINE_BREAK):
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
            for ts, te in tokenize(text, ss, se):
                tokens.append({"start": ts, "end": te, "ws": te < n and text[te].isspace()})
    doc["paragraphs"] = [[s, e] for s, e in paragraphs]
    doc["sentences"] = sentences
    doc["tokens"] = tokens
    return doc
