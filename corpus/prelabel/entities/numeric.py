"""Numeric and date expressions (DATE, TIME, MONEY, PERCENT, QUANTITY, ORDINAL, CARDINAL) matched by token
patterns from the token where the scan meets a number, a month or weekday, a number word or a currency sign."""

from __future__ import annotations

import regex

from corpus.prelabel.entities.gazetteers import Lexicon
from corpus.prelabel.entities.words import (
    CLOCK_UNITS,
    CURRENCY_SIGNS,
    CURRENCY_WORDS,
    DATE_AFTER,
    DATE_LEADS,
    DATE_UNITS,
    DURATION_UNITS,
    MONTH_ABBREVS,
    MONTH_ABBREVS_DOT,
    MONTH_PREPOSITIONS,
    MONTHS,
    MULTIPLIERS,
    NUMBER_JOINERS,
    NUMBER_WORDS,
    NUMERIC_STARTS,
    ORDINAL_WORDS,
    PARTS_OF_DAY,
    PERCENT_WORDS,
    POSSESSIVES,
    RELATIVE_DAYS,
    TIME_WORDS,
    UNIT_PREFIXES,
    UNITS,
    UNITS_LOWER_ONLY,
    WEEKDAYS,
    YEAR_BLOCKERS,
)

_NUMBER = regex.compile(r"[$€£¥]?\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s|m|bn|km|kg)?")
_DAY_OR_YEAR = regex.compile(r"\d{1,2}(?:st|nd|rd|th)?|(?:1[5-9]|20)\d\d")
_ORDINAL_NUM = regex.compile(r"\d+(?:st|nd|rd|th)")
_YEAR = regex.compile(r"(?:1[5-9]|20)\d\d|(?:1[5-9]|20)\d0s|'\d0s")
_FOUR_DIGITS = regex.compile(r"\d{4}")
_UP_TO_FOUR_DIGITS = regex.compile(r"\d{1,4}")
_SLASH_DATE = regex.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
_CLOCK = regex.compile(r"\d{1,2}(?:[:.]\d\d)?")
_COLON_TIME = regex.compile(r"\d{1,2}:\d\d")
_DAY_YEAR_OR_WORD = regex.compile(r"\d{1,4}|\p{Lu}\p{Ll}+")

# Words that start an expression by themselves (number words aside): they never lead to a number phrase.
_WORD_STARTS = NUMERIC_STARTS - NUMBER_WORDS
Found = tuple[int, str]  # the expression's last token, its label


