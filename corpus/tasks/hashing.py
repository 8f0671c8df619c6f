"""Deterministic Prodigy-style task hashes: the same task gets the same hash on every run and machine.

Prodigy's own ``set_hashes`` hashes only the text, so two identical paragraphs in different documents collide,
and ``meta`` (where the document id lives) is ignored. We hash deliberately instead: BLAKE2b over a canonical
JSON of what identifies the input (document id, unit, offset, text) and of what identifies the question asked
about it (input hash, view, spans, relations, options), folded to a signed 32-bit integer as Prodigy stores.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any


def canonical_json(obj: Any) -> bytes:
    """Key-sorted, compact, UTF-8 JSON: the same value always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hash32(obj: Any) -> int:
    """A signed 32-bit integer from the BLAKE2b digest of ``canonical_json(obj)``."""
    digest = hashlib.blake2b(canonical_json(obj), digest_size=4, person=b"corpus-tasks").digest()
    return int.from_bytes(digest, "big", signed=True)


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
    return hash32({
        "input": input_hash_,
        "view": view_id,
        "spans": [[s["start"], s["end"], s["label"]] for s in spans],
        "relations": [[r["head"], r["child"], r["label"]] for r in relations],
        "options": list(options),
    })
