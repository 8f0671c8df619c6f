"""Near-duplicate detection: MinHash LSH (datasketch) over word shingles.

Scraped news repeats itself: the same wire story on two sites, an article republished with a corrected
sentence. Exact duplicates share an id and are dropped by :func:`corpus.pipeline.drop_exact_duplicates`; this
stage finds the lightly edited ones. Each document's word 5-shingles (lower-cased) are MinHashed; LSH proposes
candidates among the documents seen so far and the estimated Jaccard similarity decides. Streaming and
deterministic: the same documents in the same order are flagged the same way on every machine.

Hashing is in bulk: each word is hashed once (xxHash64, from the ``xxhash`` package that ``datasets`` installs)
and a shingle's 32-bit hash is a fixed polynomial of its words' hashes, computed for all shingles at once with
numpy's wrapping uint64 arithmetic, then finalised with the murmur3 64-bit mixer. The signature is datasketch
2's (scheme ``affine32``: its permutations for seed 1 over those values), computed here with numpy for all
shingles and permutations at once, so the build neither calls ``update_batch`` (a Python call per shingle) nor
imports datasketch (half a second: it imports scipy); :func:`minhash` still gives a datasketch ``MinHash``. No
per-shingle strings, no per-shingle SHA-1, and no Python ``hash()`` (salted per process), so signatures are
identical across runs and machines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import regex
import xxhash

from corpus.errors import InputProblem
from corpus.spill import IntMultiMap, RecordFile

if TYPE_CHECKING:
    from datasketch import MinHash

DEFAULT_THRESHOLD = 0.9
DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE_SIZE = 5
NEAR_DUPLICATES_LISTED = 5  # near duplicates a command lists one by one before it only counts them
NEAR_DUPLICATES = "near duplicates"  # the summary line's "path": it is about many files
_SEED = 1  # fixed: the permutations (hence every signature) are the same on every run and machine
_RECENT = 4096  # records the index also keeps in memory (~2.5 MB): copies of a story tend to arrive close together
_BATCH = 2048  # shingles per block of the signature's arithmetic: _BATCH x num_perm x 4 bytes (1 MB)

_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")
# When no character outside ASCII is a word character, the words of a case-folded text are its [a-z0-9] runs
# (ASCII has no marks and case folding leaves no capitals): in its UTF-8, every other byte becomes a space and
# bytes.split() cuts the words, a quarter of the time _WORD.findall takes.
_NOT_ASCII_WORD = bytes(b if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for b in range(256))
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def shingles(text: str, size: int = DEFAULT_SHINGLE_SIZE) -> set[bytes]:
    """Word ``size``-grams of the case-folded text (a text shorter than ``size`` words is one shingle)."""
    words = _WORD.findall(text.casefold())
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant: the polynomial base that orders the words
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)  # murmur3 fmix64 constants
_SHIFT33, _SHIFT32 = np.uint64(33), np.uint64(32)


def shingle_hashes(text: str, size: int = DEFAULT_SHINGLE_SIZE) -> np.ndarray:
    """32-bit hashes (as uint64) of the text's word ``size``-grams, one per position (repeats included: MinHash
    only keeps minima, so a repeated shingle changes nothing). Same shingles as :func:`shingles`."""
    words = _word_bytes(text)
    if not words:
        return np.empty(0, dtype=np.uint64)
    word_hashes = np.fromiter(
        map(xxhash.xxh64_intdigest, words), dtype=np.uint64, count=len(words)
    )  # C-level loops: no Python frame per word
    n = max(len(words) - size + 1, 1)  # a text shorter than ``size`` words is one shingle
    # Array arithmetic wraps modulo 2**64 silently (only numpy scalar arithmetic warns on overflow).
    h = word_hashes[:n].copy()
    for j in range(1, min(size, len(words))):
        h = h * _MULTIPLIER + word_hashes[j : j + n]
    h ^= h >> _SHIFT33
    h *= _MIX1
    h ^= h >> _SHIFT33
    h *= _MIX2
    h ^= h >> _SHIFT33
    return h >> _SHIFT32


def _word_bytes(text: str) -> list[bytes]:
    """The UTF-8 bytes of each word (``_WORD`` run) of the case-folded text, in order."""
    folded = text.casefold()
    if folded.isascii() or _WORD.search("".join(set(_NON_ASCII.findall(folded)))) is None:
        return folded.encode("utf-8", "surrogatepass").translate(_NOT_ASCII_WORD).split()  # a surrogate is no word
    return [word.encode("utf-8") for word in _WORD.findall(folded)]


_MAX32 = np.uint32(0xFFFFFFFF)
_FMIX32 = tuple(map(np.uint32, (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)))  # murmur3 fmix32, as datasketch applies it


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2's affine32 permutations ``h -> a * h + b mod 2**32`` for seed ``_SEED``, drawn as
    ``MinHash._init_permutations`` draws them (a test compares the signatures)."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    h = h ^ (h >> s1)
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return h


def signature_values(
    text: str, num_perm: int = DEFAULT_NUM_PERM, shingle_size: int = DEFAULT_SHINGLE_SIZE
) -> np.ndarray | None:
    """The MinHash signature (``num_perm`` uint32 values) of a text's shingles, equal to the hash values of
    datasketch's ``MinHash(num_perm, seed=1, hashfunc=int)`` updated with :func:`shingle_hashes`; ``None`` for
    a text without words."""
    hashes = shingle_hashes(text, shingle_size)
    if not len(hashes):
        return None
    a, b = _permutations(num_perm)
    values = np.full(num_perm, _MAX32, dtype=np.uint32)
    block = np.empty((min(len(hashes), _BATCH), num_perm), dtype=np.uint32)  # one row per shingle
    for i in range(0, len(hashes), _BATCH):
        h = _fmix32(hashes[i : i + _BATCH].astype(np.uint32))
        rows = block[: len(h)]
        np.multiply(h[:, None], a, out=rows)  # uint32 arithmetic wraps modulo 2**32, as datasketch's does
        rows += b
        np.minimum(values, rows.min(axis=0), out=values)
    return values


def minhash(text: str, num_perm: int = DEFAULT_NUM_PERM, shingle_size: int = DEFAULT_SHINGLE_SIZE) -> MinHash | None:
    """The text's signature as a datasketch ``MinHash`` (for its API: ``jaccard``, ``MinHashLSH``); ``None``
    for a text without words."""
    from datasketch import MinHash

    values = signature_values(text, num_perm, shingle_size)
    if values is None:
        return None
    permutations = np.array(_permutations(num_perm))
    return MinHash(seed=_SEED, hashfunc=int, hashvalues=values, permutations=permutations, scheme="affine32")


def lsh_params(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """Bands and rows so that a pair exactly at ``threshold`` becomes a candidate with probability ``recall``.

    datasketch's default balances false positives against false negatives, which at 0.9 proposes only ~30% of
    the pairs at 0.9; candidates are confirmed by their estimated similarity anyway, so favour recall and take
    the most rows per band (fewest candidates) that still reach it.
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


