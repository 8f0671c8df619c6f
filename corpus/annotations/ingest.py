"""Annotations back in: Prodigy ``db-out`` JSONL, Label Studio JSON and doccano exports -> normalised records.

Every span an annotator made is mapped back to the document through the task's ``meta`` (Prodigy, doccano) or
``data`` (Label Studio): ``doc_id`` and ``offset`` (code points) of the task unit. A task whose unit text no
longer equals ``doc.text[offset:offset + len(text)]``, a span off the unit text or off the document's token
boundaries, an unknown document or label, or (with ``emitted``) a task the project never wrote is rejected with
one line naming file, line and problem; everything else goes on.

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

from corpus.document import CHECKWORTHY_OPTIONS, LABELS_BY_LAYER, RELATION_LABELS
from corpus.errors import InputProblem
from corpus.jsonl import read_jsonl, write_jsonl
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


class Rejected(Exception):
    """One annotation that does not fit its document; the message is the one line the user sees."""


@dataclass
class IngestStats:
    read: int = 0
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: int = 0
    by_answer: dict[str, int] = field(default_factory=lambda: {a: 0 for a in ANSWERS})


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
            isinstance(item.get("entities"), list) or isinstance(item.get("label"), list)):
        return "doccano"
    return None


def detect_format(path: Path) -> str:
    """``labelstudio``, ``doccano`` or ``prodigy``, from the file's first record (see the module docstring)."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"["):
            fh.seek(0)
            first = next((item for _line, item in _safe_array(path)), None)
            return "doccano" if record_format(first) == "doccano" else "labelstudio"
        fh.seek(0)
        for raw in fh:
            raw = raw.removeprefix(b"\xef\xbb\xbf").strip()
            if not raw:
                continue
            try:
                first = json.loads(raw)
            except ValueError:
                continue  # a broken line is reported when the file is read; look further for the format
            return "doccano" if record_format(first) == "doccano" else "prodigy"
    return "prodigy"


def _safe_array(path: Path) -> Iterator[tuple[int, Any]]:
    from corpus.errors import InputError

    try:
        yield from iter_json_array(path)
    except InputError:
        return


def iter_json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, element)`` for each element of a top-level JSON array, so errors can name lines."""
    from corpus.errors import InputError

    text = path.read_text("utf-8-sig")
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    n = len(text)

    def skip_ws(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    pos = skip_ws(pos)
    if pos < n and text[pos] == "]":
        return
    line, counted_to = 1, 0  # lines counted incrementally: a count from 0 per element is quadratic

    def line_at(i: int) -> int:
        nonlocal line, counted_to
        line += text.count("\n", counted_to, i)
        counted_to = i
        return line

    while pos < n:
        line = line_at(pos)
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(InputProblem(str(path), f"malformed JSON ({exc.msg})", line=exc.lineno)) from None
        yield line, obj
        pos = skip_ws(pos)
        if pos < n and text[pos] == ",":
            pos = skip_ws(pos + 1)
        elif pos < n and text[pos] == "]":
            return
        else:
            raise InputError(InputProblem(str(path), "malformed JSON array (expected ',' or ']')",
                                          line=line_at(pos)))
    raise InputError(InputProblem(str(path), "malformed JSON array (no closing ']')"))


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
            for _line, task in iter_json_array(path):
                if isinstance(task, dict) and isinstance(task.get("data"), dict):
                    keys.add(labelstudio_task_key(task["data"]))
        elif path.suffix == ".jsonl":
            for _line, task in read_jsonl(path, on_problem=report):
                if isinstance(task, dict) and "_task_hash" in task:
                    keys.add(f"prodigy:{task['_task_hash']}")
                elif record_format(task) == "doccano":
                    keys.add(doccano_task_key(task))
    return keys


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
    ident = [_doccano_form(item), meta.get("doc_id"), meta.get("unit"), meta.get("unit_index"), meta.get("offset"),
             text]
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
            raise Rejected(f"unknown document id {doc_id!r} (not in the documents file)")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise Rejected(f"no valid unit offset for document {doc_id} (got {offset!r})")
        if not isinstance(text, str):
            raise Rejected("task has no text")
        if doc["text"][offset:offset + len(text)] != text:
            raise Rejected(f"text changed: task text at offset {offset} no longer equals document {doc_id}")
        return doc, offset

    def tokens(self, doc: dict) -> TokenIndex | None:
        if not doc.get("tokens"):
            return None
        index = self._token_index.get(doc["id"])
        if index is None:
            index = self._token_index[doc["id"]] = TokenIndex(doc["tokens"])
        return index

    def span(self, doc: dict, offset: int, unit_text: str, start: Any, end: Any, label: Any,
             task_tokens: list | None = None) -> dict:
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            raise Rejected(f"span {start!r}-{end!r} has no integer offsets")
        if not 0 <= start < end <= len(unit_text):
            raise Rejected(f"span {start}-{end} is off the text (unit has {len(unit_text)} characters)")
        layer = LAYER_OF_LABEL.get(label)
        if layer is None:
            raise Rejected(f"unknown label {label!r} on span {start}-{end}")
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


def _excerpt(text: str, limit: int = 30) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _relation(label: Any, head: dict, child: dict) -> tuple[str, dict, dict]:
    """Check a relation's label and direction; a relation drawn backwards is turned round."""
    if label not in RELATION_LABELS:
        raise Rejected(f"unknown relation label {label!r}")
    roles = RELATION_ROLES[label]
    if (head["label"], child["label"]) == roles:
        return label, head, child
    if (child["label"], head["label"]) == roles:
        return label, child, head
    raise Rejected(f"{label} relation from {head['label']} to {child['label']} (must be {roles[0]} -> {roles[1]})")


