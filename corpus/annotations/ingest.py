"""Annotations back in: Prodigy ``db-out`` JSONL, Label Studio JSON and doccano exports -> normalised records.

Every span an annotator made is mapped back to the document through the task's ``meta`` (Prodigy, doccano) or
``data`` (Label Studio): ``doc_id`` and ``offset`` (code points) of the task unit. A task whose unit text no
longer equals ``doc.text[offset:offset + len(text)]``, a span off the unit text or off the document's token
boundaries, an unknown document or label, or (with ``emitted``) a task the project never wrote is rejected with
one line naming file, line and problem; everything else goes on. One bad item rejects that item only: a span
off the token boundaries rejects that span (and the relations drawn to it), a relation between the wrong labels
rejects the relation and keeps the spans, a broken line or a truncated JSON array rejects that line or the rest
of the file. Every rejected item comes back in :attr:`IngestStats.rejects` (source file, line, kind, field,
reason, the item itself) for the rejects file, and a record that lost items says how many (``rejected``).

One record per annotator and task (``annotations.jsonl``), offsets into the document text::

    {"key": "alice|prodigy:1234",               # annotator | tool:task hash -- the dedupe key
     "annotator": "alice", "session": "news_ner-alice", "tool": "prodigy", "view": "ner_manual",
     "task": {"hash": "prodigy:1234", "input_hash": 99, "doc_id": "c3d3...", "unit": "paragraph",
              "unit_index": 2, "start": 120, "end": 180},
     "answer": "accept",                         # accept | reject | ignore; only accept counts as a vote
     "layers": ["entities"],                     # what the task asked for (entities/sources/claims/checkworthy)
     "timestamp": 1658923692,
     "spans": [{"id": "a0", "layer": "entities", "label": "PERSON", "start": 120, "end": 128, "text": "..."}],
     "relations": [{"label": "ATTRIBUTION", "head": "a0", "child": "a1"}],      # ids of this record's spans
     "choices": [{"start": 134, "end": 151, "span_id": "C0", "label": "CHECKWORTHY"}],  # claim offsets
     "origin": "prodigy-db-out.jsonl:12"}

Offset conventions at the boundary: Prodigy spans are code points relative to the task text, end exclusive,
``token_end`` inclusive; Label Studio (>= 1.x) regions are code points relative to ``data.text``; doccano
offsets are **UTF-16 code units** relative to ``text`` and are converted back to code points here (an offset
inside a surrogate pair is rejected).

Formats are told apart by content (:func:`detect_format`): a JSON array of ``{"data": ...}`` tasks is Label
Studio; JSON Lines (or a JSON array) of ``{"text", "entities": [...]}`` or ``{"text", "label": [[s, e, l]]}``
records without Prodigy's ``_task_hash``/``answer`` is doccano; other JSON Lines are Prodigy ``db-out``. A line
that does not fit its file's format is rejected with its line number.

doccano specifics: its export has no answer and no annotator, so every record is an ``accept`` by the
annotator named with ``annotator=`` (CLI ``--annotator``), else by the file's name without extension (doccano
names per-user exports ``USERNAME.jsonl``; a collaborative project exports ``all.jsonl``). Export with
"Export only approved documents" to leave out examples nobody looked at. ``meta`` may be nested (as imported
from ``corpus tasks``) or flattened into the record (doccano keeps unknown columns as metadata). It has no
timestamps either: when the same annotator's task comes back with different content, the later ingest wins.
The ``relations`` form (entities + relations) covers every span layer and the relations; the ``spans`` form
(``label``) covers the span layers only and says nothing about relations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from corpus.errors import InputError, InputProblem
from corpus.formats import FORMATS, ToolFormat, export_format
from corpus.formats.exports import (  # noqa: F401  (CHECKWORTHY_LAYER, record_format: imported from here too)
    ANSWERS,
    CHECKWORTHY_LAYER,
    Mapper,
    Rejected,
    Sink,
    overlap_warnings,
    record_format,
)
from corpus.jsonl import iter_json_array, read_jsonl, write_jsonl

Report = Callable[[InputProblem], None]

LINE_FORMATS = (".jsonl", ".ndjson")  # always one record per line, even when a line is a JSON array


@dataclass
class FileCounts:
    """What one export file gave: annotations accepted (some of them with rejected items) and items rejected."""

    accepted: int = 0
    partial: int = 0
    rejected: int = 0


@dataclass
class IngestStats:
    read: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: int = 0  # items rejected: lines, tasks, annotations, spans, relations, choices
    by_answer: dict[str, int] = field(default_factory=lambda: {a: 0 for a in ANSWERS})
    files: dict[str, FileCounts] = field(default_factory=dict)
    rejects: list[dict] = field(default_factory=list)  # one entry per rejected item, for the rejects file

    def file(self, path: str) -> FileCounts:
        return self.files.setdefault(path, FileCounts())


# ----------------------------------------------------------------------------------------------- reading


def is_array_file(path: Path) -> bool:
    """A JSON array export (Label Studio, doccano's JSON); a ``.jsonl`` file is one record per line whatever it
    starts with (a line that is a JSON array is one bad record, not the file's format)."""
    if path.suffix.lower() in LINE_FORMATS:
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
    except OSError:
        return False


def detect_format(path: Path) -> str:
    """The name of the tool an export comes from, by the file's form and first record (see the module docstring)."""
    if is_array_file(path):
        return export_format("array", next((item for _line, item in _safe_array(path)), None))
    try:
        for _line, first in _jsonl_items(path):
            if not isinstance(first, _Malformed):  # a broken line is reported when the file is read
                return export_format("lines", first)
    except OSError:
        pass  # reported (one line) when the file is read
    return export_format("lines", None)


def _safe_array(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        yield from iter_json_array(path)
    except InputError:
        return


@dataclass
class _Malformed:
    """A line (or the rest of a file) that could not be read as JSON: rejected with its raw text."""

    raw: str | None
    reason: str
    kind: str = "line"


def _jsonl_items(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` per non-empty line; a line that is not JSON comes as a :class:`_Malformed`."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                yield lineno, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                yield lineno, _Malformed(text, f"malformed JSON ({exc.args[0].split(':')[0]})")


def _array_items(path: Path) -> Iterator[tuple[int, Any]]:
    """Elements of an array export; where it breaks (truncated, not UTF-8), the rest of it is one rejected item."""
    try:
        yield from iter_json_array(path)
    except InputError as exc:
        line = exc.problem.line or 1
        try:
            rest: str | None = "".join(path.read_text("utf-8-sig").splitlines(keepends=True)[line - 1 :])
        except UnicodeDecodeError:
            rest = None
        yield line, _Malformed(rest, exc.problem.message, kind="rest of file")


def export_items(path: Path) -> Iterator[tuple[int, Any]]:
    """Every record of an export file as ``(line, record)``; what cannot be read comes as a :class:`_Malformed`."""
    try:
        with open(path, "rb") as fh:
            empty = not fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        yield 1, _Malformed(None, f"cannot read the file ({exc.strerror})", kind="file")
        return
    if empty:
        yield 1, _Malformed("", "empty file: no annotations in it", kind="file")
        return
    yield from _array_items(path) if is_array_file(path) else _jsonl_items(path)


def load_documents(path: str | Path, report: Report) -> dict[str, dict]:
    """Document records by id (the whole corpus: tasks can point anywhere in it)."""
    from corpus.pipeline import read_document_records

    return {doc["id"]: doc for doc in read_document_records(path, report)}


def emitted_task_keys(tasks_dir: str | Path, report: Report) -> set[str]:
    """Task keys of every task file under ``tasks_dir`` (Prodigy hashes, Label Studio and doccano task units)."""
    keys: set[str] = set()
    root = Path(tasks_dir)
    files = sorted(p for p in root.rglob("*") if p.suffix in (".jsonl", ".json") and p.is_file())
    line_tools = [tool for tool in FORMATS.values() if not tool.json_array]
    for path in files:
        if path.suffix == ".json" and FORMATS[detect_format(path)].json_array:
            keys.update(_array_task_keys(path, FORMATS[detect_format(path)], report))
        elif path.suffix == ".jsonl":
            keys.update(_line_task_keys(path, line_tools, report))
    return keys


def _line_task_keys(path: Path, tools: list[ToolFormat], report: Report) -> Iterator[str]:
    """The key of each task line, by the first tool that knows it (a Prodigy hash, else a doccano unit)."""
    for _line, task in read_jsonl(path, on_problem=report):
        if isinstance(task, dict):
            key = next(filter(None, (tool.task_key(task) for tool in tools)), None)
            if key is not None:
                yield key


def _array_task_keys(path: Path, tool: ToolFormat, report: Report) -> Iterator[str]:
    try:
        for _line, task in iter_json_array(path):
            key = tool.task_key(task) if isinstance(task, dict) else None
            if key is not None:
                yield key
    except InputError as exc:  # the tasks before the break still count
        report(exc.problem)


# ------------------------------------------------------------------------------------------------ ingest


def read_export(
    path: Path,
    mapper: Mapper,
    emitted: set[str] | None,
    report: Report,
    stats: IngestStats,
    annotator: str | None = None,
) -> Iterator[dict]:
    """Normalised records from one export file; misfits reported (one line each), kept in ``stats.rejects`` and
    skipped. Nothing in the file stops the others: a broken line, a truncated array, an empty file."""
    counts = stats.file(str(path))
    fmt = detect_format(path)
    for line, item in export_items(path):
        sink = Sink()
        records: list[dict] = []
        if isinstance(item, _Malformed):
            sink.reject(item.kind, item.raw, Rejected(item.reason))
        else:
            try:
                records = FORMATS[fmt].records(item, mapper, emitted, sink, annotator or path.stem)
            except Rejected as exc:
                sink.reject("task", item, exc)
        _report_line(path, line, sink, report, stats, counts)
        for rec in records:
            rec["origin"] = f"{path}:{line}"
            stats.read += 1
            stats.by_answer[rec["answer"]] += 1
            counts.accepted += 1
            counts.partial += "rejected" in rec
            for message in overlap_warnings(rec["spans"]):
                report(
                    InputProblem(
                        str(path), f"annotation by {rec['annotator']}: {message}", line=line, severity="warning"
                    )
                )
            yield rec


def _report_line(path: Path, line: int, sink: Sink, report: Report, stats: IngestStats, counts: FileCounts) -> None:
    for kind, item, exc in sink.rejected:
        report(InputProblem(str(path), f"{exc}; {kind} rejected", line=line, field=exc.field))
        stats.rejects.append(
            {"source": str(path), "line": line, "kind": kind, "field": exc.field, "reason": str(exc), "item": item}
        )
    stats.rejected += len(sink.rejected)
    counts.rejected += len(sink.rejected)


def _newer(candidate: dict, kept: dict) -> bool:
    a, b = candidate.get("timestamp"), kept.get("timestamp")
    if a is None or b is None or a == b:
        return False
    try:
        return a > b
    except TypeError:
        return str(a) > str(b)


def _replaces(candidate: dict, kept: dict) -> bool:
    """Whether a different answer to the same task by the same annotator replaces the one kept: a newer one, any
    later doccano export (no timestamps), or the same answer with fewer rejected items (a fixed export)."""
    if _newer(candidate, kept) or candidate["tool"] == "doccano":
        return True
    if _newer(kept, candidate):
        return False
    return candidate.get("rejected", 0) < kept.get("rejected", 0)


def _content(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "origin"}


def record_sort_key(rec: dict) -> tuple:
    task = rec["task"]
    return (task["doc_id"], task["start"], task["end"], str(rec.get("view")), rec["annotator"], rec["key"])


def ingest_exports(
    paths: Iterable[str | Path],
    docs: dict[str, dict],
    report: Report,
    emitted: set[str] | None = None,
    existing: Iterable[dict] = (),
    annotator: str | None = None,
) -> tuple[list[dict], IngestStats]:
    """Merge the records of ``paths`` into ``existing`` (deduplicated by annotator + task; newer answer wins).

    ``annotator`` names the annotator of doccano files (default: each file's name without extension).
    Returns the records in a deterministic order, so ingesting the same export again writes the same bytes;
    ``stats.rejects`` lists every rejected item, ``stats.files`` the counts per export file.
    """
    stats = IngestStats()
    kept: dict[str, dict] = {rec["key"]: rec for rec in existing}
    mapper = Mapper(docs)
    for path in paths:
        for rec in read_export(Path(path), mapper, emitted, report, stats, annotator):
            old = kept.get(rec["key"])
            if old is None:
                kept[rec["key"]] = rec
                stats.added += 1
            elif _content(old) != _content(rec) and _replaces(rec, old):
                kept[rec["key"]] = rec
                stats.replaced += 1
            else:
                stats.unchanged += 1
    return sorted(kept.values(), key=record_sort_key), stats


def rejects_path(out: str | Path) -> Path:
    """The rejects file beside ``out``: ``annotations.jsonl`` -> ``annotations.rejects.jsonl``."""
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix.lower() in LINE_FORMATS else out.name
    return out.with_name(f"{stem}.rejects.jsonl")


def write_rejects(out: str | Path, rejects: list[dict], sources: Iterable[str | Path], fresh: bool = False) -> Path:
    """Write the rejects file beside ``out``: this run's rejected items, plus those of earlier runs from export
    files not ingested again (an export ingested again replaces its own entries). No entry left: no file."""
    path = rejects_path(out)
    again = {str(s) for s in sources}
    kept: list[dict] = []
    if path.exists() and not fresh:
        kept = [
            entry
            for _line, entry in read_jsonl(path, on_problem=lambda problem: None)
            if isinstance(entry, dict) and entry.get("source") not in again
        ]
    entries = kept + rejects
    if entries:
        write_jsonl(path, entries)
    elif path.exists():
        path.unlink()
    return path


def read_annotations(path: str | Path, report: Report) -> Iterator[dict]:
    """Normalised annotation records from an ``annotations.jsonl`` written by :func:`write_annotations`."""
    for line, rec in read_jsonl(path, on_problem=report):
        if not isinstance(rec, dict) or not isinstance(rec.get("key"), str) or not isinstance(rec.get("task"), dict):
            report(
                InputProblem(
                    str(path), "not an annotation record (from `corpus annotations ingest`); skipped", line=line
                )
            )
            continue
        yield rec


def read_checked_annotations(
    path: str | Path, report: Report, skipped: list[dict] | None = None
) -> tuple[list[dict], dict[str, int]]:
    """Records of ``annotations.jsonl`` that pass its schema and checks (the others: one line each, skipped and
    added to ``skipped`` as rejects-file entries), and the line of each record by key. A key seen twice keeps its
    first record (a second would vote twice)."""
    from corpus.validate import validate_task

    records: list[dict] = []
    lines: dict[str, int] = {}
    for line, rec in read_jsonl(path, on_problem=report):
        problems = validate_task(rec, "annotations")
        if not problems and rec["key"] in lines:
            problems = [
                f"key: {rec['key']!r} is already on line {lines[rec['key']]} (one answer per annotator and task)"
            ]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            report(InputProblem(str(path), f"{problems[0]}{more}; annotation record skipped", line=line))
            if skipped is not None:
                skipped.append(
                    {
                        "source": str(path),
                        "line": line,
                        "kind": "record",
                        "field": None,
                        "reason": problems[0],
                        "item": rec,
                    }
                )
            continue
        lines[rec["key"]] = line
        records.append(rec)
    partial = sum(1 for rec in records if rec.get("rejected"))
    if partial:  # their rejected items are not votes: say so once, the rejects file lists them
        report(
            InputProblem(
                str(path),
                f"{partial} annotation records lost items at ingest (fix them from the rejects "
                "file and ingest again); they count without those items",
                severity="warning",
            )
        )
    return records, lines


def write_annotations(path: str | Path, records: Iterable[dict]) -> int:
    return write_jsonl(path, records)