@dataclass(frozen=True)
class Match:
    doc_id: str
    origin: str
    similarity: float


class NearDuplicateIndex:
    """Documents seen so far, queryable for the most similar earlier one above ``threshold``.

    LSH as in datasketch's ``MinHashLSH`` (a pair becomes a candidate when one band of ``rows`` signature
    values is equal), but kept small for corpora of millions: each band is a 64-bit key in an
    :class:`~corpus.spill.IntMultiMap` (12 bytes a band) and each document's signature, id and origin go to a
    :class:`~corpus.spill.RecordFile` on disk, read back only to confirm a candidate. Memory is about 150
    bytes a document instead of several kilobytes, so it stays flat as the corpus grows. The last ``_RECENT``
    records also stay in memory: a read from the file costs a buffer's worth of reading.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        num_perm: int = DEFAULT_NUM_PERM,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
    ):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold, self.num_perm, self.shingle_size = threshold, num_perm, shingle_size
        self.bands, self.rows = lsh_params(threshold, num_perm)
        self._bands = IntMultiMap()
        self._records = RecordFile()
        self._recent: dict[int, bytes] = {}  # record key -> record, for the last _RECENT keys

    def __len__(self) -> int:
        return len(self._records)

    def signature(self, text: str) -> np.ndarray | None:
        """The text's MinHash values (:func:`signature_values`); ``None`` for a text without words."""
        return signature_values(text, self.num_perm, self.shingle_size)

    def band_keys(self, m: np.ndarray) -> list[int]:
        """One 64-bit key per band: the band's values hashed, seeded with the band's number (a collision only
        adds a candidate, which its signature then rejects)."""
        rows = self.rows
        data = m[: self.bands * rows].astype(np.uint64).tobytes()
        step = rows * 8
        return [xxhash.xxh64_intdigest(data[i * step : (i + 1) * step], seed=i) for i in range(self.bands)]

    def query(self, m: np.ndarray, band_keys: list[int] | None = None) -> Match | None:
        """The most similar indexed document at or above the threshold (earliest on ties)."""
        candidates = self._bands.get_many(band_keys if band_keys is not None else self.band_keys(m))
        if not candidates:
            return None
        best: tuple[float, int, bytes] | None = None
        values = m.astype(np.uint32, copy=False)
        size = self.num_perm * 4
        for key in sorted(candidates):
            record = self._recent.get(key) or self._records[key]
            signature = np.frombuffer(record[:size], dtype=np.uint32)
            similarity = float(np.count_nonzero(signature == values)) / self.num_perm
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, key, record[size:])
        if best is None:
            return None
        doc_id, _, origin = best[2].decode("utf-8").partition("\0")
        return Match(doc_id, origin, best[0])

    def add(self, doc_id: str, origin: str, m: np.ndarray, band_keys: list[int] | None = None) -> None:
        record = m.astype(np.uint32, copy=False).tobytes() + f"{doc_id}\0{origin}".encode("utf-8", "surrogatepass")
        key = self._records.append(record)
        self._recent[key] = record
        self._recent.pop(key - _RECENT, None)  # keys count up from 0: this is the oldest one kept
        for band_key in band_keys if band_keys is not None else self.band_keys(m):
            self._bands.add(band_key, key)

    def close(self) -> None:
        self._records.close()
        self._recent.clear()


