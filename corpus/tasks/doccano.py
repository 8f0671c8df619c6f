"""doccano tasks: ``relations.jsonl`` (spans + relations) and ``spans.jsonl`` (sequence labelling), one line per unit.

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
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from corpus.errors import CorpusError
from corpus.jsonl import atomic_writer, dumps
from corpus.offsets import utf16_offsets
from corpus.tasks.units import Report, TaskStats, Unit, document_units

RELATIONS_FILE, SPANS_FILE = "relations.jsonl", "spans.jsonl"


def unit_records(unit: Unit) -> tuple[dict, dict]:
    """The ``relations.jsonl`` and ``spans.jsonl`` records of one unit (offsets in UTF-16 code units)."""
    entities, number = [], {}
    # Only characters past U+FFFF count 2 in UTF-16; without any, code points are UTF-16 offsets already.
    utf16 = utf16_offsets(unit.text) if unit.text and max(unit.text) > "\uffff" else None
    for n, span in enumerate(unit.spans):
        number[span["id"]] = n
        start, end = (utf16[span["start"]], utf16[span["end"]]) if utf16 else (span["start"], span["end"])
        entities.append({"id": n, "start_offset": start, "end_offset": end, "label": span["label"]})
    relations = [{"id": n, "from_id": number[rel["head"]], "to_id": number[rel["child"]], "type": rel["label"]}
                 for n, rel in enumerate(unit.relations)]
    meta = unit.meta
    relation_record = {"text": unit.text, "entities": entities, "relations": relations, "meta": meta}
    spans_record = {"text": unit.text, "label": [[e["start_offset"], e["end_offset"], e["label"]] for e in entities],
                    "meta": meta}
    return relation_record, spans_record


def render_doccano(doc: dict, unit: str, report: Report | None = None, stats: TaskStats | None = None
                   ) -> list[tuple[int, bytes]]:
    """One document's lines, encoded: ``(0, relations line)`` then ``(1, spans line)`` per unit (picklable)."""
    items: list[tuple[int, bytes]] = []
    for u in document_units(doc, unit, report, stats):
        relation_record, spans_record = unit_records(u)
        items.append((0, dumps(relation_record) + b"\n"))
        items.append((1, dumps(spans_record) + b"\n"))
    return items


class DoccanoWriter:
    """Streams rendered lines into ``relations.jsonl`` and ``spans.jsonl`` (atomically, both or none)."""

    def __init__(self, out_dir: Path, stats: TaskStats):
        self.stats = stats
        self.paths = [out_dir / RELATIONS_FILE, out_dir / SPANS_FILE]
        self._stack = ExitStack()
        self._handles = [self._stack.enter_context(atomic_writer(p)) for p in self.paths]
        self._n = 0

    def add(self, items: list[tuple[int, bytes]]) -> None:
        for index, handle in enumerate(self._handles):
            handle.write(b"".join(line for i, line in items if i == index))
        self._n += len(items) // 2

    def close(self) -> list[Path]:
        self._stack.close()
        self.stats.count_task(RELATIONS_FILE, self._n)
        self.stats.count_task(SPANS_FILE, self._n)
        return self.paths

    def abort(self) -> None:
        self._stack.__exit__(CorpusError, CorpusError("aborted"), None)  # temp files removed, nothing published
