"""Cut a document into task units (paragraph, sentence or whole document) that never split an annotation.

A unit is a run of consecutive base segments (paragraphs, sentences, or the whole text from its first to its
last token). When a span crosses a segment boundary (a quote running over two sentences) or a relation links
spans in different segments (a source in one sentence, its content in the next), the unit is **widened** to
the smallest run of segments that holds them whole. Nothing is cut or silently dropped; widened units are
counted in :class:`TaskStats`. Spans that are not on token boundaries are left out and reported: an exported
span must sit on the task's tokens, and snapping would change what the labeller said.

Everything a unit exposes is relative to the unit: ``unit.text == doc["text"][unit.start:unit.end]``, token and
span offsets count from ``unit.start`` (code points), token indices count from the unit's first token.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate, pairwise, repeat
from operator import eq, itemgetter, lt, sub

import orjson

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, LAYERS
from corpus.errors import InputProblem
from corpus.records import relation_usable, segments_problem, span_problem, token_offsets

UNITS = ("paragraph", "sentence", "document")

Report = Callable[[InputProblem], None]


@dataclass
class TaskStats:
    """What an export did, counted as documents stream past (shown by the CLI)."""

    documents: int = 0
    units: int = 0
    tasks: dict[str, int] = field(default_factory=dict)  # output file name -> tasks written
    widened_units: int = 0  # units that had to span several segments to keep annotations whole
    skipped_documents: int = 0  # no tokens: not segmented
    skipped_spans: int = 0  # malformed or off token boundaries
    skipped_relations: int = 0  # an end is missing or was skipped
    overlapping_entities: int = 0  # left out of ner.manual, which cannot show overlaps
    hash_collisions: int = 0  # 32-bit hash collisions resolved by re-hashing with a salt (Prodigy only)

    def count_task(self, name: str, n: int = 1) -> None:
        self.tasks[name] = self.tasks.get(name, 0) + n

    def merge(self, other: TaskStats) -> None:
        """Add ``other``'s counts (what a worker counted while rendering a document)."""
        for name, value in vars(other).items():
            if name == "tasks":
                for file_name, n in value.items():
                    self.count_task(file_name, n)
            else:
                setattr(self, name, getattr(self, name) + value)


class DocTokens:
    """One document's token offsets, checked once and shared by every unit cut from the document.

    Builds the token list of a unit (offsets relative to the unit, ids from 0) on demand and remembers it by
    ``(start, end)``, so the views of one unit and the choice units of claims in the same sentence share one list
    (and one JSON encoding) instead of re-creating it.
    """

    def __init__(self, text: str, starts: list[int], ends: list[int]):
        self.text = text
        self.starts = starts
        self.ends = ends
        self._texts: list[str] | None = None
        self._space_after: list[bool] | None = None
        self._tokens: dict[tuple[int, int], list[dict]] = {}
        self._json: dict[tuple[int, int], bytes] = {}
        self._from_start: dict[int, list[dict]] = {}  # unit start -> the longest token list built from there
        # span id -> (first, last) document token of each span checked in bulk (empty: look spans up one by one)
        self.span_tokens: dict[str, tuple[int, int]] = {}

    def token_starting_at(self, offset: int) -> int | None:
        i = bisect_left(self.starts, offset)
        return i if i < len(self.starts) and self.starts[i] == offset else None

    def token_ending_at(self, offset: int) -> int | None:
        i = bisect_left(self.ends, offset)
        return i if i < len(self.ends) and self.ends[i] == offset else None

    def on_boundaries(self, start: int, end: int) -> bool:
        return self.token_starting_at(start) is not None and self.token_ending_at(end) is not None

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        """``[lo, hi)``: the document tokens starting inside ``[start, end)``."""
        return bisect_left(self.starts, start), bisect_left(self.starts, end)

    def unit_tokens(self, start: int, end: int) -> list[dict]:
        """``[{"text", "start", "end", "id", "ws"}]`` of the unit ``text[start:end]``, relative to the unit.

        ``ws`` is whether whitespace follows the token inside the unit, so it is false on the unit's last token.
        """
        key = (start, end)
        tokens = self._tokens.get(key)
        if tokens is None:
            tokens = self._tokens[key] = self._build_tokens(start, end)
        return tokens

    def _build_tokens(self, start: int, end: int) -> list[dict]:
        if self._texts is None:  # per-document token texts and following-space flags, made in C loops once
            text = self.text
            self._texts = list(map(text.__getitem__, map(slice, self.starts, self.ends)))
            self._space_after = list(map(str.isspace, map((text + "x").__getitem__, self.ends)))
        lo, hi = self.bounds(start, end)
        if lo == hi:
            return []
        # A unit starting where a longer one built before starts (a paragraph's first sentence, for a choice task)
        # has the same tokens up to its last one: the same dicts, shared (nothing changes a token once built).
        longer = self._from_start.get(start)
        n = hi - lo
        tokens = longer[: n - 1] if longer is not None and len(longer) >= n else self._tokens_between(start, lo, hi - 1)
        tokens.append(self._last_token(start, end, hi - 1, n - 1))
        if longer is None or n > len(longer):
            self._from_start[start] = tokens
        return tokens

    def _tokens_between(self, start: int, lo: int, hi: int) -> list[dict]:
        """The dicts of document tokens ``[lo, hi)`` for a unit starting at ``start``, none of them its last."""
        texts, starts, ends, space_after = self._texts, self.starts, self.ends, self._space_after
        return [
            {"text": texts[i], "start": starts[i] - start, "end": ends[i] - start, "id": i - lo, "ws": space_after[i]}
            for i in range(lo, hi)
        ]

    def _last_token(self, start: int, end: int, i: int, n: int) -> dict:
        """The unit's last token (document token ``i``, the unit's ``n``-th): when it ends the unit, no space
        follows it inside the unit, and a (hand-broken) token running past the unit's end is cut there."""
        token_start, token_end = self.starts[i], self.ends[i]
        if token_end < end:  # the unit goes on after it (past trailing spaces)
            token_text, ws = self._texts[i], self._space_after[i]
        else:
            token_text, ws = (self._texts[i] if token_end == end else self.text[token_start:end]), False
        return {"text": token_text, "start": token_start - start, "end": token_end - start, "id": n, "ws": ws}

    def unit_tokens_json(self, start: int, end: int) -> bytes:
        """The JSON encoding of :meth:`unit_tokens`, made once per unit and spliced into every task showing it."""
        key = (start, end)
        data = self._json.get(key)
        if data is None:
            cached = self._tokens.get(key)
            data = self._json[key] = orjson.dumps(cached if cached is not None else self._build_tokens(start, end))
        return data


