"""The build's validation, done where the data already is (`corpus build`'s validate phase reads nothing back).

`corpus validate` reads files: it parses every line and checks it against its schema and its document. The build
holds each document, and the tasks it has just rendered, in the worker that processed it, so that worker checks
them there (:class:`ShardChecker`): the document record in object form, each task as the writer will write it,
a unit's tokens once for all the views that share them. A worker's findings name a file and a record's place in
the shard; the parent, which writes the shards in order, turns places into line numbers and applies
`corpus validate`'s per-file cap (:class:`BuildFindings`). The messages are `corpus validate`'s: a record the fast
checks doubt goes through the very checks `corpus validate` runs (:func:`corpus.validate.checks.findings`).
The renderer hands over what it encoded (:attr:`corpus.tasks.RenderedDocument.objects`): a task made of those
objects is not parsed when ``orjson.dumps(object)`` is the very bytes rendered (that equality proves it is what
was written), and it can only pass that way; anything else (no objects, a mismatch, a doubt) is parsed.

What the build's writers guarantee is not checked again (it holds by construction; ``tests/test_build_validation.py``
proves the writers enforce it): one JSON record a line, or one JSON array of them (Label Studio), in the
order the documents were written; a ``_task_hash`` unique within its Prodigy file and an ``_input_hash`` per unit
(:class:`corpus.formats.prodigy.tasks.ProdigyWriter` re-hashes a repeat); unique document ids (the exact-duplicates
stage skips a repeated id before the document stages; a stage that changed an id is caught by the id check);
Label Studio's ``config.xml`` is the config the tasks are checked against (:func:`default_label_config`). A full,
independent check of the outputs stays ``corpus validate OUT``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from corpus.errors import InputProblem
from corpus.formats import FORMATS, ToolFormat
from corpus.records import MAX_FINDINGS_PER_RECORD, Finding, document_findings
from corpus.validate.checks import _semantic_check, findings
from corpus.validate.fastpath import fast_check
from corpus.validate.files import (
    FILE_NAMES,
    LABEL_KINDS,
    FileSummary,
    _FileProblems,
    _validate_label_file,
    document_named,
)
from corpus.validate.schemas import DOCUMENTS, GUARDED, guarded

DOCUMENTS_FILE = "documents.jsonl"

# One finding of a worker: (file, place, field, message, severity). ``file`` is relative to the output folder
# (documents.jsonl, tasks/<format>/<file>); ``place`` the record's index among the shard's records of that file.
Found = tuple[str, int, "str | None", str, str]


@dataclass
class ShardChecks:
    """What a worker found in one shard, and how many records of each file the shard holds (for line numbers)."""

    found: list[Found] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)


def task_file(fmt: str, name: str) -> str:
    return f"tasks/{fmt}/{name}"


# ---------------------------------------------------------------------------------------------- the worker


class ShardChecker:
    """The checks of one shard's documents and their rendered tasks, in the worker that made them."""

    def __init__(self) -> None:
        self.checks = ShardChecks()

    def _add(self, file: str, found: list[Finding]) -> None:
        records = self.checks.records
        place = records.get(file, 0)
        records[file] = place + 1
        if found:  # most records: nothing to add but the count
            _extend(self.checks.found, file, place, found)

    def document(self, doc: dict, line: bytes) -> None:
        """A processed document as an object (``line``: its JSON, as written)."""
        self._add(DOCUMENTS_FILE, document_record_findings(doc, line))

    def rendered(self, doc: dict, fmt: str, items: Any, objects: Any = None) -> None:
        """One document's rendered tasks in ``fmt`` (:attr:`corpus.tasks.RenderedDocument.items`). ``objects``: what
        the renderer encoded (:attr:`corpus.tasks.RenderedDocument.objects`), each taken only where its JSON is
        the bytes rendered, and only to confirm that a task passes (any doubt: the bytes are parsed)."""
        tool = FORMATS[fmt]
        ref = _Reference(doc, tool)
        tasks = (_prodigy_findings if fmt == "prodigy" else _line_findings)(items, ref, objects)
        # per task only its count: a file's name and the findings' tuples are made for a task with findings
        files = [task_file(fmt, name) for name in tool.files]
        records, out = self.checks.records, self.checks.found
        counts = [records.get(file, 0) for file in files]
        for file_index, found in tasks:
            if found:
                _extend(out, files[file_index], counts[file_index], found)
            counts[file_index] += 1
        for file, n in zip(files, counts, strict=True):
            if n:
                records[file] = n


