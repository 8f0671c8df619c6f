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

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, RELATION_LABELS
from corpus.errors import InputError, InputProblem
from corpus.jsonl import iter_json_array, read_jsonl, write_jsonl
from corpus.offsets import TokenIndex, from_utf16

Report = Callable[[InputProblem], None]

CHECKWORTHY_LAYER = "checkworthy"
LAYER_OF_LABEL = {label: layer for layer, labels in LABELS_BY_LAYER.items() for label in labels}
# What each Prodigy view asks the annotator for (the labels seen in a task can add layers).
VIEW_LAYERS = {
    "ner_manual": ("entities",),
    "spans_manual": ("sources", "claims"),
    "relations": ("sources",),
    "choice": (CHECKWORTHY_LAYER,),
}
# The only legal direction of each relation label: (head label, child label).
RELATION_ROLES = {"ATTRIBUTION": ("SOURCE", "CONTENT"), "CUE": ("CUE", "CONTENT")}
ANSWERS = ("accept", "reject", "ignore")
LAYER_ORDER = {layer: i for i, layer in enumerate(("entities", "sources", "claims", CHECKWORTHY_LAYER))}
LINE_FORMATS = (".jsonl", ".ndjson")  # always one record per line, even when a line is a JSON array
_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class Rejected(Exception):
    """One annotation item that does not fit its document; the message is the one line the user sees."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _not_a_record(item: Any, what: str) -> Rejected:
    if isinstance(item, list):
        return Rejected(f"a JSON array where {what} (one JSON object) was expected")
    return Rejected(f"not {what}: got {_kind(item)}")


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


@dataclass
class _Sink:
    """The items one export line had rejected, with their reasons."""

    rejected: list[tuple[str, Any, Rejected]] = field(default_factory=list)

    def reject(self, kind: str, item: Any, exc: Rejected, where: str | None = None) -> None:
        if where:
            exc.field = f"{where}.{exc.field}" if exc.field else where
        self.rejected.append((kind, item, exc))

    def attempt(self, kind: str, item: Any, build: Callable[[], Any], where: str | None = None) -> Any:
        """``build()``, or ``None`` when it rejects ``item`` (recorded here: the rest of the task goes on)."""
        try:
            return build()
        except Rejected as exc:
            self.reject(kind, item, exc, where)
            return None


# ----------------------------------------------------------------------------------------------- reading

FORMATS = ("prodigy", "labelstudio", "doccano")


def record_format(item: Any) -> str | None:
    """The tool a single exported record comes from, by its keys (``None``: not an annotation record)."""
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("data"), dict):
        return "labelstudio"
    if any(k in item for k in ("_task_hash", "_input_hash", "answer", "_view_id")):
        return "prodigy"
    if isinstance(item.get("text") or item.get("data"), str) and (
        isinstance(item.get("entities"), list) or isinstance(item.get("label"), list)
    ):
        return "doccano"
    return None


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
    """``labelstudio``, ``doccano`` or ``prodigy``, from the file's first record (see the module docstring)."""
    if is_array_file(path):
        first = next((item for _line, item in _safe_array(path)), None)
        return "doccano" if record_format(first) == "doccano" else "labelstudio"
    try:
        for _line, first in _jsonl_items(path):
            if not isinstance(first, _Malformed):  # a broken line is reported when the file is read
                return "doccano" if record_format(first) == "doccano" else "prodigy"
    except OSError:
        pass  # reported (one line) when the file is read
    return "prodigy"


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
    for path in files:
        if path.suffix == ".json" and detect_format(path) == "labelstudio":
            keys.update(_labelstudio_task_keys(path, report))
        elif path.suffix == ".jsonl":
            for _line, task in read_jsonl(path, on_problem=report):
                if isinstance(task, dict) and "_task_hash" in task:
                    keys.add(f"prodigy:{task['_task_hash']}")
                elif record_format(task) == "doccano":
                    keys.add(doccano_task_key(task))
    return keys


def _labelstudio_task_keys(path: Path, report: Report) -> Iterator[str]:
    try:
        for _line, task in iter_json_array(path):
            if isinstance(task, dict) and isinstance(task.get("data"), dict):
                yield labelstudio_task_key(task["data"])
    except InputError as exc:  # the tasks before the break still count
        report(exc.problem)


