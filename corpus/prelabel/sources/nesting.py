"""PolNeAR marks no attribution inside another's content: one of the two goes, or the outer content ends."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate

from corpus.prelabel.sources.reader import _Reader
from corpus.prelabel.sources.readings import Range, _Attribution
from corpus.prelabel.sources.words import CLAUSE_BOUNDARY, COMMENT_BOUNDARY, QUOTES

Holding = Callable[[int, int], list[_Attribution]]


def _content_holders(atts: list[_Attribution], near: int = 1000) -> Holding:
    """``holding(a, b)``: the attributions (in ``atts`` order) with a content fragment holding tokens ``a..b``,
    looked up by position instead of testing every attribution for every cue (quadratic on one huge article).
    Found from the contents as they are now: a superset later, since :func:`_resolve_nested` only shrinks them."""
    fragments = sorted((a, b, n) for n, att in enumerate(atts) for a, b in att.contents)
    short = [f for f in fragments if f[1] - f[0] <= near]
    long = [f for f in fragments if f[1] - f[0] > near]
    starts = [f[0] for f in short]

    def holding(a: int, b: int) -> list[_Attribution]:
        nearby = short[bisect_left(starts, a - near) : bisect_right(starts, a)]
        return [atts[n] for n in sorted({n for s, e, n in (*nearby, *long) if s <= a and b <= e})]

    return holding


def _open_content_holders(atts: list[_Attribution]) -> Holding:
    """``holding(a, b)`` as :func:`_content_holders`, for cues asked in position order (issue 12): a sweep over
    the contents' fragments by start that keeps only those still open, judged by the contents as they are now.

    Every fragment :func:`_resolve_nested` leaves lies inside one the attribution had at the start (it only
    trims or drops them), so a starting fragment whose present pieces all end before ``a`` holds no later cue
    and is closed for good. On a text without sentence punctuation the candidate contents run to its end;
    once trimmed they close here instead of being tested again for every later cue."""
    fragments = sorted((a, b, n) for n, att in enumerate(atts) for a, b in att.contents)
    opened: list[tuple[int, int, int]] = []
    nxt = 0

    def end_now(s: int, e: int, n: int) -> int:
        return max((fb for fa, fb in atts[n].contents if s <= fa and fb <= e), default=-1)

    def holding(a: int, b: int) -> list[_Attribution]:
        nonlocal nxt, opened
        while nxt < len(fragments) and fragments[nxt][0] <= a:
            opened.append(fragments[nxt])
            nxt += 1
        opened = [f for f in opened if end_now(*f) >= a]
        return [atts[n] for n in sorted({n for _, _, n in opened})]

    return holding


def _coverage(atts: list[_Attribution]) -> tuple[list[int], list[int]]:
    """The content fragments' starts in order, and the furthest token the fragments up to each reach: token k
    lies in some content when one starting at or before k reaches it (``_overlaps_taken(starts, reach, k, k)``).
    Asked only at cues: no per-token array of the document is built."""
    fragments = sorted(f for att in atts for f in att.contents)
    return [a for a, _ in fragments], list(accumulate((b for _, b in fragments), max))


def _resolve_nested(r: _Reader, atts: list[_Attribution], holding: Holding) -> list[_Attribution]:
    """The attributions left once none sits inside another's content (``holding`` finds the holders of a cue).

    A cue right inside a content ("said he believes …", "said that she wants …") is part of that content and
    is dropped. A cue after a clause boundary (", while critics say …", "…, and officials said …") starts an
    attribution of its own: the outer content stops at the boundary. When two attributions each hold the
    other's cue (", he said, … she said") both stay.
    """
    starts, reach = _coverage(atts)  # only a cue inside some content can be nested
    keep = []
    for att in atts:
        cue_a, cue_b = att.cue
        inside = _overlaps_taken(starts, reach, cue_a, cue_a)
        if not inside or all(_settle(r, att, other) for other in holding(cue_a, cue_b)):
            keep.append(att)
    return [att for att in keep if att.contents]


def _settle(r: _Reader, att: _Attribution, other: _Attribution) -> bool:
    """Settle ``att``'s cue standing in ``other``'s content: False drops ``att``, True keeps it (``other``'s
    content trimmed before ``att`` when a boundary separates them)."""
    if other is att:
        return True
    cue_a, cue_b = att.cue
    frag = next((f for f in other.contents if f[0] <= cue_a and cue_b <= f[1]), None)
    if frag is None:
        return True
    if _holds_cue(att, other):
        return True  # each holds the other's cue
    cut, last = _cut_before(r, att, frag)
    if cut is None:
        return False
    _trim_content(r, other, frag, cut, last)
    return True


def _holds_cue(att: _Attribution, other: _Attribution) -> bool:
    """Whether some content fragment of ``att`` holds ``other``'s cue."""
    other_a, other_b = other.cue
    return any(a <= other_a and other_b <= b for a, b in att.contents)