def _extend(out: list, file: str, place: int, found: list[Finding]) -> None:
    """Add a record's findings as the tuples :class:`ShardChecks` keeps (``place``: the record's index in ``file``)."""
    out.extend((file, place, f.field, f.message, f.severity) for f in found)


def document_record_findings(doc: dict, line: bytes) -> list[Finding]:
    """`corpus validate`'s findings for a document record held as an object, whose JSON is ``line``.

    The object is checked as it is (no parse); only a record with a finding is checked again from its JSON, so
    that the messages are exactly those `corpus validate` prints for that line (an object may hold what JSON
    writes differently: a tuple, an int subclass; numbers must be finite to pass, NaN becomes null)."""
    check = fast_check(DOCUMENTS, finite=True)
    if (
        check is not None
        and _document_tokens_fine(doc.get("tokens"))
        and check({**doc, "tokens": []})
        and not guarded(document_findings, doc)[:MAX_FINDINGS_PER_RECORD]
    ):
        return []
    return findings(orjson.loads(line), DOCUMENTS)


_START, _END, _WS = itemgetter("start"), itemgetter("end"), itemgetter("ws")


def _document_tokens_fine(tokens: Any) -> bool:
    """A document's tokens match the schema's token ``$def`` (``{start, end, ws}`` only, counts and a boolean),
    checked in C loops; False on any doubt (the schema check then walks them)."""
    if type(tokens) is not list:
        return False
    if not tokens:
        return True
    if set(map(type, tokens)) != {dict} or set(map(len, tokens)) != {3}:
        return False
    try:
        starts, ends, wss = (list(map(get, tokens)) for get in (_START, _END, _WS))
    except KeyError:
        return False
    return (
        set(map(type, starts)) == {int} == set(map(type, ends))
        and min(starts) >= 0
        and min(ends) >= 0
        and set(map(type, wss)) == {bool}
    )


class _Reference:
    """A task against the document it was rendered from: `corpus validate`'s tasks-against-documents check."""

    def __init__(self, doc: dict, tool: ToolFormat) -> None:
        self.doc, self.tool = doc, tool
        self.task_meta = tool.task_meta  # looked up once, not per task
        self._span_ids: set[str] | None = None
        # (doc_id, offset, text) found fine: the views of a unit share one text object, hashed once
        self._seen: set[tuple[str, int, str]] = set()

    @property
    def span_ids(self) -> set[str]:
        if self._span_ids is None:
            spans = self.doc.get("spans") or ()
            self._span_ids = {s["id"] for s in spans if isinstance(s, dict) and isinstance(s.get("id"), str)}
        return self._span_ids

    def findings(self, task: dict, kind: str) -> list[Finding]:
        named = document_named(task, self.tool, kind, self.task_meta)
        if named is None:
            return []  # names no document with an offset: nothing to follow (as in `corpus validate`)
        meta, text = named
        out: list[Finding] = []
        self._check_text(meta["doc_id"], meta["offset"], text, out)
        span_id = meta.get("span_id")
        if isinstance(span_id, str) and span_id not in self.span_ids:
            out.append(Finding("meta.span_id", f"span {span_id!r} is not in document {meta['doc_id']}"))
        return out

    def _check_text(self, doc_id: str, offset: int, text: str, out: list[Finding]) -> None:
        if (doc_id, offset, text) in self._seen:  # another view of the same unit: same reference
            return
        where = self.tool.meta_key
        if doc_id != self.doc["id"]:
            message = f"document {doc_id} is not the document the task was rendered from ({self.doc['id']})"
            out.append(Finding(f"{where}.doc_id", message))
        elif self.doc["text"][offset : offset + len(text)] != text:
            message = f"the task text is not the text of document {doc_id} at offset {offset}"
            out.append(Finding(f"{where}.offset", message))
        else:
            self._seen.add((doc_id, offset, text))


