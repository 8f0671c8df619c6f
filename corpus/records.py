"""Is this document record, span or relation well formed? The one place that says so, and fills record defaults.

Two depths of checking, for two kinds of caller:

- :func:`document_errors` / :func:`document_findings`: everything `corpus validate` says about a document record
  (the schema's shape first, then offsets inside the text, ``text[start:end]`` equal to the span text, spans on
  token boundaries, tokens tiling the text, sentences inside paragraphs, unique ids, relation ends that exist
  and have the right labels). Every command reading ``documents.jsonl`` runs the shape half before trusting a
  record (:func:`document_errors` with ``semantic=False``).
- :func:`structure_problem`, :func:`span_problem` and :func:`relation_usable`: the cheap "can I cut this record
  into units / export this span / this relation" questions asked by consumers that drop a bad span or relation
  and keep its document.

:func:`with_record_defaults` fills the fields a record may leave out (a stage that has not run yet); a new record
is made by :func:`corpus.document.new_document`.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from operator import itemgetter, le, lt
from pathlib import Path
from typing import Any, Protocol

from corpus.document import LABELS_BY_LAYER, LAYERS, RELATION_ENDS, document_id
from corpus.errors import InputProblem

MAX_FINDINGS_PER_RECORD = 20

# Fields a document record may leave out (a stage that has not run yet, hand-written input): filled before the
# record is checked. A field that is present must have the schema's shape.
RECORD_DEFAULTS: dict[str, Callable[[], Any]] = {
    **{key: list for key in ("paragraphs", "sentences", "tokens", "spans", "relations")},
    "labellers": dict,
    "ingest": dict,
    **{key: lambda: None for key in ("title", "source_url", "publisher", "published", "licence")},
}


def with_record_defaults(obj: dict, origin: str) -> dict:
    """``obj`` with the fields it left out filled in (``origin``: where it was read)."""
    for key, default in RECORD_DEFAULTS.items():
        if key not in obj:
            obj[key] = default()
    obj.setdefault("origin", origin)
    return obj


# ------------------------------------------------------------------------------------------------ findings


@dataclass
class Finding:
    """A problem inside one record; the file and line are added by the caller."""

    field: str | None
    message: str
    severity: str = "error"

    def __post_init__(self) -> None:
        # Field names come from the input: a key with a newline must not break "one line per problem".
        self.field = printable(self.field) if self.field else self.field
        self.message = printable(self.message)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def printable(text: str) -> str:
    """``text`` with non-printable characters escaped (a problem is one line)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: a text can be megabytes."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def outside(s: int, e: int, n: int) -> str:
    return f"[{s}, {e}) is empty or outside the text (length {n})"


def text_mismatch(given: str, text: str, s: int, e: int) -> str:
    return f"{short(given)} != text[{s}:{e}] {short(text[s:e])}"


# ------------------------------------------------------------------------------------- ranges and tokens


def check_ranges(ranges: list, n: int, name: str, out: list[Finding]) -> bool:
    """Ranges must be non-empty, inside the text, sorted and non-overlapping. Returns True when they are."""
    ok = True
    prev_end = 0
    for i, (s, e) in enumerate(ranges):
        if not s < e <= n:
            out.append(Finding(f"{name}[{i}]", outside(s, e, n)))
            ok = False
        elif s < prev_end:
            out.append(
                Finding(f"{name}[{i}]", f"[{s}, {e}) overlaps or precedes the previous one (which ends at {prev_end})")
            )
            ok = False
        if e > prev_end:  # max(), without a call per range (tokens: a million per long document)
            prev_end = e
    return ok


def check_nested(inner: list, outer: list, inner_name: str, outer_name: str, out: list[Finding]) -> None:
    """Each sorted inner range lies inside one of the sorted outer ranges (two-pointer walk)."""
    j, n_outer = 0, len(outer)
    for i, (s, e) in enumerate(inner):
        while j < n_outer and outer[j][1] <= s:
            j += 1
        if j == n_outer or not (outer[j][0] <= s and e <= outer[j][1]):
            out.append(Finding(f"{inner_name}[{i}]", f"[{s}, {e}) is not inside any of the {outer_name}"))


