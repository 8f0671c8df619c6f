"""Annotation tasks for labelling tools, built from segmented, pre-labelled document records.

:func:`write_tasks` streams documents once and writes one format's files into ``out_dir``:

============  ========================================================================  =========================
format        files                                                                     offsets
============  ========================================================================  =========================
prodigy       ner.manual.jsonl, spans.manual.jsonl, rel.manual.jsonl, choice.jsonl      code points
labelstudio   tasks.json (JSON list with predictions), config.xml (labeling config)     code points
doccano       relations.jsonl, spans.jsonl                                              UTF-16 code units
============  ========================================================================  =========================

Every task is one unit of a document (``paragraph`` by default, ``sentence`` or ``document``), with offsets
relative to the unit and the unit's place in the document recorded (Prodigy/doccano ``meta``, Label Studio
``data``: ``doc_id``, ``unit``, ``unit_index``, ``offset``), so ``document offset = offset + task offset``.
Prodigy's ``choice.jsonl`` is the exception: check-worthiness is judged per sentence, so each claim's choice task
is the claim's own sentence(s) whatever the unit.
A unit never cuts a span or a relation: it is widened over as many segments as needed (see
:mod:`corpus.tasks.units`). Outputs are written atomically and are byte-identical on rerun.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from corpus.errors import CorpusError
from corpus.tasks.units import UNITS, Report, TaskStats

FORMATS = ("prodigy", "labelstudio", "doccano")


def write_tasks(
    docs: Iterable[dict],
    out_dir: Path,
    fmt: str = "prodigy",
    unit: str = "paragraph",
    report: Report | None = None,
    stats: TaskStats | None = None,
) -> list[Path]:
    """Write the ``fmt`` task files for ``docs`` into ``out_dir`` and return their paths.

    ``report`` receives a warning per thing left out (unsegmented document, span off token boundaries,
    overlapping entity in ``ner.manual``); ``stats`` (a :class:`TaskStats`) is filled in.
    """
    if fmt not in FORMATS:
        raise CorpusError(f"unknown task format '{fmt}' (choose from {', '.join(FORMATS)})")
    if unit not in UNITS:
        raise CorpusError(f"unknown task unit '{unit}' (choose from {', '.join(UNITS)})")
    out_dir = Path(out_dir)
    if fmt == "prodigy":
        from corpus.tasks.prodigy import write_prodigy as writer
    elif fmt == "labelstudio":
        from corpus.tasks.labelstudio import write_labelstudio as writer
    else:
        from corpus.tasks.doccano import write_doccano as writer
    return writer(docs, out_dir, unit, report=report, stats=stats)


__all__ = ["FORMATS", "UNITS", "TaskStats", "write_tasks"]
