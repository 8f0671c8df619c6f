"""What the scan knows of a token's text, as bits of a small int per distinct word, and the sentence-level
tests built on them: case modes (running text, Title Case headline, capitals) and clause starts."""

from __future__ import annotations

from collections.abc import Callable

import regex

from corpus.prelabel.entities.words import CAMEL_NAME_PREFIXES, CLAUSE_OPENERS, EVERYDAY_CAPS, OPENERS

NORMAL, TITLE, CAPS = "normal", "title", "caps"

_ACRONYM = regex.compile(r"(?:\p{Lu}\.){2,}|\p{Lu}{2,6}s?|\p{Lu}+&\p{Lu}+")
# A capital, lower-case letters, then a capital inside ("PayPal", "YouTube", "OpenAI"), or capitals then a
# capitalised word ("JPMorgan"); prefix and rest are captured for `_is_camel`.
_CAMEL = regex.compile(r"(\p{Lu}\p{Ll}+|\p{Lu}{2,})(\p{Lu}\p{L}*)")

# What `RulesEntityLabeller._word_facts` knows of a token's text, one bit each (a small int per distinct word).
LETTER = 1  # holds a letter
COMMON = 2  # an everyday word (`RulesEntityLabeller.is_common` of its lower case)
CAPITAL = 4  # its first character is upper case
UPPER = 8  # ``str.isupper()``
LONG = 16  # more than one character
DIGIT = 32  # its first character is a digit
NUMERIC = 64  # a numeric expression may start here (`_numeric_at`'s first test)
NAMEISH = 128  # `_Scan.name_token`'s first test: capitalised with a letter, not an everyday capital ("OK", "TV")
GAZ_WORD = 256  # the word alone is a known place or group
LEXICON_NAME = 512  # `_Scan.name_token`'s lexicon test (headlines, clause starts) short of the document's cased names
EDGE = 1024  # a dash, pipe, bullet or pictograph: never an entity's first or last token
HYPHEN = 2048  # a hyphen, which may join the parts of a hyphenated word
HOT = CAPITAL | NUMERIC  # a name or a numeric expression may start here
LETTER_OR_DIGIT = LETTER | DIGIT  # a token `_starts_clause` does not look past
CAPITAL_NOT_UPPER = CAPITAL | UPPER  # ``facts & CAPITAL_NOT_UPPER == CAPITAL``: capitalised, not all capitals
_FACT_VALUES = 4096


def _mode_counts(facts: int) -> int:
    """A token's share of `_case_mode`'s four counts, 16 bits each, so that a sentence's counts are one ``sum``:
    a word of 2+ characters with a letter, such a word in capitals; an everyday word with a letter, capitalised."""
    letters = bool(facts & LETTER and facts & LONG)
    everyday = bool(facts & LETTER and facts & COMMON)
    return (
        letters
        + ((letters and bool(facts & UPPER)) << 16)
        + (everyday << 32)
        + ((everyday and bool(facts & CAPITAL)) << 48)
    )


_MODE_COUNTS = [_mode_counts(facts) for facts in range(_FACT_VALUES)]
_COUNT_MASK = 0xFFFF  # one count's bits; a sentence of more tokens is counted the long way (`_case_mode`)


class _WordCache(dict):
    """``cache[word]`` computes ``fn(word)`` once; bounded, so a long run's vocabulary cannot grow it forever."""

    LIMIT = 200_000

    def __init__(self, fn: Callable[[str], bool]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, word: str) -> bool:
        value = self.fn(word)
        if len(self) < self.LIMIT:
            self[word] = value
        return value


def _is_camel(w: str) -> bool:
    """A camel-case brand name ("PayPal", "OpenAI", "JPMorgan"), not a surname with a prefix ("McConnell"), an
    acronym's plural ("CEOs") or a degree ("PhD")."""
    m = _CAMEL.fullmatch(w)
    if m is None or len(m.group(2)) < 2 or m.group(1).lower() in CAMEL_NAME_PREFIXES:
        return False
    if m.group(1).isupper():
        return any(c.islower() for c in m.group(2)[1:]) and not (w.endswith("s") and w[:-1].isupper())
    return True