@dataclass(eq=False)
class Unit:
    """One task unit of one document; offsets and indices relative to the unit."""

    doc_id: str
    kind: str  # paragraph | sentence | document
    index: int  # position among the document's units of this kind
    start: int  # code-point offset of the unit in the document text
    end: int
    text: str
    spans: list[dict]  # task spans: {"start", "end", "token_start", "token_end", "label", "id", "score", "labeller"}
    layers: dict[str, str]  # span id -> layer
    checkworthy: dict[str, str | None]  # claim span id -> pre-selected option (None: not decided)
    relations: list[dict]  # document relations whose both ends are in this unit: {"id", "label", "head", "child"}
    segments: int = 1  # how many base segments the unit covers (> 1 when widened)
    doc_tokens: DocTokens | None = field(default=None, repr=False)

    @property
    def tokens(self) -> list[dict]:
        """``[{"text", "start", "end", "id", "ws"}]`` relative to the unit (built on first use, then shared)."""
        return self.doc_tokens.unit_tokens(self.start, self.end) if self.doc_tokens else []

    @property
    def tokens_json(self) -> bytes:
        return self.doc_tokens.unit_tokens_json(self.start, self.end) if self.doc_tokens else b"[]"

    @property
    def meta(self) -> dict:
        return {"doc_id": self.doc_id, "unit": self.kind, "unit_index": self.index, "offset": self.start}

    def spans_of(self, *layers: str) -> list[dict]:
        layer_of = self.layers
        return [s for s in self.spans if layer_of[s["id"]] in layers]

    def span(self, span_id: str) -> dict:
        # Cached by hand: functools.cached_property takes a lock on first use (Python 3.11), once per unit.
        by_id = self.__dict__.get("_span_by_id")
        if by_id is None:
            by_id = self.__dict__["_span_by_id"] = {s["id"]: s for s in self.spans}
        return by_id[span_id]


def checkworthy_option(span: dict) -> str | None:
    """The pre-selected check-worthiness option of a CLAIM span, from ``attrs["checkworthy"]``.

    ``True``/``False`` map to CHECKWORTHY/NOT_CHECKWORTHY, an option name is taken as is; anything else (missing)
    means the labeller did not decide and nothing is pre-selected.
    """
    value = (span.get("attrs") or {}).get("checkworthy")
    if isinstance(value, bool):
        return CHECKWORTHY_OPTIONS[0] if value else CHECKWORTHY_OPTIONS[1]
    if isinstance(value, str) and value in CHECKWORTHY_OPTIONS:
        return value
    return None


def _where(doc: dict) -> str:
    return str(doc.get("origin") or doc.get("id"))


def _base_segments(doc: dict, kind: str) -> list[tuple[int, int]]:
    if kind == "document":
        tokens = doc["tokens"]
        return [(tokens[0]["start"], tokens[-1]["end"])]
    key = "paragraphs" if kind == "paragraph" else "sentences"
    return [(s, e) for s, e in doc.get(key) or ()]