def _infer_relation_label(head: dict, child: dict) -> str | None:
    pair = {head["label"], child["label"]}
    for label, roles in RELATION_ROLES.items():
        if pair == set(roles):
            return label
    return None


class _RecordBuilder:
    def __init__(self) -> None:
        self.spans: list[dict] = []
        self._by_key: dict[tuple, str] = {}

    def add(self, span: dict) -> str:
        key = (span["start"], span["end"], span["label"])
        sid = self._by_key.get(key)
        if sid is None:
            sid = self._by_key[key] = f"a{len(self.spans)}"
            self.spans.append({"id": sid, **span})
        return sid


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
    if not isinstance(selected, list) or any(o not in CHECKWORTHY_OPTIONS for o in selected):
        raise Rejected(f"{where}: options must be among {', '.join(CHECKWORTHY_OPTIONS)} (got {selected!r})")
    if len(selected) > 1:
        raise Rejected(f"{where}: both check-worthiness options selected")
    return selected[0] if selected else None


def _layers(view: str | None, spans: Iterable[dict], declared: Any) -> list[str]:
    if isinstance(declared, list) and declared:
        layers = set(declared)
    else:
        layers = set(VIEW_LAYERS.get(view or "", ()))
        layers.update(s["layer"] for s in spans)
    return sorted(layers, key=lambda x: LAYER_ORDER.get(x, 99))


# ----------------------------------------------------------------------------------------------- Prodigy

def prodigy_record(task: dict, mapper: _Mapper, emitted: set[str] | None) -> dict:
    """One Prodigy ``db-out`` line -> a normalised annotation record (raises :class:`Rejected`)."""
    if not isinstance(task, dict):
        raise Rejected("not a JSON object")
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
    if answer not in ANSWERS:
        raise Rejected(f"answer must be accept, reject or ignore (got {answer!r})")
    view = task.get("_view_id")
    tokens = task.get("tokens") if isinstance(task.get("tokens"), list) else None
    builder = _RecordBuilder()
    relations: list[dict] = []
    choices: list[dict] = []
    is_choice = view == "choice" or "options" in task
    shown: list[dict] = []  # a choice task shows its claim; the annotator answers about it, not edits it
    if answer == "accept":
        for span in task.get("spans") or ():
            if not isinstance(span, dict):
                raise Rejected("a span is not an object")
            mapped = mapper.span(doc, offset, text, span.get("start"), span.get("end"), span.get("label"), tokens)
            if is_choice:
                shown.append(mapped)
            else:
                builder.add(mapped)
        for rel in task.get("relations") or ():
            if not isinstance(rel, dict) or not isinstance(rel.get("head_span"), dict) \
                    or not isinstance(rel.get("child_span"), dict):
                raise Rejected("a relation has no head_span/child_span")
            head, child = (mapper.span(doc, offset, text, s.get("start"), s.get("end"), s.get("label"), tokens)
                           for s in (rel["head_span"], rel["child_span"]))
            label, head, child = _relation(rel.get("label"), head, child)
            relations.append({"label": label, "head": builder.add(head), "child": builder.add(child)})
        if is_choice:
            label = _choice(task.get("accept"), "choice answer")
            if label is not None:
                claims = [s for s in shown if s["layer"] == "claims"]
                choices.append({**_claim_target(doc, meta.get("span_id"), claims), "label": label})
    layers = [CHECKWORTHY_LAYER] if is_choice else _layers(view, builder.spans, meta.get("layers"))
    annotator = str(task.get("_annotator_id") or task.get("_session_id") or "anonymous")
    return _record(annotator, task.get("_session_id"), "prodigy", view, key, task.get("_input_hash"), meta, doc,
                   offset, text, answer, layers, task.get("_timestamp"), builder.spans, relations, choices)