def _followed(task: dict, kind: str, found: list[Finding], ref: _Reference) -> list[Finding]:
    """``found`` and, unless one of them is about the task's document reference, the reference's findings."""
    if found and any(f.field and f.field.startswith(ref.tool.meta_fields) for f in found):
        return found
    return found + ref.findings(task, kind)


def _line_findings(
    items: list[tuple[int, bytes]], ref: _Reference, objects: list | None = None
) -> Iterator[tuple[int, list[Finding]]]:
    """Label Studio and doccano: ``(file index, line)`` items, each one task, checked as `corpus validate` does.
    ``objects``: a task object per item; one whose JSON is its line and that passes is not parsed."""
    kinds = [ref.tool.kinds.get(name) for name in ref.tool.files]
    checks = [_TaskCheck(kind) for kind in kinds]
    ending = b"" if ref.tool.json_array else b"\n"  # a JSON-array file's writer adds the separators and breaks
    if objects is None or len(objects) != len(items):
        objects = [None] * len(items)
    for (file_index, line), task in zip(items, objects, strict=True):
        kind, check = kinds[file_index], checks[file_index]
        if task is not None and _object_passes(task, line, ending, check, kind, ref):
            yield file_index, []
        else:
            yield file_index, _parsed_line_findings(line, ending, check, kind, ref)


def _parsed_line_findings(line: bytes, ending: bytes, check: _TaskCheck, kind: str | None, ref: _Reference) -> list:
    """One line's findings, from its bytes (what `corpus validate` finds in that line)."""
    # one line break, at the end (or none): the line parses as its body does (JSON allows a trailing break)
    if line.find(b"\n") != (len(line) - 1 if ending else -1) or not line.endswith(ending):
        return [Finding(None, "malformed JSON (not one task a line)")]
    try:
        task = orjson.loads(line)
    except orjson.JSONDecodeError:
        return [_malformed(line[: len(line) - len(ending)])]
    found = check(task)
    return _followed(task, kind, found, ref) if isinstance(task, dict) else found


def _object_passes(task: Any, line: bytes, ending: bytes, check: _TaskCheck, kind: str | None, ref: _Reference) -> bool:
    """``task`` is exactly what ``line`` holds (its JSON, framed as the writer frames it) and passes every check
    in object form (the schema's numbers finite: JSON has no NaN)."""
    if type(task) is not dict or check.semantic is None or not line.endswith(ending):
        return False
    try:
        if orjson.dumps(task) != (line[: -len(ending)] if ending else line):
            return False
    except (TypeError, ValueError):  # not encodable as the renderer encodes (orjson.JSONEncodeError too)
        return False
    # finite numbers only, unless the line has no null (NaN and infinity are written null)
    return (
        (check.finite if b"null" in line else check.schema)(task)
        and not guarded(check.semantic, task, kind, None)[:MAX_FINDINGS_PER_RECORD]
        and not ref.findings(task, kind)
    )


def _malformed(body: bytes) -> Finding:
    """`corpus validate`'s finding for a line that is not JSON (its body parsed again, for the same message)."""
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return Finding(None, f"malformed JSON ({exc.args[0].split(':')[0]})")
    return Finding(None, "malformed JSON")  # not reached: the body parses exactly when the line does


