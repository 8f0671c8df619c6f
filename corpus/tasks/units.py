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


@dataclass
class Unit:
    """One task unit of one document; offsets and indices relative to the unit."""

    doc_id: str
    kind: str  # paragraph | sentence | document
    index: int  # position among the document's units of this kind
    start: int  # code-point offset of the unit in the document text
    end: int
    text: str
    tokens: list[dict]  # [{"text", "start", "end", "id", "ws"}]
    spans: list[dict]  # task spans: {"start", "end", "token_start", "token_end", "label", "id", "score", "labeller"}
    layers: dict[str, str]  # span id -> layer
    checkworthy: dict[str, str | None]  # claim span id -> pre-selected option (None: not decided)
    relations: list[dict]  # document relations whose both ends are in this unit: {"id", "label", "head", "child"}
    segments: int = 1  # how many base segments the unit covers (> 1 when widened)

    @property
    def meta(self) -> dict:
        return {"doc_id": self.doc_id, "unit": self.kind, "unit_index": self.index, "offset": self.start}

    def spans_of(self, *layers: str) -> list[dict]:
        return [s for s in self.spans if self.layers[s["id"]] in layers]

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


def _structure_problem(doc: dict, tokens: list, kind: str) -> str | None:
    """What makes a record's tokens or segments unusable (hand-edited or truncated files), or ``None``."""
    text_len, previous_end = len(doc["text"]), 0
    for n, tok in enumerate(tokens):
        if not isinstance(tok, dict) or not isinstance(tok.get("start"), int) or not isinstance(tok.get("end"), int):
            return f"token {n} is not {{start, end}} integers"
        if not previous_end <= tok["start"] < tok["end"] <= text_len:
            return f"token {n} ({tok['start']}-{tok['end']}) is out of order or outside the text"
        previous_end = tok["end"]
    if kind == "document":
        return None
    key = "paragraphs" if kind == "paragraph" else "sentences"
    previous_end = 0
    for n, seg in enumerate(doc.get(key) or ()):
        if not (isinstance(seg, list | tuple) and len(seg) == 2 and all(isinstance(x, int) for x in seg)):
            return f"{key}[{n}] is not a [start, end] pair of integers"
        if not previous_end <= seg[0] < seg[1] <= text_len:
            return f"{key}[{n}] ({seg[0]}-{seg[1]}) is out of order or outside the text"
        previous_end = seg[1]
    return None


def _valid_span(span: dict, text_len: int, index: TokenIndex) -> str | None:
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


def document_units(doc: dict, kind: str, report: Report | None = None, stats: TaskStats | None = None) -> list[Unit]:
    """The task units of one segmented document, widened so no span or relation crosses a unit."""
    if kind not in UNITS:
        raise ValueError(f"unknown unit {kind!r} (choose from {', '.join(UNITS)})")
    stats = stats if stats is not None else TaskStats()
    text, doc_id = doc["text"], doc["id"]
    tokens = doc.get("tokens") or []
    if not tokens:
        stats.skipped_documents += 1
        if report and text.strip():
            report(InputProblem(_where(doc), f"document {doc_id} has no tokens (run `corpus segment` first); "
                                "no tasks written for it", severity="warning"))
        return []
    problem = _structure_problem(doc, tokens, kind)
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

    def segment_of(offset: int, is_end: bool) -> int | None:
        """Index of the segment holding the character at ``offset`` (``offset - 1`` for an end)."""
        char = offset - 1 if is_end else offset
        i = bisect_right(seg_starts, char) - 1
        return i if i >= 0 and segments[i][0] <= char < segments[i][1] else None

    doc_index = TokenIndex(tokens)
    spans: dict[str, dict] = {}
    span_segments: dict[str, tuple[int, int]] = {}
    for span in doc.get("spans") or ():
        problem = _valid_span(span, len(text), doc_index)
        first = last = None
        if problem is None:
            first, last = segment_of(span["start"], False), segment_of(span["end"], True)
            if first is None or last is None:
                problem = f"{span['start']}-{span['end']} lies outside every {kind}"
            elif span["id"] in spans:
                problem = "repeats an id already used in this document"
        if problem is not None:
            stats.skipped_spans += 1
            if report:
                label = span.get("id") if isinstance(span, dict) else None
                report(InputProblem(_where(doc), f"document {doc_id}: span {label} {problem}; left out of the tasks",
                                    field="spans", severity="warning"))
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
        reach[first] = max(reach[first], last)
    for rel in relations:
        ends = span_segments[rel["head"]] + span_segments[rel["child"]]
        lo, hi = min(ends), max(ends)
        reach[lo] = max(reach[lo], hi)

    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(segments):
        j, furthest = i, reach[i]
        while j < furthest:
            j += 1
            furthest = max(furthest, reach[j])
        groups.append((i, j))
        i = j + 1

    by_group: dict[int, list[dict]] = {}
    group_of_segment = [0] * len(segments)
    for g, (a, b) in enumerate(groups):
        for k in range(a, b + 1):
            group_of_segment[k] = g
    for span_id, (first, _) in span_segments.items():
        by_group.setdefault(group_of_segment[first], []).append(spans[span_id])
    rels_by_group: dict[int, list[dict]] = {}
    for rel in relations:
        rels_by_group.setdefault(group_of_segment[span_segments[rel["head"]][0]], []).append(rel)

    token_starts = doc_index.starts
    units = []
    def relation_order(rel: dict) -> tuple:
        head, child = spans[rel["head"]], spans[rel["child"]]
        return (head["start"], head["end"], head["label"], child["start"], child["end"], child["label"], rel["label"],
                str(rel.get("id")))

    for g, (a, b) in enumerate(groups):
        # Ordered by content, not ids: the same annotations give the same task (and hash) whoever numbered them.
        unit_relations = [{"id": r.get("id"), "label": r["label"], "head": r["head"], "child": r["child"]}
                          for r in sorted(rels_by_group.get(g, ()), key=relation_order)]
        if b > a:
            stats.widened_units += 1
        units.append(_make_unit(doc, kind, g, segments[a][0], segments[b][1], token_starts, by_group.get(g, ()),
                                unit_relations, b - a + 1))
    stats.documents += 1
    stats.units += len(units)
    return units