def _record(annotator: str, session: Any, tool: str, view: Any, key: str, input_hash: Any, meta: dict,
            doc: dict, offset: int, text: str, answer: str, layers: list[str], timestamp: Any,
            spans: list[dict], relations: list[dict], choices: list[dict]) -> dict:
    return {
        "key": f"{annotator}|{key}",
        "annotator": annotator,
        "session": None if session is None else str(session),
        "tool": tool,
        "view": view,
        "task": {"hash": key, "input_hash": input_hash, "doc_id": doc["id"], "unit": meta.get("unit"),
                 "unit_index": meta.get("unit_index"), "start": offset, "end": offset + len(text)},
        "answer": answer,
        "layers": layers,
        "timestamp": timestamp,
        "spans": spans,
        "relations": relations,
        "choices": choices,
    }


# ------------------------------------------------------------------------------------------ Label Studio

def _ls_annotator(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("username") or completed_by.get("id"))
    return "anonymous" if completed_by is None else str(completed_by)


def labelstudio_records(task: dict, mapper: _Mapper, emitted: set[str] | None,
                        warn: Callable[[str], None] = lambda message: None) -> Iterator[dict]:
    """One Label Studio export task -> one record per annotation (raises :class:`Rejected` for the task).

    A check-worthiness choice that cannot be pinned to one claim (no ``data.span_id``, not exactly one CLAIM
    region) is dropped with a warning; the annotation's spans still count.
    """
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise Rejected("not a Label Studio task (no 'data' object)")
    data = task["data"]
    key = labelstudio_task_key(data)
    if emitted is not None and key not in emitted:
        raise Rejected(f"task for document {data.get('doc_id')!r} at offset {data.get('offset')!r} was never "
                       f"emitted by this project (not in the task files)")
    text = data.get("text")
    doc, offset = mapper.unit(data.get("doc_id"), data.get("offset"), text)
    for ann in task.get("annotations") or ():
        if not isinstance(ann, dict):
            raise Rejected("an annotation is not an object")
        annotator = _ls_annotator(ann.get("completed_by"))
        answer = "ignore" if ann.get("was_cancelled") else "accept"
        builder = _RecordBuilder()
        by_region: dict[str, list[dict]] = {}
        links: list[dict] = []
        choice_results: list[dict] = []
        results = ann.get("result") or []
        if answer == "accept":
            for res in results:
                if not isinstance(res, dict):
                    raise Rejected(f"annotation by {annotator}: a result is not an object")
                kind = res.get("type")
                value = res.get("value") if isinstance(res.get("value"), dict) else {}
                if kind == "relation":
                    links.append(res)
                elif kind == "choices":
                    choice_results.append(res)
                elif kind in ("labels", "hypertextlabels") or "labels" in value:
                    labels = value.get("labels") or []
                    if not labels:
                        raise Rejected(f"annotation by {annotator}: region {res.get('id')!r} has no label")
                    region = [mapper.span(doc, offset, text, value.get("start"), value.get("end"), label)
                              for label in labels]
                    by_region.setdefault(str(res.get("id")), []).extend(region)
                    for span in region:
                        builder.add(span)
        relations = []
        for link in links:
            heads, children = by_region.get(str(link.get("from_id"))), by_region.get(str(link.get("to_id")))
            if not heads or not children:
                raise Rejected(f"annotation by {annotator}: relation {link.get('from_id')!r} -> "
                               f"{link.get('to_id')!r} points at a region that does not exist")
            head, child = heads[0], children[0]
            if link.get("direction") == "left":
                head, child = child, head
            label = (link.get("labels") or [None])[0] or _infer_relation_label(head, child)
            label, head, child = _relation(label, head, child)
            relations.append({"label": label, "head": builder.add(head), "child": builder.add(child)})
        choices = []
        claims = [s for s in builder.spans if s["layer"] == "claims"]
        for res in choice_results:
            label = _choice(res["value"].get("choices"), f"annotation by {annotator}")
            if label is None:
                continue
            # Per-region choices share their claim region's id (and carry its offsets); a task-level choice
            # needs data.span_id or a single CLAIM region.
            region = [s for s in by_region.get(str(res.get("id")), ()) if s["layer"] == "claims"]
            value = res["value"]
            if not region and isinstance(value.get("start"), int):
                region = [mapper.span(doc, offset, text, value.get("start"), value.get("end"), "CLAIM")]
            if region:
                target = {"start": region[0]["start"], "end": region[0]["end"],
                          "span_id": _prelabel_id(doc, region[0])}
            else:
                try:
                    target = _claim_target(doc, data.get("span_id"), claims)
                except Rejected as exc:
                    warn(f"annotation by {annotator}: {exc}; choice ignored")
                    continue
            choices.append({**target, "label": label})
        # A Label Studio task carries every label set at once: a completed annotation covers all span layers.
        layers = ["entities", "sources", "claims"] + ([CHECKWORTHY_LAYER] if choices else [])
        timestamp = ann.get("updated_at") or ann.get("created_at")
        yield _record(annotator, None, "labelstudio", "labelstudio", key, task.get("id"), data, doc, offset,
                      text, answer, layers, timestamp, builder.spans, relations, choices)