def flag_near_duplicates(
    docs: Iterable[dict],
    report: Callable[[InputProblem], None],
    threshold: float = DEFAULT_THRESHOLD,
    drop: bool = False,
    num_perm: int = DEFAULT_NUM_PERM,
    shingle_size: int = DEFAULT_SHINGLE_SIZE,
    on_drop: Callable[[dict], None] | None = None,
    max_listed: int | None = None,
) -> Iterator[dict]:
    """Generator stage: report each document that nearly repeats an earlier one ("near duplicate of <origin>").

    A kept near duplicate records ``ingest.near_duplicate_of = {"id", "origin", "similarity"}`` so later
    stages (dataset splits) can keep the pair together; with ``drop`` it is skipped instead (``on_drop`` is
    called with it, e.g. to count it). With ``max_listed``, only the first ``max_listed`` are reported one by
    one, and the rest in one line with their count at the end (a syndicated feed has thousands).
    """
    index = NearDuplicateIndex(threshold, num_perm, shingle_size)
    lister = _Lister(report, max_listed)
    try:
        yield from _flag(index, docs, lister, drop, on_drop)
    finally:
        index.close()
    lister.summarise("skipped" if drop else "kept, each with ingest.near_duplicate_of naming the article it repeats")


@dataclass
class _Lister:
    """Reports the first ``max_listed`` problems (all when ``None``) and counts the others."""

    report: Callable[[InputProblem], None]
    max_listed: int | None
    found: int = 0

    def __call__(self, problem: InputProblem) -> None:
        self.found += 1
        if self.max_listed is None or self.found <= self.max_listed:
            self.report(problem)

    def summarise(self, action: str) -> None:
        if self.max_listed is None or self.found <= self.max_listed:
            return
        hidden = self.found - self.max_listed
        self.report(
            InputProblem(
                NEAR_DUPLICATES,
                f"{hidden:,} more not listed above ({self.found:,} in all); {action}",
                severity="warning",
            )
        )


def _flag(
    index: NearDuplicateIndex,
    docs: Iterable[dict],
    report: Callable[[InputProblem], None],
    drop: bool,
    on_drop: Callable[[dict], None] | None,
) -> Iterator[dict]:
    for doc in docs:
        m = index.signature(doc["text"])
        if m is None:
            yield doc
            continue
        band_keys = index.band_keys(m)  # computed once for the query and the insertion
        match = index.query(m, band_keys)
        if match is not None:
            action = "skipped" if drop else "kept"
            report(
                InputProblem(
                    doc["origin"],
                    f"near duplicate of {match.origin} (id {match.doc_id}, estimated "
                    f"similarity {match.similarity:.2f}); {action}",
                    severity="warning",
                )
            )
            if drop:
                if on_drop is not None:
                    on_drop(doc)
                continue
            doc.setdefault("ingest", {})["near_duplicate_of"] = {
                "id": match.doc_id,
                "origin": match.origin,
                "similarity": round(match.similarity, 3),
            }
        index.add(doc["id"], doc["origin"], m, band_keys)
        yield doc
