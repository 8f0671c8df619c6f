"""A pickled `WordSet` is its buckets: another process, whose string hashes are salted differently, finds the
same words in it without re-hashing them (what makes loading the lexicon cache cheap)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

from corpus.prelabel.entities.wordset import WordSet

WORDS = ["harbour", "naïve", "ferry", "q\udc80", "x" * 40, *(f"pier{n}" for n in range(3000))]
ABSENT = ["harbou", "harbours", "pier3000", "", "naive", "pier1\npier2"]

_CHILD = """
import pickle, sys
ws = pickle.loads(sys.stdin.buffer.read())
words, absent = pickle.loads(bytes.fromhex(sys.argv[1]))
print(all(w in ws for w in words), any(w in ws for w in absent), len(ws), sorted(ws) == sorted(words))
"""


def test_a_pickled_word_set_answers_the_same_in_a_process_with_other_string_hashes() -> None:
    ws = WordSet(WORDS + WORDS[:10], per_bucket=4)  # duplicates dropped
    data = pickle.dumps(ws)
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        argument = pickle.dumps((WORDS, ABSENT)).hex()
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, argument], input=data, capture_output=True, env=env, check=True
        )
        assert out.stdout.split() == [b"True", b"False", str(len(WORDS)).encode(), b"True"]


def test_loading_does_not_rebuild_the_buckets(monkeypatch) -> None:
    ws = WordSet(WORDS)
    data = pickle.dumps(ws)

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt from its words")

    monkeypatch.setattr(WordSet, "__init__", no_rebuild)
    again = pickle.loads(data)
    assert again._buckets == ws._buckets and len(again) == len(ws) == len(WORDS)
    assert all(w in again for w in WORDS) and not any(w in again for w in ABSENT)
    assert 3 not in again  # not a string