class _TaskCheck:
    """:func:`corpus.validate.checks.findings` for one kind, with its schema predicate and semantic check looked
    up once: a task the predicate passes goes straight to the semantic check (as ``findings`` does)."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self.schema = fast_check(kind) if kind is not None else None
        self.semantic = _semantic_check(kind) if self.schema is not None else None
        # for a task in object form: its numbers must also be finite (written, NaN becomes null)
        self.finite = fast_check(kind, finite=True) if self.semantic is not None else None

    def __call__(self, task: Any) -> list[Finding]:
        if self.semantic is not None and type(task) is dict and self.schema(task):
            return guarded(self.semantic, task, self.kind, None)[:MAX_FINDINGS_PER_RECORD]
        return findings(task, self.kind)


def _prodigy_findings(
    packed: Any, ref: _Reference, objects: dict | None = None
) -> Iterator[tuple[int, Sequence[Finding]]]:
    """Prodigy: each task checked as `corpus validate` checks its line, a unit's tokens once for all its views.

    A task passes when its schema (tokens aside) and its tokens (once per token list, :func:`tokens_fine`) pass
    and :func:`after_tokens` finds nothing; any doubt runs `corpus validate`'s own checks on the whole task. A task
    made of the renderer's ``objects`` (see :func:`rendered_tasks`) can only pass that way: any doubt, it is parsed
    from its bytes and checked as any other."""
    from corpus.formats.prodigy.checks import rendered_tasks

    check = _ProdigyCheck(ref)
    # objects' schemas: finite numbers only, unless the bytes have no null (NaN and infinity are written null)
    object_schemas = check.finite if b"null" in packed[0] else check.schemas
    passes = check.passes
    for file_index, task, tokens_key, redo in rendered_tasks(packed, objects):
        if redo is not None:
            if passes(file_index, task, tokens_key, object_schemas):
                yield file_index, _NOTHING
                continue
            task = redo()
        if type(task) is not dict:  # a Finding: the task's JSON would be malformed
            yield file_index, [task]
        else:
            yield file_index, check(file_index, task, tokens_key)


class _ProdigyCheck:
    """One document's Prodigy tasks against their schemas, their tokens and the document (see _prodigy_findings)."""

    def __init__(self, ref: _Reference) -> None:
        self.ref = ref
        self.kinds = [ref.tool.kinds[name] for name in ref.tool.files]
        self.schemas = [fast_check(kind) for kind in self.kinds]
        # for a task in object form: its numbers must also be finite (written, NaN becomes null)
        self.finite = [fast_check(kind, finite=True) for kind in self.kinds]
        self.tokens_ok: dict[int, tuple[str, bool]] = {}
        self.referenced = _Referenced(ref)

    def _tokens_fine(self, task: dict, tokens_key: int) -> bool:
        from corpus.formats.prodigy.checks import tokens_fine

        text = task.get("text")
        known = self.tokens_ok.get(tokens_key)
        if known is None or known[0] != text:
            known = self.tokens_ok[tokens_key] = (text, isinstance(text, str) and tokens_fine(text, task["tokens"]))
        return known[1]

    def _conforms(self, file_index: int, task: dict, tokens_key: int, schemas: list) -> bool:
        """Its tokens and its schema (tokens aside) pass."""
        schema = schemas[file_index]
        return self._tokens_fine(task, tokens_key) and schema is not None and _conforms_without_tokens(schema, task)

    def passes(self, file_index: int, task: dict, tokens_key: int, schemas: list) -> bool:
        """The fast checks find nothing (tokens, schema, :func:`after_tokens`, the document reference); an
        exception :func:`guarded` would turn into a finding is a doubt (the caller then finds it)."""
        from corpus.formats.prodigy.checks import after_tokens

        kind = self.kinds[file_index]
        if not self._conforms(file_index, task, tokens_key, schemas):
            return False
        try:
            if after_tokens(task, kind):
                return False
        except GUARDED:
            return False
        return self.referenced.clean(task, kind)

    def __call__(self, file_index: int, task: dict, tokens_key: int) -> list[Finding]:
        from corpus.formats.prodigy.checks import after_tokens

        kind = self.kinds[file_index]
        if self._conforms(file_index, task, tokens_key, self.schemas):
            found = guarded(after_tokens, task, kind)
            return self.referenced(task, kind) if not found else _followed(task, kind, findings(task, kind), self.ref)
        return _followed(task, kind, findings(task, kind), self.ref)


