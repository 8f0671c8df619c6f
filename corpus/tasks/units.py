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
from functools import cached_property
from itertools import repeat
from operator import eq, itemgetter, le, lt, sub

import orjson

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, LAYERS, RELATION_LABELS
from corpus.errors import InputProblem
from corpus.offsets import TokenIndex

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
        tokens = [{"text": token_text, "start": s - start, "end": e - start, "id": n, "ws": ws}
                  for n, token_text, s, e, ws in zip(range(hi - lo), self._texts[lo:hi], self.starts[lo:hi],
                                                     self.ends[lo:hi], self._space_after[lo:hi], strict=True)]
        if tokens and self.ends[hi - 1] >= end:  # the last token ends the unit (or, hand-broken, runs past it)
            last = tokens[-1]
            last["ws"] = False
            if self.ends[hi - 1] > end:
                last["text"] = self.text[start + last["start"]:end]
        return tokens

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

    @cached_property
    def _span_by_id(self) -> dict[str, dict]:
        return {s["id"]: s for s in self.spans}

    def span(self, span_id: str) -> dict:
        return self._span_by_id[span_id]


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


_START, _END = itemgetter("start"), itemgetter("end")


def _ordered_offsets(starts: list, ends: list, text_len: int) -> bool:
    """Fast check in C loops: plain ints, ``0 <= start < end <= next start``, the last end inside the text."""
    return (set(map(type, starts)) == {int} and set(map(type, ends)) == {int} and starts[0] >= 0
            and ends[-1] <= text_len and all(map(lt, starts, ends))
            and all(map(le, ends, starts[1:])))


def _token_offsets(tokens: list, text_len: int) -> tuple[list[int], list[int]] | str:
    """``(starts, ends)`` of well-formed tokens, or what makes them unusable (hand-edited or truncated files)."""
    if tokens and set(map(type, tokens)) == {dict}:
        try:
            starts, ends = list(map(_START, tokens)), list(map(_END, tokens))
        except KeyError:
            pass
        else:
            if _ordered_offsets(starts, ends, text_len):
                return starts, ends
    # Slow path: name the first bad token (or accept values the fast path is too strict for, e.g. bools).
    previous_end = 0
    for n, tok in enumerate(tokens):
        if not isinstance(tok, dict) or not isinstance(tok.get("start"), int) or not isinstance(tok.get("end"), int):
            return f"token {n} is not {{start, end}} integers"
        if not previous_end <= tok["start"] < tok["end"] <= text_len:
            return f"token {n} ({tok['start']}-{tok['end']}) is out of order or outside the text"
        previous_end = tok["end"]
    return [t["start"] for t in tokens], [t["end"] for t in tokens]


def _segments_problem(doc: dict, kind: str) -> str | None:
    """What makes a record's paragraphs or sentences unusable, or ``None``."""
    if kind == "document":
        return None
    key = "paragraphs" if kind == "paragraph" else "sentences"
    segments, text_len = doc.get(key) or (), len(doc["text"])
    if (segments and set(map(type, segments)) == {list} and set(map(len, segments)) == {2}
            and _ordered_offsets([s for s, _ in segments], [e for _, e in segments], text_len)):
        return None
    previous_end = 0
    for n, seg in enumerate(segments):
        if not (isinstance(seg, list | tuple) and len(seg) == 2 and all(isinstance(x, int) for x in seg)):
            return f"{key}[{n}] is not a [start, end] pair of integers"
        if not previous_end <= seg[0] < seg[1] <= text_len:
            return f"{key}[{n}] ({seg[0]}-{seg[1]}) is out of order or outside the text"
        previous_end = seg[1]
    return None


def _structure_problem(doc: dict, tokens: list, kind: str) -> str | None:
    """What makes a record's tokens or segments unusable (hand-edited or truncated files), or ``None``."""
    offsets = _token_offsets(tokens, len(doc["text"]))
    return offsets if isinstance(offsets, str) else _segments_problem(doc, kind)


def _valid_span(span: dict, text_len: int, index: TokenIndex | DocTokens) -> str | None:
    """Why a document span cannot be exported, or ``None`` when it can."""
    if not isinstance(span, dict):
        return "is not an object"
    start, end = span.get("start"), span.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= text_len:
        return f"has offsets {start!r}-{end!r} outside the text"
    if span.get("layer") not in LAYERS:
        return f"has unknown layer {span.get('layer')!r}"
    if span.get("label") not in LABELS_BY_LAYER[span["layer"]]:
        return f"has label {span.get('label')!r} not in the {span['layer']} label set"
    if not isinstance(span.get("id"), str):
        return "has no string id"
    if not index.on_boundaries(start, end):
        return f"{start}-{end} is not on token boundaries"
    return None


