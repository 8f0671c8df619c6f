"""The entity lexicon kept on disk between processes (`corpus.prelabel.entities.lexicon_cache`)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.prelabel.entities import lexicon_cache
from corpus.prelabel.entities.gazetteers import Lexicon, _build_lexicon
from corpus.prelabel.entities.lexicon_cache import CACHE_ENV, cache_folder, cache_key, cached
from corpus.prelabel.entities.wordset import WordSet


def _fields(lex: Lexicon) -> dict:
    """A lexicon's contents, word sets as plain sets (their bucket layout follows the process's hashes)."""
    out = {}
    for f in dataclasses.fields(lex):
        value = getattr(lex, f.name)
        out[f.name] = (set(value), len(value)) if isinstance(value, WordSet) else value
    return out


def _never() -> Lexicon:
    raise AssertionError("built, not loaded from the cache")


def _small() -> Lexicon:
    return Lexicon(places={("new", "york"): "GPE"}, common=WordSet(["river", "walk"]), max_place_len=2)


def test_a_loaded_lexicon_equals_the_built_one(tmp_path: Path):
    built = cached(_build_lexicon, Lexicon, tmp_path)
    assert [p.name.startswith("lexicon-") for p in tmp_path.iterdir()] == [True]
    loaded = cached(_never, Lexicon, tmp_path)
    assert loaded is not built
    assert _fields(loaded) == _fields(built)
    assert "river" in loaded.common and ("paris",) in loaded.places and "smith" in loaded.last_names


def test_another_process_with_other_hashes_loads_the_same_lexicon(tmp_path: Path):
    built = cached(_build_lexicon, Lexicon, tmp_path)
    words = sorted(built.common)[::5000] + sorted(built.last_names)[::5000]
    code = (
        "import sys\n"
        "from corpus.prelabel.entities import gazetteers\n"
        "gazetteers._build_lexicon = lambda: sys.exit('rebuilt')\n"
        "lex = gazetteers.lexicon()\n"
        f"words = {words!r}\n"
        "assert all(w in lex.common or w in lex.last_names for w in words)\n"
        "assert 'qzxv' not in lex.common and ('paris',) in lex.places\n"
    )
    env = {**os.environ, CACHE_ENV: str(tmp_path), "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_damaged_file_is_rebuilt_and_replaced(tmp_path: Path):
    cached(_small, Lexicon, tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"\x80\x05 not a pickle")
    assert cached(_small, Lexicon, tmp_path).places == {("new", "york"): "GPE"}
    assert cached(_never, Lexicon, tmp_path).max_place_len == 2


def test_a_new_key_replaces_older_files(tmp_path: Path):
    stale = tmp_path / "lexicon-0123.pickle"
    stale.write_bytes(b"old")
    other = tmp_path / "notes.txt"
    other.write_text("kept")
    cached(_small, Lexicon, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"lexicon-{cache_key()}.pickle", "notes.txt"])


def test_the_key_follows_the_inputs_bytes(tmp_path: Path):
    source = tmp_path / "entities_places.tsv"
    source.write_text("GPE\tRiverton\n")
    before = cache_key([source])
    assert cache_key([source]) == before
    source.write_text("GPE\tRivertown\n")
    assert cache_key([source]) != before
    names = [p.relative_to(lexicon_cache._CORPUS).as_posix() for p in lexicon_cache.source_files()]
    assert "prelabel/entities/gazetteers.py" in names and "segment/core.py" in names
    assert "prelabel/data/entities_places.tsv" in names


def test_the_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "lex"))
    assert cache_folder() == tmp_path / "lex"
    monkeypatch.setenv(CACHE_ENV, "off")
    assert cache_folder() is None
    calls = []
    for _ in range(2):
        cached(lambda: calls.append(1) or _small(), Lexicon)
    assert len(calls) == 2
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "corpus"


def test_an_unwritable_folder_still_gives_the_lexicon(tmp_path: Path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    assert cached(_small, Lexicon, blocked / "cache").max_place_len == 2
    assert cached(_small, Lexicon, blocked / "cache").max_place_len == 2