def check_tiling(text: str, ranges: list[tuple[int, int]], name: str, out: list[Finding]) -> None:
    """Every non-space character is inside a token (tokens are already sorted and non-overlapping)."""
    pos = 0
    for s, e in [*ranges, (len(text), len(text))]:
        gap = text[pos:s]
        if gap and not gap.isspace():
            offset = pos + next(k for k, ch in enumerate(gap) if not ch.isspace())
            out.append(
                Finding(
                    name,
                    f"character {short(text[offset])} at {offset} is in no token "
                    "(tokens must cover every non-space character)",
                )
            )
            return
        if e > pos:
            pos = e


# ---------------------------------------------------------------------------------------- document records


def document_findings(doc: dict) -> list[Finding]:
    """The semantic problems of a document record whose shape the schema accepted (errors and warnings)."""
    out: list[Finding] = []
    _check_id(doc, out)
    token_ranges = _check_segmentation(doc, out)
    span_labels = _check_spans(doc, token_ranges, out)
    _check_relations(doc["relations"], span_labels, out)
    return out


def _check_id(doc: dict, out: list[Finding]) -> None:
    expected = document_id(doc["text"])
    if expected != doc["id"]:
        message = f"{doc['id']} is not the hash of the text ({expected}): was the text edited after ingest?"
        out.append(Finding("id", message, "warning"))


def _check_segmentation(doc: dict, out: list[Finding]) -> list[tuple[int, int]] | None:
    """Paragraphs, sentences and tokens; the token ranges when they are usable (span boundaries), else None."""
    text: str = doc["text"]
    n = len(text)
    paragraphs, sentences, tokens = doc["paragraphs"], doc["sentences"], doc["tokens"]
    paragraphs_ok = check_ranges(paragraphs, n, "paragraphs", out)
    sentences_ok = check_ranges(sentences, n, "sentences", out)
    if paragraphs_ok and sentences_ok and paragraphs:
        check_nested(sentences, paragraphs, "sentences", "paragraphs", out)
    token_ranges = [(t["start"], t["end"]) for t in tokens]
    if not check_ranges(token_ranges, n, "tokens", out):
        return None
    if tokens:
        if sentences_ok and sentences:
            check_nested(token_ranges, sentences, "tokens", "sentences", out)
        check_tiling(text, token_ranges, "tokens", out)
        _check_whitespace(text, tokens, out)
    return token_ranges


def _check_whitespace(text: str, tokens: list[dict], out: list[Finding]) -> None:
    """``ws`` says whether whitespace follows the token; the first wrong one is reported."""
    n = len(text)
    for i, tok in enumerate(tokens):
        ws = tok["end"] < n and text[tok["end"]].isspace()
        if tok["ws"] != ws:
            following = short(text[tok["end"] : tok["end"] + 1] or "the end")
            out.append(Finding(f"tokens[{i}].ws", f"is {str(tok['ws']).lower()} but the next character is {following}"))
            return


def _check_spans(doc: dict, token_ranges: list[tuple[int, int]] | None, out: list[Finding]) -> dict[str, str]:
    """Span offsets, texts, boundaries and ids; returns span id -> label (for the relations)."""
    text: str = doc["text"]
    starts = {s for s, _ in token_ranges} if token_ranges else set()
    ends = {e for _, e in token_ranges} if token_ranges else set()
    span_labels: dict[str, str] = {}
    layers_with_spans = set()
    n = len(text)
    for i, span in enumerate(doc["spans"]):
        if span["id"] in span_labels:
            out.append(Finding(f"spans[{i}].id", f"duplicate span id {span['id']!r}"))
        span_labels[span["id"]] = span["label"]
        layers_with_spans.add(span["layer"])
        s, e = span["start"], span["end"]
        # the common case in one test; _check_span_offsets says what is wrong
        if not (s < e <= n and text[s:e] == span["text"] and (not starts or (s in starts and e in ends))):
            _check_span_offsets(text, span, f"spans[{i}]", starts, ends, out)
    for layer in sorted(layers_with_spans - set(doc["labellers"])):
        out.append(Finding("labellers", f"has no entry for layer {layer!r}, which has spans", "warning"))
    return span_labels