class _Referenced:
    """A Prodigy task's reference findings, once per head: the views of a unit share the head's ``meta`` and
    ``text`` objects, which are all the reference check reads of a task (:meth:`_Reference.findings`)."""

    def __init__(self, ref: _Reference) -> None:
        self.ref = ref
        self.by_meta: dict[int, tuple[Any, Any, list[Finding]]] = {}  # id(meta) -> (meta, text, findings)

    def __call__(self, task: dict, kind: str) -> list[Finding]:
        meta, text = task.get("meta"), task.get("text")
        known = self.by_meta.get(id(meta))
        if known is not None and known[0] is meta and known[1] is text:
            return list(known[2])
        found = self.ref.findings(task, kind)
        self.by_meta[id(meta)] = (meta, text, found)  # keeps meta alive: its id is not reused meanwhile
        return list(found)

    def clean(self, task: dict, kind: str) -> bool:
        """No reference finding (what ``not self(task, kind)`` says, without copying the findings)."""
        meta = task.get("meta")
        known = self.by_meta.get(id(meta))
        if known is not None and known[0] is meta and known[1] is task.get("text"):
            return not known[2]
        return not self(task, kind)


_NOTHING: tuple[Finding, ...] = ()  # what a task that passes yields


def _conforms_without_tokens(schema: Any, task: dict) -> bool:
    """``schema`` passes ``task`` with its (already checked) tokens set aside: swapped for an empty list in
    place rather than copying the task per view (``task`` is :func:`rendered_tasks`' own, fresh dict)."""
    tokens = task["tokens"]
    task["tokens"] = []
    try:
        return schema(task)
    finally:
        task["tokens"] = tokens


# ---------------------------------------------------------------------------------------------- the parent


class BuildFindings:
    """The workers' findings as `corpus validate` reports them: file, line, field; at most ``cap`` a file.

    Shards arrive in the order they are written: a record's line is the file's lines so far plus its place in
    the shard (plus one in a JSON-array file, whose first line is ``[``)."""

    def __init__(self, folder: Path, files: list[str], cap: int) -> None:
        self.folder, self.cap = folder, cap
        self.lines = dict.fromkeys(files, 0)
        self.first_line = {file: 2 if _json_array(file) else 1 for file in files}
        self.summaries = {file: FileSummary(str(folder / file), None) for file in files}
        self.found: dict[str, list[InputProblem]] = {file: [] for file in files}
        self.reporters = {file: _FileProblems(self.summaries[file], self.found[file], cap) for file in files}

    def add(self, checks: ShardChecks) -> None:
        for file, place, fld, message, severity in checks.found:
            self.reporters[file](fld, message, self.first_line[file] + self.lines[file] + place, severity)
        for file, n in checks.records.items():
            self.lines[file] += n

    def check_label_files(self, paths: list[Path]) -> None:
        """The small label files a writer adds on close (doccano's), checked whole as `corpus validate` does."""
        for path in paths:
            kind = FILE_NAMES.get(path.name)
            if kind not in LABEL_KINDS:
                continue
            summary = FileSummary(str(path), kind)
            found: list[InputProblem] = []
            reporter = _FileProblems(summary, found, self.cap)
            _validate_label_file(path, kind, summary, reporter)
            reporter.close()
            key = path.relative_to(self.folder).as_posix()
            self.found[key] = found

    def problems(self) -> list[InputProblem]:
        """Every file's problems in line order, then its "... and N more" line (the files in the given order)."""
        out: list[InputProblem] = []
        for file, found in self.found.items():
            found.sort(key=lambda p: p.line or 0)
            if file in self.reporters:
                self.reporters[file].close()
            out.extend(found)
        return out


def _json_array(name: str) -> bool:
    """A task file that is one JSON array (Label Studio's tasks.json)."""
    base = Path(name).name
    return any(tool.json_array and base in tool.kinds for tool in FORMATS.values())


def build_files(formats: tuple[str, ...]) -> list[str]:
    """The files a build checks, in the order their problems are reported: documents, then each format's task
    files by name (the order `corpus validate` reports a folder's files in)."""
    return [DOCUMENTS_FILE, *(task_file(fmt, name) for fmt in formats for name in sorted(FORMATS[fmt].kinds))]
