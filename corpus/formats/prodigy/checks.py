"""What `corpus validate` checks in a Prodigy task once its schema passed: tokens, spans, relations, options.

Tokens are numbered by index, lie inside the text, in order, equal to their text and cover every non-space
character; a span sits on tokens and its ``token_start`` / ``token_end`` (inclusive) are the tokens it covers;
``ner.manual`` spans do not overlap; a ``rel.manual`` relation joins two of the task's spans by their last token
with the labels the relation takes; a ``choice`` task offers each check-worthiness option once.
"""

from __future__ import annotations

from typing import Any

from corpus.document import CHECKWORTHY_OPTIONS, RELATION_ENDS
from corpus.formats.shapes import is_count, is_name
from corpus.records import MAX_FINDINGS_PER_RECORD, Finding, check_tiling, outside, short, text_mismatch

NER, REL, CHOICE = "ner.manual", "rel.manual", "choice"


def check(task: dict, kind: str, config: Any = None) -> list[Finding]:
    """Problems of one Prodigy task of ``kind`` (``ner.manual``, ``spans.manual``, ``rel.manual``, ``choice``)."""
    out: list[Finding] = []
    text, tokens = task["text"], task["tokens"]
    if not _tokens_ok(text, tokens, out):
        return out  # span checks against broken tokens would only repeat the problem
    check_tiling(text, [(t["start"], t["end"]) for t in tokens], "tokens", out)
    span_ok = [span_on_tokens(span, f"spans[{i}]", text, tokens, out) for i, span in enumerate(task["spans"])]
    _check_span_ids(task["spans"], out)
    if kind == NER:
        _check_no_overlap(task["spans"], out)
    meta = task["meta"]
    if meta["unit"] == "document" and meta["offset"] != 0:
        out.append(Finding("meta.offset", f"is {meta['offset']} for a document unit (must be 0)"))
    if kind == REL:
        _check_relations(task, span_ok, out)
    elif kind == CHOICE:
        _check_options(task, out)
    return out


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
        prev_end = max(prev_end, e)
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
    for i, span_id in enumerate(ids):
        if span_id in ids[:i]:
            out.append(Finding(f"spans[{i}].id", f"duplicate span id {span_id!r}"))


def _check_no_overlap(spans: list[dict], out: list[Finding]) -> None:
    ordered = sorted((s["start"], s["end"], i) for i, s in enumerate(spans))
    for (_, prev_end, j), (start, _, i) in zip(ordered, ordered[1:], strict=False):
        if start < prev_end:
            out.append(Finding(f"spans[{i}]", f"overlaps spans[{j}] (ner.manual spans must not overlap)"))


def _check_relations(task: dict, span_ok: list[bool], out: list[Finding]) -> None:
    spans = task["spans"]
    ends_of_spans = {s["token_end"] for s, ok in zip(spans, span_ok, strict=True) if ok}
    keyed = {(s["start"], s["end"], s["label"]) for s in spans}
    for i, rel in enumerate(task["relations"]):
        want = RELATION_ENDS.get(rel["label"], (None, None))
        for end, want_label in zip(("head", "child"), want, strict=True):
            _check_relation_end(task, rel, f"relations[{i}]", end, want_label, (keyed, ends_of_spans), out)


def _check_relation_end(
    task: dict, rel: dict, where: str, end: str, want_label: str | None, known: tuple[set, set], out: list[Finding]
) -> None:
    """One end of a relation: its span is on tokens and one of the task's, ``head``/``child`` is its last token."""
    keyed, ends_of_spans = known
    end_span = rel[f"{end}_span"]
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