_SPAN_FIELDS = tuple(map(itemgetter, ("start", "end", "layer", "label", "id")))
_LAYER_LABELS = frozenset((layer, label) for layer, labels in LABELS_BY_LAYER.items() for label in labels)


def _checked_spans(raw: list | tuple, text_len: int, doc_tokens: DocTokens, seg_starts: list[int],
                   seg_ends: list[int]) -> tuple[dict[str, dict], dict[str, tuple[int, int]]] | None:
    """Every span of a well-formed document checked at once in C loops (what :func:`_valid_span` and the segment
    lookup check one span at a time): ``(spans by id, (first, last) segment by id)``, or ``None`` as soon as any
    span is off in any way, for the caller's span-by-span pass to name it.
    """
    if not raw:
        return {}, {}
    try:  # KeyError: a field is missing; TypeError: not an object
        starts, ends, layers, labels, ids = (list(map(field, raw)) for field in _SPAN_FIELDS)
    except (KeyError, TypeError):
        return None
    if not (set(map(type, starts)) == {int} == set(map(type, ends)) and set(map(type, layers)) == {str}
            and set(map(type, labels)) == {str} and set(map(type, ids)) == {str} and len(set(ids)) == len(ids)):
        return None
    if min(starts) < 0 or max(ends) > text_len or not all(map(lt, starts, ends)):
        return None
    if not set(zip(layers, labels, strict=True)) <= _LAYER_LABELS:
        return None
    first_tokens = list(map(bisect_left, repeat(doc_tokens.starts), starts))
    last_tokens = list(map(bisect_left, repeat(doc_tokens.ends), ends))
    try:  # on token boundaries: the token found by bisection starts (ends) exactly there
        if not (all(map(eq, map(doc_tokens.starts.__getitem__, first_tokens), starts))
                and all(map(eq, map(doc_tokens.ends.__getitem__, last_tokens), ends))):
            return None
    except IndexError:  # past the last token
        return None
    # Segment of the first and of the last character: the last segment starting at or before it, if it holds it.
    lasts_chars = list(map(sub, ends, repeat(1)))
    firsts = list(map(sub, map(bisect_right, repeat(seg_starts), starts), repeat(1)))
    lasts = list(map(sub, map(bisect_right, repeat(seg_starts), lasts_chars), repeat(1)))
    if min(firsts) < 0 or not (all(map(lt, starts, map(seg_ends.__getitem__, firsts)))
                               and all(map(lt, lasts_chars, map(seg_ends.__getitem__, lasts)))):
        return None
    # Every unit looks its spans up by id instead of bisecting again (see _make_unit).
    doc_tokens.span_tokens = dict(zip(ids, zip(first_tokens, last_tokens, strict=True), strict=True))
    return dict(zip(ids, raw, strict=True)), dict(zip(ids, zip(firsts, lasts, strict=True), strict=True))


