"""Near-duplicate detection: MinHash LSH (datasketch) over word shingles.

Scraped news repeats itself: the same wire story on two sites, an article republished with a corrected
sentence. Exact duplicates share an id and are dropped by :func:`corpus.pipeline.drop_exact_duplicates`; this
stage finds the lightly edited ones. Each document's word 5-shingles (lower-cased) are MinHashed; LSH proposes
candidates among the documents seen so far and the estimated Jaccard similarity decides. Streaming and
deterministic: the same documents in the same order are flagged the same way on every machine.

Hashing is in bulk: each word is hashed once (xxHash64, from the ``xxhash`` package that ``datasets`` installs)
and a shingle's 32-bit hash is a fixed polynomial of its words' hashes, computed for all shingles at once with
numpy's wrapping uint64 arithmetic, then finalised with the murmur3 64-bit mixer. datasketch applies its
permutations to those values. No per-shingle strings, no per-shingle SHA-1, and no Python ``hash()`` (salted
per process), so signatures are identical across runs and machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import regex
import xxhash
from datasketch import MinHash, MinHashLSH

from corpus.errors import InputProblem

DEFAULT_THRESHOLD = 0.9
DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE_SIZE = 5
_SEED = 1  # fixed: the permutations (hence every signature) are the same on every run and machine
_BATCH = 8192  # shingles hashed per update_batch call (bounds memory for a 10 MB article)

_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")


def shingles(text: str, size: int = DEFAULT_SHINGLE_SIZE) -> set[bytes]:
    """Word ``size``-grams of the case-folded text (a text shorter than ``size`` words is one shingle)."""
    words = _WORD.findall(text.casefold())
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i:i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant: the polynomial base that orders the words
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)  # murmur3 fmix64 constants


def shingle_hashes(text: str, size: int = DEFAULT_SHINGLE_SIZE) -> np.ndarray:
    """32-bit hashes (as uint64) of the text's word ``size``-grams, one per position (repeats included: MinHash
    only keeps minima, so a repeated shingle changes nothing). Same shingles as :func:`shingles`."""
    words = _WORD.findall(text.casefold())
    if not words:
        return np.empty(0, dtype=np.uint64)
    word_hashes = np.fromiter((xxhash.xxh64_intdigest(w.encode("utf-8")) for w in words), dtype=np.uint64,
                              count=len(words))
    n = max(len(words) - size + 1, 1)  # a text shorter than ``size`` words is one shingle
    with np.errstate(over="ignore"):
        h = word_hashes[:n].copy()
        for j in range(1, min(size, len(words))):
            h = h * _MULTIPLIER + word_hashes[j:j + n]
        h ^= h >> np.uint64(33)
        h *= _MIX1
        h ^= h >> np.uint64(33)
        h *= _MIX2
        h ^= h >> np.uint64(33)
    return h >> np.uint64(32)


def minhash(text: str, num_perm: int = DEFAULT_NUM_PERM, shingle_size: int = DEFAULT_SHINGLE_SIZE) -> MinHash | None:
    """The MinHash signature of a text's shingles; ``None`` for a text without words."""
    hashes = shingle_hashes(text, shingle_size)
    if not len(hashes):
        return None
    # The values are already hashes: datasketch's hashfunc only has to pass them through.
    m = MinHash(num_perm=num_perm, seed=_SEED, hashfunc=int)
    for i in range(0, len(hashes), _BATCH):
        m.update_batch(hashes[i:i + _BATCH].tolist())
    return m


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
    """Documents seen so far, queryable for the most similar earlier one above ``threshold``."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM,
                 shingle_size: int = DEFAULT_SHINGLE_SIZE):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold, self.num_perm, self.shingle_size = threshold, num_perm, shingle_size
        self._lsh = MinHashLSH(num_perm=num_perm, params=lsh_params(threshold, num_perm))
        # Signatures kept (as uint32: MinHash values are below 2**32) to confirm LSH candidates.
        self._signatures: list[np.ndarray] = []
        self._docs: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self._docs)

    def signature(self, text: str) -> MinHash | None:
        return minhash(text, self.num_perm, self.shingle_size)

    def query(self, m: MinHash) -> Match | None:
        """The most similar indexed document at or above the threshold (earliest on ties)."""
        best: tuple[float, int] | None = None
        values = m.hashvalues.astype(np.uint32)
        for key in self._lsh.query(m):
            similarity = float(np.count_nonzero(self._signatures[key] == values)) / self.num_perm
            if similarity >= self.threshold and (best is None or (-similarity, key) < (-best[0], best[1])):
                best = (similarity, key)
        if best is None:
            return None
        doc_id, origin = self._docs[best[1]]
        return Match(doc_id, origin, best[0])

    def add(self, doc_id: str, origin: str, m: MinHash) -> None:
        key = len(self._docs)
        self._lsh.insert(key, m, check_duplication=False)
        self._signatures.append(m.hashvalues.astype(np.uint32))
        self._docs.append((doc_id, origin))


def flag_near_duplicates(
    docs: Iterable[dict],
    report: Callable[[InputProblem], None],
    threshold: float = DEFAULT_THRESHOLD,
    drop: bool = False,
    num_perm: int = DEFAULT_NUM_PERM,
    shingle_size: int = DEFAULT_SHINGLE_SIZE,
    on_drop: Callable[[dict], None] | None = None,
) -> Iterator[dict]:
    """Generator stage: report each document that nearly repeats an earlier one ("near duplicate of <origin>").

    A kept near duplicate records ``ingest.near_duplicate_of = {"id", "origin", "similarity"}`` so later
    stages (dataset splits) can keep the pair together; with ``drop`` it is skipped instead (``on_drop`` is
    called with it, e.g. to count it).
    """
    index = NearDuplicateIndex(threshold, num_perm, shingle_size)
    for doc in docs:
        m = index.signature(doc["text"])
        if m is None:
            yield doc
            continue
        match = index.query(m)
        if match is not None:
            action = "skipped" if drop else "kept"
            report(InputProblem(doc["origin"], f"near duplicate of {match.origin} (id {match.doc_id}, estimated "
                                f"similarity {match.similarity:.2f}); {action}", severity="warning"))
            if drop:
                if on_drop is not None:
                    on_drop(doc)
                continue
            doc.setdefault("ingest", {})["near_duplicate_of"] = {
                "id": match.doc_id, "origin": match.origin, "similarity": round(match.similarity, 3)}
        index.add(doc["id"], doc["origin"], m)
        yield doc
