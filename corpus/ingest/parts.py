"""Oversized articles become several documents, cut where the text allows it.

Every later stage holds a whole document in memory as records (one per token and span) and a labelling tool shows
a task per paragraph, so a document's size bounds a build's memory. Like spaCy's ``nlp.max_length`` (also a
million characters), the limit keeps per-document work bounded; instead of refusing the article, ingest cuts it
into parts of at most ``limit`` characters: at the last paragraph break before the limit, else at the last
sentence end, else at the last space, and only when a stretch has none of these, at the limit itself. Each part
is a document of its own (its id is the hash of its text) and records where it came from in ``ingest.part``:
``{"index": 1, "of": 10, "start": 0}`` (1-based, ``start`` in the normalised article's text).
"""

from __future__ import annotations

import regex

DEFAULT_PART_CHARS = 1_000_000

# A cut is searched for in the last half of the allowed stretch: parts stay within 2x of each other in size.
_SEARCH_FRACTION = 0.5
# Reverse patterns search from the end of the stretch: the work is proportional to the distance to the cut.
_PARAGRAPH = regex.compile(r"\n\s*\n", regex.REVERSE)
# A sentence end: terminal punctuation, optional closing quotes or brackets, then space before a capital,
# a digit or an opening quote.
_SENTENCE_END = regex.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[\p{Lu}\p{N}])", regex.REVERSE)
_SPACE = regex.compile(r"\s+", regex.REVERSE)


def part_bounds(text: str, limit: int = DEFAULT_PART_CHARS) -> list[tuple[int, int]]:
    """Half-open ``(start, end)`` bounds of the parts of ``text``: one part when it fits, else cuts that leave
    each part at most ``limit`` characters. The cut's whitespace stays at the end of the part before it (ingest
    strips it from each part's text)."""
    if limit <= 0 or len(text) <= limit:
        return [(0, len(text))]
    bounds = []
    start = 0
    while len(text) - start > limit:
        end = _cut(text, start, start + limit)
        bounds.append((start, end))
        start = end
    bounds.append((start, len(text)))
    return bounds


def _cut(text: str, start: int, hard: int) -> int:
    """The end of the part that starts at ``start``: after the last good break in ``(floor, hard]``."""
    floor = start + int((hard - start) * (1 - _SEARCH_FRACTION))
    for pattern in (_PARAGRAPH, _SENTENCE_END, _SPACE):
        end = _last_match_end(pattern, text, floor, hard)
        if end is not None:
            return end
    return hard


def _last_match_end(pattern: regex.Pattern, text: str, floor: int, hard: int) -> int | None:
    match = pattern.search(text, floor, hard)
    if match is None or match.end() <= floor:
        return None
    return match.end()
