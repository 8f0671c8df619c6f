"""`WordSet`: an exact, compact set of strings for the big word lists."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import repeat
from operator import contains

from xxhash import xxh3_64_intdigest

# A word's bucket comes from a hash that is the same in every process (``hash()`` of a string is salted per process),
# so a pickled set keeps its buckets: loading the lexicon cache re-hashed its 300k words (~0.13 s) in every process.
# A look-up costs ~0.1 µs more than with ``hash()``; the labellers cache their answers per word. Surrogates pass: a
# text may hold a lone one.
_UTF8 = partial(str.encode, encoding="utf-8", errors="surrogatepass")


class WordSet:
    """An exact set of strings in a fraction of a frozenset's memory, for the big word lists (~200k words).

    A frozenset of 210k short strings costs ~20 MB (an object per word plus the hash table); here the words are
    grouped by a hash of their UTF-8 bytes (xxh3) into a few thousand newline-joined strings and membership is a
    substring search in one small bucket. The hash is the same in every process, so a pickled set is its buckets.
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
        hashes = map(xxh3_64_intdigest, map(_UTF8, words))
        deque(map(list.append, map(groups.__getitem__, map(mask.__and__, hashes)), words), maxlen=0)
        if not (distinct or isinstance(words, (set, frozenset))):
            for n, group in enumerate(groups):
                if len(group) > 1 and len(set(group)) < len(group):
                    groups[n] = list(dict.fromkeys(group))  # the first of each, in order
        self._buckets = ["\n" + "\n".join(group) + "\n" if group else "" for group in groups]
        self._mask, self._len = mask, sum(map(len, groups))

    def __contains__(self, word: object) -> bool:
        # A query holding a line break could span two entries of a bucket: never a member.
        if not isinstance(word, str) or "\n" in word:
            return False
        return f"\n{word}\n" in self._buckets[xxh3_64_intdigest(word.encode("utf-8", "surrogatepass")) & self._mask]

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        for bucket in self._buckets:
            if bucket:
                yield from bucket[1:-1].split("\n")

    def __reduce__(self) -> tuple[object, tuple[list[str], int, int]]:
        return _restored, (self._buckets, self._mask, self._len)


def _restored(buckets: list[str], mask: int, size: int) -> WordSet:
    """A pickled `WordSet` as it was: its buckets hold the same words under the same hash in any process."""
    ws = WordSet.__new__(WordSet)
    ws._buckets, ws._mask, ws._len = buckets, mask, size
    return ws
