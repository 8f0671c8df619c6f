"""Offset helpers: token lookup, snapping spans to token boundaries, UTF-16 conversion for tools."""

from __future__ import annotations

from bisect import bisect_left, bisect_right


class TokenIndex:
    """Fast lookups from character offsets to token indices for one document (or one task unit)."""

    def __init__(self, tokens: list[dict]):
        self.starts = [t["start"] for t in tokens]
        self.ends = [t["end"] for t in tokens]
        self._by_start = {s: i for i, s in enumerate(self.starts)}
        self._by_end = {e: i for i, e in enumerate(self.ends)}

    def token_at_start(self, offset: int) -> int | None:
        """Index of the token that starts exactly at ``offset``."""
        return self._by_start.get(offset)

    def token_at_end(self, offset: int) -> int | None:
        """Index of the token that ends exactly at ``offset``."""
        return self._by_end.get(offset)

    def on_boundaries(self, start: int, end: int) -> bool:
        return start in self._by_start and end in self._by_end

    def snap(self, start: int, end: int) -> tuple[int, int] | None:
        """Widen ``[start, end)`` to whole tokens; ``None`` when no token overlaps it."""
        i = bisect_right(self.ends, start)  # first token ending after start
        j = bisect_left(self.starts, end) - 1  # last token starting before end
        if i >= len(self.starts) or j < i:
            return None
        return self.starts[i], self.ends[j]

    def shrink(self, start: int, end: int) -> tuple[int, int] | None:
        """Narrow ``[start, end)`` to the whole tokens inside it; ``None`` when none fits."""
        i = bisect_left(self.starts, start)
        j = bisect_right(self.ends, end) - 1
        if i >= len(self.starts) or j < i:
            return None
        return self.starts[i], self.ends[j]

    def token_range(self, start: int, end: int) -> tuple[int, int] | None:
        """Inclusive ``(first, last)`` token indices of a span on token boundaries, else ``None``."""
        first, last = self._by_start.get(start), self._by_end.get(end)
        if first is None or last is None or last < first:
            return None
        return first, last


def utf16_offsets(text: str) -> list[int]:
    """``table[i]`` is the UTF-16 code-unit offset of code point ``i`` (length ``len(text) + 1``)."""
    table = [0] * (len(text) + 1)
    units = 0
    for i, ch in enumerate(text):
        table[i] = units
        units += 2 if ord(ch) > 0xFFFF else 1
    table[len(text)] = units
    return table


def from_utf16(text: str) -> dict[int, int]:
    """Map UTF-16 code-unit offsets back to code-point offsets (only offsets on code-point boundaries)."""
    return {u: i for i, u in enumerate(utf16_offsets(text))}
