"""Annotation tasks for labelling tools, built from segmented, pre-labelled document records.

:func:`write_tasks` streams documents once and writes one format's files into ``out_dir``; each format is a
package of :mod:`corpus.formats` (render, writer, checks, ingest), found through its table:

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

``order="uncertain"`` (``corpus tasks --order uncertain``) puts first, in every task file, the tasks whose unit
holds what a model labeller is least sure of (:func:`corpus.prelabel.model.uncertain_spans`: claims scored
near 0.5, entity and source spans the layer's rules disagree with), the way Prodigy's ``ner.teach`` picks
uncertain examples, without a server. The tasks are written in document order to a temporary folder first, and
only ``(score, position)`` keys are kept in memory to rewrite each file in the new order; ties keep document
order, so reruns are byte-identical. The default, ``order="document"``, streams as before.

Export is split in two so that it scales with worker processes: :func:`render_document` (picklable in and
out, run by the build's workers right after pre-labelling) does the per-document work -- units, tasks, JSON
encoding, plain hashes -- and :func:`open_task_writer` (one per format, in the parent) only makes Prodigy
hashes unique, in document order, and writes lines. What every format shares stays here: units
(:mod:`corpus.tasks.units`), hashes (:mod:`corpus.tasks.hashing`), label colours (:mod:`corpus.tasks.labelset`)
and the ordering of task files. :func:`write_tasks` is the two in one process; the bytes
are the same either way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from corpus.errors import CorpusError, InputProblem
from corpus.formats import FORMAT_NAMES as FORMATS
from corpus.formats import FORMATS as FORMATS_TABLE
from corpus.formats import tool_format
from corpus.tasks.units import UNITS, Report, TaskStats, document_units

ORDERS = ("document", "uncertain")
NO_MODEL = (
    "--order uncertain needs model pre-labels: no document was labelled by a model labeller "
    "(pre-label with --backend LAYER=model:PATH, see `corpus train`)"
)


def _check(fmt: str, unit: str) -> None:
    if fmt not in FORMATS:
        raise CorpusError(f"unknown task format '{fmt}' (choose from {', '.join(FORMATS)})")
    if unit not in UNITS:
        raise CorpusError(f"unknown task unit '{unit}' (choose from {', '.join(UNITS)})")


@dataclass
class RenderedDocument:
    """One document's tasks in one format, encoded, with what rendering reported and counted.

    ``items``: Prodigy's are a :class:`corpus.formats.prodigy.tasks.PackedTasks` (encoded pieces and 12 integers
    per task; the writer makes hashes unique, in this order); Label Studio's and doccano's are ``(file index,
    line bytes)`` in output order. Back from a worker process the bytes are read-only ``memoryview`` slices of a
    mapped spill file (:mod:`corpus.pipeline.transport`): the writers only slice and join them.

    ``objects``: when asked for (:func:`render_formats` ``objects=True``), the values the renderer encoded, for the
    build's checks in the same process (:mod:`corpus.validate.build_checks` takes one only where its JSON is the
    bytes written): Prodigy's by piece start (a head's ``(text, meta)``, a token list, a tail's fields as a dict),
    Label Studio's one task per item. Never pickled: the parent gets the bytes only.
    """

    items: list[tuple]
    problems: list[InputProblem] = field(default_factory=list)
    stats: TaskStats = field(default_factory=TaskStats)
    objects: Any = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "objects": None}  # the checks' objects stay in the worker


def _parts(fmt: str) -> tuple:
    tool = tool_format(fmt)
    return tool.render, tool.writer


def render_document(doc: dict, fmt: str, unit: str = "paragraph") -> RenderedDocument:
    """The per-document half of an export (see the module docstring); ``doc`` is a document record. To render
    one document in several formats, :func:`render_formats` cuts it into units once for all of them."""
    _check(fmt, unit)
    return _render(doc, fmt, unit, _cut(doc, unit))


def render_formats(
    doc: dict, formats: Iterable[str], unit: str = "paragraph", objects: bool = False
) -> dict[str, RenderedDocument]:
    """:func:`render_document` for several formats at once, by format: the same results, but the document is cut
    into units once for all of them (each format's problems and counts start with what cutting reported).
    ``objects``: also keep what was encoded (:attr:`RenderedDocument.objects`, for formats that offer it)."""
    formats = tuple(formats)
    for fmt in formats:
        _check(fmt, unit)
    cut = _cut(doc, unit)
    return {fmt: _render(doc, fmt, unit, cut, objects) for fmt in formats}


_Cut = tuple[list, list[InputProblem], TaskStats]


def _cut(doc: dict, unit: str) -> _Cut:
    """``doc``'s units, with what cutting reported and counted."""
    problems: list[InputProblem] = []
    stats = TaskStats()
    return document_units(doc, unit, problems.append, stats), problems, stats


# The formats whose renderer can hand over what it encoded (a ``objects=`` container to fill)
_OBJECTS = {"prodigy": dict, "labelstudio": list}


def _render(doc: dict, fmt: str, unit: str, cut: _Cut, objects: bool = False) -> RenderedDocument:
    """One format's tasks from a cut: its problems and counts start with the cut's."""
    units, cut_problems, cut_stats = cut
    problems, stats = list(cut_problems), TaskStats()
    stats.merge(cut_stats)
    render, _ = _parts(fmt)
    if objects and fmt in _OBJECTS:
        kept = _OBJECTS[fmt]()
        items = render(doc, unit, problems.append, stats, units=units, objects=kept)
        return RenderedDocument(items, problems, stats, kept)
    return RenderedDocument(render(doc, unit, problems.append, stats, units=units), problems, stats)


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
    order: str = "document",
) -> list[Path]:
    """Write the ``fmt`` task files for ``docs`` into ``out_dir`` (atomically, all or none); return their paths.

    Prodigy: the four task files; Label Studio: ``tasks.json`` (streamed as a JSON list) and ``config.xml``;
    doccano: ``relations.jsonl`` and ``spans.jsonl``. ``report`` receives a warning per thing left out
    (unsegmented document, span off token boundaries, overlapping entity in ``ner.manual``); ``stats`` (a
    :class:`TaskStats`) is filled in. ``order``: ``document`` (default) or ``uncertain`` (see the module
    docstring; a :class:`CorpusError` when no document carries a model labeller's pre-labels).
    """
    _check(fmt, unit)
    if order not in ORDERS:
        raise CorpusError(f"unknown task order '{order}' (choose from {', '.join(ORDERS)})")
    render, writer_class = _parts(fmt)
    stats = stats if stats is not None else TaskStats()
    if order == "uncertain":
        return _write_uncertain(docs, Path(out_dir), fmt, unit, report, stats)
    writer = writer_class(Path(out_dir), stats)
    try:
        for doc in docs:
            writer.add(render(doc, unit, report, stats))
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def _write_uncertain(
    docs: Iterable[dict], out_dir: Path, fmt: str, unit: str, report: Report | None, stats: TaskStats
) -> list[Path]:
    """``write_tasks`` in document order into a temporary folder, then each file rewritten, most uncertain first."""
    from corpus.prelabel.model import model_layers, uncertain_spans

    render, writer_class = _parts(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".order-", dir=out_dir) as tmp:
        writer = writer_class(Path(tmp), stats)
        table: dict[str, list[tuple[int, int, float]]] = {}
        modelled = False
        try:
            for doc in docs:
                if model_layers(doc):
                    modelled = True
                    table.setdefault(str(doc.get("id")), []).extend(uncertain_spans(doc))
                writer.add(render(doc, unit, report, stats))
            if not modelled:
                raise CorpusError(NO_MODEL)
        except BaseException:
            writer.abort()
            raise
        return [_reorder(path, out_dir / path.name, table) for path in writer.close()]