def _check_span_offsets(text: str, span: dict, where: str, starts: set, ends: set, out: list[Finding]) -> None:
    s, e = span["start"], span["end"]
    if not s < e <= len(text):
        out.append(Finding(where, outside(s, e, len(text))))
        return
    if text[s:e] != span["text"]:
        out.append(Finding(f"{where}.text", text_mismatch(span["text"], text, s, e)))
    if starts and (s not in starts or e not in ends):
        edge = "start" if s not in starts else "end"
        out.append(Finding(f"{where}.{edge}", f"[{s}, {e}) {short(text[s:e])} is not on token boundaries"))


def _check_relations(relations: list[dict], span_labels: dict[str, str], out: list[Finding]) -> None:
    relation_ids: set[str] = set()
    for i, rel in enumerate(relations):
        where = f"relations[{i}]"
        if rel["id"] in relation_ids:
            out.append(Finding(f"{where}.id", f"duplicate relation id {rel['id']!r}"))
        relation_ids.add(rel["id"])
        for end, want in zip(("head", "child"), RELATION_ENDS.get(rel["label"], (None, None)), strict=True):
            problem = relation_end_problem(rel, end, want, span_labels.get(rel[end]))
            if problem:
                out.append(Finding(f"{where}.{end}", problem))


def relation_end_problem(rel: dict, end: str, want: str | None, got: str | None) -> str | None:
    """Why ``rel``'s ``end`` (head / child) is wrong: no such span, or a span of another label than ``want``."""
    if got is None:
        return f"span {rel[end]!r} does not exist"
    if want and got != want:
        return f"{rel['label']} {end} must be a {want} span, {rel[end]!r} is {got}"
    return None


def document_errors(doc: Any, path: str | Path, line: int, semantic: bool = True) -> list[InputProblem]:
    """The errors `corpus validate` reports for one document record, as the same ``file:line: [field]`` lines:
    the one check of record validity that every command reading documents.jsonl uses before trusting a record.
    ``semantic=False`` checks the shape only (types, required fields: what a reader must be able to trust),
    leaving offsets and span texts to callers that drop a bad span and keep its document. Warnings (an id that
    is not the text's hash, ...) do not make a record unusable and are left out."""
    findings = document_record_findings(doc, semantic)
    return [InputProblem(str(path), f.message, line=line, field=f.field) for f in findings if f.severity == "error"]


def document_record_findings(doc: Any, semantic: bool = True) -> list[Finding]:
    """Schema problems of a document record, else (``semantic``) its :func:`document_findings`, capped."""
    from corpus.validate.schemas import DOCUMENTS, guarded, shape_findings  # the schemas import this module

    shape = shape_findings(doc, DOCUMENTS)
    if shape or not semantic:
        return shape
    return guarded(document_findings, doc)[:MAX_FINDINGS_PER_RECORD]


# ------------------------------------------------------------------------------ structure, for consumers

_START, _END = itemgetter("start"), itemgetter("end")


def ordered_offsets(starts: list, ends: list, text_len: int) -> bool:
    """Fast check in C loops: plain ints, ``0 <= start < end <= next start``, the last end inside the text."""
    return (
        set(map(type, starts)) == {int}
        and set(map(type, ends)) == {int}
        and starts[0] >= 0
        and ends[-1] <= text_len
        and all(map(lt, starts, ends))
        and all(map(le, ends, starts[1:]))
    )


