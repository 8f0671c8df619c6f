"""Whole-line rules indexed by how a line opens, so a line costs the few rules that can match it, not all of them.

Boilerplate stripping (``corpus ingest``) and the claims labeller's furniture test try many regular expressions
with ``fullmatch`` on short lines, and the call overhead per rule was most of their time (33 rules on every
candidate line). Which rules can open with a given one or two characters is decided once per opening by
``regex``'s partial matching and remembered; the rules keep their order, so "the first rule that matches"
is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import regex

T = TypeVar("T")

# A rule opening with a word-boundary assertion depends on the character before the line: a word character, or none.
_BEFORE_OPENING = ("", "a")
# Look-behind, reverse matching, look-ahead, \B, back-references, conditionals and fuzzy matching: no telling from a
# short probe (a probe ends where an assertion about the next character fails).
_READS_AHEAD_OR_BEHIND = ("(?<", "(?r", "(?=", "(?!", r"\B", "(?P=", r"\g<", "(?(", "{e")
_BACK_REFERENCE = regex.compile(r"\\[1-9]")
# Word-boundary assertions: at the end of a probe they see no next character, so after a non-word character
# they fail where the line's next character could make them hold.
_WORD_BOUNDARIES = (r"\b", r"\m", r"\M", r"\y", r"\Y")
_WORD_CHAR = regex.compile(r"\w")


def may_open(pattern: regex.Pattern, probe: str) -> bool:
    """Whether a ``fullmatch`` of ``pattern`` on some line can open with ``probe`` (one or two characters, the
    line's first): false only when it surely cannot."""
    source = pattern.pattern
    if any(mark in source for mark in _READS_AHEAD_OR_BEHIND) or _BACK_REFERENCE.search(source):
        return True
    if pattern.flags & regex.FULLCASE:
        return True  # one character may fold to several: a probe's length says nothing
    if any(mark in source for mark in _WORD_BOUNDARIES) and not _WORD_CHAR.match(probe[-1]):
        # ‘Delivered to your inbox…’: the probe ends right after the non-word "‘", where \b sees no word character
        # and fails even in a partial match, though the next character would make it hold.
        return True
    return any(pattern.fullmatch(before + probe, len(before), partial=True) is not None for before in _BEFORE_OPENING)


class RulesByOpening(Generic[T]):
    """Rules (``items``, each with a regular expression ``pattern(item)`` tried with ``fullmatch``) by the one or
    two characters a line opens with.

    Openings are worked out as lines come: first by the line's first character (every one kept, as few as a
    script has), then by its first two characters among those (kept up to ``LIMIT``; past it a line costs the
    rules of its first character)."""

    LIMIT = 16_384

    def __init__(self, items: Sequence[T], pattern: Callable[[T], regex.Pattern]) -> None:
        self.items = tuple(items)
        self._pattern = pattern
        self._by_first: dict[str, tuple[T, ...]] = {}
        self._by_two: dict[str, tuple[T, ...]] = {}

    def at(self, text: str, start: int, end: int) -> tuple[T, ...]:
        """The rules that can ``fullmatch`` ``text[start:end]``, in order (a superset of those that do)."""
        if end - start >= 2:
            two = text[start : start + 2]
            found = self._by_two.get(two)
            return found if found is not None else self._opening_two(two)
        if end <= start:
            return self.items
        found = self._by_first.get(text[start])
        return found if found is not None else self._opening(text[start])

    def _opening(self, ch: str) -> tuple[T, ...]:
        found = tuple(item for item in self.items if may_open(self._pattern(item), ch))
        self._by_first[ch] = found
        return found

    def _opening_two(self, two: str) -> tuple[T, ...]:
        first = self._by_first.get(two[0])
        if first is None:
            first = self._opening(two[0])
        if len(self._by_two) >= self.LIMIT:
            return first
        found = tuple(item for item in first if may_open(self._pattern(item), two))
        self._by_two[two] = found
        return found
