"""Fast paths of task rendering give what the plain code gives: token lists shared between units that start at
the same place, and the Prodigy packer's per-unit head."""

from __future__ import annotations

import re

import orjson
import pytest
from conftest import documents

from corpus.formats.prodigy.tasks import FILE_INDEX, _choice_units, unit_tasks
from corpus.tasks import render_document
from corpus.tasks.units import DocTokens, claim_sentence_units, document_units


def reference_tokens(text: str, starts: list[int], ends: list[int], start: int, end: int) -> list[dict]:
    """A unit's tokens built one by one (the document tokens starting inside it), as before tokens were shared."""
    tokens = []
    for s, e in zip(starts, ends, strict=True):
        if start <= s < end:
            ws = e < len(text) and text[e].isspace()
            tokens.append({"text": text[s:e], "start": s - start, "end": e - start, "id": len(tokens), "ws": ws})
    if tokens and start + tokens[-1]["end"] >= end:  # the last token ends the unit (or runs past it: cut)
        tokens[-1]["ws"] = False
        tokens[-1]["text"] = text[start + tokens[-1]["start"] : end]
    return tokens


# Two paragraphs; the first has three sentences.
TEXT = "One two three. Four five! Six seven.\n\nEight nine ten. Eleven."


def _tokens(text: str = TEXT) -> tuple[list[int], list[int]]:
    """Words and punctuation marks of ``text``."""
    found = [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
    return [s for s, _ in found], [e for _, e in found]


# Units as (start, end): paragraphs, sentences, prefixes of them, the whole text, one past a line break
UNITS = [(0, 36), (0, 14), (0, 25), (15, 25), (26, 36), (38, 63), (38, 53), (0, 63), (0, 5), (26, 33), (4, 14), (0, 37)]


@pytest.mark.parametrize("order", [UNITS, UNITS[::-1], sorted(UNITS, key=lambda u: u[1] - u[0])])
def test_shared_tokens_equal_fresh_ones(order):
    starts, ends = _tokens()
    doc_tokens = DocTokens(TEXT, starts, ends)
    built = {unit: doc_tokens.unit_tokens(*unit) for unit in order}
    for (start, end), tokens in built.items():
        assert tokens == reference_tokens(TEXT, starts, ends, start, end), (start, end)
        assert doc_tokens.unit_tokens_json(start, end) == orjson.dumps(tokens)
        assert DocTokens(TEXT, starts, ends).unit_tokens(start, end) == tokens


def test_shared_tokens_with_a_token_past_the_unit_end():
    starts, ends = _tokens()
    merged = starts.index(30)  # "seven" and "." as one token by hand, running past units ending at 31 or 35
    starts, ends = starts[:merged] + starts[merged + 1 :], ends[: merged - 1] + ends[merged:]
    doc_tokens = DocTokens(TEXT, starts, ends)
    for unit in [(0, 36), (26, 36), (26, 31), (0, 31), (0, 28), (26, 35), (0, 35)]:
        assert doc_tokens.unit_tokens(*unit) == reference_tokens(TEXT, starts, ends, *unit), unit


def test_unit_tokens_with_trailing_space_inside_the_unit():
    starts, ends = _tokens()
    doc_tokens = DocTokens(TEXT, starts, ends)
    long = doc_tokens.unit_tokens(0, 37)  # the paragraph plus the first line break: its last token has a space
    assert long == reference_tokens(TEXT, starts, ends, 0, 37)
    assert long[-1]["ws"] is True
    assert doc_tokens.unit_tokens(0, 36)[-1]["ws"] is False
    assert doc_tokens.unit_tokens(0, 14) == reference_tokens(TEXT, starts, ends, 0, 14)


def test_claim_units_share_the_paragraph_tokens_they_start_with():
    shared = 0
    for doc in documents():
        units = document_units(doc, "paragraph")
        if not units:
            continue
        for unit in units:
            assert unit.tokens == reference_tokens(
                doc["text"], unit.doc_tokens.starts, unit.doc_tokens.ends, unit.start, unit.end
            )
        by_start = {unit.start: unit for unit in units}
        claims = [s for s in doc["spans"] if s["layer"] == "claims"]
        for own in (claim_sentence_units(doc, claims, units[0].doc_tokens) or {}).values():
            starts, ends = own.doc_tokens.starts, own.doc_tokens.ends
            assert own.tokens == reference_tokens(doc["text"], starts, ends, own.start, own.end)
            paragraph = by_start.get(own.start)
            if paragraph is not None and own.end < paragraph.end:  # the same dicts, but its own last token
                assert all(a is b for a, b in zip(own.tokens[:-1], paragraph.tokens, strict=False))
                assert own.tokens[-1] is not paragraph.tokens[len(own.tokens) - 1]
                shared += 1
    assert shared  # the articles have claims in sentences that open their paragraph


def test_packed_prodigy_tasks_are_the_readable_ones():
    """The packed lines (one head and token list per unit) are the JSON of :func:`unit_tasks`' tasks."""
    for doc in documents():
        units = document_units(doc, "paragraph")
        packed = render_document(doc, "prodigy").items
        pieces, rows, _ = packed
        lines = []
        for row in zip(*[iter(rows)] * 12, strict=True):
            _, _, h0, h1, k0, k1, t0, _, q0, *_ = row  # a line: head, tokens, tail to the question (hashes)
            lines.append((row[0], pieces[h0:h1] + pieces[k0:k1] + pieces[t0:q0]))
        expected = []
        choice_units = _choice_units(doc, units)
        for unit in units:
            for name, tasks in unit_tasks(unit, choice_units).items():
                expected += [(FILE_INDEX[name], orjson.dumps(task) + b"\n") for task in tasks]
        assert sorted(lines) == sorted(expected)


ASTRAL_CASES = ["", "plain", "café", "\uffff", "a\U0001f469b", "\ud800 lone", "€ and 😀", "\U0010ffff"]


@pytest.mark.parametrize("text", ASTRAL_CASES)
def test_astral_scan_is_the_max_test(text):
    from corpus.formats.doccano.tasks import _has_astral

    assert _has_astral(text) == (bool(text) and max(text) > "\uffff")


def test_labelstudio_task_title_given_or_found():
    from corpus.formats.labelstudio.tasks import task_title, unit_task

    for doc in documents():
        for unit in document_units(doc, "paragraph"):
            assert unit_task(doc, unit) == unit_task(doc, unit, task_title(doc))
