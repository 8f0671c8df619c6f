"""Property-based tests (hypothesis) for the invariants every stage relies on (issue 8 §2).

Texts are built from fragments that stress the segmenter (abbreviations, initials, quotes, emoji with
modifiers, combining marks, right-to-left script, odd spacing and line breaks) mixed with arbitrary Unicode.
"""

from __future__ import annotations

import copy
import os
import unicodedata

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from corpus.document import ENTITY_LABELS, add_span, document_id, new_document
from corpus.ingest.normalize import clean_text, normalize_text
from corpus.offsets import TokenIndex, from_utf16, utf16_offsets
from corpus.segment.core import segment_document
from corpus.validate import (
    DOCUMENTS,
    _ranges_match_schema,
    _tokens_match_schema,
    load_schema,
    validate_document,
    validate_task,
)

# Modest by default so the suite stays fast; CORPUS_PROPERTY_EXAMPLES=2000 for a deep run.
EXAMPLES = int(os.environ.get("CORPUS_PROPERTY_EXAMPLES", "60"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    "The",
    "mayor",
    "said",
    "Gen.",
    "Smith",
    "U.S.",
    "Jan.",
    "5",
    "$5bn",
    "3.5%",
    "Mr.",
    "J.",
    "K.",
    "Rowling",
    "don't",
    "Ukraine’s",
    "well-known",
    "e-mail",
    "“quoted”",
    "(aside)",
    "—",
    "...",
    "!",
    "?",
    ".",
    ",",
    ";",
    "👍🏽",
    "👩\u200d👩\u200d👧",
    "🇺🇦",
    "𝔘𝔫𝔦",
    "Cafe\u0301",
    "q\u0307",
    "مرحبا",
    "שלום",
    "東京",
    "https://ex.com/a?b=1.",
    "a@b.org",
    "'",
    '"',
    "#tag",
    "@user",
    "1/2",
    "10:30",
]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u00a0", "\u200b", "\u202e", "\n \n"]

fragment_texts = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), min_size=1, max_size=60
).map(lambda parts: "".join(f + s for f, s in parts))
unicode_texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200)
raw_texts = st.one_of(fragment_texts, unicode_texts, st.tuples(fragment_texts, unicode_texts).map("".join))


def segmented(raw: str) -> dict:
    text, _, _ = clean_text(raw)
    assume(text)
    return segment_document(new_document(text, "prop.txt"))


@FAST
@given(raw_texts)
def test_segmentation_invariants(raw):
    doc = segmented(raw)
    text = doc["text"]
    tokens = [(t["start"], t["end"]) for t in doc["tokens"]]
    # Tokens tile the text: sorted, non-empty, non-overlapping, every non-space character in exactly one token,
    # no whitespace inside a token.
    covered = [0] * len(text)
    for s, e in tokens:
        assert 0 <= s < e <= len(text)
        for i in range(s, e):
            covered[i] += 1
        assert not any(ch.isspace() for ch in text[s:e])
    assert tokens == sorted(tokens)
    assert all(covered[i] == (0 if ch.isspace() else 1) for i, ch in enumerate(text))
    for t in doc["tokens"]:
        assert t["ws"] == (t["end"] < len(text) and text[t["end"]].isspace())
    # Sentences inside paragraphs, tokens inside sentences, all trimmed.
    paragraphs, sentences = doc["paragraphs"], doc["sentences"]
    for s, e in sentences:
        assert any(ps <= s and e <= pe for ps, pe in paragraphs)
        assert text[s:e] == text[s:e].strip()
    for s, e in tokens:
        assert any(ss <= s and e <= se for ss, se in sentences)
    # The validator agrees (it is the oracle used on build outputs).
    assert validate_document(doc) == []


@FAST
@given(raw_texts, st.data())
def test_spans_on_token_boundaries_keep_their_text(raw, data):
    doc = segmented(raw)
    tokens = doc["tokens"]
    assume(tokens)
    index = TokenIndex(tokens)
    taken_until = 0
    for _ in range(data.draw(st.integers(1, 5))):
        a = data.draw(st.integers(0, len(tokens) - 1))
        b = data.draw(st.integers(a, min(len(tokens) - 1, a + 4)))
        start, end = tokens[a]["start"], tokens[b]["end"]
        assert index.token_range(start, end) == (a, b)
        if start >= taken_until:
            span = add_span(doc, "entities", data.draw(st.sampled_from(ENTITY_LABELS)), start, end, "prop@1", 0.5)
            assert doc["text"][span["start"] : span["end"]] == span["text"]
            taken_until = end
    doc["labellers"]["entities"] = "prop@1"
    assert validate_document(doc) == []
    # Snapping any character range gives token boundaries that cover it; shrinking stays inside it.
    n = len(doc["text"])
    lo = data.draw(st.integers(0, n - 1))
    hi = data.draw(st.integers(lo + 1, n))
    snapped = index.snap(lo, hi)
    if snapped is not None:
        assert index.on_boundaries(*snapped) and snapped[0] <= max(lo, snapped[0])
    shrunk = index.shrink(lo, hi)
    if shrunk is not None:
        assert index.on_boundaries(*shrunk) and lo <= shrunk[0] and shrunk[1] <= hi


@FAST
@given(raw_texts)
def test_normalise_is_idempotent_and_ids_depend_only_on_the_normalised_text(raw):
    text, _ = normalize_text(raw)
    assert normalize_text(text)[0] == text
    cleaned, _, _ = clean_text(raw)
    assert clean_text(cleaned)[0] == cleaned
    # CRLF, NFD and a BOM are spelling variants of the same article: same text, same id.
    variants = [text.replace("\n", "\r\n"), unicodedata.normalize("NFD", raw), "\ufeff" + raw]
    for variant in variants:
        assert normalize_text(variant)[0] == text
    assume(cleaned)
    assert new_document(cleaned, "a.txt")["id"] == new_document(cleaned, "b.txt", title="T")["id"]
    assert document_id(cleaned) == document_id(str(cleaned))


