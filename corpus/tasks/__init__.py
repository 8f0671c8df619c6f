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

Export is split in two so that it scales with worker processes: :func:`render_document` (picklable in and
out, run by the build's workers right after pre-labelling) does the per-document work -- units, tasks, JSON
encoding, plain hashes -- and :func:`open_task_writer` (one per format, in the parent) only makes Prodigy
hashes unique, in document order, and writes lines. :func:`write_tasks` is the two in one process; the bytes
are the same either way.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from corpus.errors import CorpusError, InputProblem
from corpus.tasks.units import UNITS, Report, TaskStats

FORMATS = ("prodigy", "labelstudio", "doccano")


def _check(fmt: str, unit: str) -> None:
    if fmt not in FORMATS:
        raise CorpusError(f"unknown task format '{fmt}' (choose from {', '.join(FORMATS)})")
    if unit not in UNITS:
        raise CorpusError(f"unknown task unit '{unit}' (choose from {', '.join(UNITS)})")


@dataclass
class RenderedDocument:
    """One document's tasks in one format, encoded, with what rendering reported and counted.

    ``items`` are in output order, each starting with the index of its file in the format's file list: Prodigy
    ``(file, JSON prefix parts, unit key, plain _input_hash, plain _task_hash, question, view)`` (hashes are made
    unique by the writer, in this order), Label Studio and doccano ``(file, line bytes)``.
    """

    items: list[tuple]
    problems: list[InputProblem] = field(default_factory=list)
    stats: TaskStats = field(default_factory=TaskStats)


_PARTS = {  # format -> (module, per-document renderer, sequential writer); imported on first use
    "prodigy": ("corpus.tasks.prodigy", "render_prodigy", "ProdigyWriter"),
    "labelstudio": ("corpus.tasks.labelstudio", "render_labelstudio", "LabelStudioWriter"),
    "doccano": ("corpus.tasks.doccano", "render_doccano", "DoccanoWriter"),
}


def _parts(fmt: str) -> tuple:
    module_name, render_name, writer_name = _PARTS[fmt]
    module = importlib.import_module(module_name)
    return getattr(module, render_name), getattr(module, writer_name)


def render_document(doc: dict, fmt: str, unit: str = "paragraph") -> RenderedDocument:
    """The per-document half of an export (see the module docstring); ``doc`` is a document record."""
    _check(fmt, unit)
    problems: list[InputProblem] = []
    stats = TaskStats()
    render, _ = _parts(fmt)
    return RenderedDocument(render(doc, unit, problems.append, stats), problems, stats)


class TaskWriter(Protocol):
    paths: list[Path]

    def add(self, items: list[tuple]) -> None: ...

    def close(self) -> list[Path]: ...

    def abort(self) -> None: ...


def open_task_writer(out_dir: Path, fmt: str, stats: TaskStats) -> TaskWriter:
    """The sequential half of an export: ``add(rendered.items)`` document by document, then ``close()`` (files
    published atomically, paths returned) or ``abort()`` (nothing published). ``stats`` gets the task counts."""
    _check(fmt, "paragraph")
    _, writer_class = _parts(fmt)
    return writer_class(Path(out_dir), stats)


def write_tasks(
    docs: Iterable[dict],
    out_dir: Path,
    fmt: str = "prodigy",
    unit: str = "paragraph",
    report: Report | None = None,
    stats: TaskStats | None = None,
) -> list[Path]:
    """Write the ``fmt`` task files for ``docs`` into ``out_dir`` (atomically, all or none); return their paths.

    Prodigy: the four task files; Label Studio: ``tasks.json`` (streamed as a JSON list) and ``config.xml``;
    doccano: ``relations.jsonl`` and ``spans.jsonl``. ``report`` receives a warning per thing left out
    (unsegmented document, span off token boundaries, overlapping entity in ``ner.manual``); ``stats`` (a
    :class:`TaskStats`) is filled in.
    """
    _check(fmt, unit)
    render, writer_class = _parts(fmt)
    stats = stats if stats is not None else TaskStats()
    writer = writer_class(Path(out_dir), stats)
    try:
        for doc in docs:
            writer.add(render(doc, unit, report, stats))
    except BaseException:
        writer.abort()
        raise
    return writer.close()


__all__ = [
    "FORMATS",
    "UNITS",
    "RenderedDocument",
    "TaskStats",
    "TaskWriter",
    "open_task_writer",
    "render_document",
    "write_tasks",
]