def token_offsets(tokens: list, text_len: int) -> tuple[list[int], list[int]] | str:
    """``(starts, ends)`` of well-formed tokens, or what makes them unusable (hand-edited or truncated files)."""
    fast = _fast_token_offsets(tokens, text_len)
    if fast is not None:
        return fast
    # Slow path: name the first bad token (or accept values the fast path is too strict for, e.g. bools).
    problem = _token_problem(tokens, text_len)
    if problem is not None:
        return problem
    return [t["start"] for t in tokens], [t["end"] for t in tokens]


def _fast_token_offsets(tokens: list, text_len: int) -> tuple[list[int], list[int]] | None:
    """``(starts, ends)`` checked in C loops, or ``None`` when anything is off (for the slow path to name it)."""
    if tokens and set(map(type, tokens)) == {dict}:
        try:
            starts, ends = list(map(_START, tokens)), list(map(_END, tokens))
        except KeyError:
            return None
        if ordered_offsets(starts, ends, text_len):
            return starts, ends
    return None


def _token_problem(tokens: list, text_len: int) -> str | None:
    """The first token that is not ``{start, end}`` integers in order inside the text."""
    previous_end = 0
    for n, tok in enumerate(tokens):
        if not isinstance(tok, dict) or not isinstance(tok.get("start"), int) or not isinstance(tok.get("end"), int):
            return f"token {n} is not {{start, end}} integers"
        if not previous_end <= tok["start"] < tok["end"] <= text_len:
            return f"token {n} ({tok['start']}-{tok['end']}) is out of order or outside the text"
        previous_end = tok["end"]
    return None


def segments_problem(doc: dict, kind: str) -> str | None:
    """What makes a record's paragraphs (``kind="paragraph"``) or sentences unusable, or ``None``."""
    if kind == "document":
        return None
    key = "paragraphs" if kind == "paragraph" else "sentences"
    segments, text_len = doc.get(key) or (), len(doc["text"])
    if _segments_ok_fast(segments, text_len):
        return None
    previous_end = 0
    for n, seg in enumerate(segments):
        if not _int_pair(seg):
            return f"{key}[{n}] is not a [start, end] pair of integers"
        if not previous_end <= seg[0] < seg[1] <= text_len:
            return f"{key}[{n}] ({seg[0]}-{seg[1]}) is out of order or outside the text"
        previous_end = seg[1]
    return None


def _segments_ok_fast(segments, text_len: int) -> bool:
    """Well-formed segments checked in C loops (``False`` may still be fine: the slow path decides)."""
    return bool(
        segments
        and set(map(type, segments)) == {list}
        and set(map(len, segments)) == {2}
        and ordered_offsets([s for s, _ in segments], [e for _, e in segments], text_len)
    )


def _int_pair(seg: Any) -> bool:
    return isinstance(seg, list | tuple) and len(seg) == 2 and all(isinstance(x, int) for x in seg)


def structure_problem(doc: dict, tokens: list, kind: str) -> str | None:
    """What makes a record's tokens or ``kind`` segments unusable (hand-edited or truncated files), or ``None``."""
    offsets = token_offsets(tokens, len(doc["text"]))
    return offsets if isinstance(offsets, str) else segments_problem(doc, kind)


def relation_usable(rel: Any, span_ids: Container[str]) -> bool:
    """A relation a consumer can use: an object with a known label whose head and child are among ``span_ids``
    (the spans it kept)."""
    if not isinstance(rel, dict) or rel.get("label") not in RELATION_ENDS:
        return False
    head, child = rel.get("head"), rel.get("child")
    return isinstance(head, str) and isinstance(child, str) and head in span_ids and child in span_ids


class Boundaries(Protocol):
    def on_boundaries(self, start: int, end: int) -> bool: ...


def span_problem(span: Any, text_len: int, index: Boundaries | None = None) -> str | None:
    """Why a document span cannot be used (not an object, offsets, layer, label, id, token boundaries when
    ``index`` is given), or ``None``."""
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
    if index is not None and not index.on_boundaries(start, end):
        return f"{start}-{end} is not on token boundaries"
    return None
