"""The compact per-document stores: same answers as a dict of lists, records read back as written."""

from __future__ import annotations

import random

import pytest

from corpus.spill import DistinctStrings, IntMultiMap, RecordFile


@pytest.mark.parametrize("merge_at", [1, 3, 64])
def test_int_multimap_answers_like_a_dict_of_lists_across_merges(merge_at: int) -> None:
    rng = random.Random(merge_at)
    store, reference = IntMultiMap(merge_at=merge_at), {}
    keys = [rng.getrandbits(64) for _ in range(300)] + [0, 2**64 - 1, 2**63, 2**63 - 1]
    for value in range(2000):
        key = rng.choice(keys)
        store.add(key, value)
        reference.setdefault(key, []).append(value)
        if value % 97 == 0:  # ask while runs are being merged too
            probe = rng.choice(keys)
            assert store.get(probe) == reference.get(probe, [])
    assert len(store) == 2000
    assert len(store._runs) <= 12 or merge_at > 1  # size-tiered: few runs to search
    for key in keys:
        assert store.get(key) == reference.get(key, [])  # every value, oldest first
        assert (key in store) == (key in reference)
    absent = [k for k in (rng.getrandbits(64) for _ in range(50)) if k not in reference]
    assert all(store.get(k) == [] and k not in store for k in absent)
    some = rng.sample(keys, 20) + absent[:5]
    assert store.get_many(some) == {v for k in some for v in reference.get(k, [])}


def test_int_multimap_keeps_few_runs_and_twelve_bytes_an_entry() -> None:
    store = IntMultiMap(merge_at=256)
    for value in range(100_000):
        store.add(value * 7919 % 2**64, value)
    assert len(store._runs) <= 10  # log2(100000 / 256) ≈ 9
    run_bytes = sum(keys.nbytes + values.nbytes for keys, values in store._runs)
    assert run_bytes <= 12 * 100_000


def test_record_file_reads_back_every_record_between_appends() -> None:
    rng = random.Random(7)
    records = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 600))) for _ in range(500)]
    with RecordFile() as store:
        for i, record in enumerate(records):
            assert store.append(record) == i
            if i % 50 == 0:  # reads between appends must not disturb later appends
                j = rng.randrange(i + 1)
                assert store[j] == records[j]
        assert len(store) == len(records)
        assert [store[i] for i in range(len(records))] == records
        with pytest.raises(IndexError):
            store[len(records)]


def test_keyed_records_tell_colliding_keys_apart(monkeypatch) -> None:
    from corpus.spill import KeyedRecords

    with KeyedRecords() as store:
        monkeypatch.setattr(KeyedRecords, "_hash", staticmethod(lambda key: 42))  # every key collides
        store.add("a", b"first a")
        store.add("b", b"")
        store.add("a", b"second a")
        store.add("\ud800odd", b"x")  # a lone surrogate (from a broken file) is still a key
        assert store.get("a") == [b"first a", b"second a"]
        assert store.get("b") == [b""] and store.get("\ud800odd") == [b"x"]
        assert store.get("c") == [] and len(store) == 4


@pytest.mark.parametrize("fold_at", [1, 5, 1 << 16])
def test_distinct_strings_count_like_a_set_across_folds_merges_and_pickles(fold_at: int) -> None:
    import pickle

    rng = random.Random(fold_at)
    words = ["Ann Lee", "ann lee", "Bo", "", "é", "𝔘x", "\ud800"] + [f"name {i}" for i in range(200)]
    total, reference = DistinctStrings(fold_at=fold_at), set()
    for _ in range(12):  # a document's names each, pickled and merged as the parent merges them
        part, names = DistinctStrings(fold_at=fold_at), rng.choices(words, k=rng.randrange(40))
        for word in names:
            part.add(word)
        assert len(part) == len(set(names))
        total.update(pickle.loads(pickle.dumps(part)))
        reference |= set(names)
        assert len(total) == len(reference)
    again = DistinctStrings()
    for word in reference:
        again.add(word)
    assert again == total and again != DistinctStrings()
    total.add("Ann Lee")  # already counted, whether folded or recent
    total.add("new one")
    assert len(total) == len(reference) + 1
    assert len(DistinctStrings()) == 0