# ------------------------------------------------------------------------------------------------ doccano

def _doccano_offsets(table: dict[int, int], text: str, start: Any, end: Any, what: str) -> tuple[int, int]:
    """UTF-16 code-unit offsets -> code points, refusing offsets off the text or inside a surrogate pair."""
    if not (type(start) is int and type(end) is int):
        raise Rejected(f"{what} {start!r}-{end!r} has no integer offsets")
    units = len(text.encode("utf-16-le")) // 2
    if not 0 <= start < end <= units:
        raise Rejected(f"{what} {start}-{end} is off the text (it has {units} UTF-16 code units)")
    s, e = table.get(start), table.get(end)
    if s is None or e is None:
        raise Rejected(f"{what} {start}-{end} splits a character outside the BMP (offset inside a surrogate pair; "
                       "doccano counts UTF-16 code units)")
    return s, e


def doccano_record(item: Any, mapper: _Mapper, emitted: set[str] | None, annotator: str) -> dict:
    """One doccano export line (relation or sequence-labelling JSONL) -> a normalised record (or :class:`Rejected`)."""
    if record_format(item) != "doccano":
        raise Rejected("not a doccano record (needs text and entities [...] or label [[start, end, label]])")
    meta = _doccano_meta(item)
    key = doccano_task_key(item)
    if emitted is not None and key not in emitted:
        raise Rejected(f"task for document {meta.get('doc_id')!r} at offset {meta.get('offset')!r} was never "
                       "emitted by this project (not in the task files)")
    text = item["text"] if isinstance(item.get("text"), str) else item["data"]
    doc, offset = mapper.unit(meta.get("doc_id"), meta.get("offset"), text)
    table = from_utf16(text)
    builder = _RecordBuilder()
    form = _doccano_form(item)
    by_id: dict[Any, dict] = {}
    entries = item["entities"] if form == "relations" else item["label"]
    for n, entry in enumerate(entries):
        if isinstance(entry, dict):
            ident, start, end, label = entry.get("id"), entry.get("start_offset"), entry.get("end_offset"), \
                entry.get("label")
        elif isinstance(entry, list) and len(entry) == 3:
            ident, (start, end, label) = None, entry
        else:
            raise Rejected(f"entity {n} is neither {{id, start_offset, end_offset, label}} nor [start, end, label]")
        s, e = _doccano_offsets(table, text, start, end, f"entity {n}")
        span = mapper.span(doc, offset, text, s, e, label)
        builder.add(span)
        if ident is not None:
            if ident in by_id:
                raise Rejected(f"entity id {ident!r} is used twice")
            by_id[ident] = span
    relations = []
    raw_relations = item.get("relations") if form == "relations" else None
    if raw_relations is not None and not isinstance(raw_relations, list):
        raise Rejected("relations is not a list")
    for n, rel in enumerate(raw_relations or ()):
        if not isinstance(rel, dict):
            raise Rejected(f"relation {n} is not an object")
        head, child = by_id.get(rel.get("from_id")), by_id.get(rel.get("to_id"))
        if head is None or child is None:
            raise Rejected(f"relation {n} ({rel.get('from_id')!r} -> {rel.get('to_id')!r}) points at an entity that "
                           "does not exist")
        label, head, child = _relation(rel.get("type"), head, child)
        relations.append({"label": label, "head": builder.add(head), "child": builder.add(child)})
    return _record(annotator, None, "doccano", f"doccano_{form}", key, None, meta, doc, offset, text, "accept",
                   ["entities", "sources", "claims"], None, builder.spans, relations, [])


