"""What kind of source a SOURCE span is (``corpus.document.SOURCE_KINDS``), and whether it is the reporter."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

from corpus.prelabel.sources.reader import _Reader
from corpus.prelabel.sources.words import (
    ANONYMOUS,
    ANONYMOUS_HEADS,
    CORRESPONDENT,
    DETERMINERS,
    GROUP_PRONOUNS,
    HEAD_ENDERS,
    ORG_WORDS,
    PARTY_WORDS,
    PERSON_PRONOUNS,
    PRONOUN_SOURCES,
    ROLE_NOUNS,
    SOURCE_GROUP_WORDS,
    TIME_OPENERS,
    TIME_WORDS,
    is_plural,
)

_NAME_JOINERS = frozenset(["of", "’s", "'s", "-", "&"])


def source_kind(r: _Reader, a: int, b: int, entity_labels: list[str]) -> str:
    """The kind of the source at tokens ``a..b``, given the labels of the entity spans it overlaps."""
    low = r.low[a : b + 1]
    if len(low) == 1 and low[0] in PRONOUN_SOURCES:
        return _pronoun_kind(low[0])
    if ANONYMOUS.search(" ".join(low)):
        return "anonymous"
    return _entity_kind(low, entity_labels) or _name_kind(_named_kinds(r, a, b)) or _descriptor_kind(low)


def _entity_kind(low: list[str], entity_labels: list[str]) -> str | None:
    """The kind the overlapping entity spans give: a person, an organisation or place, or a nationality group."""
    if "PERSON" in entity_labels:
        return "named_person"
    if any(lab in ("ORG", "GPE") for lab in entity_labels):
        return "named_organisation"
    if "NORP" in entity_labels and is_plural(low[-1]):  # "Democrats said", "Ukrainians fear"
        return "named_organisation" if low[-1] in PARTY_WORDS else "unnamed_group"
    return None


def _name_kind(named: set[str]) -> str | None:
    """The kind the capitalised runs give (a person before an organisation), if any."""
    if "person" in named:
        return "named_person"
    if "org" in named:
        return "named_organisation"
    return None


def _pronoun_kind(w: str) -> str:
    if w in PERSON_PRONOUNS:
        return "named_person"
    if w in GROUP_PRONOUNS:
        return "unnamed_group"
    return "named_organisation"


def _named_kinds(r: _Reader, a: int, b: int) -> set[str]:
    """The kinds ("person", "org") of the capitalised runs of ``a..b``, ignoring a sentence-initial common word
    and demonyms used as modifiers ("Ukrainian military source", "Western officials")."""
    words = [r.word(k) for k in range(a, b + 1)]
    low = r.low[a : b + 1]
    kinds = set()
    for run in _capitalised_runs(words, low):
        kind = _run_kind(r, run, words, low)
        if kind:
            kinds.add(kind)
    return kinds


def _capitalised_runs(words: list[str], low: list[str]) -> Iterator[list[int]]:
    """Runs of capitalised words (joined by "of", "'s", "-", "&"), as positions in ``words``."""
    k = 0
    while k < len(words):
        if not words[k][:1].isupper() or low[k] in DETERMINERS:
            k += 1
            continue
        run = [k]
        while k + 1 < len(words) and (words[k + 1][:1].isupper() or low[k + 1] in _NAME_JOINERS):
            k += 1
            run.append(k)
        k += 1
        yield run


def _run_kind(r: _Reader, run: list[int], words: list[str], low: list[str]) -> str | None:
    run_words = [low[x] for x in run if words[x][:1].isupper()]
    if len(run_words) == 1 and not _single_name(r, run, words, run_words[0]):
        return None
    return "org" if _org_run(run, words, run_words) else "person"


def _org_run(run: list[int], words: list[str], run_words: list[str]) -> bool:
    """Whether a name reads as an organisation: an organisation or party word, or an acronym ("NATO")."""
    return any(w in ORG_WORDS or w in PARTY_WORDS for w in run_words) or any(
        words[y].isupper() and len(words[y]) > 1 for y in run
    )


def _single_name(r: _Reader, run: list[int], words: list[str], w: str) -> bool:
    """Whether a run with one capitalised word ``w`` (lower-cased) is a name rather than a common word."""
    if w in SOURCE_GROUP_WORDS or w in ANONYMOUS_HEADS or w in ROLE_NOUNS or w in DETERMINERS:
        return False  # a common noun opening the sentence: "Sources say", "Officials said"
    if r.seen_as_written(w):
        return False  # a word the article also writes in lower case is a common word, not a name
    # a modifier, not a name: "Ukrainian military source", "Western officials"
    return not (run[-1] + 1 < len(words) and words[run[-1] + 1][:1].islower())


def _descriptor_kind(low: list[str]) -> str:
    """A source with no name: an anonymous one ("a senior official", "sources"), a group ("officials", "the
    ministry's staff"), an organisation described ("the company") or one person described ("the merchant")."""
    head = head_word(low)
    if head in ANONYMOUS_HEADS:
        return "anonymous"
    indefinite = any(w in ("a", "an", "one") for w in low[:2])
    if (head in SOURCE_GROUP_WORDS or is_plural(head)) and not indefinite:
        return "unnamed_group"
    if head in ORG_WORDS:
        return "unnamed_organisation"
    return "unnamed_person"


def head_word(low: list[str]) -> str:
    """The head noun of a source phrase: the word before its first comma, relative pronoun or preposition."""
    end = next((t for t in range(1, len(low)) if low[t] in HEAD_ENDERS), len(low))
    return low[end - 1].rstrip(",")


def is_correspondent(r: _Reader, a: int, b: int, in_quote: bool) -> bool:
    """Whether the source is the article's own reporter ("this correspondent has tracked …", "I", "we")."""
    phrase = " ".join(r.low[a : b + 1])
    if CORRESPONDENT.search(phrase):
        return True
    return not in_quote and phrase in ("i", "we")


def plausible_source(r: _Reader, a: int, b: int, times: list[tuple[int, int]]) -> bool:
    """Whether tokens ``a..b`` can be a source: not a date or time ("Last Tuesday said"), not bare digits
    ("2013 denouncing"). ``times``: the (start, end) of the document's DATE and TIME entity spans, sorted."""
    last = r.low[b]
    if not times and not last.isdigit() and last not in TIME_WORDS:
        return True  # the usual case: no date in the document, a source not ending in one
    words = _past_openers(r, a, b)
    if not words:
        return True
    if all(r.low[k].isdigit() or r.low[k] in TIME_WORDS for k in words):
        return False
    return not _inside_time(r.starts[words[0]], r.ends[words[-1]], times)


def _past_openers(r: _Reader, a: int, b: int) -> list[int]:
    """The tokens of ``a..b`` that are neither determiners nor time openers ("last", "on", …)."""
    return [k for k in range(a, b + 1) if r.low[k] not in DETERMINERS and r.low[k] not in TIME_OPENERS]


def _inside_time(start: int, end: int, times: list[tuple[int, int]]) -> bool:
    """Whether ``start..end`` lies inside one of the DATE / TIME spans ``times`` (sorted; the last eight that
    start at or before it are looked at)."""
    at = bisect_right(times, (start, end + 1))
    return any(s <= start and end <= e for s, e in times[max(0, at - 8) : at])