def _make_unit(doc: dict, kind: str, index: int, start: int, end: int, token_starts: list[int],
               spans: Iterable[dict], relations: list[dict], segments: int) -> Unit:
    """The unit ``doc["text"][start:end]`` holding ``spans`` (document spans on token boundaries inside it)."""
    unit_text = doc["text"][start:end]
    lo, hi = bisect_left(token_starts, start), bisect_left(token_starts, end)
    unit_tokens = []
    for n, tok in enumerate(doc["tokens"][lo:hi]):
        s, e = tok["start"] - start, tok["end"] - start
        unit_tokens.append({"text": unit_text[s:e], "start": s, "end": e, "id": n,
                            "ws": e < len(unit_text) and unit_text[e].isspace()})
    token_index = TokenIndex(unit_tokens)
    task_spans, layers, checkworthy = [], {}, {}
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"], s["label"], s["id"])):
        s, e = span["start"] - start, span["end"] - start
        first_tok, last_tok = token_index.token_range(s, e) or (None, None)  # None only for hand-broken tokens
        task_spans.append({"start": s, "end": e, "token_start": first_tok, "token_end": last_tok,
                           "label": span["label"], "id": span["id"], "score": span.get("score"),
                           "labeller": span.get("labeller")})
        layers[span["id"]] = span["layer"]
        if span["layer"] == "claims":
            checkworthy[span["id"]] = checkworthy_option(span)
    return Unit(doc["id"], kind, index, start, end, unit_text, unit_tokens, task_spans, layers, checkworthy,
                relations, segments=segments)


def claim_sentence_units(doc: dict, claims: Iterable[dict]) -> dict[str, Unit] | None:
    """One unit per claim (by span id) made of the claim's own sentence(s), whatever the unit of the span views.

    Check-worthiness is judged per sentence, so a choice task shows the sentence holding the claim, widened over
    the next sentences only when the claim itself runs over them (relations and other spans do not widen it).
    ``unit_index`` is the index of the unit's first sentence in ``doc["sentences"]``. Returns ``None`` when the
    document's sentences are missing or malformed (the caller falls back to the span unit); a claim whose ends
    lie outside every sentence, or that does not sit on the tokens, is left out of the mapping (same fallback).
    ``claims`` are document spans already checked by :func:`document_units`.
    """
    tokens = doc.get("tokens") or []
    sentences = doc.get("sentences") or []
    if not tokens or not sentences or _structure_problem(doc, tokens, "sentence") is not None:
        return None
    sentence_starts = [s for s, _ in sentences]
    token_starts = [t["start"] for t in tokens]

    def sentence_of(char: int) -> int | None:
        i = bisect_right(sentence_starts, char) - 1
        return i if i >= 0 and sentences[i][0] <= char < sentences[i][1] else None

    units: dict[str, Unit] = {}
    for claim in claims:
        first, last = sentence_of(claim["start"]), sentence_of(claim["end"] - 1)
        if first is None or last is None:
            continue
        unit = _make_unit(doc, "sentence", first, sentences[first][0], sentences[last][1], token_starts, [claim],
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
