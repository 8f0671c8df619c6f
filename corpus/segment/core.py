"""Paragraph, sentence and token segmentation with exact code-point offsets."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import regex
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

SEGMENTER_VERSION = "1"

# Clitics split off the word they follow, as spaCy and the Penn Treebank do ("Ukraine’s" -> "Ukraine" "’s"),
# so that an entity can end before a possessive.
_CLITIC = regex.compile(r"(?i)(?<=\p{L})(?:['’](?:s|re|ve|ll|d|m)|n['’]t)$")

_BLANK_LINE = regex.compile(r"\n[ \t]*\n\s*")


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
    if _BLANK_LINE.search(text):
        pieces = _split_on(text, _BLANK_LINE)
    else:
        pieces = _split_on(text, regex.compile(r"\n"))
    return [p for p in (_trim(text, s, e) for s, e in pieces) if p[0] < p[1]]


def _split_on(text: str, pattern: regex.Pattern) -> list[tuple[int, int]]:
    pieces, pos = [], 0
    for m in pattern.finditer(text):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, len(text)))
    return pieces


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
        self._punkt = PunktSentenceTokenizer(params)

    def sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence offsets inside the paragraph ``text[start:end]``."""
        chunk = text[start:end]
        out = []
        for s, e in self._punkt.span_tokenize(chunk):
            s, e = _trim(chunk, s, e)
            if s < e:
                out.append((start + s, start + e))
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