def _reorder(src: Path, dst: Path, table: dict[str, list[tuple[int, int, float]]]) -> Path:
    """Copy ``src`` to ``dst`` (atomically), its tasks sorted by :func:`_unit_score`, ties in document order."""
    from corpus.jsonl import atomic_writer

    # A JSON-array task file (Label Studio): "[", one task a line (",\n" between), "]"
    json_list = any(tool.json_array and src.name in tool.kinds for tool in FORMATS_TABLE.values())
    if not (json_list or src.suffix == ".jsonl"):
        with atomic_writer(dst) as out:
            out.write(src.read_bytes())
        return dst
    keys: list[tuple[float, float, int, int, int]] = []
    with src.open("rb") as fh:
        position = 0
        for n, line in enumerate(fh):
            body = _task_bytes(line, json_list)
            if body:
                keys.append((*_unit_score(orjson.loads(body), table), n, position, len(body)))
            position += len(line)
        keys.sort()
        with atomic_writer(dst) as out:
            _write_in_order(fh, out, keys, json_list)
    return dst


def _task_bytes(line: bytes, json_list: bool) -> bytes:
    """The task JSON on one line of a task file (empty for the brackets of a JSON list)."""
    body = line.strip()
    if json_list:
        body = body.removesuffix(b",")
        return b"" if body in (b"[", b"]") else body
    return line if body else b""


def _write_in_order(fh, out, keys: list[tuple[float, float, int, int, int]], json_list: bool) -> None:
    if json_list:
        out.write(b"[")
    for i, (*_, position, length) in enumerate(keys):
        fh.seek(position)
        if json_list:
            out.write(b"\n" if i == 0 else b",\n")
        out.write(fh.read(length))
    if json_list:
        out.write(b"\n]\n")


def _unit_score(task: dict, table: dict[str, list[tuple[int, int, float]]]) -> tuple[float, float]:
    """Sort key of a task: minus the largest, then minus the summed uncertainty of the spans inside its unit."""
    meta = task.get("meta") or task.get("data") or {}
    start = meta.get("offset", 0)
    end = start + len(task.get("text", meta.get("text", "")))
    inside = [u for s, e, u in table.get(str(meta.get("doc_id")), ()) if s < end and start < e]
    return -max(inside, default=0.0), -sum(inside)


__all__ = [
    "FORMATS",
    "ORDERS",
    "UNITS",
    "RenderedDocument",
    "TaskStats",
    "TaskWriter",
    "open_task_writer",
    "render_document",
    "render_formats",
    "write_tasks",
]
