"""Typing a run of name tokens: split it at titles, drop a clause-initial everyday word, split compounds and
"person of organisation" runs, then type each piece from direct evidence (gazetteers, honorifics, titles,
organisation suffixes and heads, event/facility/feature/law words, the shape of a person's name)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from corpus.prelabel.entities.facts import (
    CAPS,
    LETTER,
    NORMAL,
    _is_acronym,
    _is_camel,
    _is_plural_acronym,
    _starts_clause,
)
from corpus.prelabel.entities.gazetteers import Lexicon
from corpus.prelabel.entities.words import CONNECTORS, HONORIFICS, PERSONAL_TITLES, PLURAL_POSSESSIVE

Typed = tuple[str | None, float, bool]  # label, score, strong
_UNTYPED: Typed = (None, 0.5, False)


@dataclass(slots=True)
class Candidate:
    first: int  # token indices, inclusive
    last: int
    label: str | None
    score: float
    key: str  # normalised text, for document-level consistency
    strong: bool = False  # typed from direct evidence (gazetteer, title, suffix), not from defaults


class NameRules:
    """The typing rules of `corpus.prelabel.entities.RulesEntityLabeller` (a mixin: the word classes are the
    labeller's, set in its ``__init__``)."""

    lex: Lexicon
    _person_title: frozenset[str]
    _org_suffix: frozenset[str]
    _org_head: frozenset[str]
    _law: frozenset[str]
    _event: frozenset[str]
    _fac: frozenset[str]
    _loc_feature: frozenset[str]
    is_common: Callable[[str], bool]

    def _split_run(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        i: int,
        j: int,
        sent_start: int,
        mode: str,
        candidates: list[Candidate],
        cased: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """Split a capitalised run at titles and drop a clause-initial everyday word, then type the pieces.
        ``cased``: the words the document writes capitalised mid-sentence."""
        titles = self.lex.titles
        k = self._skip_clause_opening(words, lowers, info, i, j, sent_start, mode, cased)
        if k > j:
            return
        person_cue = self._title_before(words, lowers, k)
        trailing_title = self._ends_in_title(lowers, k, j)
        piece_start = k
        for m in range(k, j + 1):
            if lowers[m] in titles and (m < j or trailing_title) and not self._known_name(lowers, m, j):
                if piece_start < m:
                    self._type_piece(words, lowers, info, piece_start, m - 1, person_cue, mode, candidates)
                person_cue = True
                piece_start = m + 1
        if piece_start <= j and not (piece_start == j and lowers[j] in titles):
            self._type_piece(words, lowers, info, piece_start, j, person_cue, mode, candidates)

    def _skip_clause_opening(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        k: int,
        j: int,
        sent_start: int,
        mode: str,
        cased: set[str] | frozenset[str],
    ) -> int:
        """The run's first token past clause-initial everyday words ("The", "After", "Results"): not part of a name
        unless the document writes them capitalised mid-sentence ("Jordan said" after "Michael Jordan arrived")
        or they begin a known multi-word name. In an organisation's name only the first word may be dropped
        ("The Colleges Employers' Association"), and not a plural before its possessive ("Teachers' Union")."""
        first, organisation = k, lowers[j] in self._org_suffix
        while (
            (k < j or (k == j and mode == NORMAL))
            and _starts_clause(words, info, k, sent_start)
            and lowers[k] not in cased
            and not (organisation and (k > first or words[k + 1] in PLURAL_POSSESSIVE))
            and self._everyday(lowers, k, j)
            and not (mode == NORMAL and _is_acronym(words[k]))
        ):
            k += 1
            sent_start = k
        return k

    def _title_before(self, words: list[str], lowers: list[str], k: int) -> bool:
        """A title just before the run, or a title and a comma: "President, Jane Doe" (an appositive)."""
        return k > 0 and (
            lowers[k - 1] in self.lex.titles or (words[k - 1] == "," and k > 1 and lowers[k - 2] in self._person_title)
        )

    def _ends_in_title(self, lowers: list[str], k: int, j: int) -> bool:
        """A run ending in a person title ("Russian President", "U.S. Secretary") is a modifier and a title, and
        the name follows (often after a comma); a known name ending in such a word ("Vice President" aside) is
        not."""
        lex = self.lex
        return (
            j > k
            and lowers[j] in self._person_title
            and lowers[j - 1] not in CONNECTORS
            and (key := tuple(lowers[k : j + 1])) not in lex.places
            and key not in lex.norp
            and not self._known_name(lowers, j, j)
        )

    def _known_name(self, lowers: list[str], m: int, j: int) -> bool:
        """A title word that starts a known place or organisation ("General Motors" is not a title + name)."""
        if lowers[m].endswith(".") or lowers[m] in PERSONAL_TITLES:
            return False
        return tuple(lowers[m : j + 1]) in self.lex.places or lowers[j] in self._org_suffix

    def _everyday(self, lowers: list[str], k: int, j: int) -> bool:
        lex, lw = self.lex, lowers[k]
        if (lw,) in lex.norp or (lw,) in lex.places and not self.is_common(lw):
            return False
        for n in range(j - k + 1, 1, -1):  # the start of a known multi-word name
            key = tuple(lowers[k : k + n])
            if key in lex.places or key in lex.norp:
                return False
        if lw in lex.first_names and not self.is_common(lw):
            return False
        return self.is_common(lw)

    # ------------------------------------------------------------------------------------------------ pieces

    def _type_piece(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        f: int,
        la: int,
        person_cue: bool,
        mode: str,
        candidates: list[Candidate],
    ) -> None:
        trimmed = _trim(words, lowers, info, f, la)
        if trimmed is None:
            return
        f, la = trimmed
        if la > f and self._split_piece(words, lowers, info, f, la, person_cue, mode, candidates):
            return
        key = tuple(lowers[f : la + 1])
        label, score, strong = (
            self._evidence_label(words, lowers, f, la, key, person_cue)
            or self._head_label(lowers, f, la)
            or self._shape_label(words, lowers, info, f, la, mode)
        )
        candidates.append(Candidate(f, la, label, score, " ".join(key), strong))

    def _split_piece(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        f: int,
        la: int,
        person_cue: bool,
        mode: str,
        candidates: list[Candidate],
    ) -> bool:
        """Type a piece of several tokens as two or more when it is plainly several names; False if it is one."""
        if "-" in words[f + 1 : la] and self._split_compound(words, lowers, info, f, la, mode, candidates):
            return True
        for x in range(f + 2, la):
            # "Jane Doe of Acme Corp": a person, then an organisation or place, not one name.
            if (
                lowers[x] == "of"
                and lowers[f] not in self._org_head
                and self._looks_person(words, lowers, info, f, x - 1)
            ):
                self._type_piece(words, lowers, info, f, x - 1, person_cue, mode, candidates)
                self._type_piece(words, lowers, info, x + 1, la, False, mode, candidates)
                return True
        norp = self.lex.norp
        if (
            la > f + 1
            and norp.get((lowers[f],)) == "NORP"
            and tuple(lowers[f : f + 2]) not in norp
            and self._looks_person(words, lowers, info, f + 1, la)
        ):
            # "Republican Donald Trump", "Briton Jane Doe": a group word, then the person.
            self._type_piece(words, lowers, info, f, f, False, mode, candidates)
            self._type_piece(words, lowers, info, f + 1, la, True, mode, candidates)
            return True
        return False

    def _evidence_label(
        self, words: list[str], lowers: list[str], f: int, la: int, key: tuple[str, ...], person_cue: bool
    ) -> Typed | None:
        """A type from an honorific, the gazetteers or a title before the piece."""
        if f > 0 and lowers[f - 1] in HONORIFICS and not _is_acronym(words[f]):
            return "PERSON", 0.85, True  # "Mr. Obama", "Ms. Paris": the honorific wins
        found = self._gazetteer_label(words, f, la, key, person_cue)
        if found is not None:
            return found
        lex, first = self.lex, (lowers[f],)
        if (
            person_cue
            and not _is_acronym(words[f])
            and (la > f or first not in lex.places or first in lex.minor_places)
        ):
            return "PERSON", 0.8, True
        return None

    def _gazetteer_label(
        self, words: list[str], f: int, la: int, key: tuple[str, ...], person_cue: bool
    ) -> Typed | None:
        lex, many = self.lex, la > f
        if many and lex.norp.get(key[:1]) == "NORP" and all(lex.norp.get((w,)) == "NORP" for w in key):
            return "NORP", 0.8, True  # "African American", "Bosnian Serbs"
        if key in lex.norp:
            return ("NORP" if lex.norp[key] == "NORP" else "LANGUAGE"), 0.85, True
        if key in lex.places and not (person_cue and key in lex.minor_places) and not _dotted_caps(words[f], many):
            return lex.places[key], 0.85, True  # "President Obama" is not the town
        return None

    def _head_label(self, lowers: list[str], f: int, la: int) -> Typed | None:
        """A type from a name's head word: "Acme Holdings", "Bank of X", "Clean Air Act", "Super Bowl"."""
        if la == f:
            return None
        last = lowers[la]
        if last in self._org_suffix or lowers[f] in self._org_head and lowers[f + 1] in ("of", "for"):
            return "ORG", 0.8, True
        for words, label in (
            (self._law, "LAW"),  # "Clean Air Act", "First Amendment"
            (self._event, "EVENT"),
            (self._fac, "FAC"),
            (self._loc_feature, "LOC"),
        ):
            if last in words:
                return label, 0.7, True
        return None

    def _shape_label(self, words: list[str], lowers: list[str], info: list[int], f: int, la: int, mode: str) -> Typed:
        """A type from the piece's shape: a person's name, a named day, a camel-case brand, an acronym, a
        place-named organisation."""
        many = la > f
        if self._looks_person(words, lowers, info, f, la):
            return "PERSON", 0.75, True
        if many and lowers[la] == "day":
            return "DATE", 0.7, True  # a named day: "Election Day", "Independence Day"
        if not many and _is_camel(words[f]):
            return "ORG", 0.65, True  # "PayPal", "YouTube": brands and platforms
        if not many and _is_acronym(words[f]) and mode != CAPS and not _is_plural_acronym(words[f]):
            return "ORG", 0.6, False
        first = (lowers[f],)
        if many and (first in self.lex.places or first in self.lex.norp):
            return "ORG", 0.5, False  # "Place Name": a club, a company named after a place
        return _UNTYPED

    def _split_compound(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        f: int,
        la: int,
        mode: str,
        candidates: list[Candidate],
    ) -> bool:
        """Type a hyphenated compound of known groups or places as its parts: "Russian-North Korean" is two NORPs,
        "US-China" two GPEs. Returns False (and types nothing) when the whole is known or a part is not."""
        lex = self.lex
        if tuple(lowers[f : la + 1]) in lex.places or tuple(lowers[f : la + 1]) in lex.norp:
            return False
        parts, start = [], f
        for x in range(f, la + 1):
            if words[x] == "-":
                parts.append((start, x - 1))
                start = x + 1
        parts.append((start, la))
        if not all(
            a <= b and (tuple(lowers[a : b + 1]) in lex.norp or tuple(lowers[a : b + 1]) in lex.places)
            for a, b in parts
        ):
            return False
        for a, b in parts:
            self._type_piece(words, lowers, info, a, b, False, mode, candidates)
        return True

    def _looks_person(self, words: list[str], lowers: list[str], info: list[int], f: int, la: int) -> bool:
        lex = self.lex
        if la == f:
            return False
        toks = [x for x in range(f, la + 1) if info[x] & LETTER]
        org_suffix = self._org_suffix
        if any(lowers[x] in org_suffix or _is_acronym(words[x]) and len(words[x]) > 1 for x in toks):
            return False
        if len(words[f]) == 1 and words[f].isupper():  # an initial
            return True
        first = lowers[f]
        if first in lex.first_names and (first,) not in lex.places:
            return len(toks) <= 4
        if len(toks) > 3 or lowers[la] not in lex.last_names:
            return False
        # A surname that is also a word ("Bush", "Price") after a first word that is neither a word nor a place.
        return lowers[la] not in lex.common or not (self.is_common(first) or (first,) in lex.places)


def _trim(words: list[str], lowers: list[str], info: list[int], f: int, la: int) -> tuple[int, int] | None:
    """The piece without the connectors and punctuation a run may start or end with (an initial's dot stays);
    None when nothing is left or only a lone capital letter."""
    while la >= f and (lowers[la] in CONNECTORS or not info[la] & LETTER) and words[la] != ".":
        la -= 1
    while f <= la and (lowers[f] in CONNECTORS or not info[f] & LETTER):
        f += 1
    if f > la:
        return None
    if words[la] == "." and not (la > f and len(words[la - 1]) == 1):
        la -= 1
    if f == la and len(words[f]) == 1:
        return None
    return f, la


def _dotted_caps(word: str, many: bool) -> bool:
    """A lone capitals word with a dot ("the VA.") is not the abbreviation it spells ("Va.")."""
    return not many and word[-1] == "." and word[:-1].isupper() and word[:-1].isalpha()