class NumericRules:
    """The numeric patterns of `corpus.prelabel.entities.RulesEntityLabeller` (a mixin: ``lex`` and the law
    words are the labeller's)."""

    lex: Lexicon
    _law: frozenset[str]

    def _numeric_at(self, words: list[str], lowers: list[str], i: int, b: int) -> Found | None:
        """``(last_token, label)`` of a numeric or date expression starting at token ``i`` of a sentence ending
        before ``b``."""
        w, lw = words[i], lowers[i]
        if lw in _WORD_STARTS:
            return self._word_expression(words, lowers, i, b)
        if not (w[0].isdigit() or w[0] in CURRENCY_SIGNS or lw in NUMBER_WORDS):
            return None
        is_num = _NUMBER.fullmatch(w) is not None
        if not is_num and lw not in NUMBER_WORDS:
            return None
        if is_num:
            found = _digit_date(words, lowers, i, b)
            if found is not None:
                return found
        return self._number(words, lowers, i, b, is_num)

    def _word_expression(self, words: list[str], lowers: list[str], i: int, b: int) -> Found | None:
        """An expression starting with a month, a weekday, a relative day, a date lead or an ordinal word."""
        w, lw = words[i], lowers[i]
        if _month_start(words, lw, i, b):
            return self._month(words, lowers, i, b)
        if lw in WEEKDAYS and w[0].isupper():
            return _part_of_day(lowers, self._extend_date(words, lowers, i, b), b, "DATE")
        if lw in RELATIVE_DAYS:
            return _part_of_day(lowers, i, b, "TIME" if lw == "tonight" else "DATE")
        if lw in DATE_LEADS:
            return _date_lead(words, lowers, i, b)
        if lw in ORDINAL_WORDS:
            if w[0].isupper() and i + 1 < b and words[i + 1][:1].isupper() and lowers[i + 1] in self._law:
                return None  # "Fifth Amendment": part of a name
            return i, "ORDINAL"
        return None

    def _month(self, words: list[str], lowers: list[str], i: int, b: int) -> Found | None:
        """A date from a month name: "March 3, 2021", "Jan. 5"; "may" only where it is plainly the month."""
        w, lw = words[i], lowers[i]
        if lw == "may" and not _may_is_month(words, lowers, i, b):
            return None
        if not w[0].isupper():
            return None
        j = i + 1 if lw in MONTH_ABBREVS and words[i + 1] == "." else i
        return self._extend_date(words, lowers, j, b), "DATE"

    def _number(self, words: list[str], lowers: list[str], i: int, b: int, is_num: bool) -> Found | None:
        """A number phrase (digits or number words, with multipliers) and what its next word makes of it."""
        w, lw = words[i], lowers[i]
        j = _number_phrase_end(lowers, i, b)
        if w[:1] in CURRENCY_SIGNS or (i > 0 and words[i - 1] in CURRENCY_SIGNS):
            return j, "MONEY"
        if j + 1 < b:
            found = self._measure(words, lowers, w, j, b) or _duration(lowers, w, j, b)
            if found is not None:
                return found
        if lw in NUMBER_WORDS and not is_num:
            if lw == "one" and j == i:
                return None  # "one of them": a pronoun far more often than a cardinal worth labelling
            return j, "CARDINAL"
        if _COLON_TIME.fullmatch(w):
            return i, "TIME"
        return j, "CARDINAL"

    def _measure(self, words: list[str], lowers: list[str], w: str, j: int, b: int) -> Found | None:
        """Money, a percentage or a quantity by the word after the number phrase ending at ``j``."""
        nxt = lowers[j + 1]
        if nxt in CURRENCY_WORDS or words[j + 1] in self.lex.currencies:
            return j + 1, "MONEY"
        if nxt in PERCENT_WORDS:
            return j + 1, "PERCENT"
        if nxt == "per" and j + 2 < b and lowers[j + 2] == "cent":
            return j + 2, "PERCENT"
        if nxt in UNITS and not (nxt in UNITS_LOWER_ONLY and not words[j + 1].islower()):
            k = j + 1
            if nxt in UNIT_PREFIXES and k + 1 < b and lowers[k + 1] in UNITS:
                k += 1
            return k, "QUANTITY"
        return None

    def _extend_date(self, words: list[str], lowers: list[str], i: int, b: int) -> int:
        """Extend a month/weekday at ``i`` over ", July 21, 2017"-style continuations."""
        j = i
        while j + 1 < b:
            if _date_continues(words, lowers, j):
                j += 1
            elif _comma_date_part(words, lowers, j, b):
                j += 2
            else:
                break
        while j > i and words[j] == ",":
            j -= 1
        return j


def _month_start(words: list[str], lw: str, i: int, b: int) -> bool:
    """A month name, or an abbreviation with its dot or a day or year after it ("Jan 5")."""
    return (
        lw in MONTHS
        or lw in MONTH_ABBREVS_DOT
        or (lw in MONTH_ABBREVS and i + 1 < b and (words[i + 1] == "." or _DAY_OR_YEAR.fullmatch(words[i + 1])))
    )