_SPAN_FIELDS = tuple(map(itemgetter, ("start", "end", "layer", "label", "id")))
_LAYER_LABELS = frozenset((layer, label) for layer, labels in LABELS_BY_LAYER.items() for label in labels)


def _span_columns(raw: list | tuple, text_len: int) -> tuple[list[int], list[int], list[str]] | None:
    """The spans' starts, ends and ids, when every span has every field of the right type, unique ids, offsets
    in the text and a known layer and label; else ``None``."""
    try:  # KeyError: a field is missing; TypeError: not an object
        starts, ends, layers, labels, ids = (list(map(field, raw)) for field in _SPAN_FIELDS)
    except (KeyError, TypeError):
        return None
    if not _typed_unique(starts, ends, layers, labels, ids):
        return None
    if min(starts) < 0 or max(ends) > text_len or not all(map(lt, starts, ends)):
        return None
    if not set(zip(layers, labels, strict=True)) <= _LAYER_LABELS:
        return None
    return starts, ends, ids


def _typed_unique(starts: list, ends: list, layers: list, labels: list, ids: list) -> bool:
    """Integer offsets, string layers, labels and ids, and no id twice."""
    return (
        set(map(type, starts)) == {int} == set(map(type, ends))
        and set(map(type, layers)) == {str}
        and set(map(type, labels)) == {str}
        and set(map(type, ids)) == {str}
        and len(set(ids)) == len(ids)
    )


def _token_bounds(starts: list[int], ends: list[int], doc_tokens: DocTokens) -> tuple[list[int], list[int]] | None:
    """The first and last token of every span, ``None`` when any span is off token boundaries."""
    first_tokens = list(map(bisect_left, repeat(doc_tokens.starts), starts))
    last_tokens = list(map(bisect_left, repeat(doc_tokens.ends), ends))
    try:  # on token boundaries: the token found by bisection starts (ends) exactly there
        if not (
            all(map(eq, map(doc_tokens.starts.__getitem__, first_tokens), starts))
            and all(map(eq, map(doc_tokens.ends.__getitem__, last_tokens), ends))
        ):
            return None
    except IndexError:  # past the last token
        return None
    return first_tokens, last_tokens


def _segment_bounds(
    starts: list[int], ends: list[int], seg_starts: list[int], seg_ends: list[int]
) -> tuple[list[int], list[int]] | None:
    """Segment of every span's first and last character (the last segment starting at or before it, if it holds
    it); ``None`` when any character is in no segment."""
    lasts_chars = list(map(sub, ends, repeat(1)))
    firsts = list(map(sub, map(bisect_right, repeat(seg_starts), starts), repeat(1)))
    lasts = list(map(sub, map(bisect_right, repeat(seg_starts), lasts_chars), repeat(1)))
    if min(firsts) < 0 or not (
        all(map(lt, starts, map(seg_ends.__getitem__, firsts)))
        and all(map(lt, lasts_chars, map(seg_ends.__getitem__, lasts)))
    ):
        return None
    return firsts, lasts


def _checked_spans(
    raw: list | tuple, text_len: int, doc_tokens: DocTokens, seg_starts: list[int], seg_ends: list[int]
) -> tuple[dict[str, dict], dict[str, tuple[int, int]]] | None:
    """Every span of a well-formed document checked at once in C loops (what :func:`_valid_span` and the segment
    lookup check one span at a time): ``(spans by id, (first, last) segment by id)``, or ``None`` as soon as any
    span is off in any way, for the caller's span-by-span pass to name it.
    """
    if not raw:
        return {}, {}
    fields = _span_columns(raw, text_len)
    if fields is None:
        return None
    starts, ends, ids = fields
    tokens = _token_bounds(starts, ends, doc_tokens)
    if tokens is None:
        return None
    first_tokens, last_tokens = tokens
    segs = _segment_bounds(starts, ends, seg_starts, seg_ends)
    if segs is None:
        return None
    firsts, lasts = segs
    # Every unit looks its spans up by id instead of bisecting again (see _make_unit).
    doc_tokens.span_tokens = dict(zip(ids, zip(first_tokens, last_tokens, strict=True), strict=True))
    return dict(zip(ids, raw, strict=True)), dict(zip(ids, zip(firsts, lasts, strict=True), strict=True))


# A task never holds more text than this (code points), so every labelling tool can show it: a paragraph (or a
# widened run of segments) that is longer is cut into several units at sentence boundaries, or at token
# boundaries when one sentence is longer. ~10,000 characters is a long screen of text (1,500-2,000 words).
MAX_UNIT_CHARS = 10_000