def labelstudio_task_key(data: dict) -> str:
    """A stable identity for a Label Studio task: its unit's place in the document and its text."""
    if data.get("_task_hash") is not None:
        return f"labelstudio:{data['_task_hash']}"
    ident = [data.get("doc_id"), data.get("unit"), data.get("unit_index"), data.get("offset"), data.get("text")]
    digest = hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return f"labelstudio:{digest}"


def _doccano_meta(item: dict) -> dict:
    """Our task meta: nested under ``meta`` (as `corpus tasks` writes it) or flattened by doccano."""
    meta = item.get("meta")
    return meta if isinstance(meta, dict) and "doc_id" in meta else item


def _doccano_form(item: dict) -> str:
    return "relations" if isinstance(item.get("entities"), list) else "spans"


def doccano_task_key(item: dict) -> str:
    """A stable identity for a doccano task: its form (relations / spans), unit place and text."""
    meta = _doccano_meta(item)
    text = item.get("text") if isinstance(item.get("text"), str) else item.get("data")
    ident = [
        _doccano_form(item),
        meta.get("doc_id"),
        meta.get("unit"),
        meta.get("unit_index"),
        meta.get("offset"),
        text,
    ]
    digest = hashlib.sha256(json.dumps(ident, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return f"doccano:{digest}"


# ------------------------------------------------------------------------------------------- mapping


class _Mapper:
    """Maps one task's unit-relative spans onto its document, checking everything the tools may have changed."""

    def __init__(self, docs: dict[str, dict]):
        self.docs = docs
        self._token_index: dict[str, TokenIndex] = {}

    def unit(self, doc_id: Any, offset: Any, text: Any) -> tuple[dict, int]:
        if not isinstance(doc_id, str) or not doc_id:
            raise Rejected("no doc_id: not a task written by `corpus tasks`")
        doc = self.docs.get(doc_id)
        if doc is None:
            raise Rejected(f"unknown document id {_excerpt(doc_id)} (not in the documents file)")
        if type(offset) is not int or offset < 0:
            raise Rejected(f"no valid unit offset for document {doc_id} (got {_excerpt(offset)})", "offset")
        if not isinstance(text, str):
            raise Rejected(f"task has no text (got {_kind(text)})", "text")
        if doc["text"][offset : offset + len(text)] != text:
            raise Rejected(f"text changed: task text at offset {offset} no longer equals document {doc_id}")
        return doc, offset

    def tokens(self, doc: dict) -> TokenIndex | None:
        if not doc.get("tokens"):
            return None
        index = self._token_index.get(doc["id"])
        if index is None:
            index = self._token_index[doc["id"]] = TokenIndex(doc["tokens"])
        return index

    def span(
        self, doc: dict, offset: int, unit_text: str, start: Any, end: Any, label: Any, task_tokens: list | None = None
    ) -> dict:
        for name, value in (("start", start), ("end", end)):
            if type(value) is not int:
                raise Rejected(f"span offset must be an integer, got {_kind(value)} {_excerpt(value)}", name)
        if not 0 <= start < end <= len(unit_text):
            raise Rejected(f"span {start}-{end} is off the text (unit has {len(unit_text)} characters)")
        layer = _layer_of(label)
        s, e = offset + start, offset + end
        index = self.tokens(doc)
        if index is None and task_tokens:  # an unsegmented document: fall back to the task's own tokens
            index = TokenIndex(task_tokens)
            s_check, e_check = start, end
        else:
            s_check, e_check = s, e
        if index is not None and not index.on_boundaries(s_check, e_check):
            raise Rejected(f"span {start}-{end} {_excerpt(unit_text[start:end])} ({label}) is off token boundaries")
        return {"layer": layer, "label": label, "start": s, "end": e, "text": doc["text"][s:e]}


def _layer_of(label: Any) -> str:
    if not isinstance(label, str):
        raise Rejected(f"a span label must be a string, got {_kind(label)} {_excerpt(label)}", "label")
    layer = LAYER_OF_LABEL.get(label)
    if layer is None:
        raise Rejected(f"unknown label {_excerpt(label)}", "label")
    return layer


def _task_tokens(tokens: Any) -> list | None:
    """The task's own tokens, when they are usable (objects with integer offsets)."""
    if not isinstance(tokens, list) or not all(
        isinstance(t, dict) and type(t.get("start")) is int and type(t.get("end")) is int for t in tokens
    ):
        return None
    return tokens


def _excerpt(value: Any, limit: int = 30) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return (
        repr(text if len(text) <= limit else text[: limit - 1] + "…")
        if isinstance(value, str)
        else (text if len(text) <= limit else text[: limit - 1] + "…")
    )


def _list_field(record: dict, name: str) -> list:
    """``record[name]`` as a list (absent or null: empty); any other shape rejects the record, naming the field."""
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Rejected(f"must be a list, got {_kind(value)} {_excerpt(value)}", name)
    return value


def _relation(label: Any, head: dict, child: dict) -> tuple[str, dict, dict]:
    """Check a relation's label and direction; a relation drawn backwards is turned round."""
    if not isinstance(label, str) or label not in RELATION_LABELS:
        raise Rejected(f"unknown relation label {_excerpt(label)}", "label")
    roles = RELATION_ROLES[label]
    if (head["label"], child["label"]) == roles:
        return label, head, child
    if (child["label"], head["label"]) == roles:
        return label, child, head
    raise Rejected(
        f"{label} relation from {head['label']} {_excerpt(head['text'])} to {child['label']} "
        f"{_excerpt(child['text'])} (must be {roles[0]} -> {roles[1]})"
    )


def _infer_relation_label(head: dict, child: dict) -> str | None:
    pair = {head["label"], child["label"]}
    for label, roles in RELATION_ROLES.items():
        if pair == set(roles):
            return label
    return None


class _RecordBuilder:
    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.relations: list[dict] = []
        self._by_key: dict[tuple, str] = {}

    def add(self, span: dict) -> str:
        key = (span["start"], span["end"], span["label"])
        sid = self._by_key.get(key)
        if sid is None:
            sid = self._by_key[key] = f"a{len(self.spans)}"
            self.spans.append({"id": sid, **span})
        return sid

    def relate(self, label: str, head: dict, child: dict) -> None:
        self.relations.append({"label": label, "head": self.add(head), "child": self.add(child)})


def _overlap_warnings(spans: list[dict]) -> list[str]:
    """Entity spans may not overlap (ner.manual, the BIO tags of the dataset): say so, keep both."""
    entities = sorted((s for s in spans if s["layer"] == "entities"), key=lambda s: (s["start"], s["end"]))
    out, reach = [], None
    for span in entities:
        if reach is not None and span["start"] < reach["end"]:
            out.append(
                f"entity spans {_excerpt(reach['text'])} ({reach['label']}, {reach['start']}-{reach['end']}) "
                f"and {_excerpt(span['text'])} ({span['label']}, {span['start']}-{span['end']}) overlap; "
                "both kept, entity spans should not overlap"
            )
        if reach is None or span["end"] > reach["end"]:
            reach = span
    return out


def _claim_target(doc: dict, span_id: Any, claim_spans: list[dict]) -> dict:
    """The claim a check-worthiness answer is about: the task's ``span_id`` or its only CLAIM span."""
    if isinstance(span_id, str) and span_id:
        for span in doc.get("spans", ()):
            if span.get("id") == span_id:
                if span.get("layer") != "claims":
                    raise Rejected(f"check-worthiness answer refers to {span_id}, which is not a claim")
                return {"start": span["start"], "end": span["end"], "span_id": span_id}
        raise Rejected(f"check-worthiness answer refers to claim {span_id!r}, not in document {doc['id']}")
    if len(claim_spans) == 1:
        claim = claim_spans[0]
        return {"start": claim["start"], "end": claim["end"], "span_id": _prelabel_id(doc, claim)}
    raise Rejected("check-worthiness answer without a claim (no meta.span_id and not exactly one CLAIM span)")


def _prelabel_id(doc: dict, span: dict) -> str | None:
    """The id of the identical pre-labelled claim, if there is one."""
    for pre in doc.get("spans", ()):
        if pre["layer"] == "claims" and pre["start"] == span["start"] and pre["end"] == span["end"]:
            return pre["id"]
    return None


def _choice(selected: Any, where: str) -> str | None:
    if selected is None:
        return None
    if not isinstance(selected, list) or any(not isinstance(o, str) or o not in CHECKWORTHY_OPTIONS for o in selected):
        raise Rejected(f"{where}: options must be among {', '.join(CHECKWORTHY_OPTIONS)} (got {_excerpt(selected)})")
    if len(selected) > 1:
        raise Rejected(f"{where}: both check-worthiness options selected")
    return selected[0] if selected else None


def _layers(view: str | None, spans: Iterable[dict], declared: Any) -> list[str]:
    if isinstance(declared, list) and declared and all(isinstance(x, str) and x in LAYER_ORDER for x in declared):
        layers = set(declared)
    else:
        layers = set(VIEW_LAYERS.get(view if isinstance(view, str) else "", ()))
        layers.update(s["layer"] for s in spans)
    return sorted(layers, key=lambda x: LAYER_ORDER.get(x, 99))


# ----------------------------------------------------------------------------------------------- Prodigy


def prodigy_record(task: Any, mapper: _Mapper, emitted: set[str] | None, sink: _Sink | None = None) -> dict:
    """One Prodigy ``db-out`` line -> a normalised annotation record (raises :class:`Rejected` for the task;
    a bad span or relation is rejected into ``sink`` and the rest of the task kept)."""
    sink = sink if sink is not None else _Sink()
    if not isinstance(task, dict):
        raise _not_a_record(task, "a Prodigy db-out record")
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    task_hash = task.get("_task_hash")
    if task_hash is None:
        raise Rejected("no _task_hash: not a Prodigy db-out record")
    key = f"prodigy:{task_hash}"
    if emitted is not None and key not in emitted:
        raise Rejected(f"task {task_hash} was never emitted by this project (not in the task files)")
    text = task.get("text")
    doc, offset = mapper.unit(meta.get("doc_id"), meta.get("offset"), text)
    answer = task.get("answer")
    if not isinstance(answer, str) or answer not in ANSWERS:
        raise Rejected(f"answer must be accept, reject or ignore (got {_excerpt(answer)})", "answer")
    view = task.get("_view_id") if isinstance(task.get("_view_id"), str) else None
    spans = _list_field(task, "spans")
    is_choice = view == "choice" or "options" in task
    builder = _RecordBuilder()
    choices: list[dict] = []
    if answer == "accept":
        tokens = _task_tokens(task.get("tokens"))
        mapped = [
            m
            for i, span in enumerate(spans)
            if (
                m := sink.attempt(
                    "span",
                    span,
                    lambda span=span: _prodigy_span(mapper, doc, offset, text, span, tokens),
                    f"spans[{i}]",
                )
            )
        ]
        if is_choice:  # a choice task shows its claim; the annotator answers about it, not edits it
            choices = _prodigy_choice(task, doc, meta, mapped)
        else:
            for span in mapped:
                builder.add(span)
        _prodigy_relations(task, mapper, doc, offset, text, tokens, builder, sink)
    layers = [CHECKWORTHY_LAYER] if is_choice else _layers(view, builder.spans, meta.get("layers"))
    annotator = str(task.get("_annotator_id") or task.get("_session_id") or "anonymous")
    return _record(
        annotator,
        task.get("_session_id"),
        "prodigy",
        view,
        key,
        task.get("_input_hash"),
        meta,
        doc,
        offset,
        text,
        answer,
        layers,
        task.get("_timestamp"),
        builder,
        choices,
    )


def _prodigy_span(mapper: _Mapper, doc: dict, offset: int, text: str, span: Any, tokens: list | None) -> dict:
    if not isinstance(span, dict):
        raise Rejected(f"a span must be an object, got {_kind(span)}")
    return mapper.span(doc, offset, text, span.get("start"), span.get("end"), span.get("label"), tokens)


def _prodigy_choice(task: dict, doc: dict, meta: dict, shown: list[dict]) -> list[dict]:
    label = _choice(task.get("accept"), "choice answer")
    if label is None:
        return []
    claims = [s for s in shown if s["layer"] == "claims"]
    return [{**_claim_target(doc, meta.get("span_id"), claims), "label": label}]


def _prodigy_relations(
    task: dict,
    mapper: _Mapper,
    doc: dict,
    offset: int,
    text: str,
    tokens: list | None,
    builder: _RecordBuilder,
    sink: _Sink,
) -> None:
    try:
        relations = _list_field(task, "relations")
    except Rejected as exc:
        sink.reject("relations", task.get("relations"), exc)
        return
    for i, rel in enumerate(relations):
        sink.attempt(
            "relation",
            rel,
            lambda rel=rel: builder.relate(*_prodigy_relation(rel, mapper, doc, offset, text, tokens)),
            f"relations[{i}]",
        )


def _prodigy_relation(
    rel: Any, mapper: _Mapper, doc: dict, offset: int, text: str, tokens: list | None
) -> tuple[str, dict, dict]:
    if (
        not isinstance(rel, dict)
        or not isinstance(rel.get("head_span"), dict)
        or not isinstance(rel.get("child_span"), dict)
    ):
        raise Rejected("a relation has no head_span/child_span")
    ends = []
    for name in ("head_span", "child_span"):
        s = rel[name]
        try:
            ends.append(mapper.span(doc, offset, text, s.get("start"), s.get("end"), s.get("label"), tokens))
        except Rejected as exc:
            raise Rejected(f"relation {name}: {exc}", name) from None
    return _relation(rel.get("label"), ends[0], ends[1])


def _record(
    annotator: str,
    session: Any,
    tool: str,
    view: Any,
    key: str,
    input_hash: Any,
    meta: dict,
    doc: dict,
    offset: int,
    text: str,
    answer: str,
    layers: list[str],
    timestamp: Any,
    builder: _RecordBuilder,
    choices: list[dict],
) -> dict:
    unit_index = meta.get("unit_index")
    return {
        "key": f"{annotator}|{key}",
        "annotator": annotator,
        "session": None if session is None else str(session),
        "tool": tool,
        "view": view,
        "task": {
            "hash": key,
            "input_hash": input_hash,
            "doc_id": doc["id"],
            "unit": meta.get("unit") if isinstance(meta.get("unit"), str) else None,
            "unit_index": unit_index if type(unit_index) is int else None,
            "start": offset,
            "end": offset + len(text),
        },
        "answer": answer,
        "layers": layers,
        "timestamp": timestamp if isinstance(timestamp, int | float | str) else None,
        "spans": builder.spans,
        "relations": builder.relations,
        "choices": choices,
    }


# ------------------------------------------------------------------------------------------ Label Studio


def _ls_annotator(ann: dict) -> str:
    """Who made a Label Studio annotation: the email (or name) when the export carries it, else the user id.

    ``completed_by`` is the user id, or the user object (``id``, ``email``, ``first_name``, ``last_name``,
    ``username``) in exports that expand it; ``created_username`` ("email, id") names the user in others.
    """
    user = ann.get("completed_by")
    if isinstance(user, dict):
        name = " ".join(str(user.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
        for candidate in (user.get("email"), user.get("username"), name, user.get("id")):
            if candidate not in (None, "") and not isinstance(candidate, dict | list):
                return str(candidate).strip()
        return "anonymous"
    created = ann.get("created_username")
    if isinstance(created, str) and created.strip(" ,"):
        # "email@example.org, 3": the part before the id
        head, _, tail = created.strip().rpartition(",")
        return (head if head.strip() and tail.strip().isdigit() else created).strip()
    return "anonymous" if user is None or isinstance(user, list) else str(user)


def labelstudio_records(
    task: Any, mapper: _Mapper, emitted: set[str] | None, sink: _Sink | None = None
) -> Iterator[dict]:
    """One Label Studio export task -> one record per annotation (raises :class:`Rejected` for the task).

    A bad annotation, region, relation or choice is rejected into ``sink`` and the rest kept; a record that lost
    items says how many under ``rejected``.
    """
    sink = sink if sink is not None else _Sink()
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise (
            Rejected("not a Label Studio task (no 'data' object)")
            if not isinstance(task, list)
            else _not_a_record(task, "a Label Studio task")
        )
    data = task["data"]
    key = labelstudio_task_key(data)
    if emitted is not None and key not in emitted:
        raise Rejected(
            f"task for document {_excerpt(data.get('doc_id'))} at offset {_excerpt(data.get('offset'))} "
            "was never emitted by this project (not in the task files)"
        )
    text = data.get("text")
    doc, offset = mapper.unit(data.get("doc_id"), data.get("offset"), text)
    unit = _LSUnit(mapper, doc, offset, text, data, key, task.get("id"))
    for i, ann in enumerate(_list_field(task, "annotations")):
        before = len(sink.rejected)
        rec = sink.attempt("annotation", ann, lambda ann=ann: unit.record(ann, sink), f"annotations[{i}]")
        if rec is not None:
            if len(sink.rejected) > before:
                rec["rejected"] = len(sink.rejected) - before
            yield rec


def _unknown_result(res: Any, annotator: str) -> Rejected:
    if not isinstance(res, dict):
        return Rejected(f"annotation by {annotator}: a result must be an object, got {_kind(res)}")
    return Rejected(
        f"annotation by {annotator}: a result of type {_excerpt(res.get('type'))} is not one the "
        "project's labelling config asks for (labels, relation, choices)"
    )


@dataclass
class _LSUnit:
    """One Label Studio task's unit: turns each of its annotations into a record."""

    mapper: _Mapper
    doc: dict
    offset: int
    text: str
    data: dict
    key: str
    task_id: Any

    def record(self, ann: Any, sink: _Sink) -> dict:
        if not isinstance(ann, dict):
            raise Rejected(f"an annotation must be an object, got {_kind(ann)}")
        annotator = _ls_annotator(ann)
        answer = "ignore" if ann.get("was_cancelled") else "accept"
        results = _list_field(ann, "result") if answer == "accept" else []
        builder = _RecordBuilder()
        by_region: dict[str, list[dict]] = {}
        bad_regions: set[str] = set()
        links, choice_results = [], []
        for i, res in enumerate(results):
            where = f"result[{i}]"
            kind = res.get("type") if isinstance(res, dict) else None
            if kind == "relation":
                links.append((where, res))
            elif kind == "choices":
                choice_results.append((where, res))
            elif isinstance(res, dict) and (
                kind in ("labels", "hypertextlabels")
                or (isinstance(res.get("value"), dict) and "labels" in res["value"])
            ):
                region = sink.attempt("region", res, lambda res=res: self.region(res), where)
                rid = str(res.get("id"))
                if region is None:
                    bad_regions.add(rid)
                    continue
                by_region.setdefault(rid, []).extend(region)
                for span in region:
                    builder.add(span)
            else:
                sink.reject("result", res, _unknown_result(res, annotator), where)
        for where, link in links:
            sink.attempt(
                "relation", link, lambda link=link: builder.relate(*self.relation(link, by_region, bad_regions)), where
            )
        choices = [
            c
            for where, res in choice_results
            if (c := sink.attempt("choice", res, lambda res=res: self.choice(res, by_region, builder.spans), where))
        ]
        # A Label Studio task carries every label set at once: a completed annotation covers all span layers.
        layers = ["entities", "sources", "claims"] + ([CHECKWORTHY_LAYER] if choices else [])
        timestamp = ann.get("updated_at") or ann.get("created_at")
        return _record(
            annotator,
            None,
            "labelstudio",
            "labelstudio",
            self.key,
            self.task_id,
            self.data,
            self.doc,
            self.offset,
            self.text,
            answer,
            layers,
            timestamp,
            builder,
            choices,
        )

    def region(self, res: dict) -> list[dict]:
        value = res.get("value")
        labels = value.get("labels") if isinstance(value, dict) else None
        if isinstance(labels, str):
            raise Rejected(f"must be a list of labels, got the string {_excerpt(labels)}", "value.labels")
        if not isinstance(labels, list) or not labels:
            raise Rejected(f"region {_excerpt(res.get('id'))} has no label", "value.labels")
        return [
            self.mapper.span(self.doc, self.offset, self.text, value.get("start"), value.get("end"), label)
            for label in labels
        ]

    def relation(self, link: dict, by_region: dict[str, list[dict]], bad_regions: set[str]) -> tuple[str, dict, dict]:
        ends = (str(link.get("from_id")), str(link.get("to_id")))
        if bad := [rid for rid in ends if rid in bad_regions]:
            raise Rejected(f"relation {ends[0]!r} -> {ends[1]!r} is drawn to region {bad[0]!r}, which was rejected")
        heads, children = by_region.get(ends[0]), by_region.get(ends[1])
        if not heads or not children:
            raise Rejected(f"relation {ends[0]!r} -> {ends[1]!r} points at a region that does not exist")
        head, child = heads[0], children[0]
        if link.get("direction") == "left":
            head, child = child, head
        labels = link.get("labels")
        if labels is not None and not isinstance(labels, list):
            raise Rejected(f"must be a list of relation labels, got {_kind(labels)} {_excerpt(labels)}", "labels")
        label = (labels or [None])[0] or _infer_relation_label(head, child)
        return _relation(label, head, child)

    def choice(self, res: dict, by_region: dict[str, list[dict]], spans: list[dict]) -> dict | None:
        value = res.get("value") if isinstance(res.get("value"), dict) else {}
        label = _choice(value.get("choices"), "check-worthiness choice")
        if label is None:
            return None
        # Per-region choices share their claim region's id (and carry its offsets); a task-level choice needs
        # data.span_id or a single CLAIM region.
        region = [s for s in by_region.get(str(res.get("id")), ()) if s["layer"] == "claims"]
        if not region and value.get("start") is not None:
            region = [self.mapper.span(self.doc, self.offset, self.text, value.get("start"), value.get("end"), "CLAIM")]
        if region:
            target = {
                "start": region[0]["start"],
                "end": region[0]["end"],
                "span_id": _prelabel_id(self.doc, region[0]),
            }
        else:
            target = _claim_target(self.doc, self.data.get("span_id"), [s for s in spans if s["layer"] == "claims"])
        return {**target, "label": label}


# ------------------------------------------------------------------------------------------------ doccano


def _doccano_offsets(table: dict[int, int], text: str, start: Any, end: Any) -> tuple[int, int]:
    """UTF-16 code-unit offsets -> code points, refusing offsets off the text or inside a surrogate pair."""
    for name, value in (("start_offset", start), ("end_offset", end)):
        if type(value) is not int:
            raise Rejected(f"offset must be an integer, got {_kind(value)} {_excerpt(value)}", name)
    units = len(text.encode("utf-16-le")) // 2
    if not 0 <= start < end <= units:
        raise Rejected(f"span {start}-{end} is off the text (it has {units} UTF-16 code units)")
    s, e = table.get(start), table.get(end)
    if s is None or e is None:
        raise Rejected(
            f"span {start}-{end} splits a character outside the BMP (offset inside a surrogate pair; "
            "doccano counts UTF-16 code units)"
        )
    return s, e


def doccano_record(
    item: Any, mapper: _Mapper, emitted: set[str] | None, annotator: str, sink: _Sink | None = None
) -> dict:
    """One doccano export line (relation or sequence-labelling JSONL) -> a normalised record (or :class:`Rejected`
    for the line; a bad entity or relation is rejected into ``sink`` and the rest kept)."""
    sink = sink if sink is not None else _Sink()
    if isinstance(item, list):
        raise _not_a_record(item, "a doccano record")
    if record_format(item) != "doccano":
        raise Rejected("not a doccano record (needs text and entities [...] or label [[start, end, label]])")
    meta = _doccano_meta(item)
    key = doccano_task_key(item)
    if emitted is not None and key not in emitted:
        raise Rejected(
            f"task for document {_excerpt(meta.get('doc_id'))} at offset {_excerpt(meta.get('offset'))} "
            "was never emitted by this project (not in the task files)"
        )
    text = item["text"] if isinstance(item.get("text"), str) else item["data"]
    doc, offset = mapper.unit(meta.get("doc_id"), meta.get("offset"), text)
    form = _doccano_form(item)
    unit = _DoccanoUnit(mapper, doc, offset, text, from_utf16(text))
    builder = _RecordBuilder()
    by_id = unit.entities(
        item["entities"] if form == "relations" else item["label"],
        "entities" if form == "relations" else "label",
        builder,
        sink,
    )
    if form == "relations":
        unit.relations(item, by_id, builder, sink)
    return _record(
        annotator,
        None,
        "doccano",
        f"doccano_{form}",
        key,
        None,
        meta,
        doc,
        offset,
        text,
        "accept",
        ["entities", "sources", "claims"],
        None,
        builder,
        [],
    )


@dataclass
class _DoccanoUnit:
    mapper: _Mapper
    doc: dict
    offset: int
    text: str
    table: dict[int, int]

    def entities(self, entries: list, name: str, builder: _RecordBuilder, sink: _Sink) -> dict[Any, dict | None]:
        """Map every entity; ``by_id`` holds ``None`` for an id that was rejected or used twice."""
        by_id: dict[Any, dict | None] = {}
        for n, entry in enumerate(entries):
            ident = entry.get("id") if isinstance(entry, dict) else None
            span = sink.attempt("entity", entry, lambda entry=entry: self.entity(entry), f"{name}[{n}]")
            if span is not None:
                builder.add(span)
            if ident is None or isinstance(ident, dict | list):
                continue
            if ident in by_id:
                sink.reject(
                    "entity",
                    entry,
                    Rejected(f"entity id {ident!r} is used twice: relations to it are ambiguous"),
                    f"{name}[{n}].id",
                )
                span = None
            by_id[ident] = span
        return by_id

    def entity(self, entry: Any) -> dict:
        if isinstance(entry, dict):
            start, end, label = entry.get("start_offset"), entry.get("end_offset"), entry.get("label")
        elif isinstance(entry, list) and len(entry) == 3:
            start, end, label = entry
        else:
            raise Rejected(
                f"an entity must be {{id, start_offset, end_offset, label}} or [start, end, label], "
                f"got {_kind(entry)} {_excerpt(entry)}"
            )
        s, e = _doccano_offsets(self.table, self.text, start, end)
        return self.mapper.span(self.doc, self.offset, self.text, s, e, label)

    def relations(self, item: dict, by_id: dict[Any, dict | None], builder: _RecordBuilder, sink: _Sink) -> None:
        try:
            relations = _list_field(item, "relations")
        except Rejected as exc:
            sink.reject("relations", item.get("relations"), exc)
            return
        for n, rel in enumerate(relations):
            sink.attempt("relation", rel, lambda rel=rel: builder.relate(*self.relation(rel, by_id)), f"relations[{n}]")

    @staticmethod
    def relation(rel: Any, by_id: dict[Any, dict | None]) -> tuple[str, dict, dict]:
        if not isinstance(rel, dict):
            raise Rejected(f"a relation must be an object, got {_kind(rel)}")
        ends = rel.get("from_id"), rel.get("to_id")
        if any(isinstance(e, dict | list) or e not in by_id for e in ends):
            raise Rejected(
                f"relation {_excerpt(ends[0])} -> {_excerpt(ends[1])} points at an entity that does not exist"
            )
        head, child = by_id[ends[0]], by_id[ends[1]]
        if head is None or child is None:
            raise Rejected(
                f"relation {_excerpt(ends[0])} -> {_excerpt(ends[1])} is drawn to an entity that was rejected"
            )
        return _relation(rel.get("type"), head, child)


# ------------------------------------------------------------------------------------------------ ingest


def _records_of(
    fmt: str, item: Any, mapper: _Mapper, emitted: set[str] | None, sink: _Sink, annotator: str
) -> list[dict]:
    if fmt == "labelstudio":
        return list(labelstudio_records(item, mapper, emitted, sink))
    if fmt == "doccano":
        return [doccano_record(item, mapper, emitted, annotator, sink)]
    found = record_format(item)
    if found not in (None, "prodigy"):
        raise Rejected(f"a {found} record in a Prodigy db-out file")
    return [prodigy_record(item, mapper, emitted, sink)]


def read_export(
    path: Path,
    mapper: _Mapper,
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
        sink = _Sink()
        records: list[dict] = []
        if isinstance(item, _Malformed):
            sink.reject(item.kind, item.raw, Rejected(item.reason))
        else:
            try:
                records = _records_of(fmt, item, mapper, emitted, sink, annotator or path.stem)
            except Rejected as exc:
                sink.reject("task", item, exc)
        if fmt != "labelstudio" and records and sink.rejected:
            records[0]["rejected"] = len(sink.rejected)
        _report_line(path, line, sink, report, stats, counts)
        for rec in records:
            rec["origin"] = f"{path}:{line}"
            stats.read += 1
            stats.by_answer[rec["answer"]] += 1
            counts.accepted += 1
            counts.partial += "rejected" in rec
            for message in _overlap_warnings(rec["spans"]):
                report(
                    InputProblem(
                        str(path), f"annotation by {rec['annotator']}: {message}", line=line, severity="warning"
                    )
                )
            yield rec


def _report_line(path: Path, line: int, sink: _Sink, report: Report, stats: IngestStats, counts: FileCounts) -> None:
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
    mapper = _Mapper(docs)
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
