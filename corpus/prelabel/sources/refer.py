"""What a pronoun or descriptor source refers to: the id of a named entity span from the text before it.

The entities layer runs before sources, so its spans (with their ids) are on the document. Rules, all reading only
the preceding text (at most ``WINDOW`` characters back):

* "he", "she", "who" -> the nearest PERSON before it ("who" only right after the name: "Jane Doe, who said");
* "it" and an organisation described with "the" ("the company said") -> the nearest ORG before it;
* a person described with "the" ("the merchant said") -> the PERSON of the latest earlier sentence that uses the
  same head noun ("Jane Doe, the Berlin wine merchant, …");

and a short form points to the full name it repeats ("Doe" after "Jane Doe").
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from corpus.prelabel.sources.kinds import head_word
from corpus.prelabel.sources.reader import _Reader
from corpus.prelabel.sources.words import ORG_PRONOUNS_BACK, PERSON_PRONOUNS_BACK

WINDOW = 2000  # characters: about three paragraphs of news
_DEFINITE = frozenset(["the", "this", "that"])

Entity = tuple[int, int, str, str]  # start, end, span id, text


class Antecedents:
    """The named entity spans of a document that a source may point back to, by label and end offset."""

    def __init__(self, r: _Reader, entities: list[dict]) -> None:
        self.r = r
        self.entities = entities
        self.people: tuple[list[int], list[Entity]] = ([], [])
        self.orgs: tuple[list[int], list[Entity]] = ([], [])
        self.indexed = False  # built at the first pronoun or descriptor source: most sources are names

    def find(self, a: int, b: int, kind: str) -> str | None:
        """The span id the source at tokens ``a..b`` of kind ``kind`` refers to, when the text makes it clear."""
        if kind in ("named_person", "named_organisation") and a < b:
            return None  # a name, not a pronoun
        self._index()
        r = self.r
        start = r.starts[a]
        low = r.low[a : b + 1]
        if len(low) == 1 and low[0] in PERSON_PRONOUNS_BACK:
            return self._person_pronoun(a, low[0])
        if _org_reference(low, kind):
            return _id(_nearest(self.orgs, start - WINDOW, start))
        if kind == "unnamed_person" and low[0] in _DEFINITE and len(low) > 1:
            return self._full_name(self._described(head_word(low), a))
        return None

    def _index(self) -> None:
        """Index the PERSON and ORG spans by end offset, once: built at the first pronoun or descriptor source."""
        if not self.indexed:
            self.people = _by_end([s for s in self.entities if s["label"] == "PERSON"])
            self.orgs = _by_end([s for s in self.entities if s["label"] == "ORG"])
            self.indexed = True

    def _person_pronoun(self, a: int, word: str) -> str | None:
        """The PERSON a "he", "she" or "who" at token ``a`` refers to ("who" only right after the name)."""
        r = self.r
        start = r.starts[a]
        limit = r.ends[a - 2] if word == "who" and a >= 2 else start - WINDOW
        return self._full_name(_nearest(self.people, limit, start))

    def _described(self, head: str, a: int) -> Entity | None:
        """The PERSON of the latest sentence before token ``a`` that uses ``head`` ("…, the wine merchant, …")."""
        r = self.r
        first = bisect_left(r.starts, r.starts[a] - WINDOW)
        for k in range(a - 1, first - 1, -1):
            if r.low[k] != head:
                continue
            lo, hi = r.sentence(k)
            found = _nearest(self.people, r.starts[lo], r.ends[hi] + 1, around=r.starts[k])
            if found is not None:
                return found
        return None

    def _full_name(self, found: Entity | None) -> str | None:
        """A short form ("Doe") stands for the earlier full name that ends with it ("Jane Doe")."""
        if found is None:
            return None
        short = found[3]
        ends, items = self.people
        # only names ending at most 4 * WINDOW before it can be meant: a long article's earlier names are not read
        for k in range(bisect_left(ends, found[0] - 4 * WINDOW), bisect_left(ends, found[1])):
            entity = items[k]
            if len(entity[3]) > len(short) and entity[3].endswith(" " + short) and found[0] - entity[1] <= 4 * WINDOW:
                return entity[2]
        return found[2]


def _org_reference(low: list[str], kind: str) -> bool:
    """Whether a source phrase points back to an organisation: "it", or "the company" (an unnamed one)."""
    return (len(low) == 1 and low[0] in ORG_PRONOUNS_BACK) or (kind == "unnamed_organisation" and low[0] in _DEFINITE)


def _by_end(spans: list[dict]) -> tuple[list[int], list[Entity]]:
    items = sorted((s["end"], s["start"], s["id"], s["text"]) for s in spans)
    return [e for e, _, _, _ in items], [(s, e, i, t) for e, s, i, t in items]


def _nearest(index: tuple[list[int], list[Entity]], lo: int, hi: int, around: int | None = None) -> Entity | None:
    """The entity ending in ``[lo, hi]`` nearest to ``hi`` (or to ``around``: nearest on either side)."""
    ends, items = index
    inside = items[bisect_left(ends, lo) : bisect_right(ends, hi)]
    inside = [e for e in inside if e[0] >= lo]
    if not inside:
        return None
    if around is None:
        return inside[-1]
    return min(inside, key=lambda e: min(abs(e[0] - around), abs(e[1] - around)))


def _id(found: Entity | None) -> str | None:
    return None if found is None else found[2]
