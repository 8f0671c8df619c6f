"""Hyphenated words are whole: an entity is never a piece of one ("zero" in zero-hours, "12" in 2011-12).

The tokenizer splits hyphens, so the scan may find a number or a name inside a hyphenated word. Such a span
either grows to the whole word, typed by what the word is, or is dropped:

* a word of numbers only is a DATE when it starts with a year ("2011-12"), else a CARDINAL ("two-thirds",
  "5-5"); a number then a unit is a DATE ("four-year", "40-year-old"), a TIME ("30-second") or a QUANTITY
  ("10-mile"); money stays money ("$12-an-hour"); anything else ("two-way", "first-ever", "zero-hours") is none;
* a word of names only keeps the name's type ("Jean-Marc", "EB-5"), or is a NORP when it joins places or
  groups ("US-China", "African-American"); a person's full name keeps a lower-case last part ("Ban Ki-moon");
  a name with one lower-case part on a side is a modifier built on a name, typed like a demonym, NORP
  ("Saudi-led", "anti-Trump", "Richmond-based": CoNLL's MISC); a party letter before a state ("D-Mo.") and
  longer phrases ("paint-Trump-as-a-plutocrat") are none.

Spans are ``(first_token, last_token, label, score)``.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

from corpus.prelabel.entities.facts import EDGE, HYPHEN
from corpus.prelabel.entities.words import (
    COMPOUND_DATE,
    COMPOUND_TIME,
    DATE_UNITS,
    DURATION_UNITS,
    EDGE_SYMBOLS,
    FRACTIONS,
    HYPHENS,
    NOT_A_COUNT,
    NUMBER_WORDS,
    UNITS,
)

TokenSpan = tuple[int, int, str, float]
NUMERIC_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL", "CARDINAL"})
_DIGITS = regex.compile(r"[$€£¥]?\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?")
_GROUPS_AND_PLACES = frozenset({"NORP", "GPE", "LOC"})
_YEAR = regex.compile(r"(?:1[5-9]|20)\d\d")
# A symbol (emoji, pictograph, arrow) at a token's start or end: "So" characters from the arrows block up, as the
# real-news measure counts them.
_PICTOGRAPH = regex.compile(r"[\p{So}--[\x00-\u218F]]", regex.V1)
_PICTOGRAPH_END = regex.compile(r"[\p{So}--[\x00-\u218F]]$", regex.V1)


def needs_fixing(text: str) -> bool:
    """Whether `HyphenWords.apply` can change anything: the text has a hyphen (looked for at C speed; most
    documents have none). Spans are built to start and end on words, numbers or signs, so edge symbols are only
    a safety net for grown words."""
    return any(map(text.__contains__, HYPHENS))


class HyphenWords:
    """Grows or drops the spans of one document that touch a hyphen joined to a letter or digit."""

    def __init__(self, words: list[str], lowers: list[str], tokens: list[dict], is_common: Callable[[str], bool]):
        self.words, self.lowers, self.tokens, self.is_common = words, lowers, tokens, is_common

    def apply(self, spans: list[TokenSpan], info: list[int]) -> list[TokenSpan]:
        """The spans grown to whole hyphenated words (or dropped), then without edge symbols (`trim_edges`)."""
        n = len(info)
        out = []
        for span in spans:
            first, last = span[0], span[1]
            if (first > 0 and info[first - 1] & HYPHEN) or (last + 1 < n and info[last + 1] & HYPHEN):
                grown = self._whole(span)
                if grown is None:
                    continue
                span = grown
            if info[span[0]] & EDGE or info[span[1]] & EDGE:
                out += trim_edges([span], info)
            else:
                out.append(span)
        return out

    def _glued(self, a: int) -> bool:
        """Tokens ``a`` and ``a + 1`` touch (no space between them)."""
        return self.tokens[a]["end"] == self.tokens[a + 1]["start"]

    def _joined_left(self, first: int) -> bool:
        w = self.words
        return (
            first > 1
            and w[first - 1] in HYPHENS
            and self._glued(first - 2)
            and self._glued(first - 1)
            and (w[first - 2][-1].isalnum())
        )

    def _joined_right(self, last: int) -> bool:
        w = self.words
        return (
            last + 2 < len(w)
            and w[last + 1] in HYPHENS
            and self._glued(last)
            and self._glued(last + 1)
            and (w[last + 2][0].isalnum())
        )

    def _whole(self, span: TokenSpan) -> TokenSpan | None:
        first, last, label, score = span
        start, end = first, last
        while self._joined_left(start):
            start -= 2
        while self._joined_right(end):
            end += 2
        if (start, end) == (first, last):
            return span  # a hyphen with a space beside it ("Paris - Berlin") joins nothing
        left = self.lowers[start:first:2]
        right = self.lowers[last + 2 : end + 1 : 2]
        if label in NUMERIC_LABELS:
            found = self._numeric(start, end, label, bool(left))
        else:
            found = self._name(start, end, first, last, label, left, right)
        return None if found is None else (start, end, found, score)

    def _numeric(self, start: int, end: int, label: str, grown_left: bool) -> str | None:
        parts = [w for w in self.lowers[start : end + 1] if w not in HYPHENS]
        count = 0
        while count < len(parts) and _is_number(parts[count]):
            count += 1
        if count == len(parts):
            return "DATE" if label == "DATE" or _YEAR.fullmatch(parts[0]) else _counted(label)
        if count == 0 or grown_left or parts[0] in NOT_A_COUNT:
            return None
        if label in ("MONEY", "PERCENT"):
            return label
        return _unit_label(parts[count:])

    def _name(
        self, start: int, end: int, first: int, last: int, label: str, left: list[str], right: list[str]
    ) -> str | None:
        words = self.words
        extra = [words[k] for k in (*range(start, first, 2), *range(last + 2, end + 1, 2))]
        if any(len(w) == 1 and w.isalpha() for w in words[start:first:2]):
            return None  # a party letter before a state: "(D-Mo.)"
        lower = [w for w in extra if not (w[0].isupper() or w[0].isdigit())]
        if not lower:
            # Names only: "Jean-Marc", "EB-5", "Mercedes-Benz"; two places or groups joined are a modifier
            # ("US-China", "African-American").
            return "NORP" if label in _GROUPS_AND_PLACES else label
        if len(left) > 1 or len(right) > 1 or (left and last > first):
            return None  # a phrase, or a prefix on a longer name ("pro-Clinton Priorities USA Action")
        if label == "PERSON" and not left and (last > first or not any(self.is_common(w) for w in right)):
            return label  # a given name's second part: "Ban Ki-moon", "Park Geun-hye"
        return "NORP"


def _is_number(word: str) -> bool:
    return word in NUMBER_WORDS or word in FRACTIONS or _DIGITS.fullmatch(word) is not None


def _counted(label: str) -> str:
    return label if label in ("MONEY", "PERCENT") else "CARDINAL"


def _unit_label(rest: list[str]) -> str | None:
    """The type of a hyphenated number by the words after it: a unit of dates, of clock time or a measure."""
    unit = rest[0]
    if unit in COMPOUND_TIME:
        return "TIME"
    if unit in DATE_UNITS or unit in DURATION_UNITS:
        return "DATE" if all(w in COMPOUND_DATE for w in rest[1:]) else None
    if unit in UNITS and len(rest) == 1:
        return "QUANTITY"
    return None


def trim_edges(spans: list[TokenSpan], info: list[int]) -> list[TokenSpan]:
    """Spans without a dash, pipe, bullet or pictograph at either end (trimmed off, or the span dropped)."""
    out = []
    for first, last, label, score in spans:
        while first <= last and info[first] & EDGE:
            first += 1
        while last >= first and info[last] & EDGE:
            last -= 1
        if first <= last:
            out.append((first, last, label, score))
    return out


def is_edge_symbol(word: str) -> bool:
    """A dash, a pipe, a bullet, or a token starting or ending with a pictograph (an emoji, a flag)."""
    return word in EDGE_SYMBOLS or _PICTOGRAPH.match(word) is not None or _PICTOGRAPH_END.search(word) is not None