def document_units(doc: dict, kind: str, report: Report | None = None, stats: TaskStats | None = None) -> list[Unit]:
    """The task units of one segmented document, widened so no span or relation crosses a unit.

    The units share one :class:`DocTokens` (``unit.doc_tokens``), which :func:`claim_sentence_units` reuses.
    """
    if kind not in UNITS:
        raise ValueError(f"unknown unit {kind!r} (choose from {', '.join(UNITS)})")
    stats = stats if stats is not None else TaskStats()
    text, doc_id = doc["text"], doc["id"]
    text_len = len(text)
    tokens = doc.get("tokens") or []
    if not tokens:
        stats.skipped_documents += 1
        if report and text.strip():
            report(InputProblem(_where(doc), f"document {doc_id} has no tokens (run `corpus segment` first); "
                                "no tasks written for it", severity="warning"))
        return []
    offsets = _token_offsets(tokens, text_len)
    problem = offsets if isinstance(offsets, str) else _segments_problem(doc, kind)
    if problem:
        stats.skipped_documents += 1
        if report:
            report(InputProblem(_where(doc), f"document {doc_id}: {problem}; no tasks written for it",
                                field="tokens" if "token" in problem else f"{kind}s"))
        return []
    segments = _base_segments(doc, kind)
    if not segments:
        stats.skipped_documents += 1
        if report:
            report(InputProblem(_where(doc), f"document {doc_id} has no {kind}s (run `corpus segment` first); "
                                "no tasks written for it", severity="warning"))
        return []
    seg_starts = [s for s, _ in segments]
    seg_ends = [e for _, e in segments]

    def segment_of(char: int) -> int | None:
        """Index of the segment holding the character at ``char``."""
        i = bisect_right(seg_starts, char) - 1
        return i if i >= 0 and char < seg_ends[i] else None

    doc_tokens = DocTokens(text, *offsets)
    checked = _checked_spans(doc.get("spans") or (), text_len, doc_tokens, seg_starts, seg_ends)
    if checked is not None:
        spans, span_segments = checked
    else:  # something is off: check span by span, reporting each one left out
        spans, span_segments = {}, {}
        for span in doc.get("spans") or ():
            problem = _valid_span(span, text_len, doc_tokens)
            first = last = None
            if problem is None:
                first, last = segment_of(span["start"]), segment_of(span["end"] - 1)
                if first is None or last is None:
                    problem = f"{span['start']}-{span['end']} lies outside every {kind}"
                elif span["id"] in spans:
                    problem = "repeats an id already used in this document"
            if problem is not None:
                stats.skipped_spans += 1
                if report:
                    label = span.get("id") if isinstance(span, dict) else None
                    report(InputProblem(_where(doc), f"document {doc_id}: span {label} {problem}; left out of the "
                                        "tasks", field="spans", severity="warning"))
                continue
            spans[span["id"]] = span
            span_segments[span["id"]] = (first, last)

    relations = []
    for rel in doc.get("relations") or ():
        ok = (isinstance(rel, dict) and rel.get("head") in spans and rel.get("child") in spans
              and rel.get("label") in RELATION_LABELS)
        if not ok:
            stats.skipped_relations += 1
            if report:
                rid = rel.get("id") if isinstance(rel, dict) else None
                report(InputProblem(_where(doc), f"document {doc_id}: relation {rid} has an unknown label or an end "
                                    "that is missing or was left out; left out of the tasks",
                                    field="relations", severity="warning"))
            continue
        relations.append(rel)

    # reach[i]: the last segment that must share a unit with segment i.
    reach = list(range(len(segments)))
    for first, last in span_segments.values():
        if last > reach[first]:
            reach[first] = last
    for rel in relations:
        ends = span_segments[rel["head"]] + span_segments[rel["child"]]
        lo, hi = min(ends), max(ends)
        reach[lo] = max(reach[lo], hi)

    groups: list[tuple[int, int]] = []
    group_of_segment = [0] * len(segments)
    i = 0
    while i < len(segments):
        j, furthest = i, reach[i]
        while j < furthest:
            j += 1
            furthest = max(furthest, reach[j])
        for k in range(i, j + 1):
            group_of_segment[k] = len(groups)
        groups.append((i, j))
        i = j + 1

    by_group: dict[int, list[dict]] = {}
    for span_id, (first, _) in span_segments.items():
        by_group.setdefault(group_of_segment[first], []).append(spans[span_id])
    rels_by_group: dict[int, list[dict]] = {}
    for rel in relations:
        rels_by_group.setdefault(group_of_segment[span_segments[rel["head"]][0]], []).append(rel)

    def relation_order(rel: dict) -> tuple:
        head, child = spans[rel["head"]], spans[rel["child"]]
        return (head["start"], head["end"], head["label"], child["start"], child["end"], child["label"], rel["label"],
                str(rel.get("id")))

    units = []
    for g, (a, b) in enumerate(groups):
        # Ordered by content, not ids: the same annotations give the same task (and hash) whoever numbered them.
        group_rels = rels_by_group.get(g)
        unit_relations = [{"id": r.get("id"), "label": r["label"], "head": r["head"], "child": r["child"]}
                          for r in sorted(group_rels, key=relation_order)] if group_rels else []
        if b > a:
            stats.widened_units += 1
        units.append(_make_unit(doc, kind, g, segments[a][0], segments[b][1], doc_tokens, by_group.get(g, ()),
                                unit_relations, b - a + 1))
    stats.documents += 1
    stats.units += len(units)
    return units


def _span_order(span: dict) -> tuple:
    return span["start"], -span["end"], span["label"], span["id"]