def _is_plural_acronym(w: str) -> bool:
    """Capitals and a plural "s" ("CEOs", "MPs", "NGOs"): a common noun, not a name."""
    return len(w) > 2 and w[-1] == "s" and w[:-1].isupper()


def _is_acronym(w: str) -> bool:
    return bool(_ACRONYM.fullmatch(w)) and w not in EVERYDAY_CAPS


def _starts_clause(words: list[str], info: list[int], k: int, sent_start: int) -> bool:
    """Token ``k`` begins the sentence, possibly after opening quotes, brackets or a dash/colon."""
    m = k - 1
    while m >= sent_start and not info[m] & LETTER_OR_DIGIT:
        if words[m] not in OPENERS:
            return False
        m -= 1
    return m < sent_start or words[m] == ":"


def _after_opener(words: list[str], k: int, sent_start: int) -> bool:
    """Token ``k`` follows an opening quote or a colon: a quoted clause may begin there ('he said: "Markets')."""
    return k > sent_start and words[k - 1] in CLAUSE_OPENERS


def _case_modes(
    words: list[str], info: list[int], sent_ranges: list[tuple[int, int]], titles: frozenset[str] = frozenset()
) -> list[str]:
    """`_case_mode` of each sentence, from its counts summed in one go (`_mode_counts`).

    Most sentences are plainly running text by the counts alone; the few that may be a headline or have a
    single long word are decided by `_case_mode` itself.
    """
    counts = list(map(_MODE_COUNTS.__getitem__, info))
    mask = _COUNT_MASK
    modes = []
    for a, b in sent_ranges:
        if b - a > mask:
            modes.append(_case_mode(words, info, a, b, titles))
            continue
        rest = sum(counts[a + 1 : b])  # the everyday-word counts leave out the first token
        whole = rest + counts[a]
        letters = whole & mask
        if not letters:
            modes.append(NORMAL)
            continue
        upper = (whole >> 16) & mask
        if letters >= 2 and upper / letters >= 0.7:
            modes.append(CAPS)
            continue
        everyday = (rest >> 32) & mask
        if (letters == 1 and upper) or (everyday >= 3 and (rest >> 48) / everyday >= 0.7):
            modes.append(_case_mode(words, info, a, b, titles))
            continue
        modes.append(NORMAL)
    return modes


def _case_mode(words: list[str], info: list[int], a: int, b: int, titles: frozenset[str] = frozenset()) -> str:
    """CAPS for a line set in capitals, TITLE for a Title Case headline, else NORMAL running text.

    A Title Case headline capitalises its everyday words ("Was Headed to ER But Diverted"); running text
    capitalises names only, so the share of capitalised everyday words tells them apart (person titles aside:
    running text capitalises them before names, "Finance Minister Ana Lee").
    """
    letters = [w for w, facts in zip(words[a:b], info[a:b], strict=True) if facts & LETTER and len(w) > 1]
    if not letters:
        return NORMAL
    if _in_capitals(letters):
        return CAPS
    everyday = [
        w for w, facts in zip(words[a + 1 : b], info[a + 1 : b], strict=True) if facts & LETTER and facts & COMMON
    ]
    if _mostly_capitalised(everyday):
        everyday = [w for w in everyday if w.lower() not in titles]  # rarely reached: checked only here
        if _mostly_capitalised(everyday):
            return TITLE
    return NORMAL


def _in_capitals(letters: list[str]) -> bool:
    """Words of two or more characters with a letter, mostly in capitals (or one long one)."""
    upper = sum(map(str.isupper, letters))
    return (len(letters) >= 2 and upper / len(letters) >= 0.7) or (
        len(letters) == 1 and upper > 0 and len(letters[0]) > 3
    )


def _mostly_capitalised(everyday: list[str]) -> bool:
    return len(everyday) >= 3 and sum(1 for w in everyday if w[0].isupper()) / len(everyday) >= 0.7
