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


# The last document's lower-cased tokens: the sources and claims labellers run one after the other on the same
# document and both need them. The result is a function of the text and the token offsets alone, and both are
# compared in full before reuse, so a document whose text or tokens changed in between is recomputed.
_last_lowered: tuple[str, list[int], list[int], list[str]] | None = None


def lower_tokens(text: str, starts: list[int], ends: list[int]) -> list[str]:
    """Every token lower-cased (``text[start:end].lower()``), as a new list the caller may change.

    Sliced from the lower-cased text when lower-casing maps each character to exactly one (equal lengths:
    nothing like "İ" grew) and no "Σ" is there (its lower case depends on the next character): one
    ``str.lower`` call instead of one per token."""
    global _last_lowered
    last = _last_lowered
    if last is not None and last[0] == text and last[1] == starts and last[2] == ends:
        return list(last[3])
    lowered = text.lower()
    if len(lowered) == len(text) and "Σ" not in text:
        lows = [lowered[a:b] for a, b in zip(starts, ends, strict=True)]
    else:
        lows = [text[a:b].lower() for a, b in zip(starts, ends, strict=True)]
    _last_lowered = (text, starts[:], ends[:], lows)  # copies: a caller may change its lists later
    return list(lows)
