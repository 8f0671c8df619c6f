"""doccano tasks: ``relations.jsonl`` (spans + relations) and ``spans.jsonl`` (sequence labelling), one line per unit,
plus the label files ``span-types.json`` and ``relation-types.json``.

**Offsets are UTF-16 code units**, relative to the unit text: doccano counts characters as JavaScript does, so
an emoji or any other character outside the Basic Multilingual Plane counts 2 (this is doccano's default; do
not tick the project option "count grapheme clusters as one character", which changes the count again).
Prodigy and Label Studio take Python code points; only this exporter converts, with
:func:`corpus.offsets.utf16_offsets`. To map back: code point ``i`` of the unit is the one whose UTF-16 offset
equals the exported offset; the document offset is ``meta.offset + i``.

- ``relations.jsonl`` (doccano "Sequence labeling" project with "Use relation labeling"; tick "Allow overlapping
  spans" because claims and sources overlap entities)::

      {"text", "entities": [{"id", "start_offset", "end_offset", "label"}],
       "relations": [{"id", "from_id", "to_id", "type"}], "meta": {doc_id, unit, unit_index, offset}}

  ``entities`` lists the spans of every layer (ids count from 0 within the line); ``relations`` are the
  ATTRIBUTION / CUE links between them.
- ``spans.jsonl``: ``{"text", "label": [[start, end, label]], "meta": {...}}``, every layer's spans; doccano
  keeps unknown keys such as ``meta`` as the example's metadata.
- ``span-types.json`` / ``relation-types.json``: every span label and relation type of the label set (not only
  those the tasks use), each with its own colour, as doccano 1.8 imports them (*Labels*, tab *Span* or
  *Relation*, *Actions → Import Labels*): ``[{"text", "prefixKey", "suffixKey", "backgroundColor",
  "textColor"}]``, the form its *Export Labels* writes.

Task lines are pure ASCII (non-ASCII characters as ``\\uXXXX`` escapes, astral ones as surrogate pairs):
doccano guesses the encoding of an uploaded file and could misread UTF-8. A span repeated with the same label
and offsets is exported once (:func:`corpus.tasks.labelset.distinct_spans`).
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path

import orjson

from corpus.errors import CorpusError
from corpus.jsonl import atomic_writer, dumps
from corpus.offsets import utf16_offsets
from corpus.tasks.labelset import RELATION_COLOURS, SPAN_COLOURS, distinct_spans, text_colour
from corpus.tasks.units import Report, TaskStats, Unit, document_units

RELATIONS_FILE, SPANS_FILE = "relations.jsonl", "spans.jsonl"
SPAN_TYPES_FILE, RELATION_TYPES_FILE = "span-types.json", "relation-types.json"

_NON_ASCII = re.compile(rb"[\x80-\xff]+")


def _escape_run(match: re.Match) -> bytes:
    # UTF-16 big-endian code units are exactly JSON's \uXXXX escapes (an astral character: its surrogate pair).
    units = match.group().decode("utf-8").encode("utf-16-be")
    return b"".join(b"\\u%02x%02x" % (units[i], units[i + 1]) for i in range(0, len(units), 2))


def ascii_dumps(obj: object) -> bytes:
    """:func:`corpus.jsonl.dumps` with every non-ASCII character escaped as ``\\uXXXX`` (``json.dumps``'s
    ``ensure_ascii``): doccano guesses a file's encoding (chardet) and can misread UTF-8; pure ASCII it cannot.
    Non-ASCII bytes only occur inside JSON strings, so escaping them there is the whole job; ASCII lines are
    unchanged."""
    data = dumps(obj)
    return data if data.isascii() else _NON_ASCII.sub(_escape_run, data)


# What json's C encoder escapes differently from ascii_dumps: DEL (orjson keeps it) and lone surrogates (orjson
# refuses them); any other string it escapes exactly as ascii_dumps does, in one C call instead of one per run.
_NOT_LIKE_ORJSON = re.compile("[\x7f\ud800-\udfff]")


def _ascii_string(text: str) -> bytes:
    """``ascii_dumps(text)`` of a string."""
    if text.isascii() or _NOT_LIKE_ORJSON.search(text):
        return ascii_dumps(text)
    return encode_basestring_ascii(text).encode("ascii")


def label_types() -> dict[str, list[dict]]:
    """doccano's label files by name: every span type and relation type of the label set, whether or not the
    tasks use it, in the form doccano's *Labels → Import labels* reads (what its *Export labels* writes)."""

    def entries(colours: dict[str, str]) -> list[dict]:
        return [
            {
                "text": label,
                "prefixKey": None,
                "suffixKey": None,
                "backgroundColor": colour,
                "textColor": text_colour(colour),
            }
            for label, colour in colours.items()
        ]

    return {SPAN_TYPES_FILE: entries(SPAN_COLOURS), RELATION_TYPES_FILE: entries(RELATION_COLOURS)}


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _has_astral(text: str) -> bool:
    """Whether ``text`` holds a character past U+FFFF (found by a C scan; ``max(text)`` made a string per
    character)."""
    return not text.isascii() and _ASTRAL.search(text) is not None


