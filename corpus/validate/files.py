"""`corpus validate` over files and folders: which kind each file is, reading it, and cross-checking tasks
against their documents with flat memory.

Files are known by name (the names in :data:`corpus.formats.FORMATS`, plus ``documents.jsonl`` and
``annotations.jsonl``), then by their first record. Documents are read first into a temporary file, so that each
task is checked against its document as it is read, however many documents and tasks there are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from corpus.errors import InputError, InputProblem
from corpus.formats import FORMATS, ToolFormat, format_of_kind
from corpus.validate.checks import findings
from corpus.validate.schemas import ANNOTATIONS, DOCUMENTS, schema_findings

FILE_NAMES = {
    "documents.jsonl": DOCUMENTS,
    **{name: kind for tool in FORMATS.values() for name, kind in tool.kinds.items()},
    "annotations.jsonl": ANNOTATIONS,
    **{name: kind for tool in FORMATS.values() for name, kind in tool.label_kinds.items()},
}
LABEL_KINDS = frozenset(kind for tool in FORMATS.values() for kind in tool.label_kinds.values())
KNOWN_FILES = ", ".join(FILE_NAMES)
JSON_FILE_NAMES = tuple(name for name in FILE_NAMES if name.endswith(".json"))
DEFAULT_MAX_PROBLEMS_PER_FILE = 100


@dataclass
class FileSummary:
    path: str
    kind: str | None
    records: int = 0
    errors: int = 0
    warnings: int = 0


@dataclass
class ValidationResult:
    problems: list[InputProblem] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)
    missing_paths: int = 0  # arguments that were neither a file nor a folder

    @property
    def errors(self) -> int:
        """Errors found, including those beyond the per-file cap that were not listed."""
        return sum(f.errors for f in self.files) + self.missing_paths

    @property
    def warnings(self) -> int:
        return sum(f.warnings for f in self.files)

    @property
    def ok(self) -> bool:
        return self.errors == 0


# ------------------------------------------------------------------------------------------------ kinds


def detect_kind(path: str | Path) -> str | None:
    """The kind of a file: by name (documents.jsonl, ner.manual.jsonl, tasks.json, …), else by its first record."""
    path = Path(path)
    kind = FILE_NAMES.get(path.name.lower())
    if kind is not None:
        return kind
    if path.suffix.lower() == ".json":
        return None  # only the known JSON names (custom names: pass the file under its known name)
    return kind_of_record(_first_record(path))


def kind_of_record(first: Any) -> str | None:
    """The kind of a file whose first record is ``first`` (``None``: unknown, or an annotation export)."""
    if not isinstance(first, dict):
        return None
    if isinstance(first.get("key"), str) and isinstance(first.get("task"), dict) and "annotator" in first:
        return ANNOTATIONS
    if "answer" in first:
        return None  # an annotation export (checked when annotations are ingested)
    is_task = isinstance(first.get("_view_id"), str)  # a Prodigy task may carry every field of a document
    if not is_task and all(key in first for key in ("id", "text", "tokens", "spans")):
        return DOCUMENTS
    return next(filter(None, (tool.kind_of_record(first) for tool in FORMATS.values())), None)


def _first_record(path: Path) -> Any:
    try:
        with open(path, "rb") as fh:
            for raw in islice(fh, 20):
                if raw.strip():
                    try:
                        return orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
                    except orjson.JSONDecodeError:
                        return None
    except OSError:
        return None
    return None


# ---------------------------------------------------------------------------------------------- reading

Report = Callable[..., None]  # (field, message, line=None, severity="error")


def _iter_lines(path: Path, report: Report) -> Iterator[tuple[int, Any]]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                report(
                    None,
                    "file starts with a UTF-8 byte-order mark, which most JSONL readers reject; "
                    "save it as UTF-8 without BOM",
                    lineno,
                )
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield lineno, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                report(None, f"malformed JSON ({exc.args[0].split(':')[0]})", lineno)


def _iter_array(path: Path, report: Report) -> Iterator[tuple[int, Any]]:
    """Elements of a top-level JSON array with their line numbers; a broken array is one problem, not a crash."""
    from corpus.jsonl import iter_json_array

    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        report(None, "file starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM", 1)
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        report(None, "not a JSON array of tasks (Label Studio imports a list: [{...}, ...])", 1)
        return
    try:
        yield from iter_json_array(path)
    except InputError as exc:
        report(None, exc.problem.message, exc.problem.line)
    except UnicodeDecodeError as exc:
        report(None, f"not UTF-8 ({exc.reason} at byte {exc.start})")


class _FileProblems:
    """Problems of one file, capped so a corrupted file of a million lines does not flood the terminal."""

    def __init__(self, summary: FileSummary, out: list[InputProblem], cap: int):
        self.summary, self.out, self.cap, self.hidden = summary, out, cap, 0

    def __call__(self, fld: str | None, message: str, line: int | None = None, severity: str = "error") -> None:
        if severity == "error":
            self.summary.errors += 1
        else:
            self.summary.warnings += 1
        if self.summary.errors + self.summary.warnings > self.cap:
            self.hidden += 1
            return
        self.out.append(InputProblem(self.summary.path, message, line=line, field=fld, severity=severity))

    def close(self) -> None:
        if self.hidden:
            self.out.append(
                InputProblem(
                    self.summary.path,
                    f"... and {self.hidden} more problems not shown",
                    severity="error" if self.summary.errors > self.cap else "warning",
                )
            )


# ------------------------------------------------------------------------------- tasks against documents


@dataclass
class _TaskRef:
    """What a task says about its document, checked when the documents file is read."""

    file: int
    line: int
    offset: int
    length: int
    digest: bytes
    span_id: str | None
    where: str = "meta"  # the field naming the document: meta (Prodigy, doccano) or data (Label Studio)
    doc_id: str = ""


class _DocumentStore:
    """Every document read so far, on disk: ``[id, file, line, span ids, text]`` records, 12 bytes of memory a
    document (:class:`corpus.spill.KeyedRecords`). Tasks come in document order, so the last document looked up
    is kept."""

    def __init__(self) -> None:
        from corpus.spill import KeyedRecords

        self._records = KeyedRecords()
        self._last: tuple[str, list | None] | None = None

    def add(self, doc: dict, file_no: int, lineno: int) -> None:
        span_ids = sorted(
            {s["id"] for s in doc.get("spans") or () if isinstance(s, dict) and isinstance(s.get("id"), str)}
        )
        self._records.add(doc["id"], orjson.dumps([doc["id"], file_no, lineno, span_ids, doc["text"]]))

    def _occurrences(self, doc_id: str) -> Iterator[list]:
        return map(orjson.loads, self._records.get(doc_id))

    def first_line(self, doc_id: str, file_no: int) -> int | None:
        """The line of ``doc_id``'s first occurrence in documents file ``file_no``, if it occurred there."""
        return next((r[2] for r in self._occurrences(doc_id) if r[1] == file_no), None)

    def document(self, doc_id: str) -> list | None:
        """``[id, file, line, span ids, text]`` of the first document with this id, or None."""
        if self._last is not None and self._last[0] == doc_id:
            return self._last[1]
        record = next(self._occurrences(doc_id), None)
        if record is not None:
            record[3] = set(record[3])
        self._last = (doc_id, record)
        return record

    def close(self) -> None:
        self._records.close()


