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
from collections.abc import Hashable, Iterable
from functools import partial
from hashlib import blake2b
from typing import Any

import orjson

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
    return hash32({
        "input": input_hash_,
        "options": list(options),
        "relations": [[r["head"], r["child"], r["label"]] for r in relations],
        "spans": [[s["start"], s["end"], s["label"]] for s in spans],
        "view": view_id,
    })


def resalt(value: int, salt: int) -> int:
    """The ``salt``-th replacement for a hash ``value`` that collided (``salt`` counts from 1)."""
    return hash32({"collided": value, "salt": salt})


class UniqueHashes:
    """Hands out hashes unique within one scope (a task file, or a whole export for input hashes).

    ``claim(value, key)`` returns ``value`` unless another key already holds it; then ``resalt(value, 1)``,
    ``resalt(value, 2)``, … until one is free. The same ``key`` claiming again gets its own hash back, so one
    unit keeps one ``_input_hash`` in every file; ``key=None`` means "always a new holder" (every task of a
    file is distinct, even a duplicated document's). ``resalted`` counts the collisions resolved.
    """

    def __init__(self) -> None:
        self._holder: dict[int, Hashable] = {}
        self._by_key: dict[Hashable, int] = {}
        self.resalted = 0

    def claim(self, value: int, key: Hashable | None = None) -> int:
        if key is not None and key in self._by_key:
            return self._by_key[key]
        candidate, salt = value, 0
        while candidate in self._holder:
            salt += 1
            candidate = resalt(value, salt)
        self.resalted += salt > 0
        self._holder[candidate] = key
        if key is not None:
            self._by_key[key] = candidate
        return candidate
