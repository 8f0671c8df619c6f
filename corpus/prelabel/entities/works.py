"""Titles of films, series, books and songs (WORK_OF_ART): a name right after a work noun ("the film Parasite",
"her novel “Beloved”"), and a quoted or starred title in running text ("HBO's “Succession”", "*The Crown*").

A quotation is a title, not speech, when it is short (at most `MAX_TITLE` tokens), every word is capitalised
save small title words ("of", "the", "with"), it sits inside a sentence (not at its start or after a colon),
and it is neither a nickname inside a name (“The Rock” between two capitalised words) nor followed by a
reporting verb; a one-word title needs a work noun or a possessive before it (“Absolutely”, “Trump” are not
titles). A name the gazetteers know (a place, a group, an organisation) and a law stay what they are.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import compress, count
from typing import NamedTuple

from corpus.prelabel.entities.facts import CAPITAL, DIGIT, LETTER
from corpus.prelabel.entities.gazetteers import Lexicon
from corpus.prelabel.entities.names import Candidate
from corpus.prelabel.entities.words import POSSESSIVES

MAX_TITLE = 8
# Opening marks and the closing marks that end them; straight quotes, asterisks and underscores close themselves.
CLOSERS = {"“": "”", '"': '"', "‘": "’", "*": "*", "_": "_", "«": "»", "``": "''"}
_NO_END = 1 << 62  # sorts a (start, end) probe after every sentence starting at the same token
_TRAILING = frozenset({",", "."})  # US style puts these inside the closing quote: “Succession,”


class WorkWords(NamedTuple):
    """The word classes titles are found with (``data/entities_words.tsv``), looked up once per labeller."""

    cues: frozenset[str]  # work nouns: "film", "novel"
    title_words: frozenset[str]  # lower-case words inside a title: "of", "the"
    reporting: frozenset[str]  # "said", "told": a quotation before them is speech
    law: frozenset[str]  # "Act", "Amendment": a quoted law stays a law

    @classmethod
    def of(cls, lex: Lexicon) -> WorkWords:
        return cls(lex.cls("work_cue"), lex.cls("title_word"), lex.cls("person_context"), lex.cls("law"))


class WorkTitles:
    """Finds the works of one document: token ranges ``(first, last)`` and their lower-cased keys."""

    def __init__(
        self,
        lex: Lexicon,
        classes: WorkWords,
        words: list[str],
        lowers: list[str],
        info: list[int],
        is_common: Callable[[str], bool],
    ) -> None:
        self.lex, self.words, self.lowers, self.info, self.is_common = lex, words, lowers, info, is_common
        self.cues, self.title_words, self.reporting, self.law = classes

    def find(self, text: str, sent_ranges: list[tuple[int, int]], candidates: list[Candidate]) -> list[tuple[int, int]]:
        lowers, cues = self.lowers, self.cues
        works = [
            (c.first, c.last)
            for c in candidates
            if c.first > 0
            and (lowers[c.first - 1] in cues or (lowers[c.first - 1] in CLOSERS and self._after_cue(c.first)))
        ]
        if any(map(text.__contains__, CLOSERS)):
            # A person's name in quotes is a name (“Ted Cruz” pins), not a title.
            people = {(c.first, c.last) for c in candidates if c.label == "PERSON"}
            works += [title for title in self._quoted(sent_ranges) if title not in people]
        return works

    def _after_cue(self, first: int) -> bool:
        """A work noun just before the name, or before the quote that opens it ("the film “Parasite”")."""
        lowers = self.lowers
        k = first - 1
        if k >= 0 and lowers[k] in CLOSERS:
            k -= 1
        return k >= 0 and lowers[k] in self.cues

    def _quoted(self, sent_ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Titles at the document's opening marks, each looked at within its sentence (found by bisection)."""
        found: list[tuple[int, int]] = []
        for k in compress(count(), map(CLOSERS.__contains__, self.words)):
            s = bisect_right(sent_ranges, (k, _NO_END)) - 1
            if s >= 0 and k < sent_ranges[s][1]:
                title = self._title_at(k, *sent_ranges[s])
                if title is not None:
                    found.append(title)
        return found

    def _title_at(self, k: int, a: int, b: int) -> tuple[int, int] | None:
        """The title between the opening mark at ``k`` and its closing mark, in the sentence ``[a, b)``."""
        words = self.words
        if k == a or words[k - 1] == ":":
            return None  # a quotation opening the sentence or after a colon is speech
        closer = CLOSERS[words[k]]
        if k + 1 >= b or words[k + 1] == closer:
            return None  # nothing between the marks
        try:
            end = words.index(closer, k + 2, min(k + MAX_TITLE + 3, b))
        except ValueError:
            return None  # no closing mark near enough
        last = end - 1
        if words[last] in _TRAILING:
            last -= 1
        if last <= k or not self._title_words(k + 1, last) or self._speech_or_name(k, end, b):
            return None
        return k + 1, last

    def _title_words(self, first: int, last: int) -> bool:
        """Every word capitalised (or a digit, or a small title word), the first capitalised; a lone everyday word
        only after a work noun; not a known place or group."""
        info, lowers = self.info, self.lowers
        if not info[first] & (CAPITAL | DIGIT):
            return False
        for m in range(first, last + 1):
            if not (info[m] & (CAPITAL | DIGIT) and info[m] & (LETTER | DIGIT) or lowers[m] in self.title_words):
                return False
        key = tuple(lowers[first : last + 1])
        if key in self.lex.places or key in self.lex.norp or lowers[last] in self.law:
            return False  # a known name, or a law ("the “Clean Air Act”")
        if not any(info[m] & LETTER for m in range(first, last + 1)):
            return False  # numbers: an id, a code
        return first < last or self._after_cue(first) or self._owned(first)

    def _owned(self, first: int) -> bool:
        """A possessive before the quote: "HBO's “Succession”", "Apple's “Severance”"."""
        return first > 1 and self.lowers[first - 2] in POSSESSIVES

    def _speech_or_name(self, k: int, end: int, b: int) -> bool:
        """A nickname between two capitalised words (Dwayne “The Rock” Johnson), or a quotation followed by a
        reporting verb (“Thank You,” she said)."""
        info, lowers = self.info, self.lowers
        after = end + 1
        if after < b and info[after] & CAPITAL and info[k - 1] & CAPITAL:
            return True
        return any(lowers[m] in self.reporting for m in range(after, min(after + 3, b)))