def _may_is_month(words: list[str], lowers: list[str], i: int, b: int) -> bool:
    """ "May" before a number or a year, or after "in", "since"… ("in May"; a person called May takes "'s")."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < b else ""
    if i + 1 < b and (_NUMBER.fullmatch(nxt) or w[0].isupper() and _YEAR.fullmatch(nxt)):
        return True
    return (
        i > 0
        and lowers[i - 1] in MONTH_PREPOSITIONS
        and w[0].isupper()
        and not (i + 1 < b and lowers[i + 1] in POSSESSIVES)
    )


def _part_of_day(lowers: list[str], j: int, b: int, label: str) -> Found:
    """A day followed by a part of it ("Tuesday night", "yesterday morning") is a time."""
    if j + 1 < b and lowers[j + 1] in PARTS_OF_DAY:
        return j + 1, "TIME"
    return j, label


def _date_lead(words: list[str], lowers: list[str], i: int, b: int) -> Found | None:
    """ "last week", "earlier this year", "the past two years"; "this morning" and "last night" are times."""
    k = i + 1
    while k < b and lowers[k] in DATE_LEADS and k - i < 3:
        k += 1
    if (
        k + 1 < b
        and (lowers[k] in NUMBER_WORDS or _UP_TO_FOUR_DIGITS.fullmatch(words[k]))
        and lowers[k + 1] in DATE_UNITS
    ):
        k += 1
    if k < b and lowers[k] in DATE_UNITS:
        time = lowers[k] in PARTS_OF_DAY and k == i + 1 and lowers[i] in ("this", "last")
        return k, "TIME" if time else "DATE"
    return None


def _digit_date(words: list[str], lowers: list[str], i: int, b: int) -> Found | None:
    """Dates written with digits: an ordinal "3rd", 1996-08-30, 30/08/1996, 1990s, a bare year."""
    w = words[i]
    if _ORDINAL_NUM.fullmatch(w):
        return i, "ORDINAL"
    if _FOUR_DIGITS.fullmatch(w) and i + 4 < b and words[i + 1] == "-" and words[i + 3] == "-":
        return i + 4, "DATE"
    if _SLASH_DATE.fullmatch(w):
        return i, "DATE"
    if _YEAR.fullmatch(w) and not (i + 1 < b and lowers[i + 1] in YEAR_BLOCKERS):
        return i, "DATE"
    return None


def _number_phrase_end(lowers: list[str], i: int, b: int) -> int:
    """The last token of the number phrase at ``i``: number words and multipliers, "-" or "and" between number
    words ("forty-two", "a hundred and five")."""
    j = i
    while j + 1 < b:
        nxt = lowers[j + 1]
        if nxt in NUMBER_WORDS or nxt in MULTIPLIERS:
            j += 1
        elif nxt in NUMBER_JOINERS and j + 2 < b and lowers[j + 2] in NUMBER_WORDS:
            j += 2
        else:
            break
    return j


def _duration(lowers: list[str], w: str, j: int, b: int) -> Found | None:
    """A clock time ("5 pm"), a date ("two years ago", "10 days") or a time span ("three hours") by the word
    after the number phrase ending at ``j``."""
    nxt = lowers[j + 1]
    if nxt in TIME_WORDS and _CLOCK.fullmatch(w):
        return j + 1, "TIME"
    if nxt in DATE_UNITS and j + 2 < b and lowers[j + 2] in DATE_AFTER:
        return j + 2, "DATE"
    if nxt in DURATION_UNITS:
        return j + 1, "DATE"
    if nxt in CLOCK_UNITS:
        return j + 1, "TIME"
    return None


def _date_continues(words: list[str], lowers: list[str], j: int) -> bool:
    """Token ``j + 1`` continues a date: a day or year, a month or weekday, an abbreviation's dot."""
    nxt, lnxt = words[j + 1], lowers[j + 1]
    return bool(
        _DAY_OR_YEAR.fullmatch(nxt)
        or lnxt in MONTHS
        or lnxt in WEEKDAYS
        or ((lnxt in MONTH_ABBREVS or lnxt in MONTH_ABBREVS_DOT) and nxt[0].isupper())
        or (nxt == "." and lowers[j].rstrip(".") in MONTH_ABBREVS)
    )


def _comma_date_part(words: list[str], lowers: list[str], j: int, b: int) -> bool:
    """ ", 2017" or ", July" after a date: the comma and the day, year or month continue it."""
    return (
        words[j + 1] == ","
        and j + 2 < b
        and bool(_DAY_YEAR_OR_WORD.fullmatch(words[j + 2]))
        and (lowers[j + 2] in MONTHS or bool(_UP_TO_FOUR_DIGITS.fullmatch(words[j + 2])))
    )
