"""Document-level typing: names without direct evidence take the type the document gives the same name or its
last word elsewhere, else the type their mentions' neighbours suggest, else a default."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

import regex

from corpus.prelabel.entities.facts import _is_acronym, _is_plural_acronym
from corpus.prelabel.entities.gazetteers import Lexicon
from corpus.prelabel.entities.names import Candidate
from corpus.prelabel.entities.words import CONNECTORS, NAME_PARTICLES, POSSESSIVES

WEAK_GPE = "GPE?"
_PHRASE_LENGTHS = (1, 2, 3, 4, 5)
_APOSTROPHES = regex.compile(r"['’]")  # a context vote for a place that one mention alone does not settle


class DocumentRules:
    """The document-level rules of `corpus.prelabel.entities.RulesEntityLabeller` (a mixin: the word classes are
    the labeller's)."""

    lex: Lexicon
    _org_suffix: frozenset[str]
    _org_head: frozenset[str]
    _org_next: frozenset[str]
    _org_prev: frozenset[str]
    _place_prev: frozenset[str]
    _place_next: frozenset[str]
    _person_next: frozenset[str]
    _org_before: frozenset[tuple[str, ...]]
    _org_after: frozenset[tuple[str, ...]]
    _org_before_ends: frozenset[str]
    _org_after_starts: frozenset[str]
    _org_after_heads: frozenset[tuple[str, ...]]
    _org_before_tails: frozenset[tuple[str, ...]]
    _org_after_weak: frozenset[tuple[str, ...]]
    _org_before_weak: frozenset[tuple[str, ...]]
    _org_after_weak_starts: frozenset[str]
    _org_before_weak_ends: frozenset[str]
    is_common: Callable[[str], bool]

    def _resolve(self, candidates: list[Candidate], words: list[str], lowers: list[str]) -> None:
        """Type names without evidence from the same name, or a person's surname, elsewhere in the document, then
        from what surrounds their mentions ("near X", "the X", "an X spokesman"), else a default."""
        self._organisations_by_context(candidates, lowers)
        by_key, surnames = _strong_labels(candidates, lowers)
        self._short_forms(candidates, lowers)
        unresolved: list[Candidate] = []
        context: dict[str, dict[str, int]] = {}  # key -> votes of its mentions' contexts
        for c in candidates:
            if c.strong:
                continue
            if c.key in by_key:
                c.label, c.score = by_key[c.key], 0.7
            elif c.first == c.last and c.key in surnames:
                c.label, c.score = "PERSON", 0.7
            elif c.label is None:
                unresolved.append(c)
                vote = self._context_label(words, lowers, c)
                if vote:
                    votes = context.setdefault(c.key, {})
                    votes[vote] = votes.get(vote, 0) + 1
        _settle_weak_places(context)
        for c in unresolved:
            votes = context.get(c.key)
            if votes:
                c.label, c.score = max(votes.items(), key=itemgetter(1))[0], 0.6
            else:
                c.label = self._default_label(words, lowers, c)
        self._towns_as_people(candidates, lowers, surnames)

    def _organisations_by_context(self, candidates: list[Candidate], lowers: list[str]) -> None:
        """A name with an organisation's context anywhere in the document ("shares of X", "X said in a statement",
        "X, the company") is an organisation in every mention a title, an honorific or a gazetteer does not type."""
        ends, starts, n = self._org_before_ends, self._org_after_starts, len(lowers)
        # The neighbours are tested inline first: most names have no organisation phrase around them.
        keys = {
            c.key
            for c in candidates
            if (c.first > 0 and lowers[c.first - 1] in ends and self._org_before_name(lowers, c.first))
            or (c.last + 1 < n and lowers[c.last + 1] in starts and self._org_after_name(lowers, c.last))
        }
        # "X said in a statement": an organisation unless anything in the document makes X a person.
        weak = self._weak_org_keys(candidates, lowers)
        if weak:
            weak -= {c.key for c in candidates if c.label == "PERSON"}
            keys |= weak
        if not keys:
            return
        minor = self.lex.minor_places
        for c in candidates:
            if c.key in keys and (
                c.label is None
                or (c.label in ("PERSON", "ORG") and c.score <= 0.75)
                or (c.label == "GPE" and c.first == c.last and (c.key,) in minor)
            ):
                c.label, c.score, c.strong = "ORG", 0.75, True

    def _org_before_name(self, lowers: list[str], first: int) -> bool:
        """An ``org_before`` phrase ends just before token ``first``; its last one or two words are tested first
        (most names follow "of" or "in", few follow "shares of")."""
        k = first - 1
        if k < 0 or lowers[k] not in self._org_before_ends:
            return False
        before = self._org_before
        if (lowers[k],) in before:
            return True
        return (
            k > 0
            and (lowers[k - 1], lowers[k]) in self._org_before_tails
            and any(tuple(lowers[max(first - n, 0) : first]) in before for n in _PHRASE_LENGTHS)
        )

    def _weak_org_keys(self, candidates: list[Candidate], lowers: list[str]) -> set[str]:
        """Names after an ``org_before_weak`` or before an ``org_after_weak`` phrase."""
        after, before = self._org_after_weak, self._org_before_weak
        starts, ends, n = self._org_after_weak_starts, self._org_before_weak_ends, len(lowers)
        return {
            c.key
            for c in candidates
            if (c.last + 1 < n and lowers[c.last + 1] in starts and self._phrase_after(lowers, c.last, after))
            or (c.first > 0 and lowers[c.first - 1] in ends and _phrase_before(lowers, c.first, before))
        }

    @staticmethod
    def _phrase_after(lowers: list[str], last: int, phrases: frozenset[tuple[str, ...]]) -> bool:
        return any(tuple(lowers[last + 1 : last + 1 + n]) in phrases for n in _PHRASE_LENGTHS)

    def _org_after_name(self, lowers: list[str], last: int) -> bool:
        """An ``org_after`` phrase starts just after token ``last``."""
        k = last + 1
        if k >= len(lowers) or lowers[k] not in self._org_after_starts:
            return False
        after = self._org_after
        if (lowers[k],) in after:
            return True
        return tuple(lowers[k : k + 2]) in self._org_after_heads and any(
            tuple(lowers[k : k + n]) in after for n in _PHRASE_LENGTHS
        )

    def _short_forms(self, candidates: list[Candidate], lowers: list[str]) -> None:
        """A one-word mention typed by a gazetteer that is the last word of the document's full person name is that
        person ("Jordan" after "Michael Jordan"), unless it follows a place word ("in Jordan")."""
        place_prev, first_names = self._place_prev, self.lex.first_names
        # The last words of full names that start with a known first name ("Michael Jordan", "Martin Scorsese").
        surnames = {
            lowers[c.last]
            for c in candidates
            if c.strong
            and c.label == "PERSON"
            and _full_name(lowers, c, first_names)
            and not self.is_common(lowers[c.first])
        }
        for c in candidates:
            if (
                c.first == c.last
                and c.key in surnames
                and c.label in ("GPE", "LOC", "ORG")
                and not (c.first > 0 and lowers[c.first - 1] in place_prev)
            ):
                c.label, c.score = "PERSON", 0.7

    def _towns_as_people(self, candidates: list[Candidate], lowers: list[str], surnames: dict[str, str]) -> None:
        """A town named like the document's person is the person: "Obama" (a town in Japan) after "Barack Obama",
        "President Obama" or "Obama said" anywhere in the document."""
        minor, person_next = self.lex.minor_places, self._person_next
        towns = [c for c in candidates if c.first == c.last and c.label == "GPE" and (c.key,) in minor]
        if not towns:
            return
        people = set(surnames)
        people.update(c.key for c in candidates if c.label == "PERSON" and c.first == c.last and c.strong)
        people.update(c.key for c in towns if c.last + 1 < len(lowers) and lowers[c.last + 1] in person_next)
        for c in towns:
            if c.key in people:
                c.label, c.score = "PERSON", 0.7

    def _context_label(self, words: list[str], lowers: list[str], c: Candidate) -> str | None:
        """The type a name's neighbours suggest: "near X" a place, "the X" or "an X spokesman" an organisation,
        "X said" a person."""
        prev = lowers[c.first - 1] if c.first > 0 else ""
        nxt = lowers[c.last + 1] if c.last + 1 < len(lowers) else ""
        single, lw = c.first == c.last, lowers[c.first]
        if single and (lw in self._org_suffix or lw in self._org_head):
            return "ORG"  # "Congress", "Parliament", "the Senate"
        if nxt in self._place_next:
            return "GPE"
        return self._neighbour_label(lw, prev, nxt, single)

    def _neighbour_label(self, lw: str, prev: str, nxt: str, single: bool) -> str | None:
        if single and prev in self._place_prev and nxt not in POSSESSIVES and nxt not in self._org_next:
            # "in Chelsea": a first name or surname needs a second such mention (WEAK_GPE) to be a place.
            return WEAK_GPE if self._person_word(lw) else "GPE"
        if nxt in self._org_next or prev == "the" or (single and prev in self._org_prev and not self._person_word(lw)):
            return "ORG"  # "the Fed", "a Pirelli spokesman", "told Interfax"
        if single and (nxt in self._person_next or prev in self._person_next):
            return "PERSON"  # "O'Rourke said", "said Kreuzberg": a speaker no name list knows
        return None

    def _person_word(self, lw: str) -> bool:
        """A first name or surname from the census lists (and not an everyday word)."""
        lex = self.lex
        return (lw in lex.first_names or lw in lex.last_names) and not self.is_common(lw)

    def _default_label(self, words: list[str], lowers: list[str], c: Candidate) -> str | None:
        if c.first == c.last:
            return self._default_single(words[c.first], lowers[c.first])
        span = range(c.first, c.last + 1)
        if (
            any(lowers[x] in NAME_PARTICLES for x in span)
            and not self.is_common(lowers[c.first])
            and not any(lowers[x] in self._org_suffix for x in span)
            and all(words[x][:1].isupper() for x in span if lowers[x] not in CONNECTORS)
        ):
            return "PERSON"  # "Osama bin Laden", "Joost van der Berg"
        # Two or three plain capitalised words, none an everyday word or a connector: most often a person.
        if (
            c.last - c.first <= 2
            and all(words[x][:1].isupper() and not words[x].isupper() for x in span)
            and not any(self.is_common(lowers[x]) for x in span)
        ):
            return "PERSON"
        return "ORG"

    def _default_single(self, w: str, lw: str) -> str | None:
        """A one-word name with no evidence and no telling context: a person only when a census list knows it
        ("O'Neill" as "oneill"); an acronym or camel-case word is an organisation; any other capitalised word
        (a product, a coined word, a surname no list knows) gets no label rather than a guess."""
        lex = self.lex
        if lw in lex.last_names or lw in lex.first_names or _APOSTROPHES.sub("", lw) in lex.last_names:
            return "PERSON"
        if _is_acronym(w) and not _is_plural_acronym(w):
            return "ORG"
        return None


def _phrase_before(lowers: list[str], first: int, phrases: frozenset[tuple[str, ...]]) -> bool:
    return any(tuple(lowers[max(first - n, 0) : first]) in phrases for n in _PHRASE_LENGTHS)


def _full_name(lowers: list[str], c: Candidate, first_names: frozenset[str]) -> bool:
    """Two or three words starting with a known first name, no connector between ("Michael Jordan", not "Cruz of
    Texas")."""
    return (
        0 < c.last - c.first <= 2
        and lowers[c.first] in first_names
        and not any(lowers[k] in CONNECTORS for k in range(c.first + 1, c.last))
    )


def _strong_labels(candidates: list[Candidate], lowers: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The label of each name typed from direct evidence, and the first and last words of its full person names."""
    by_key: dict[str, str] = {}
    surnames: dict[str, str] = {}
    for c in candidates:
        if c.strong and c.label:
            by_key.setdefault(c.key, c.label)
            if c.label == "PERSON" and c.last > c.first:
                surnames.setdefault(lowers[c.last], "PERSON")
                surnames.setdefault(lowers[c.first], "PERSON")
    return by_key, surnames


def _settle_weak_places(context: dict[str, dict[str, int]]) -> None:
    """Weak place votes count as places when there are two or more, or a firm place vote."""
    for votes in context.values():
        weak = votes.pop(WEAK_GPE, 0)
        if weak >= 2 or (weak and "GPE" in votes):
            votes["GPE"] = votes.get("GPE", 0) + weak