def document_units(
    doc: dict, kind: str, report: Report | None = None, stats: TaskStats | None = None, max_chars: int = MAX_UNIT_CHARS
) -> list[Unit]:
    """The task units of one segmented document, widened so no span or relation crosses a unit.

    A unit holds at most ``max_chars`` characters (see :data:`MAX_UNIT_CHARS` and :func:`_cap_group`); the only
    exception is a single token longer than that. The units share one :class:`DocTokens` (``unit.doc_tokens``),
    which :func:`claim_sentence_units` reuses.
    """
    if kind not in UNITS:
        raise ValueError(f"unknown unit {kind!r} (choose from {', '.join(UNITS)})")
    stats = stats if stats is not None else TaskStats()
    prepared = _prepared(doc, kind, report, stats)
    if prepared is None:
        return []
    segments, doc_tokens = prepared
    spans, span_segments = _unit_spans(doc, kind, segments, doc_tokens, report, stats)
    relations = _unit_relations(doc, spans, report, stats)
    capper = _Capper(doc, doc_tokens, spans, relations, max_chars)
    bounds: list[tuple[int, int, int]] = []  # (start, end, base segments covered) of each unit, in order
    for a, b in _widened_groups(len(segments), span_segments, relations):
        bounds += capper.cut(segments, a, b)
    capper.report_dropped(doc, report, stats)
    spans = {i: s for i, s in spans.items() if i not in capper.dropped_spans}
    relations = [r for n, r in enumerate(relations) if n not in capper.dropped_relations]
    units = _units_of(doc, kind, bounds, doc_tokens, spans, relations, stats)
    stats.documents += 1
    stats.units += len(units)
    return units


def _prepared(
    doc: dict, kind: str, report: Report | None, stats: TaskStats
) -> tuple[list[tuple[int, int]], DocTokens] | None:
    """``(base segments, DocTokens)`` of a document, or ``None`` (counted, reported) when it has no usable ones."""
    text, doc_id = doc["text"], doc["id"]
    tokens = doc.get("tokens") or []
    if not tokens:
        return _skipped(
            doc, report, stats, f"document {doc_id} has no tokens (run `corpus segment` first)", warn=bool(text.strip())
        )
    offsets = token_offsets(tokens, len(text))
    problem = offsets if isinstance(offsets, str) else segments_problem(doc, kind)
    if problem:
        field_name = "tokens" if "token" in problem else f"{kind}s"
        return _skipped(doc, report, stats, f"document {doc_id}: {problem}", field_name)
    segments = _base_segments(doc, kind)
    if not segments:
        return _skipped(doc, report, stats, f"document {doc_id} has no {kind}s (run `corpus segment` first)")
    return segments, DocTokens(text, *offsets)


def _skipped(
    doc: dict, report: Report | None, stats: TaskStats, problem: str, field_name: str | None = None, warn: bool = True
) -> None:
    """Count a document no task is written for and say why (a warning unless its structure is broken)."""
    stats.skipped_documents += 1
    if report and (warn or field_name):
        report(
            InputProblem(
                _where(doc),
                f"{problem}; no tasks written for it",
                field=field_name,
                severity="error" if field_name else "warning",
            )
        )


def _unit_spans(
    doc: dict,
    kind: str,
    segments: list[tuple[int, int]],
    doc_tokens: DocTokens,
    report: Report | None,
    stats: TaskStats,
) -> tuple[dict[str, dict], dict[str, tuple[int, int]]]:
    """The document's exportable spans by id and their (first, last) segment; the others reported and counted."""
    seg_starts = [s for s, _ in segments]
    seg_ends = [e for _, e in segments]
    text_len = len(doc["text"])
    checked = _checked_spans(doc.get("spans") or (), text_len, doc_tokens, seg_starts, seg_ends)
    if checked is not None:
        return checked

    def segment_of(char: int) -> int | None:
        """Index of the segment holding the character at ``char``."""
        i = bisect_right(seg_starts, char) - 1
        return i if i >= 0 and char < seg_ends[i] else None

    # Something is off: check span by span, reporting each one left out.
    spans: dict[str, dict] = {}
    span_segments: dict[str, tuple[int, int]] = {}
    for span in doc.get("spans") or ():
        problem = span_problem(span, text_len, doc_tokens)
        first = last = None
        if problem is None:
            first, last = segment_of(span["start"]), segment_of(span["end"] - 1)
            problem = _placement_problem(span, first, last, kind, spans)
        if problem is not None:
            _skip_span(doc, span, problem, report, stats)
            continue
        spans[span["id"]] = span
        span_segments[span["id"]] = (first, last)
    return spans, span_segments