def _entities(unit: Unit) -> tuple[list[dict], dict[str, int]]:
    """The unit's spans as doccano entities (UTF-16 offsets, ids from 0), each (start, end, label) once, and the
    entity number of every span id (a repeated span's id gives the number of the copy kept)."""
    # Only characters past U+FFFF count 2 in UTF-16; without any, code points are UTF-16 offsets already.
    utf16 = utf16_offsets(unit.text) if _has_astral(unit.text) else None
    spans, alias = distinct_spans(unit.spans)
    entities, number = [], {}
    for n, span in enumerate(spans):
        number[span["id"]] = n
        start, end = (utf16[span["start"]], utf16[span["end"]]) if utf16 else (span["start"], span["end"])
        entities.append({"id": n, "start_offset": start, "end_offset": end, "label": span["label"]})
    for dropped, kept in alias.items():
        number[dropped] = number[kept]
    return entities, number


def _relations(unit: Unit, number: dict[str, int]) -> list[dict]:
    """The unit's relations between entity numbers, each (from, to, type) once (repeated spans make repeats)."""
    ends = dict.fromkeys((number[rel["head"]], number[rel["child"]], rel["label"]) for rel in unit.relations)
    return [{"id": n, "from_id": head, "to_id": child, "type": label} for n, (head, child, label) in enumerate(ends)]


def unit_records(unit: Unit) -> tuple[dict, dict]:
    """The ``relations.jsonl`` and ``spans.jsonl`` records of one unit (offsets in UTF-16 code units)."""
    entities, number = _entities(unit)
    relations = _relations(unit, number)
    meta = unit.meta
    relation_record = {"text": unit.text, "entities": entities, "relations": relations, "meta": meta}
    spans_record = {
        "text": unit.text,
        "label": [[e["start_offset"], e["end_offset"], e["label"]] for e in entities],
        "meta": meta,
    }
    return relation_record, spans_record


def render_doccano(
    doc: dict,
    unit: str,
    report: Report | None = None,
    stats: TaskStats | None = None,
    units: list[Unit] | None = None,
) -> list[tuple[int, bytes]]:
    """One document's lines, encoded: ``(0, relations line)`` then ``(1, spans line)`` per unit (picklable).
    ``units``: the document's :func:`document_units` when already cut."""
    if units is None:
        units = document_units(doc, unit, report, stats)
    items: list[tuple[int, bytes]] = []
    for u in units:
        items += unit_lines(u)
    return items


def unit_lines(unit: Unit) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """The two lines of :func:`unit_records`, encoded: the unit's text and meta (most of a line, and all of its
    escaping) are encoded once for both, the records joined as ``ascii_dumps`` writes them."""
    entities, number = _entities(unit)
    relations = _relations(unit, number)
    text, meta = _ascii_string(unit.text), ascii_dumps(unit.meta)
    labels = [[e["start_offset"], e["end_offset"], e["label"]] for e in entities]
    return (
        (0, _RELATIONS_LINE % (text, ascii_dumps(entities), ascii_dumps(relations), meta)),
        (1, _SPANS_LINE % (text, ascii_dumps(labels), meta)),
    )


# unit_records' two records as orjson writes them (keys in that order, compact), with the values spliced in
_RELATIONS_LINE = b'{"text":%s,"entities":%s,"relations":%s,"meta":%s}\n'
_SPANS_LINE = b'{"text":%s,"label":%s,"meta":%s}\n'


class DoccanoWriter:
    """Streams rendered lines into ``relations.jsonl`` and ``spans.jsonl`` (atomically, both or none); the label
    files on close."""

    def __init__(self, out_dir: Path, stats: TaskStats):
        self.stats = stats
        self.paths = [out_dir / RELATIONS_FILE, out_dir / SPANS_FILE]
        self._label_paths = [out_dir / SPAN_TYPES_FILE, out_dir / RELATION_TYPES_FILE]
        self._stack = ExitStack()
        self._handles = [self._stack.enter_context(atomic_writer(p)) for p in self.paths]
        self._n = 0

    def add(self, items: list[tuple[int, bytes | memoryview]]) -> None:
        for index, handle in enumerate(self._handles):
            handle.write(b"".join([line for i, line in items if i == index]))
        self._n += len(items) // 2

    def close(self) -> list[Path]:
        self._stack.close()
        self.stats.count_task(RELATIONS_FILE, self._n)
        self.stats.count_task(SPANS_FILE, self._n)
        files = label_types()
        for path in self._label_paths:
            with atomic_writer(path) as fh:
                fh.write(orjson.dumps(files[path.name], option=orjson.OPT_INDENT_2) + b"\n")  # ASCII: edited by hand
        return [*self.paths, *self._label_paths]

    def abort(self) -> None:
        self._stack.__exit__(CorpusError, CorpusError("aborted"), None)  # temp files removed, nothing published
