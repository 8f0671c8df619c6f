"""Word lists shipped as data files under ``corpus/prelabel/data/``."""

from __future__ import annotations

from importlib import resources


def load_word_lists(filename: str) -> dict[str, frozenset[str]]:
    """Named word lists from a ``name<TAB>words…`` data file (a name may span several lines)."""
    lists: dict[str, set[str]] = {}
    for line in resources.files("corpus.prelabel").joinpath(f"data/{filename}").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, words = line.partition("\t")
        lists.setdefault(name.strip(), set()).update(words.split())
    return {name: frozenset(words) for name, words in lists.items()}
