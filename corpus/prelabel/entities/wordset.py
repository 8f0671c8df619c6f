"""`WordSet`: an exact, compact set of strings for the big word lists."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import contains


class WordSet:
    """An exact set of strings in a fraction of a frozenset's memory, for the big word lists (~200k words).

    A frozenset of 210k short strings costs ~20 MB (an object per word plus the hash table); here the words are
    grouped by ``hash(word)`` into a few thousand newline-joined strings and membership is a substring search in
    one small bucket. Hashes are per process, so a pickled set is rebuilt from its words (``__reduce__``).
    """

    __slots__ = ("_buckets", "_mask", "_len")

    def __init__(self, words: Iterable[str], per_bucket: int = 8, distinct: bool = False) -> None:
        """``distinct``: the caller knows the words hold no duplicates (a set's, or a filtered set's)."""
        # No intermediate set (a 200k-word set's table alone is 8 MB): duplicates are dropped within a bucket.
        words = words if isinstance(words, (list, tuple, set, frozenset)) else list(words)
        if any(map(contains, words, repeat("\n"))):
            bad = next(word for word in words if "\n" in word)
            raise ValueError(f"a word list entry holds a line break: {bad!r}")
        size = 1
        while size * per_bucket < len(words):
            size *= 2
        mask = size - 1
        groups: list[list[str]] = [[] for _ in range(size)]
        # Each word appended to its bucket's group, in input order, by C-level maps (a Python loop over the 210k
        # everyday words costs ~0.1 s).
        deque(map(list.append, map(groups.__getitem__, map(mask.__and__, map(hash, words))), words), maxlen=0)
        if not (distinct or isinstance(words, (set, frozenset))):
            for n, group in enumerate(groups):
                if len(group) > 1 and len(set(group)) < len(group):
                    groups[n] = list(dict.fromkeys(group))  # the first of each, in order
        self._buckets = ["\n" + "\n".join(group) + "\n" if group else "" for group in groups]
        self._mask, self._len = mask, sum(map(len, groups))

    def __contains__(self, word: object) -> bool:
        # A query holding a line break could span two entries of a bucket: never a member.
        return isinstance(word, str) and f"\n{word}\n" in self._buckets[hash(word) & self._mask] and "\n" not in word

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        for bucket in self._buckets:
            if bucket:
                yield from bucket[1:-1].split("\n")

    def __reduce__(self) -> tuple[type, tuple[list[str], int, bool]]:
        # Rebuilt from its words (hashes are per process); they are distinct, so the copy skips the duplicate check.
        return WordSet, (list(self), 8, True)
