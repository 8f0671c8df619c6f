"""Deterministic Prodigy-style task hashes: the same task gets the same hash on every run and machine.

Prodigy's own ``set_hashes`` hashes only the text, so two identical paragraphs in different documents collide,
and ``meta`` (where the document id lives) is ignored. We hash deliberately instead: BLAKE2b over a canonical
JSON of what identifies the input (document id, unit, offset, text) and of what identifies the question asked
about it (input hash, view, spans, relations, options), folded to a signed 32-bit integer as Prodigy stores.

32 bits collide (at 100,000 tasks the chance of at least one pair is about 69 %), and Prodigy silently skips a
task whose ``_task_hash`` it has already seen. :class:`UniqueHashes` therefore re-hashes a colliding value with a
counter as salt (:func:`resalt`) until it is unused: hashes stay unique where it matters, the hash of a task that
does not collide is unchanged, and the same input in the same order gives the same bytes.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Hashable, Iterable
from functools import partial
from hashlib import blake2b
from typing import Any

import orjson
import xxhash

_blake2b = partial(blake2b, digest_size=4, person=b"corpus-tasks")


def canonical_json(obj: Any) -> bytes:
    """Key-sorted, compact, UTF-8 JSON: the same value always gives the same bytes.

    The bytes are those of ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` for
    what tasks hash (strings, integers, lists, string-keyed objects): orjson writes the same escapes and key
    order, several times faster. Values orjson refuses (integers past 64 bits, non-string keys) take the
    ``json`` path; floats are never hashed (their exponent spelling differs between the two).
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hash32(obj: Any) -> int:
    """A signed 32-bit integer from the BLAKE2b digest of ``canonical_json(obj)``."""
    return int.from_bytes(_blake2b(canonical_json(obj)).digest(), "big", signed=True)


def input_hash(doc_id: str, unit: str, offset: int, text: str) -> int:
    """``_input_hash``: identifies the unit of text, including which document and where in it."""
    return hash32({"doc_id": doc_id, "unit": unit, "offset": offset, "text": text})


def task_hash(
    input_hash_: int,
    view_id: str,
    spans: Iterable[dict] = (),
    relations: Iterable[dict] = (),
    options: Iterable[str] = (),
) -> int:
    """``_task_hash``: the input plus the question asked (view, pre-labelled spans, relations, options).

    Only what the annotator is asked about counts: span ``[start, end, label]`` and relation
    ``[head, child, label]``; scores and labeller names do not, so re-scoring keeps the task hash.
    """
    # Keys already in sorted order (what canonical_json would sort them into).
    return hash32(
        {
            "input": input_hash_,
            "options": list(options),
            "relations": [[r["head"], r["child"], r["label"]] for r in relations],
            "spans": [[s["start"], s["end"], s["label"]] for s in spans],
            "view": view_id,
        }
    )


def task_question(
    view_id: str, spans: Iterable[dict] = (), relations: Iterable[dict] = (), options: Iterable[str] = ()
) -> bytes:
    """What :func:`task_hash` hashes besides the input hash, pre-encoded: the canonical JSON of the question
    without its leading ``{``. ``"input"`` sorts first, so ``task_hash_of(input, question)`` equals
    ``task_hash(input, view, spans, relations, options)`` -- and a task whose input hash had to be re-salted
    is re-hashed without its spans."""
    return canonical_json(
        {
            "options": list(options),
            "relations": [[r["head"], r["child"], r["label"]] for r in relations],
            "spans": [[s["start"], s["end"], s["label"]] for s in spans],
            "view": view_id,
        }
    )[1:]


def task_hash_of(input_hash_: int, question: bytes) -> int:
    """:func:`task_hash` from a :func:`task_question`."""
    return int.from_bytes(_blake2b(b'{"input":%d,' % input_hash_ + question).digest(), "big", signed=True)


def resalt(value: int, salt: int) -> int:
    """The ``salt``-th replacement for a hash ``value`` that collided (``salt`` counts from 1)."""
    return hash32({"collided": value, "salt": salt})


class UniqueHashes:
    """Hands out hashes unique within one scope (a task file, or a whole export for input hashes).

    ``claim(value, key)`` returns ``value`` unless another key already holds it; then ``resalt(value, 1)``,
    ``resalt(value, 2)``, … until one is free. The same ``key`` claiming its value again gets its own hash back
    (a key always comes with the same value: the input hash of the unit it names), so one unit keeps one
    ``_input_hash`` in every file; ``key=None`` means "always a new holder" (every task of a
    file is distinct, even a duplicated document's). ``resalted`` counts the collisions resolved.

    Memory stays small on millions of tasks: a claimed hash is kept as 4 bytes in one sorted numpy array (plus an
    8-byte fingerprint of its holder's key), recent claims in a small dict that numpy merges into it now and
    then (one insertion pass: a lookup is a dict probe and one bisection). A key is recognised by probing its
    value's salt chain for a slot held by the same key fingerprint (63-bit), which gives the same answers as
    remembering every key. ``claim_many`` claims a batch at once when nothing in it collides.
    """

    _MERGE_AT = 1 << 12  # few live int objects at a time: they would pin memory the shards' objects share

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}  # claimed hash -> holder fingerprint (0: no key)
        # Older claims: (sorted hashes, their holder fingerprints, or None when no claim in the run had a key).
        self._runs: list[tuple[memoryview, memoryview | None]] = []
        self.resalted = 0

    def __len__(self) -> int:
        return len(self._recent) + sum(len(values) for values, _ in self._runs)

    def _holder(self, candidate: int) -> int | None:
        """The fingerprint holding ``candidate``, or None when it is free."""
        holder = self._recent.get(candidate)
        if holder is not None:
            return holder
        for values, holders in self._runs:
            i = bisect_left(values, candidate)
            if i < len(values) and values[i] == candidate:
                return holders[i] if holders is not None else 0
        return None

    def claim(self, value: int, key: Hashable | None = None) -> int:
        fingerprint = 0 if key is None else (_fingerprint(key) or 1)
        candidate, salt = value, 0
        while (holder := self._holder(candidate)) is not None:
            if fingerprint and holder == fingerprint:
                return candidate  # this key's own hash, claimed before
            salt += 1
            candidate = resalt(value, salt)
        self.resalted += salt > 0
        self._recent[candidate] = fingerprint
        if len(self._recent) >= self._MERGE_AT:
            self._merge()
        return candidate

    def claim_many(self, values: list[int], keys: list[Hashable] | None = None) -> list[int]:
        """``[claim(value, key) ...]`` in order (``keys=None``: no keys), with the same answers: in one batch when
        no value is held yet and none repeats (then every value is its own answer), else one claim at a time."""
        if len(set(values)) == len(values) and not self._any_held(values):
            if keys is None:
                self._recent.update(dict.fromkeys(values, 0))
            else:
                self._recent.update(zip(values, _fingerprints(keys), strict=True))
            if len(self._recent) >= self._MERGE_AT:
                self._merge()
            return values
        if keys is None:
            return [self.claim(value) for value in values]
        return [self.claim(value, key) for value, key in zip(values, keys, strict=True)]

    def _any_held(self, values: list[int]) -> bool:
        """Whether any of ``values`` is claimed already: one set test and one ``searchsorted`` per run."""
        if not self._recent.keys().isdisjoint(values):
            return True
        if not self._runs:
            return False
        import numpy as np  # already imported by the first merge

        wanted = np.array(values, dtype=np.int32)
        for run, _ in self._runs:
            held = np.asarray(run)
            if (held.take(held.searchsorted(wanted), mode="clip") == wanted).any():
                return True
        return False

    def _merge(self) -> None:
        """Merge the recent claims into the sorted run: numpy sorts the recent ones and inserts them in one
        pass (a claimed hash is never claimed twice, so the run stays strictly increasing)."""
        import numpy as np

        count = len(self._recent)
        new_values = np.fromiter(self._recent.keys(), dtype=np.int32, count=count)
        new_holders = np.fromiter(self._recent.values(), dtype=np.int64, count=count)
        self._recent = {}
        order = np.argsort(new_values)
        new_values, new_holders = new_values[order], new_holders[order]
        if self._runs:
            old_values, old_holders = self._runs.pop()
            old = np.asarray(old_values)  # views of the run's arrays: no copy
            at = np.searchsorted(old, new_values)
            values = np.insert(old, at, new_values)
            if old_holders is None and not new_holders.any():
                holders = None
            else:
                old_h = np.asarray(old_holders) if old_holders is not None else np.zeros(len(old), dtype=np.int64)
                holders = np.insert(old_h, at, new_holders)
            del old, old_values, old_holders  # the old run is freed before anything else is allocated
        else:
            values, holders = new_values, (new_holders if new_holders.any() else None)
        # Kept as numpy arrays seen through memoryviews: bisect reads them as fast as an ``array`` (plain ints),
        # and a merge makes one new array instead of three copies (the peak memory of a merge).
        self._runs.append((memoryview(values), memoryview(holders) if holders is not None else None))


def _fingerprint(key: Hashable) -> int:
    """A 63-bit fingerprint of a key (its canonical JSON when it has one; else its repr), as a non-negative
    int64. Only ever compared with other fingerprints in the same run, so a fast non-cryptographic hash (xxh3)
    is enough."""
    try:
        data = canonical_json(key)
    except TypeError:
        data = repr(key).encode("utf-8")
    return xxhash.xxh3_64_intdigest(data) >> 1


def _fingerprints(keys: list[Hashable]) -> list[int]:
    """``_fingerprint(key) or 1`` of every key (what ``claim`` stores), in one list comprehension when orjson
    encodes them all (what ``canonical_json`` then returns)."""
    digest, dumps, option = xxhash.xxh3_64_intdigest, orjson.dumps, orjson.OPT_SORT_KEYS
    try:
        return [(digest(dumps(key, option=option)) >> 1) or 1 for key in keys]
    except orjson.JSONEncodeError:
        return [_fingerprint(key) or 1 for key in keys]