class _FirstLines:
    """``value -> the line it first appeared on`` for integers (task hashes), 12 bytes an entry."""

    def __init__(self) -> None:
        from corpus.spill import IntMultiMap

        self._index = IntMultiMap()
        self._big: dict[int, int] = {}  # outside 64 bits (not a real hash): rare, kept as is

    def first(self, value: int) -> int | None:
        if -(1 << 63) <= value < 1 << 63:
            found = self._index.get(value & 0xFFFFFFFFFFFFFFFF)
            return found[0] if found else None
        return self._big.get(value)

    def add(self, value: int, lineno: int) -> None:
        if -(1 << 63) <= value < 1 << 63:
            self._index.add(value & 0xFFFFFFFFFFFFFFFF, lineno)
        else:
            self._big.setdefault(value, lineno)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def _check_task_ref(ref: _TaskRef, store: _DocumentStore, report: Report, doc_files: str) -> None:
    """The task's text is its document's text at ``meta.offset``; its claim span is in the document."""
    record = store.document(ref.doc_id)
    if record is None:
        report(f"{ref.where}.doc_id", f"document {ref.doc_id} is not in {doc_files}", ref.line)
        return
    doc_id, _, _, span_ids, text = record
    if _digest(text[ref.offset : ref.offset + ref.length]) != ref.digest:
        report(
            f"{ref.where}.offset",
            f"the task text is not the text of document {doc_id} at offset {ref.offset}",
            ref.line,
        )
    if ref.span_id is not None and ref.span_id not in span_ids:
        report("meta.span_id", f"span {ref.span_id!r} is not in document {doc_id}", ref.line)