# ------------------------------------------------------------------------------------------------ ingest

def read_export(path: Path, mapper: _Mapper, emitted: set[str] | None, report: Report,
                stats: IngestStats, annotator: str | None = None) -> Iterator[dict]:
    """Normalised records from one export file; misfits reported (one line each) and skipped."""
    fmt = detect_format(path)
    is_array = fmt == "labelstudio" or (fmt == "doccano" and _starts_with_bracket(path))
    items = iter_json_array(path) if is_array else read_jsonl(path, on_problem=report)
    doccano_annotator = annotator or path.stem
    for line, item in items:
        def warn(message: str, line: int = line) -> None:
            report(InputProblem(str(path), message, line=line, severity="warning"))

        try:
            if fmt == "labelstudio":
                records = list(labelstudio_records(item, mapper, emitted, warn))
            elif fmt == "doccano":
                records = [doccano_record(item, mapper, emitted, doccano_annotator)]
            else:
                found = record_format(item)
                if found not in (None, "prodigy"):
                    raise Rejected(f"a {found} record in a Prodigy db-out file")
                records = [prodigy_record(item, mapper, emitted)]
        except Rejected as exc:
            stats.rejected += 1
            report(InputProblem(str(path), f"{exc}; rejected", line=line))
            continue
        for rec in records:
            rec["origin"] = f"{path}:{line}"
            stats.read += 1
            stats.by_answer[rec["answer"]] += 1
            yield rec


def _starts_with_bracket(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def _newer(candidate: dict, kept: dict) -> bool:
    a, b = candidate.get("timestamp"), kept.get("timestamp")
    if a is None or b is None or a == b:
        return False
    try:
        return a > b
    except TypeError:
        return str(a) > str(b)


def _content(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "origin"}


def record_sort_key(rec: dict) -> tuple:
    task = rec["task"]
    return (task["doc_id"], task["start"], task["end"], str(rec.get("view")), rec["annotator"], rec["key"])


def ingest_exports(paths: Iterable[str | Path], docs: dict[str, dict], report: Report,
                   emitted: set[str] | None = None, existing: Iterable[dict] = (),
                   annotator: str | None = None) -> tuple[list[dict], IngestStats]:
    """Merge the records of ``paths`` into ``existing`` (deduplicated by annotator + task; newer answer wins).

    ``annotator`` names the annotator of doccano files (default: each file's name without extension).
    Returns the records in a deterministic order, so ingesting the same export again writes the same bytes.
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
            elif _content(old) != _content(rec) and (_newer(rec, old) or rec["tool"] == "doccano"):
                kept[rec["key"]] = rec
                stats.replaced += 1
            else:
                stats.unchanged += 1
    return sorted(kept.values(), key=record_sort_key), stats


def read_annotations(path: str | Path, report: Report) -> Iterator[dict]:
    """Normalised annotation records from an ``annotations.jsonl`` written by :func:`write_annotations`."""
    for line, rec in read_jsonl(path, on_problem=report):
        if not isinstance(rec, dict) or not isinstance(rec.get("key"), str) or not isinstance(rec.get("task"), dict):
            report(InputProblem(str(path), "not an annotation record (from `corpus annotations ingest`); skipped",
                                line=line))
            continue
        yield rec


def write_annotations(path: str | Path, records: Iterable[dict]) -> int:
    return write_jsonl(path, records)
