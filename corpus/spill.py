"""Per-document state that stays small however large the corpus: compact key indexes and records on disk.

Some stages must remember every document seen so far (exact duplicates by id, near duplicates by MinHash
band). Python dicts of strings cost a few hundred bytes per document, so memory would grow with the corpus;
here a key is 8 bytes in sorted numpy runs (the way an LSM tree or an external sort keeps its index) and the
per-document payload (ids, origins, signatures) is appended to an unnamed temporary file and read back only
for the rare hit.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from typing import Self

import numpy as np

__all__ = ["DistinctStrings", "IntMultiMap", "KeyedRecords", "RecordFile"]


class IntMultiMap:
    """A multimap from unsigned 64-bit keys to unsigned 32-bit values, in insertion order per key.

    Recent additions sit in a small dict; every ``merge_at`` of them become a sorted run (keys and values as
    numpy arrays, 12 bytes an entry), and runs of similar size are merged (size-tiered), so there are only
    about log2(n / merge_at) runs to search and each entry is re-sorted only that many times.
    """

    def __init__(self, merge_at: int = 1 << 10) -> None:
        self._merge_at = merge_at
        self._recent: dict[int, list[int]] = {}
        self._recent_count = 0
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # oldest first; stable within a run

    def __len__(self) -> int:
        return self._recent_count + sum(len(keys) for keys, _ in self._runs)

    def add(self, key: int, value: int) -> None:
        self._recent.setdefault(key, []).append(value)
        self._recent_count += 1
        if self._recent_count >= self._merge_at:
            self._flush()

    def get(self, key: int) -> list[int]:
        """Every value added under ``key``, oldest first."""
        found: list[int] = []
        if self._runs:
            probe = np.uint64(key)
            for keys, values in self._runs:
                lo = int(keys.searchsorted(probe, "left"))
                if lo < len(keys) and keys[lo] == probe:
                    found.extend(values[lo : int(keys.searchsorted(probe, "right"))].tolist())
        found.extend(self._recent.get(key, ()))
        return found

    def get_many(self, keys: list[int]) -> set[int]:
        """Every value added under any of ``keys`` (one vectorised search per run)."""
        found: set[int] = set()
        if self._runs:
            probe = np.array(keys, dtype=np.uint64)
            for run_keys, values in self._runs:
                lo, hi = run_keys.searchsorted(probe, "left"), run_keys.searchsorted(probe, "right")
                for i in np.flatnonzero(hi > lo).tolist():
                    found.update(values[lo[i] : hi[i]].tolist())
        recent = self._recent
        for key in keys:
            if key in recent:
                found.update(recent[key])
        return found

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        probe = np.uint64(key)
        for keys, _ in self._runs:
            lo = int(keys.searchsorted(probe, "left"))
            if lo < len(keys) and keys[lo] == probe:
                return True
        return False

    def _flush(self) -> None:
        keys = np.fromiter((k for k, vs in self._recent.items() for _ in vs), dtype=np.uint64, count=self._recent_count)
        values = np.fromiter((v for vs in self._recent.values() for v in vs), dtype=np.uint32, count=self._recent_count)
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], values[order]))
        self._recent, self._recent_count = {}, 0
        # Merge the newest runs while the newer is at least half the older: sizes stay geometric.
        while len(self._runs) > 1 and 2 * len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            (old_keys, old_values), (new_keys, new_values) = self._runs[-2], self._runs[-1]
            keys, values = np.concatenate((old_keys, new_keys)), np.concatenate((old_values, new_values))
            order = np.argsort(keys, kind="stable")  # stable: older values stay first under equal keys
            self._runs[-2:] = [(keys[order], values[order])]


class _Closing:
    """``with store:`` closes the store (its temporary file) on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RecordFile(_Closing):
    """Append-only byte records in an unnamed temporary file; ``append`` returns the record's index.

    Memory is 8 bytes a record (its end offset) plus the file's write buffer. The file disappears when closed
    or when the process exits.
    """

    def __init__(self, directory: str | None = None) -> None:
        self._file = tempfile.TemporaryFile(prefix="corpus-", dir=directory, buffering=1 << 20)  # noqa: SIM115 (closed by close())
        self._ends = array("Q")
        self._size = 0
        self._at_end = True  # where the file position is: appends need no seek until a read moved it

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, record: bytes) -> int:
        if not self._at_end:
            self._file.seek(0, os.SEEK_END)
            self._at_end = True
        self._file.write(record)
        self._size += len(record)
        self._ends.append(self._size)
        return len(self._ends) - 1

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        start = self._ends[index - 1] if index else 0
        self._file.seek(start)
        self._at_end = False
        return self._file.read(self._ends[index] - start)

    def close(self) -> None:
        self._file.close()