def _placement_problem(span: dict, first: int | None, last: int | None, kind: str, spans: dict) -> str | None:
    """Why a well-formed span cannot be exported: an end outside every segment, or an id already kept."""
    if first is None or last is None:
        return f"{span['start']}-{span['end']} lies outside every {kind}"
    if span["id"] in spans:
        return "repeats an id already used in this document"
    return None


def _skip_span(doc: dict, span: object, problem: str, report: Report | None, stats: TaskStats) -> None:
    """Count a span left out of the tasks and report why."""
    stats.skipped_spans += 1
    label = span.get("id") if isinstance(span, dict) else None
    _left_out(doc, f"span {label} {problem}", "spans", report)


def _left_out(doc: dict, what: str, field: str, report: Report | None) -> None:
    """One warning line for a record of the document left out of the tasks (the document itself is kept)."""
    if report:
        message = f"document {doc['id']}: {what}; left out of the tasks"
        report(InputProblem(_where(doc), message, field=field, severity="warning"))


def _unit_relations(doc: dict, spans: dict[str, dict], report: Report | None, stats: TaskStats) -> list[dict]:
    """The document's relations whose label is known and whose ends were kept; the others reported and counted."""
    relations = []
    for rel in doc.get("relations") or ():
        if not relation_usable(rel, spans):
            stats.skipped_relations += 1
            rid = rel.get("id") if isinstance(rel, dict) else None
            problem = "has an unknown label or an end that is missing or was left out"
            _left_out(doc, f"relation {rid} {problem}", "relations", report)
            continue
        relations.append(rel)
    return relations


