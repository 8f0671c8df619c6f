"""ProdigyWriter's batch path (hashes claimed a document at a time, lines written as packed) against the plain
path: every task's hashes claimed one at a time, in document order, and every line's end formatted."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import documents

import corpus.formats.prodigy.tasks as prodigy
from corpus.formats.prodigy.tasks import _LINE_END, _ROW, _VIEW_BYTES, FILES, ProdigyWriter, render_prodigy
from corpus.tasks.hashing import UniqueHashes
from corpus.tasks.units import TaskStats


def plain_write(out: Path, packed_docs: list) -> tuple[list[bytes], int]:
    """The files as a writer claiming one hash at a time writes them (the writer's behaviour before batching)."""
    inputs, tasks = UniqueHashes(), [UniqueHashes() for _ in FILES]
    files: list[list[bytes]] = [[] for _ in FILES]
    for pieces, rows, units in packed_docs:
        claimed_units: dict[tuple, int] = {}
        for r in range(0, len(rows), _ROW):
            file_index, unit_no, h0, h1, k0, k1, t0, t1, q0, q1, plain_task, view_no = rows[r : r + _ROW]
            key, plain_input = units[unit_no]
            if key not in claimed_units:
                claimed_units[key] = inputs.claim(plain_input, key)
            claimed = claimed_units[key]
            task = plain_task if claimed == plain_input else prodigy.task_hash_of(claimed, pieces[q0:q1])
            task = tasks[file_index].claim(task)
            end = _LINE_END % (claimed, task, _VIEW_BYTES[view_no])
            files[file_index].append(pieces[h0:h1] + pieces[k0:k1] + pieces[t0:t1] + end)
    resalted = inputs.resalted + sum(t.resalted for t in tasks)
    return [b"".join(lines) for lines in files], resalted


def batch_write(out: Path, packed_docs: list) -> tuple[list[bytes], int]:
    stats = TaskStats()
    writer = ProdigyWriter(out, stats)
    for packed in packed_docs:
        writer.add(packed)
    return [path.read_bytes() for path in writer.close()], stats.hash_collisions


def corpus_docs(copies: int = 3) -> list[dict]:
    """The test documents several times over: renamed copies, and one copy keeping its ids (the same unit keys
    again, which must get their own input hashes back)."""
    docs = []
    for n in range(copies):
        for doc in documents():
            docs.append({**doc, "id": f"{doc['id']}-{n}"} if n else doc)
    return [*docs, documents()[0]]


def render_all(docs: list[dict], unit: str) -> list:
    return [render_prodigy(doc, unit) for doc in docs]


@pytest.mark.parametrize("unit", ["paragraph", "sentence"])
def test_without_collisions_the_batch_path_claims_nothing_one_by_one(tmp_path, monkeypatch, unit):
    packed = render_all(corpus_docs()[:-1], unit)  # distinct ids: no collision at all
    expected, expected_resalted = plain_write(tmp_path / "plain", packed)

    def no_single_claims(self, value, key=None):
        raise AssertionError("a batch without collisions was claimed one hash at a time")

    monkeypatch.setattr(UniqueHashes, "claim", no_single_claims)
    written, resalted = batch_write(tmp_path / "batch", packed)
    assert written == expected and resalted == expected_resalted == 0
    assert all(written)


@pytest.mark.parametrize("unit", ["paragraph", "sentence"])
def test_forced_collisions_give_the_plain_paths_bytes(tmp_path, monkeypatch, unit):
    """Input hashes colliding across documents (every first unit, and a repeated document's units) and task hashes
    folded onto a few values in one file only: documents and files take either path, the bytes are the same."""
    real_input, real_task = prodigy.input_hash, prodigy.task_hash_of
    monkeypatch.setattr(prodigy, "input_hash", lambda d, u, o, t: 11 if o == 0 else real_input(d, u, o, t))
    monkeypatch.setattr(
        prodigy, "task_hash_of", lambda i, q: real_task(i, q) % 5 if b'"choice"' in q else real_task(i, q)
    )
    monkeypatch.setattr(UniqueHashes, "_MERGE_AT", 8)  # claims found in the sorted runs too, not only the dict
    packed = render_all(corpus_docs(), unit)
    expected, expected_resalted = plain_write(tmp_path / "plain", packed)
    written, resalted = batch_write(tmp_path / "batch", packed)
    assert written == expected and resalted == expected_resalted > 0
    for data in written:  # unique task hashes per file, as Prodigy needs
        hashes = [line.rsplit(b'"_task_hash":', 1)[1].split(b",", 1)[0] for line in data.splitlines()]
        assert len(set(hashes)) == len(hashes)


def test_claim_many_answers_as_claims_one_by_one(monkeypatch):
    monkeypatch.setattr(UniqueHashes, "_MERGE_AT", 16)
    rng = random.Random(3)
    single, batch = UniqueHashes(), UniqueHashes()
    value_of: dict[tuple, int] = {}
    for n in range(400):
        size = rng.randrange(0, 12)
        if n % 2:  # keyed, as input hashes: a key keeps its value; small values collide
            keys = [("doc", rng.randrange(300)) for _ in range(size)]
            keys = list(dict.fromkeys(keys))
            values = [value_of.setdefault(key, rng.randrange(97)) for key in keys]
        else:
            keys = None
            values = [rng.randrange(-(2**31), 2**31) if rng.random() < 0.9 else rng.randrange(50) for _ in range(size)]
        expected = [single.claim(v, None if keys is None else keys[i]) for i, v in enumerate(values)]
        assert batch.claim_many(values, keys) == expected, n
    assert batch.resalted == single.resalted > 0 and len(batch) == len(single)