def _make_unit(doc: dict, kind: str, index: int, start: int, end: int, doc_tokens: DocTokens,
               spans: Iterable[dict], relations: list[dict], segments: int) -> Unit:
    """The unit ``doc["text"][start:end]`` holding ``spans`` (document spans on token boundaries inside it).

    Token indices come from the document's token offsets (bisection) shifted by the unit's first token: the unit's
    tokens are the document tokens starting inside it, so this equals looking the span up among the unit's own.
    """
    lo, hi = doc_tokens.bounds(start, end)
    token_starts, token_ends = doc_tokens.starts, doc_tokens.ends
    task_spans, layers, checkworthy = [], {}, {}
    known_tokens = doc_tokens.span_tokens
    for span in sorted(spans, key=_span_order):
        span_start, span_end, span_id = span["start"], span["end"], span["id"]
        known = known_tokens.get(span_id)
        if known is not None and lo <= known[0] <= known[1] < hi:  # found by the bulk check: same as bisecting
            first_tok, last_tok = known[0] - lo, known[1] - lo
        else:
            # The unit's tokens are the document's [lo, hi): look the span up there (bisection, exact match).
            first_tok = bisect_left(token_starts, span_start, lo, hi)
            last_tok = bisect_left(token_ends, span_end, lo, hi)
            if (first_tok < hi and last_tok < hi and token_starts[first_tok] == span_start
                    and token_ends[last_tok] == span_end and first_tok <= last_tok):
                first_tok -= lo
                last_tok -= lo
            else:
                first_tok = last_tok = None  # only for hand-broken tokens
        task_spans.append({"start": span_start - start, "end": span_end - start, "token_start": first_tok,
                           "token_end": last_tok, "label": span["label"], "id": span_id, "score": span.get("score"),
                           "labeller": span.get("labeller")})
        layer = layers[span_id] = span["layer"]
        if layer == "claims":
            checkworthy[span_id] = checkworthy_option(span)
    return Unit(doc["id"], kind, index, start, end, doc["text"][start:end], task_spans, layers, checkworthy,
                relations, segments=segments, doc_tokens=doc_tokens)


def claim_sentence_units(doc: dict, claims: Iterable[dict], doc_tokens: DocTokens | None = None
                         ) -> dict[str, Unit] | None:
    """One unit per claim (by span id) made of the claim's own sentence(s), whatever the unit of the span views.

    Check-worthiness is judged per sentence, so a choice task shows the sentence holding the claim, widened over
    the next sentences only when the claim itself runs over them (relations and other spans do not widen it).
    ``unit_index`` is the index of the unit's first sentence in ``doc["sentences"]``. Returns ``None`` when the
    document's sentences are missing or malformed (the caller falls back to the span unit); a claim whose ends
    lie outside every sentence, or that does not sit on the tokens, is left out of the mapping (same fallback).
    ``claims`` are document spans already checked by :func:`document_units`; ``doc_tokens`` is the document's
    already-checked :class:`DocTokens` (``unit.doc_tokens`` of its units), built here when not given.
    """
    tokens = doc.get("tokens") or []
    sentences = doc.get("sentences") or []
    if not tokens or not sentences:
        return None
    if doc_tokens is None:
        offsets = _token_offsets(tokens, len(doc["text"]))
        if isinstance(offsets, str):
            return None
        doc_tokens = DocTokens(doc["text"], *offsets)
    if _segments_problem(doc, "sentence") is not None:
        return None
    sentence_starts = [s for s, _ in sentences]

    def sentence_of(char: int) -> int | None:
        i = bisect_right(sentence_starts, char) - 1
        return i if i >= 0 and sentences[i][0] <= char < sentences[i][1] else None

    units: dict[str, Unit] = {}
    for claim in claims:
        first, last = sentence_of(claim["start"]), sentence_of(claim["end"] - 1)
        if first is None or last is None:
            continue
        unit = _make_unit(doc, "sentence", first, sentences[first][0], sentences[last][1], doc_tokens, [claim],
                          [], last - first + 1)
        if unit.spans[0]["token_start"] is not None:
            units[claim["id"]] = unit
    return units


def model_version(doc: dict, unit: Unit) -> str:
    """The labellers behind a unit's pre-labels, e.g. ``entities=rules@1,sources=rules@1``."""
    labellers = doc.get("labellers") or {}
    used = {unit.layers[s["id"]] for s in unit.spans}
    parts = [f"{layer}={labellers[layer]}" for layer in LAYERS if layer in used and labellers.get(layer)]
    if not parts:  # hand-built records: fall back to the labellers stamped on the spans
        parts = sorted({str(s["labeller"]) for s in unit.spans if s.get("labeller")})
    return ",".join(parts) or "corpus"