class KeyedRecords(_Closing):
    """``str key -> byte records`` (several per key, oldest first) with 12 bytes of memory a record: the key's
    64-bit hash in an :class:`IntMultiMap`, the key itself and the record in a :class:`RecordFile` (a hash
    collision is told apart by the stored key)."""

    def __init__(self) -> None:
        self._index = IntMultiMap()
        self._records = RecordFile()

    def __len__(self) -> int:
        return len(self._records)

    @staticmethod
    def _hash(key: str) -> int:
        import xxhash

        return xxhash.xxh64_intdigest(key.encode("utf-8", "surrogatepass"))

    def add(self, key: str, record: bytes) -> None:
        encoded = key.encode("utf-8", "surrogatepass")
        self._index.add(self._hash(key), self._records.append(len(encoded).to_bytes(4, "little") + encoded + record))

    def get(self, key: str) -> list[bytes]:
        """The records added under ``key``, oldest first."""
        encoded = key.encode("utf-8", "surrogatepass")
        found = []
        for index in self._index.get(self._hash(key)):
            data = self._records[index]
            size = int.from_bytes(data[:4], "little")
            if data[4 : 4 + size] == encoded:
                found.append(data[4 + size :])
        return found

    def close(self) -> None:
        self._records.close()


class DistinctStrings:
    """How many distinct strings were added, in about 8 bytes a string: their 64-bit xxhash digests, the recent
    ones in a set and the others in one sorted numpy array they are merged into every ``fold_at`` additions (a
    set of the strings themselves costs ~100 bytes a string). Two different strings count as one only if their
    digests collide (about 2**-64 a pair). Picklable: a build's workers send a document's to the parent, which
    merges them with :meth:`update`."""

    def __init__(self, fold_at: int = 1 << 16) -> None:
        self._fold_at = fold_at
        self._recent: set[int] = set()
        self._folded: np.ndarray | None = None  # sorted, unique; None until the first fold (a document's stay small)

    def add(self, text: str) -> None:
        import xxhash

        self._recent.add(xxhash.xxh64_intdigest(text.encode("utf-8", "surrogatepass")))
        if len(self._recent) >= self._fold_at:
            self._fold()

    def update(self, other: DistinctStrings) -> None:
        self._recent |= other._recent
        if other._folded is not None:
            self._fold(other._folded)
        elif len(self._recent) >= self._fold_at:
            self._fold()

    def __len__(self) -> int:
        if self._folded is None:
            return len(self._recent)
        recent = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        at = self._folded.searchsorted(recent)
        new = at == len(self._folded)  # past the end: not folded
        new[~new] = self._folded[at[~new]] != recent[~new]
        return len(self._folded) + int(np.count_nonzero(new))

    def __eq__(self, other: object) -> bool:
        """Whether the same strings were added (as far as their digests tell)."""
        if not isinstance(other, DistinctStrings):
            return NotImplemented
        return np.array_equal(self._digests(), other._digests())

    __hash__ = None  # type: ignore[assignment]  (mutable)

    def _digests(self) -> np.ndarray:
        recent = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
        return np.unique(recent if self._folded is None else np.concatenate((self._folded, recent)))

    def _fold(self, *more: np.ndarray) -> None:
        parts = [np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent)), *more]
        if self._folded is not None:
            parts.append(self._folded)
        self._folded = np.unique(np.concatenate(parts))
        self._recent = set()