def _widened_groups(
    n_segments: int, span_segments: dict[str, tuple[int, int]], relations: list[dict]
) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` of consecutive segments that no span or relation crosses (the widened units)."""
    reach = list(range(n_segments))  # reach[i]: the last segment that must share a unit with segment i
    for first, last in span_segments.values():
        if last > reach[first]:
            reach[first] = last
    for rel in relations:
        ends = span_segments[rel["head"]] + span_segments[rel["child"]]
        lo, hi = min(ends), max(ends)
        reach[lo] = max(reach[lo], hi)
    groups: list[tuple[int, int]] = []
    i = 0
    while i < n_segments:
        j, furthest = i, reach[i]
        while j < furthest:
            j += 1
            furthest = max(furthest, reach[j])
        groups.append((i, j))
        i = j + 1
    return groups


class _Capper:
    """Cuts runs of segments longer than ``max_chars`` into units that each fit, without cutting an annotation.

    Cuts go at the last sentence start that fits and that no span or relation crosses, else at the last such
    token start (one sentence longer than the limit: a text without sentence punctuation). A span or a relation
    (from its first to its last character) longer than the limit cannot be shown in any task: it is left out,
    counted and reported; so are the annotations crossing a forced cut, made only when overlapping annotations
    chained together leave no free boundary. Work is linear in the run's tokens and annotations.
    """

    def __init__(self, doc: dict, doc_tokens: DocTokens, spans: dict[str, dict], relations: list[dict], max_chars: int):
        self.doc, self.tokens, self.spans, self.relations = doc, doc_tokens, spans, relations
        self.max_chars = max_chars
        self.dropped_spans: dict[str, str] = {}  # span id -> why it was left out
        self.dropped_relations: dict[int, str] = {}  # index in ``relations`` -> why
        self._annotations: list[tuple[int, int, str | int]] | None = None  # (first char, last char, key) sorted
        self._sentence_cuts: list[int] | None = None

    def cut(self, segments: list[tuple[int, int]], a: int, b: int) -> list[tuple[int, int, int]]:
        """The units ``(start, end, segments covered)`` of the segments ``a..b`` (one unit when they fit)."""
        start, end = segments[a][0], segments[b][1]
        if end - start <= self.max_chars:
            return [(start, end, b - a + 1)]
        lo, hi = self.tokens.bounds(start, end)
        token_starts, token_ends = self.tokens.starts, self.tokens.ends
        cuts = self._cuts(start, end, lo, hi)
        pieces = [(token_starts[p], min(token_ends[q - 1], end)) for p, q in pairwise([lo, *cuts, hi])]
        pieces[0] = (start, pieces[0][1])
        seg_starts = [s for s, _ in segments[a : b + 1]]
        return [(s, e, bisect_left(seg_starts, e) - bisect_right(seg_starts, s) + 1) for s, e in pieces]

    def _cuts(self, start: int, end: int, lo: int, hi: int) -> list[int]:
        """Token indices in ``(lo, hi)`` where a new unit starts, so every unit fits (one token at least)."""
        starts, ends, limit = self.tokens.starts, self.tokens.ends, self.max_chars
        items = self._intervals(start, end)  # (first token, last token, span id or relation index), sorted
        crossing = _crossing_counts(items, lo, hi)
        free_tokens = [c for c in range(lo + 1, hi) if not crossing[c - lo]]
        sentence_cuts = self._sentences(lo, hi)
        free_sentences = [c for c in sentence_cuts if not crossing[c - lo]]
        cuts, pos = [], lo
        while pos + 1 < hi and ends[hi - 1] - starts[pos] > limit:
            fits = max(bisect_right(ends, starts[pos] + limit, pos, hi), pos + 1)  # unit [pos, c) fits if c <= fits
            c = _last_between(free_sentences, pos, fits) or _last_between(free_tokens, pos, fits)
            if c is None:  # overlapping annotations chained past the limit: cut through them
                c = _last_between(sentence_cuts, pos, fits) or fits
                self._drop_crossing(items, c)
            cuts.append(c)
            pos = c
        return cuts

    def _intervals(self, start: int, end: int) -> list[tuple[int, int, str | int]]:
        """Token ranges ``(first, last, key)`` of the spans (key: id) and relations (key: index) starting in the
        run ``[start, end)``, sorted; those longer than the limit are left out here."""
        if self._annotations is None:
            self._annotations = self._all_annotations()
        annotations = self._annotations
        items = []
        for first, last, key in annotations[
            bisect_left(annotations, start, key=itemgetter(0)) : bisect_left(annotations, end, key=itemgetter(0))
        ]:
            if last - first > self.max_chars:
                self._drop(key, f"is longer than the {self.max_chars:,}-character task limit")
            else:
                items.append((*self._token_range(first, last), key))
        items.sort(key=itemgetter(0))
        return items

    def _all_annotations(self) -> list[tuple[int, int, str | int]]:
        """``(first char, end char, key)`` of every span and relation, sorted by first character."""
        spans = self.spans
        out: list[tuple[int, int, str | int]] = [(s["start"], s["end"], i) for i, s in spans.items()]
        for n, rel in enumerate(self.relations):
            head, child = spans[rel["head"]], spans[rel["child"]]
            out.append((min(head["start"], child["start"]), max(head["end"], child["end"]), n))
        out.sort(key=itemgetter(0))
        return out

    def _token_range(self, start: int, end: int) -> tuple[int, int]:
        return bisect_left(self.tokens.starts, start), bisect_left(self.tokens.ends, end)

    def _sentences(self, lo: int, hi: int) -> list[int]:
        """Token indices in ``(lo, hi)`` where a sentence starts (none when the sentences are unusable)."""
        if self._sentence_cuts is None:
            usable = segments_problem(self.doc, "sentence") is None
            sentences = (self.doc.get("sentences") or ()) if usable else ()
            starts = self.tokens.starts
            self._sentence_cuts = sorted({bisect_left(starts, s) for s, _ in sentences})
        cuts = self._sentence_cuts
        return cuts[bisect_right(cuts, lo) : bisect_left(cuts, hi)]

    def _drop(self, key: str | int, why: str) -> None:
        if isinstance(key, str):
            self.dropped_spans.setdefault(key, why)
        else:
            self.dropped_relations.setdefault(key, why)

    def _drop_crossing(self, items: list[tuple[int, int, str | int]], cut: int) -> None:
        """Leave out the annotations crossing token ``cut`` (starting before it, ending at or after it)."""
        first = bisect_left(items, cut - self.max_chars, key=itemgetter(0))  # a token is 1 character at least
        for _, last, key in items[first : bisect_left(items, cut, key=itemgetter(0))]:
            if last >= cut:
                self._drop(key, "crosses a cut forced by overlapping annotations longer than the task limit")

    def report_dropped(self, doc: dict, report: Report | None, stats: TaskStats) -> None:
        """Count what was left out and say so in one line per document (a pathological text drops many)."""
        spans, relations = self.dropped_spans, self.dropped_relations
        if not spans and not relations:
            return
        for n, rel in enumerate(self.relations):  # a relation needs both its ends
            if n not in relations and (rel["head"] in spans or rel["child"] in spans):
                relations[n] = "has an end left out"
        stats.skipped_spans += len(spans)
        stats.skipped_relations += len(relations)
        if report:
            if spans:
                example = "span {} {}".format(*next(iter(spans.items())))
            else:
                n, why = next(iter(relations.items()))
                example = f"relation {self.relations[n].get('id')} {why}"
            report(
                InputProblem(
                    _where(doc),
                    f"document {doc['id']}: {len(spans)} spans and {len(relations)} "
                    f"relations left out of the tasks, which hold at most {self.max_chars:,} characters "
                    f"(e.g. {example})",
                    field="spans",
                    severity="warning",
                )
            )


def _crossing_counts(items: list[tuple[int, int, str | int]], lo: int, hi: int) -> list[int]:
    """``counts[c - lo]``: how many annotations a cut before token ``c`` would split (first < c <= last)."""
    diff = [0] * (hi - lo + 2)
    for first, last, _ in items:
        if last > first:
            diff[first + 1 - lo] += 1
            diff[last + 1 - lo] -= 1
    return list(accumulate(diff))


def _last_between(cuts: list[int], lo: int, hi: int) -> int | None:
    """The last of the sorted ``cuts`` in ``(lo, hi]``, or ``None``."""
    i = bisect_right(cuts, hi) - 1
    return cuts[i] if i >= 0 and cuts[i] > lo else None


def _units_of(
    doc: dict,
    kind: str,
    bounds: list[tuple[int, int, int]],
    doc_tokens: DocTokens,
    spans: dict[str, dict],
    relations: list[dict],
    stats: TaskStats,
) -> list[Unit]:
    """The units with the given ``(start, end, segments)``; each span and relation goes to the unit holding its
    (head's) first character."""
    unit_starts = [s for s, _, _ in bounds]
    # Sorted once for the document: a unit's spans are then one slice, already in its order.
    ordered = sorted(spans.values(), key=_span_order)
    ordered_starts = list(map(_START, ordered))
    cuts = [*map(bisect_left, repeat(ordered_starts), unit_starts), len(ordered)]
    rels_by_unit = _relations_by_unit(unit_starts, spans, relations)
    units = []
    for g, (start, end, n_segments) in enumerate(bounds):
        if n_segments > 1:
            stats.widened_units += 1
        unit_spans = ordered[cuts[g] : cuts[g + 1]]
        units.append(_make_unit(doc, kind, g, start, end, doc_tokens, unit_spans, rels_by_unit.get(g, []), n_segments))
    return units


def _relations_by_unit(unit_starts: list[int], spans: dict[str, dict], relations: list[dict]) -> dict[int, list[dict]]:
    """Each unit's relations (the unit holding the head's first character), as task relations ordered by content,
    not ids: the same annotations give the same task (and hash) whoever numbered them."""
    rels_by_unit: dict[int, list[dict]] = {}
    for rel in relations:
        rels_by_unit.setdefault(bisect_right(unit_starts, spans[rel["head"]]["start"]) - 1, []).append(rel)

    def relation_order(rel: dict) -> tuple:
        head, child = spans[rel["head"]], spans[rel["child"]]
        return (
            head["start"],
            head["end"],
            head["label"],
            child["start"],
            child["end"],
            child["label"],
            rel["label"],
            str(rel.get("id")),
        )

    return {
        g: [
            {"id": r.get("id"), "label": r["label"], "head": r["head"], "child": r["child"]}
            for r in sorted(unit_rels, key=relation_order)
        ]
        for g, unit_rels in rels_by_unit.items()
    }


def _span_order(span: dict) -> tuple:
    return span["start"], -span["end"], span["label"], span["id"]


_START, _ID = itemgetter("start"), itemgetter("id")


def _make_unit(
    doc: dict,
    kind: str,
    index: int,
    start: int,
    end: int,
    doc_tokens: DocTokens,
    spans: list[dict],
    relations: list[dict],
    segments: int,
) -> Unit:
    """The unit ``doc["text"][start:end]`` holding ``spans`` (document spans on token boundaries inside it, in
    :func:`_span_order`)."""
    lo, hi = doc_tokens.bounds(start, end)
    task_spans, layers, checkworthy = [], {}, {}
    known_tokens = doc_tokens.span_tokens
    for span in spans:
        span_id = span["id"]
        known = known_tokens.get(span_id)
        if known is not None and lo <= known[0] <= known[1] < hi:  # found by the bulk check: same as bisecting
            task_spans.append(
                {
                    "start": span["start"] - start,
                    "end": span["end"] - start,
                    "token_start": known[0] - lo,
                    "token_end": known[1] - lo,
                    "label": span["label"],
                    "id": span_id,
                    "score": span.get("score"),
                    "labeller": span.get("labeller"),
                }
            )
        else:
            task_spans.append(_task_span(span, start, lo, hi, doc_tokens))
        layer = layers[span_id] = span["layer"]
        if layer == "claims":
            checkworthy[span_id] = checkworthy_option(span)
    return Unit(
        doc["id"],
        kind,
        index,
        start,
        end,
        doc["text"][start:end],
        task_spans,
        layers,
        checkworthy,
        relations,
        segments=segments,
        doc_tokens=doc_tokens,
    )


def _task_span(span: dict, start: int, lo: int, hi: int, doc_tokens: DocTokens) -> dict:
    """A span of the unit starting at ``start`` with tokens ``[lo, hi)``, relative to it: its token indices come
    from the document's token offsets (bisection, exact match) shifted by the unit's first token -- the unit's
    tokens are the document tokens starting inside it, so this equals looking the span up among the unit's own
    (``None`` when the tokens are hand-broken)."""
    token_starts, token_ends = doc_tokens.starts, doc_tokens.ends
    span_start, span_end = span["start"], span["end"]
    first_tok = bisect_left(token_starts, span_start, lo, hi)
    last_tok = bisect_left(token_ends, span_end, lo, hi)
    if (
        first_tok < hi
        and last_tok < hi
        and token_starts[first_tok] == span_start
        and token_ends[last_tok] == span_end
        and first_tok <= last_tok
    ):
        first_tok -= lo
        last_tok -= lo
    else:
        first_tok = last_tok = None
    return {
        "start": span_start - start,
        "end": span_end - start,
        "token_start": first_tok,
        "token_end": last_tok,
        "label": span["label"],
        "id": span["id"],
        "score": span.get("score"),
        "labeller": span.get("labeller"),
    }


def _doc_tokens(doc: dict, tokens: list) -> DocTokens | None:
    """The document's :class:`DocTokens`, ``None`` when its tokens are malformed."""
    offsets = token_offsets(tokens, len(doc["text"]))
    if isinstance(offsets, str):
        return None
    return DocTokens(doc["text"], *offsets)


def _sentence_units_tokens(doc: dict, doc_tokens: DocTokens | None) -> DocTokens | None:
    """The document's :class:`DocTokens` (``doc_tokens`` when given), ``None`` when its tokens or sentences are
    missing or malformed."""
    tokens = doc.get("tokens") or []
    if not tokens or not doc.get("sentences"):
        return None
    if doc_tokens is None:
        doc_tokens = _doc_tokens(doc, tokens)
    if doc_tokens is None or segments_problem(doc, "sentence") is not None:
        return None
    return doc_tokens


def _sentence_of(sentences: list, sentence_starts: list[int], char: int) -> int | None:
    """Index of the sentence holding the character at ``char``."""
    i = bisect_right(sentence_starts, char) - 1
    return i if i >= 0 and sentences[i][0] <= char < sentences[i][1] else None


def _claim_sentences(
    claim: dict, sentences: list, sentence_starts: list[int], max_chars: int
) -> tuple[int, int] | None:
    """The first and last sentence of a claim; ``None`` when an end is in no sentence or they are too long."""
    first = _sentence_of(sentences, sentence_starts, claim["start"])
    last = _sentence_of(sentences, sentence_starts, claim["end"] - 1)
    if first is None or last is None or sentences[last][1] - sentences[first][0] > max_chars:
        return None
    return first, last


def claim_sentence_units(
    doc: dict, claims: Iterable[dict], doc_tokens: DocTokens | None = None, max_chars: int = MAX_UNIT_CHARS
) -> dict[str, Unit] | None:
    """One unit per claim (by span id) made of the claim's own sentence(s), whatever the unit of the span views.

    Check-worthiness is judged per sentence, so a choice task shows the sentence holding the claim, widened over
    the next sentences only when the claim itself runs over them (relations and other spans do not widen it).
    ``unit_index`` is the index of the unit's first sentence in ``doc["sentences"]``. Returns ``None`` when the
    document's sentences are missing or malformed (the caller falls back to the span unit); a claim whose ends
    lie outside every sentence, or that does not sit on the tokens, or whose sentences are longer than
    ``max_chars`` (a text without sentence punctuation), is left out of the mapping (same fallback).
    ``claims`` are document spans already checked by :func:`document_units`; ``doc_tokens`` is the document's
    already-checked :class:`DocTokens` (``unit.doc_tokens`` of its units), built here when not given.
    """
    doc_tokens = _sentence_units_tokens(doc, doc_tokens)
    if doc_tokens is None:
        return None
    sentences = doc["sentences"]
    sentence_starts = [s for s, _ in sentences]
    units: dict[str, Unit] = {}
    for claim in claims:
        extent = _claim_sentences(claim, sentences, sentence_starts, max_chars)
        if extent is None:
            continue
        first, last = extent
        unit = _make_unit(
            doc, "sentence", first, sentences[first][0], sentences[last][1], doc_tokens, [claim], [], last - first + 1
        )
        if unit.spans[0]["token_start"] is not None:
            units[claim["id"]] = unit
    return units


def model_version(doc: dict, unit: Unit) -> str:
    """The labellers behind a unit's pre-labels, e.g. ``entities=rules@1,sources=rules@1``."""
    labellers = doc.get("labellers") or {}
    used = set(map(unit.layers.__getitem__, map(_ID, unit.spans)))
    parts = [f"{layer}={labellers[layer]}" for layer in LAYERS if layer in used and labellers.get(layer)]
    if not parts:  # hand-built records: fall back to the labellers stamped on the spans
        parts = sorted({str(s["labeller"]) for s in unit.spans if s.get("labeller")})
    return ",".join(parts) or "corpus"