def document_named(
    task: dict, tool: ToolFormat, kind: str, task_meta: Callable[[dict, str], tuple[Any, Any]] | None = None
) -> tuple[dict, str] | None:
    """``(meta, text)`` of a task that names its document and offset, else ``None`` (nothing to follow).
    ``task_meta``: ``tool.task_meta``, when the caller already looked it up."""
    meta, text = (task_meta or tool.task_meta)(task, kind)
    if (
        isinstance(meta, dict)
        and isinstance(text, str)
        and isinstance(meta.get("doc_id"), str)
        and type(meta.get("offset")) is int
    ):
        return meta, text
    return None


def _task_ref(task: dict, tool: ToolFormat, kind: str, lineno: int, file_index: int) -> _TaskRef | None:
    """What ``task`` says about its document, or ``None`` when it names no document with an offset."""
    named = document_named(task, tool, kind)
    if named is None:
        return None
    meta, text = named
    span_id = meta.get("span_id") if isinstance(meta.get("span_id"), str) else None
    return _TaskRef(
        file_index, lineno, meta["offset"], len(text), _digest(text), span_id, tool.meta_key, meta["doc_id"]
    )


# ------------------------------------------------------------------------------------------------ files


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, str | None]], list[InputProblem]]:
    """Files to validate with their kinds; folders contribute every known ``.jsonl`` file inside (recursively)."""
    files: list[tuple[Path, str | None]] = []
    problems: list[InputProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += _folder_files(path)
        elif path.is_file():
            files.append((path, detect_kind(path)))
        else:
            problems.append(InputProblem(str(path), "no such file or folder"))
    return files, problems


def _folder_files(folder: Path) -> list[tuple[Path, str]]:
    found = [*folder.rglob("*.jsonl"), *(f for name in JSON_FILE_NAMES for f in folder.rglob(name))]
    files = []
    for file in sorted(found):
        if any(part.startswith(".") for part in file.relative_to(folder).parts) or not file.is_file():
            continue
        kind = detect_kind(file)
        if kind is not None:
            files.append((file, kind))
    return files


class _Run:
    """One `corpus validate` run: the files, their summaries and capped problem lists, the document store."""

    def __init__(self, files: list[tuple[Path, str | None]], cap: int):
        self.files = files
        self.summaries = [FileSummary(str(path), kind) for path, kind in files]
        self.found: list[list[InputProblem]] = [[] for _ in files]
        self.reporters = [_FileProblems(s, self.found[i], cap) for i, s in enumerate(self.summaries)]
        self.doc_files = ", ".join(Path(p).name for p, k in files if k == DOCUMENTS)
        self.store = _DocumentStore() if any(kind == DOCUMENTS for _, kind in files) else None

    def order(self) -> list[int]:
        return sorted(range(len(self.files)), key=lambda i: self.files[i][1] != DOCUMENTS)

    def check_file(self, i: int) -> None:
        path, kind = self.files[i]
        report, summary = self.reporters[i], self.summaries[i]
        if kind is None:
            report(None, f"not a known file kind: expected one of {KNOWN_FILES} (or such records under another name)")
            return
        try:
            if kind == DOCUMENTS:
                _validate_documents_file(path, summary, report, self.store, i)
            elif kind in LABEL_KINDS:
                _validate_label_file(path, kind, summary, report)
            else:
                _validate_tasks_file(path, kind, summary, report, self.task_check(report), i)
        except OSError as exc:
            report(None, f"cannot read: {exc.strerror or exc}")
        if summary.records == 0 and summary.errors == 0 and kind == DOCUMENTS:
            report(None, "no records (empty file)", severity="warning")

    def task_check(self, report: Report) -> Callable[[_TaskRef], None] | None:
        store = self.store
        if store is None:
            return None
        return lambda ref: _check_task_ref(ref, store, report, self.doc_files)

    def problems(self) -> list[InputProblem]:
        out = []
        for reporter, found in zip(self.reporters, self.found, strict=True):
            found.sort(key=lambda p: p.line or 0)  # tasks' document problems arrive late; stable for the rest
            reporter.close()
            out.extend(found)
        return out


def validate_files(
    paths: Iterable[str | Path], max_problems_per_file: int = DEFAULT_MAX_PROBLEMS_PER_FILE
) -> ValidationResult:
    """Validate every file (folders: every known file inside); tasks are cross-checked against documents."""
    files, problems = expand_paths(paths)
    result = ValidationResult(problems=problems, missing_paths=len(problems))
    run = _Run(files, max_problems_per_file)
    result.files = run.summaries
    try:
        for i in run.order():
            run.check_file(i)
    finally:
        if run.store is not None:
            run.store.close()
    result.problems.extend(run.problems())
    return result


def validate_paths(
    paths: Iterable[str | Path], max_problems_per_file: int = DEFAULT_MAX_PROBLEMS_PER_FILE
) -> list[InputProblem]:
    """All problems with the given files / folders (empty when everything is valid)."""
    return validate_files(paths, max_problems_per_file).problems


def _validate_documents_file(path: Path, summary: FileSummary, report: Report, store: Any, file_no: int) -> None:
    for lineno, doc in _iter_lines(path, report):
        summary.records += 1
        for f in findings(doc, DOCUMENTS):
            report(f.field, f.message, lineno, f.severity)
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
            continue
        first = store.first_line(doc["id"], file_no)
        if first is not None:
            report("id", f"duplicate document id {doc['id']} (first on line {first})", lineno)
        store.add(doc, file_no, lineno)


def _validate_label_file(path: Path, kind: str, summary: FileSummary, report: Report) -> None:
    """A label file is one small JSON array (what doccano's Import Labels reads): parsed and checked whole."""
    try:
        labels = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        report(None, f"not valid JSON ({exc})", 1)
        return
    summary.records = len(labels) if isinstance(labels, list) else 1
    for f in schema_findings(labels, kind):
        report(f.field, f.message, 1, f.severity)


def _validate_tasks_file(
    path: Path, kind: str, summary: FileSummary, report: Report, check: Callable | None, file_index: int
) -> None:
    """Task files of a tool, or annotations.jsonl: each record, unique hashes, and (``check``) its document."""
    tool = format_of_kind(kind)
    config = tool.file_context(path, report) if tool else None
    items = _iter_array(path, report) if tool and tool.json_array else _iter_lines(path, report)
    hashes = _FirstLines()
    for lineno, task in items:
        summary.records += 1
        found = _reported_findings(task, kind, config, lineno, report)
        if tool is None or not isinstance(task, dict):
            continue  # annotations: no hash, no document reference to check
        if tool.hashed:
            _check_hash(task, lineno, hashes, report)
        if check is not None and not _meta_findings(found, tool):
            _check_ref(_task_ref(task, tool, kind, lineno, file_index), check)


def _reported_findings(task: Any, kind: str, config: Any, lineno: int, report: Report) -> list:
    """The record's schema and content findings, each reported."""
    found = findings(task, kind, config)
    for f in found:
        report(f.field, f.message, lineno, f.severity)
    return found


def _check_ref(ref: Any, check: Callable) -> None:
    if ref is not None:
        check(ref)


def _meta_findings(found: list, tool: Any) -> bool:
    """Whether a finding is about the task's document reference (then the reference is not followed)."""
    return any(f.field and f.field.startswith(tool.meta_fields) for f in found)


def _check_hash(task: dict, lineno: int, hashes: _FirstLines, report: Report) -> None:
    task_hash = task.get("_task_hash")
    if isinstance(task_hash, int):
        first = hashes.first(task_hash)
        if first is not None:
            report("_task_hash", f"duplicate _task_hash {task_hash} (first on line {first})", lineno)
        else:
            hashes.add(task_hash, lineno)
