"""What `corpus validate` checks in a Prodigy task once its schema passed: tokens, spans, relations, options.

Tokens are numbered by index, lie inside the text, in order, equal to their text and cover every non-space
character; a span sits on tokens and its ``token_start`` / ``token_end`` (inclusive) are the tokens it covers;
``ner.manual`` spans do not overlap; a ``rel.manual`` relation joins two of the task's spans by their last token
with the labels the relation takes; a ``choice`` task offers each check-worthiness option once.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from operator import itemgetter
from typing import Any

import orjson

from corpus.document import CHECKWORTHY_OPTIONS, RELATION_ENDS
from corpus.formats.shapes import is_count, is_name
from corpus.records import (
    MAX_FINDINGS_PER_RECORD,
    Finding,
    check_tiling,
    ordered_offsets,
    outside,
    short,
    text_mismatch,
)

NER, REL, CHOICE = "ner.manual", "rel.manual", "choice"


def check(task: dict, kind: str, config: Any = None) -> list[Finding]:
    """Problems of one Prodigy task of ``kind`` (``ner.manual``, ``spans.manual``, ``rel.manual``, ``choice``)."""
    out: list[Finding] = []
    text, tokens = task["text"], task["tokens"]
    if tokens_fine(text, tokens):
        return after_tokens(task, kind, out)
    if not _tokens_ok(text, tokens, out):
        return out  # span checks against broken tokens would only repeat the problem
    check_tiling(text, [(t["start"], t["end"]) for t in tokens], "tokens", out)
    return after_tokens(task, kind, out)


def after_tokens(task: dict, kind: str, out: list[Finding] | None = None) -> list[Finding]:
    """:func:`check` once the tokens passed: spans on them, span ids, overlaps, the unit's offset, relations and
    options (the build checks a unit's tokens once for all of its views, then this per task)."""
    out = [] if out is None else out
    text, tokens = task["text"], task["tokens"]
    clean: set[int] | None = set() if kind == REL else None  # ids of the spans found on tokens in one test
    span_ok = _spans_on_tokens(task["spans"], text, tokens, out, clean)
    _check_span_ids(task["spans"], out)
    if kind == NER:
        _check_no_overlap(task["spans"], out)
    meta = task["meta"]
    if meta["unit"] == "document" and meta["offset"] != 0:
        out.append(Finding("meta.offset", f"is {meta['offset']} for a document unit (must be 0)"))
    if kind == REL:
        _check_relations(task, span_ok, clean, out)
    elif kind == CHOICE:
        _check_options(task, out)
    return out


_TOKEN_FIELDS = tuple(map(itemgetter, ("start", "end", "id", "ws", "text")))


def tokens_fine(text: str, tokens: Any) -> bool:
    """True when the tokens match the schema's token ``$def`` and :func:`check` finds nothing wrong with them (ids,
    ranges, order, texts, every non-space character covered), checked in C loops; False on any doubt (the
    per-token checks then name the problem). A unit's tokens are shared by its views: the build checks them once."""
    if not tokens or type(tokens) is not list:
        return False
    try:
        starts, ends, ids, wss, texts = (list(map(get, tokens)) for get in _TOKEN_FIELDS)
    except (KeyError, TypeError):  # a token that is no object, or misses a field
        return False
    return (
        set(map(type, ids)) == {int}
        and ids == list(range(len(ids)))
        and set(map(type, wss)) == {bool}
        and ordered_offsets(starts, ends, len(text))  # integers, 0 <= start < end <= next start, inside the text
        # each text is its (non-empty) slice of the text: a string of at least one character
        and list(map(text.__getitem__, map(slice, starts, ends))) == texts
        and _gaps_are_space(text, texts)
    )


def _gaps_are_space(text: str, texts: list[str]) -> bool:
    """Every character between the tokens is a space (:func:`check_tiling` finds nothing), given tokens that are
    sorted, do not overlap and whose ``texts`` are their slices of ``text``: the text then has exactly as many
    non-space characters as its tokens (``str.split`` and ``str.isspace`` agree on what a space is). Counted in
    C, without slicing the text at every gap."""
    return len("".join(text.split())) == len("".join("".join(texts).split()))


def _token_findings(i: int, tok: dict, text: str, prev_end: int) -> list[Finding]:
    """What is wrong with token ``i`` (its id, then its range, order or text)."""
    out = [] if tok["id"] == i else [Finding(f"tokens[{i}].id", f"is {tok['id']}, expected its index {i}")]
    s, e = tok["start"], tok["end"]
    if not s < e <= len(text):
        out.append(Finding(f"tokens[{i}]", outside(s, e, len(text))))
    elif s < prev_end:
        out.append(Finding(f"tokens[{i}]", f"[{s}, {e}) overlaps or precedes the previous token"))
    elif text[s:e] != tok["text"]:
        out.append(Finding(f"tokens[{i}].text", text_mismatch(tok["text"], text, s, e)))
    return out


def _tokens_ok(text: str, tokens: list[dict], out: list[Finding]) -> bool:
    """Token ids, ranges, order and texts; False (with at most the cap of findings) when any is wrong."""
    ok = True
    n = len(text)
    prev_end = 0
    for i, tok in enumerate(tokens):
        s, e = tok["start"], tok["end"]
        # one test per token on the common path (millions of tokens): the findings only for a bad one
        if tok["id"] != i or not prev_end <= s < e <= n or text[s:e] != tok["text"]:
            out += _token_findings(i, tok, text, prev_end)
            ok = False
        if e > prev_end:
            prev_end = e
        if len(out) >= MAX_FINDINGS_PER_RECORD:
            return False
    return ok


def span_on_tokens(span: dict, where: str, text: str, tokens: list[dict], out: list[Finding]) -> bool:
    """Offsets in range, on token boundaries and consistent with token_start/token_end (inclusive)."""
    s, e, ts, te = span["start"], span["end"], span["token_start"], span["token_end"]
    if not s < e <= len(text):
        out.append(Finding(where, outside(s, e, len(text))))
        return False
    if "text" in span and span["text"] != text[s:e]:
        out.append(Finding(f"{where}.text", text_mismatch(span["text"], text, s, e)))
    if not ts <= te < len(tokens):
        message = f"token_start {ts} / token_end {te} are not a token range (the task has {len(tokens)} tokens)"
        out.append(Finding(where, message))
        return False
    if tokens[ts]["start"] != s or tokens[te]["end"] != e:
        out.append(Finding(where, _off_tokens(s, e, ts, te, text, tokens)))
        return False
    return True


def _spans_on_tokens(
    spans: list[dict], text: str, tokens: list[dict], out: list[Finding], clean: set[int] | None = None
) -> list[bool]:
    """:func:`span_on_tokens` of each span: the common case in one test, the function for the findings.
    ``clean`` gets the ids of the spans that passed the one test (no finding)."""
    n, n_tokens = len(text), len(tokens)
    ok = []
    for i, span in enumerate(spans):
        s, e, ts, te = span["start"], span["end"], span["token_start"], span["token_end"]
        if (
            s < e <= n
            and ("text" not in span or span["text"] == text[s:e])
            and ts <= te < n_tokens
            and tokens[ts]["start"] == s
            and tokens[te]["end"] == e
        ):
            ok.append(True)
            if clean is not None:
                clean.add(id(span))
        else:
            ok.append(span_on_tokens(span, f"spans[{i}]", text, tokens, out))
    return ok


def _off_tokens(s: int, e: int, ts: int, te: int, text: str, tokens: list[dict]) -> str:
    """Why a span does not match its token range: the range is wrong, or the span is not on tokens at all."""
    if any(t["start"] == s for t in tokens) and any(t["end"] == e for t in tokens):
        return (
            f"token_start/token_end {ts}..{te} cover [{tokens[ts]['start']}, {tokens[te]['end']}), "
            f"not the span [{s}, {e})"
        )
    return f"[{s}, {e}) {short(text[s:e])} is not on token boundaries"


def _check_span_ids(spans: list[dict], out: list[Finding]) -> None:
    ids = [span["id"] for span in spans]
    if len(set(ids)) == len(ids):  # ids are strings (the schema's): the common case without the pairwise walk
        return
    for i, span_id in enumerate(ids):
        if span_id in ids[:i]:
            out.append(Finding(f"spans[{i}].id", f"duplicate span id {span_id!r}"))


def _check_no_overlap(spans: list[dict], out: list[Finding]) -> None:
    ordered = sorted((s["start"], s["end"], i) for i, s in enumerate(spans))
    for (_, prev_end, j), (start, _, i) in zip(ordered, ordered[1:], strict=False):
        if start < prev_end:
            out.append(Finding(f"spans[{i}]", f"overlaps spans[{j}] (ner.manual spans must not overlap)"))


def _check_relations(task: dict, span_ok: list[bool], clean: set[int], out: list[Finding]) -> None:
    spans = task["spans"]
    ends_of_spans = {s["token_end"] for s, ok in zip(spans, span_ok, strict=True) if ok}
    keyed = {(s["start"], s["end"], s["label"]) for s in spans}
    for i, rel in enumerate(task["relations"]):
        want = RELATION_ENDS.get(rel["label"], (None, None))
        for end, want_label in zip(("head", "child"), want, strict=True):
            _check_relation_end(task, rel, f"relations[{i}]", end, want_label, (keyed, ends_of_spans, clean), out)


def _check_relation_end(
    task: dict, rel: dict, where: str, end: str, want_label: str | None, known: tuple, out: list[Finding]
) -> None:
    """One end of a relation: its span is on tokens and one of the task's, ``head``/``child`` is its last token.
    An end that is one of the task's spans itself (the same object, as the renderer makes them), found on
    tokens without a finding, is both already: :func:`span_on_tokens` would find the same nothing."""
    keyed, ends_of_spans, clean = known
    end_span = rel[f"{end}_span"]
    if id(end_span) not in clean:  # the spans are alive in the task: an id in clean is one of them
        if not span_on_tokens(end_span, f"{where}.{end}_span", task["text"], task["tokens"], out):
            return
        if (end_span["start"], end_span["end"], end_span["label"]) not in keyed:
            out.append(Finding(f"{where}.{end}_span", "is not one of the task's spans"))
    if rel[end] != end_span["token_end"]:
        message = f"is token {rel[end]}, but {end}_span ends at token {end_span['token_end']}"
        out.append(Finding(f"{where}.{end}", message))
    elif rel[end] not in ends_of_spans:
        out.append(Finding(f"{where}.{end}", f"token {rel[end]} is not the last token of any span"))
    if want_label and end_span["label"] != want_label:
        message = f"{rel['label']} {end} must be a {want_label} span, not {end_span['label']}"
        out.append(Finding(f"{where}.{end}_span.label", message))


def _check_options(task: dict, out: list[Finding]) -> None:
    option_ids = [o["id"] for o in task["options"]]
    if sorted(option_ids) != sorted(CHECKWORTHY_OPTIONS):
        out.append(Finding("options", f"ids are {option_ids}, expected each of {list(CHECKWORTHY_OPTIONS)} once"))
    for answer in task["accept"]:
        if answer not in option_ids:
            out.append(Finding("accept", f"{answer!r} is not an option id"))


# ------------------------------------------------------------------ fast shape checks (spare jsonschema)


def task_token_matches_schema(t: Any) -> bool:
    return (
        type(t) is dict
        and is_name(t.get("text"))
        and is_count(t.get("start"))
        and is_count(t.get("end"))
        and is_count(t.get("id"))
        and type(t.get("ws")) is bool
    )


def fine_arrays(task: dict, kind: str) -> dict:
    """The tokens, emptied when every one matches the schema: jsonschema skips them."""
    tokens = task.get("tokens")
    return {"tokens": []} if type(tokens) is list and all(map(task_token_matches_schema, tokens)) else {}


# ------------------------------------------------------------------ rendered tasks (the build's checks)


def rendered_tasks(packed: Any, objects: dict | None = None) -> Iterator[tuple[int, Any, int, Any]]:
    """Each task of one rendered document (:func:`corpus.formats.prodigy.tasks.render_prodigy`), in output order,
    as ``(file index, the task as the writer writes it, its tokens' key, redo)`` (its plain hashes: the writer only
    makes them unique), or a :class:`Finding` for a task whose JSON would be malformed or span lines.

    The JSON is parsed piecewise as the writer joins it (head, tokens, tail, hashes): a unit's head and tokens
    once for all of its views, so tasks with the same tokens key share one token list. With ``objects`` (the
    renderer's values by piece start, :attr:`corpus.tasks.RenderedDocument.objects`), a task whose three pieces
    are exactly the JSON of their objects is made of those objects instead, unparsed; ``redo`` is then a function
    giving the task parsed from its bytes (for any doubt), else None.
    """
    from corpus.formats.prodigy.tasks import _ROW

    values = _PieceValues(packed, objects)
    fields = iter(packed[1])
    for row in zip(*[fields] * _ROW, strict=True):
        task = values.kept(row) if objects else None
        if task is not None:
            yield row[0], task, row[4], partial(values.parsed, row)
        else:
            yield row[0], values.parsed(row), row[4], None


class _PieceValues:
    """The values of a rendered document's pieces: parsed (as `corpus validate` parses the lines they make), or
    the renderer's own objects where ``orjson.dumps(object)`` is the piece (the proof they are what was written)."""

    def __init__(self, packed: Any, objects: dict | None) -> None:
        from corpus.formats.prodigy.tasks import _VIEWS

        self.pieces, _, self.units = packed
        self.views = _VIEWS
        self.objects = objects or {}
        self.parsed_at: dict[int, Any] = {}  # a piece's start -> the piece parsed (pieces do not overlap)
        self.kept_at: dict[int, Any] = {}  # a piece's start -> its object, proven to encode to the piece

    def _hashes(self, row: tuple) -> dict:
        return {"_input_hash": self.units[row[1]][1], "_task_hash": row[10], "_view_id": self.views[row[11]]}

    def parsed(self, row: tuple) -> dict | Finding:
        _, _, h0, h1, k0, k1, t0, t1, *_ = row
        pieces, parsed = self.pieces, self.parsed_at
        try:
            head = parsed.get(h0) or _parsed(parsed, h0, pieces[h0:h1] + b"null}")  # ends with '"tokens":'
            tokens = parsed.get(k0) or _parsed(parsed, k0, pieces[k0:k1])
            tail = pieces[t0:t1]  # ',<fields>,': what the writer puts between the tokens and the hashes
            if tail[:1] != b"," or tail[-1:] != b"," or b"\n" in tail:
                raise ValueError("the task's fields are not joined as the writer joins them")
            rest = orjson.loads(b"{%s}" % tail[1:-1])
        except ValueError as exc:  # orjson.JSONDecodeError too
            return Finding(None, f"malformed JSON ({exc.args[0].split(':')[0]})")
        return {**head, "tokens": tokens, **rest, **self._hashes(row)}

    def kept(self, row: tuple) -> dict | None:
        """The task made of the renderer's objects, or None when a piece is not exactly their JSON."""
        _, unit_no, h0, h1, k0, k1, t0, t1, _, _, task_hash, view_no = row
        head, tokens = self._kept(h0, h1, _head_json), self._kept(k0, k1, orjson.dumps)
        rest = self._tail(t0, t1) if head is not None and tokens is not None else None
        if rest is None:
            return None
        task = {"text": head[0], "meta": head[1], "tokens": tokens, **rest}
        task["_input_hash"], task["_task_hash"] = self.units[unit_no][1], task_hash
        task["_view_id"] = self.views[view_no]
        return task

    def _kept(self, start: int, end: int, encode: Any) -> Any:
        value = self.kept_at.get(start)
        if value is None:
            value = self.objects.get(start)
            try:
                if value is None or encode(value) != self.pieces[start:end]:
                    return None
            except (TypeError, ValueError):  # not what the renderer keeps (orjson.JSONEncodeError too)
                return None
            self.kept_at[start] = value
        return value

    def _tail(self, start: int, end: int) -> dict | None:
        """A task's own tail fields (a dict), when the piece ``,<fields>,`` is their JSON without its braces:
        compared in place (one per task, never shared: not remembered)."""
        fields = self.objects.get(start)
        if type(fields) is not dict:
            return None
        try:
            data = orjson.dumps(fields)
        except (TypeError, ValueError):  # orjson.JSONEncodeError too
            return None
        pieces = self.pieces  # bytes: objects exist only in the process that rendered them, never spilled
        if (
            end - start == len(data) > 2
            and pieces[start] == pieces[end - 1] == _COMMA
            and pieces.startswith(memoryview(data)[1:-1], start + 1)
        ):
            return fields
        return None


_COMMA = ord(",")


def _head_json(head: Any) -> bytes:
    """The head piece ``(text, meta)`` encodes to (see :meth:`corpus.formats.prodigy.tasks._Packer.head`)."""
    text, meta = head
    return b'{"text":%s,"meta":%s,"tokens":' % (orjson.dumps(text), orjson.dumps(meta))


def _parsed(parsed: dict[int, Any], key: int, raw: bytes) -> Any:
    """``raw`` parsed, kept under ``key``; the writer's framing is one task a line, so no line break inside."""
    if b"\n" in raw:
        raise ValueError("a line break inside the task")
    value = parsed[key] = orjson.loads(raw)
    return value