def _trim_content(r: _Reader, other: _Attribution, frag: Range, cut: int, last: int) -> None:
    """Cut ``other``'s content fragment ``frag`` to end at ``last`` and drop its fragments from ``cut`` on."""
    trimmed = r.strip_content(frag[0], last)
    kept = [f for f in other.contents if f != frag and f[0] < cut]
    other.contents = sorted([*kept, trimmed]) if trimmed is not None else kept


def _cut_before(r: _Reader, att: _Attribution, frag: Range) -> tuple[int | None, int]:
    """(where the outer content ``frag`` stops before ``att``, its last token), or (None, 0) when no boundary
    separates them."""
    # a source borrowed from the clause before ("X praised …, and said …") stands outside the content
    source = att.source
    start = source[0] if source is not None and frag[0] < source[0] < att.cue[0] else att.cue[0]
    cut = next((k for k in range(max(frag[0] + 1, start - 2), start) if r.low[k] in CLAUSE_BOUNDARY), None)
    if cut is not None:
        return cut, cut - 1
    if start - 3 > frag[0] and r.low[start - 3] in COMMENT_BOUNDARY:
        # ', a move analysts see as …' / '“…,” a move analysts see as …': a comment hung on the content
        cut = start - 3
        return cut, (cut if r.low[cut] in QUOTES else cut - 1)
    return None, 0


MIN_QUOTE_WORDS = 4  # shorter quotations are often names, titles or scare quotes


def attach_orphan_quotes(r: _Reader, atts: list[_Attribution]) -> None:
    """A quotation of a paragraph that holds an attribution, left in no content, is that speaker's words too:
    it joins the content of the attribution nearest before it in the paragraph (else the first after it); a
    paragraph that opens with such a quotation right after one with an attribution is that speaker's."""
    if not atts or not r.quotes:
        return
    starts, reach = _taken_reach(atts)
    by_para = _by_paragraph(r, atts)
    for a, b in r.quotes:
        if _overlaps_taken(starts, reach, a, b):
            continue  # some content, cue or source overlaps it (most quotations: asked first, it is a bisection)
        here = _quote_speakers(r, by_para, a)
        if not here or _words(r, a, b) < MIN_QUOTE_WORDS:
            continue
        before = [att for att in here if att.cue[0] < a]
        owner = before[-1] if before else here[0]
        owner.contents = sorted([*owner.contents, (a, b)])


def _overlaps_taken(starts: list[int], reach: list[int], a: int, b: int) -> bool:
    """Whether some range of ``_taken_reach`` overlaps ``a..b``."""
    k = bisect_right(starts, b)  # ranges starting at or before the quotation's end
    return bool(k) and reach[k - 1] >= a


def _taken_reach(atts: list[_Attribution]) -> tuple[list[int], list[int]]:
    """The starts of every content, cue and source range in order, and the furthest token the ranges up to each
    reach: a quotation overlaps some range when one starting at or before its end reaches its start."""
    taken = sorted(f for att in atts for f in (*att.contents, att.cue, *([att.source] if att.source else ())))
    starts = [a for a, _ in taken]
    reach = list(accumulate((b for _, b in taken), max))
    return starts, reach


def _by_paragraph(r: _Reader, atts: list[_Attribution]) -> dict[int, list[_Attribution]]:
    """The attributions of each paragraph (by their cue), in order."""
    by_para: dict[int, list[_Attribution]] = {}
    for att in atts:
        by_para.setdefault(r.para_of_sent[r.sent_of[att.cue[0]]], []).append(att)
    return by_para


def _quote_speakers(r: _Reader, by_para: dict[int, list[_Attribution]], a: int) -> list[_Attribution] | None:
    """The attributions that may own the quotation opening at ``a``: those of its paragraph, else (when it opens
    the paragraph) the last of the paragraph before."""
    para = r.para_of_sent[r.sent_of[a]]
    here = by_para.get(para)
    if not here and _opens_paragraph(r, a):
        here = by_para.get(para - 1, [])[-1:]
    return here


def _opens_paragraph(r: _Reader, k: int) -> bool:
    si = r.sent_of[k]
    return r.sent_bounds[si][0] == k and (si == 0 or r.para_of_sent[si - 1] != r.para_of_sent[si])


def _words(r: _Reader, a: int, b: int) -> int:
    return sum(w[:1].isalnum() for w in r.low[a + 1 : b])