@FAST
@given(unicode_texts)
def test_utf16_offsets_round_trip(text):
    table = utf16_offsets(text)
    back = from_utf16(text)
    assert len(table) == len(text) + 1
    assert table[-1] == len(text.encode("utf-16-le")) // 2
    for i in range(len(text) + 1):
        assert table[i] == len(text[:i].encode("utf-16-le")) // 2
        assert back[table[i]] == i


# --------------------------------------------------- the validator's fast paths agree with the JSON Schemas

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=False), st.text(max_size=4)
)
token_values = st.one_of(st.integers(0, 50), json_scalars)


def token_dicts(keys: list[str]):
    return st.dictionaries(st.sampled_from(keys), token_values, max_size=len(keys) + 1)


@FAST
@given(
    st.lists(token_dicts(["start", "end", "ws", "text"]), max_size=4),
    st.lists(token_dicts(["start", "end", "ws", "text", "id", "extra"]), max_size=4),
    st.lists(st.one_of(st.lists(st.integers(-1, 9), max_size=3), json_scalars), max_size=4),
)
def test_fast_checks_never_accept_what_the_schema_rejects(doc_tokens, task_tokens, ranges):
    doc_defs = load_schema(DOCUMENTS)["$defs"]
    task_defs = load_schema("ner.manual")["$defs"]
    if _tokens_match_schema(doc_tokens, DOCUMENTS):
        assert all(Draft202012Validator(doc_defs["token"]).is_valid(t) for t in doc_tokens)
    if _tokens_match_schema(task_tokens, "ner.manual"):
        assert all(Draft202012Validator(task_defs["token"]).is_valid(t) for t in task_tokens)
    if _ranges_match_schema(ranges):
        assert all(Draft202012Validator(doc_defs["range"]).is_valid(r) for r in ranges)


# ------------------------------------------------------------------ garbage in: problems out, never a crash

json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(record, path, new):
    if not path:
        return new
    target = record
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return record


def _labelled_doc() -> dict:
    doc = segment_document(new_document("Jane Doe said Acme cut 200 jobs.\n\nThe mayor denied it.", "g.txt"))
    add_span(doc, "entities", "PERSON", 0, 8, "rules@1")
    source = add_span(doc, "sources", "SOURCE", 0, 8, "rules@1")
    content = add_span(doc, "sources", "CONTENT", 14, 31, "rules@1")
    doc["relations"].append(
        {"id": "R0", "label": "ATTRIBUTION", "head": source["id"], "child": content["id"], "labeller": "rules@1"}
    )
    doc["labellers"] = {"entities": "rules@1", "sources": "rules@1"}
    return doc


def _rel_task() -> dict:
    text = "Jane Doe said Acme cut jobs."
    words = [(0, 4), (5, 8), (9, 13), (14, 18), (19, 22), (23, 27), (27, 28)]
    tokens = [
        {"text": text[s:e], "start": s, "end": e, "id": i, "ws": text[e : e + 1] == " "}
        for i, (s, e) in enumerate(words)
    ]
    src = {
        "start": 0,
        "end": 8,
        "token_start": 0,
        "token_end": 1,
        "label": "SOURCE",
        "id": "S0",
        "score": 1.0,
        "labeller": "r@1",
    }
    content = {
        "start": 14,
        "end": 27,
        "token_start": 3,
        "token_end": 5,
        "label": "CONTENT",
        "id": "S1",
        "score": 1.0,
        "labeller": "r@1",
    }
    return {
        "text": text,
        "tokens": tokens,
        "spans": [src, content],
        "relations": [
            {"head": 1, "child": 5, "label": "ATTRIBUTION", "head_span": dict(src), "child_span": dict(content)}
        ],
        "meta": {"doc_id": "0123456789abcdef", "unit": "sentence", "unit_index": 0, "offset": 0},
        "_input_hash": 1,
        "_task_hash": 2,
        "_view_id": "relations",
    }


DOC, TASK = _labelled_doc(), _rel_task()
assert validate_document(DOC) == [] and validate_task(TASK, "rel.manual") == []
DOC_PATHS, TASK_PATHS = list(_paths(DOC)), list(_paths(TASK))


@settings(max_examples=3 * EXAMPLES, deadline=None)
@given(st.sampled_from(DOC_PATHS), json_values, st.sampled_from(TASK_PATHS), json_values)
def test_mutated_records_give_problems_not_exceptions(doc_path, doc_value, task_path, task_value):
    doc = _replace(copy.deepcopy(DOC), doc_path, doc_value)
    task = _replace(copy.deepcopy(TASK), task_path, task_value)
    for problems in (validate_document(doc), validate_task(task, "rel.manual"), validate_task(task, "choice")):
        assert all(isinstance(p, str) and "\n" not in p for p in problems)
    for problem in validate_document(doc):
        assert "could not be checked" not in problem, problem  # the schema should have caught it first
    orjson.dumps(doc)  # the mutation stays JSON: what a hand-edited file could contain


@FAST
@given(json_values)
def test_arbitrary_json_is_rejected_cleanly(value):
    for kind in (DOCUMENTS, "ner.manual", "choice"):
        problems = validate_document(value) if kind == DOCUMENTS else validate_task(value, kind)
        assert problems and all(isinstance(p, str) for p in problems)
