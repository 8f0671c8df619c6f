"""Validate documents.jsonl and Prodigy task files: JSON Schemas (``schemas/``) plus semantic checks.

The schemas say what each record looks like; the semantic checks say what a schema cannot: offsets inside the
text, ``text[start:end]`` equal to the span text, spans on token boundaries, tokens tiling the text, sentences
inside paragraphs, relation ends that exist, unique ids and hashes. When documents and tasks are validated
together, every task is also checked against the document it came from (``meta.doc_id`` + ``meta.offset``).

Every problem is an :class:`InputProblem` naming the file, the line and the field; garbage input (malformed
JSON, a non-object, wrong types) is reported the same way and never raises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, validators

import corpus
from corpus.document import CHECKWORTHY_OPTIONS, RELATION_ENDS, document_id
from corpus.errors import CorpusError, InputProblem

SCHEMA_DIR = Path(corpus.__file__).resolve().parents[1] / "schemas"

DOCUMENTS = "documents"
NER, SPANS, REL, CHOICE = "ner.manual", "spans.manual", "rel.manual", "choice"
TASK_KINDS = (NER, SPANS, REL, CHOICE)
SCHEMA_FILES = {
    DOCUMENTS: "document.schema.json",
    NER: "prodigy-ner.schema.json",
    SPANS: "prodigy-spans.schema.json",
    REL: "prodigy-rel.schema.json",
    CHOICE: "prodigy-choice.schema.json",
}
FILE_NAMES = {"documents.jsonl": DOCUMENTS, **{f"{kind}.jsonl": kind for kind in TASK_KINDS}}
VIEW_IDS = {NER: "ner_manual", SPANS: "spans_manual", REL: "relations", CHOICE: "choice"}

# Which span labels each relation joins (head -> child).

MAX_SCHEMA_ERRORS_PER_RECORD = 10
MAX_FINDINGS_PER_RECORD = 20
DEFAULT_MAX_PROBLEMS_PER_FILE = 100


@dataclass
class Finding:
    """A problem inside one record; the file and line are added by the caller."""

    field: str | None
    message: str
    severity: str = "error"

    def __post_init__(self) -> None:
        # Field names come from the input: a key with a newline must not break "one line per problem".
        self.field = _printable(self.field) if self.field else self.field
        self.message = _printable(self.message)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


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


# ---------------------------------------------------------------------------------------------------- schemas


def schema_path(kind: str) -> Path:
    return SCHEMA_DIR / SCHEMA_FILES[kind]


@cache
def load_schema(kind: str) -> dict:
    path = schema_path(kind)
    try:
        schema = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise CorpusError(f"schema {path} not found: run corpus from a source checkout (schemas/ sits beside the "
                          "corpus/ package); `corpus doctor` checks this") from None
    except orjson.JSONDecodeError as exc:
        raise CorpusError(f"schema {path} is not valid JSON ({exc})") from None
    Draft202012Validator.check_schema(schema)
    return schema


# JSON Schema counts 1.0 as an integer; an offset must be a Python int to slice text, so 1.0 is refused.
_STRICT_TYPES = Draft202012Validator.TYPE_CHECKER.redefine("integer", lambda _checker, value: type(value) is int)
_StrictValidator = validators.extend(Draft202012Validator, type_checker=_STRICT_TYPES)


@cache
def _validator(kind: str) -> Draft202012Validator:
    return _StrictValidator(load_schema(kind))


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number",
               type(None): "null"}


def _schema_findings(record: Any, kind: str) -> list[Finding]:
    """Schema errors as short, field-named findings (values truncated: a text can be megabytes)."""
    findings: list[Finding] = []
    missing: dict[str, list[str]] = {}  # one "required" error per missing field: merged per object
    for err in islice(_validator(kind).iter_errors(record), 5 * MAX_SCHEMA_ERRORS_PER_RECORD):
        path = list(err.absolute_path)
        value = err.validator_value
        if err.validator == "required":
            # The missing name is only in the message: "'x' is a required property".
            name = err.message.partition(" is a required property")[0].strip("'\"")
            where = _json_path(path)
            if where not in missing:
                missing[where] = []
                findings.append(Finding(where or None, ""))
            missing[where].append(name)
            continue
        if err.validator == "additionalProperties":
            allowed = set(err.schema.get("properties", {}))
            extra = sorted(k for k in err.instance if k not in allowed)
            path.append(extra[0] if extra else "?")
            message = "unexpected field (not in the schema)"
        elif err.validator == "type":
            expected = value if isinstance(value, str) else " or ".join(value)
            message = f"expected {expected}, got {_JSON_TYPES.get(type(err.instance), type(err.instance).__name__)}"
        elif err.validator == "enum":
            message = f"{_short(err.instance)} is not one of {', '.join(map(str, value))}"
        elif err.validator == "const":
            message = f"expected {value!r}, got {_short(err.instance)}"
        elif err.validator == "pattern":
            message = f"{_short(err.instance)} does not match {value}"
        elif err.validator in ("minimum", "maximum"):
            bound = "below the minimum" if err.validator == "minimum" else "above the maximum"
            message = f"{_short(err.instance)} is {bound} {value}"
        elif err.validator in ("minItems", "maxItems", "minLength"):
            message = f"{err.validator} {value} not met"
        else:
            message = _short(err.message, 120)
        findings.append(Finding(_json_path(path) or None, message))
        if len(findings) >= MAX_SCHEMA_ERRORS_PER_RECORD:
            break
    for finding in findings:
        if not finding.message:
            names = missing[finding.field or ""]
            prefix = f"{finding.field}." if finding.field else ""
            finding.message = _printable(f"missing field{'s' if len(names) > 1 else ''} {', '.join(names)}")
            finding.field = _printable(prefix + names[0]) if len(names) == 1 else finding.field
    return findings


# ------------------------------------------------------------------------------------------- semantic checks


def _check_ranges(ranges: list, n: int, name: str, out: list[Finding]) -> bool:
    """Ranges must be non-empty, inside the text, sorted and non-overlapping. Returns True when they are."""
    ok = True
    prev_end = 0
    for i, (s, e) in enumerate(ranges):
        if not s < e <= n:
            out.append(Finding(f"{name}[{i}]", f"[{s}, {e}) is empty or outside the text (length {n})"))
            ok = False
        elif s < prev_end:
            out.append(Finding(f"{name}[{i}]", f"[{s}, {e}) overlaps or precedes the previous one "
                                               f"(which ends at {prev_end})"))
            ok = False
        prev_end = max(prev_end, e)
    return ok


def _check_nested(inner: list, outer: list, inner_name: str, outer_name: str, out: list[Finding]) -> None:
    """Each sorted inner range lies inside one of the sorted outer ranges (two-pointer walk)."""
    j = 0
    for i, (s, e) in enumerate(inner):
        while j < len(outer) and outer[j][1] <= s:
            j += 1
        if j == len(outer) or not (outer[j][0] <= s and e <= outer[j][1]):
            out.append(Finding(f"{inner_name}[{i}]", f"[{s}, {e}) is not inside any of the {outer_name}"))


def _check_tiling(text: str, ranges: list[tuple[int, int]], name: str, out: list[Finding]) -> None:
    """Every non-space character is inside a token (tokens are already sorted and non-overlapping)."""
    pos = 0
    for s, e in [*ranges, (len(text), len(text))]:
        gap = text[pos:s]
        if gap and not gap.isspace():
            offset = pos + next(k for k, ch in enumerate(gap) if not ch.isspace())
            out.append(Finding(name, f"character {_short(text[offset])} at {offset} is in no token "
                                     "(tokens must cover every non-space character)"))
            return
        pos = max(pos, e)


def _check_document(doc: dict) -> list[Finding]:
    out: list[Finding] = []
    text: str = doc["text"]
    n = len(text)
    if document_id(text) != doc["id"]:
        out.append(Finding("id", f"{doc['id']} is not the hash of the text ({document_id(text)}): was the text "
                                 "edited after ingest?", "warning"))
    paragraphs, sentences, tokens = doc["paragraphs"], doc["sentences"], doc["tokens"]
    paragraphs_ok = _check_ranges(paragraphs, n, "paragraphs", out)
    sentences_ok = _check_ranges(sentences, n, "sentences", out)
    if paragraphs_ok and sentences_ok and paragraphs:
        _check_nested(sentences, paragraphs, "sentences", "paragraphs", out)
    token_ranges = [(t["start"], t["end"]) for t in tokens]
    tokens_ok = _check_ranges(token_ranges, n, "tokens", out)
    if tokens_ok and tokens:
        if sentences_ok and sentences:
            _check_nested(token_ranges, sentences, "tokens", "sentences", out)
        _check_tiling(text, token_ranges, "tokens", out)
        for i, tok in enumerate(tokens):
            ws = tok["end"] < n and text[tok["end"]].isspace()
            if tok["ws"] != ws:
                out.append(Finding(f"tokens[{i}].ws", f"is {str(tok['ws']).lower()} but the next character is "
                                                      f"{_short(text[tok['end']:tok['end'] + 1] or 'the end')}"))
                break
    starts = {s for s, _ in token_ranges} if tokens_ok else set()
    ends = {e for _, e in token_ranges} if tokens_ok else set()

    span_labels: dict[str, str] = {}
    layers_with_spans = set()
    for i, span in enumerate(doc["spans"]):
        where = f"spans[{i}]"
        s, e = span["start"], span["end"]
        if span["id"] in span_labels:
            out.append(Finding(f"{where}.id", f"duplicate span id {span['id']!r}"))
        span_labels[span["id"]] = span["label"]
        layers_with_spans.add(span["layer"])
        if not s < e <= n:
            out.append(Finding(where, f"[{s}, {e}) is empty or outside the text (length {n})"))
            continue
        if text[s:e] != span["text"]:
            out.append(Finding(f"{where}.text", f"{_short(span['text'])} != text[{s}:{e}] {_short(text[s:e])}"))
        if starts and (s not in starts or e not in ends):
            edge = "start" if s not in starts else "end"
            out.append(Finding(f"{where}.{edge}", f"[{s}, {e}) {_short(text[s:e])} is not on token boundaries"))
    for layer in sorted(layers_with_spans - set(doc["labellers"])):
        out.append(Finding("labellers", f"has no entry for layer {layer!r}, which has spans", "warning"))

    relation_ids: set[str] = set()
    for i, rel in enumerate(doc["relations"]):
        where = f"relations[{i}]"
        if rel["id"] in relation_ids:
            out.append(Finding(f"{where}.id", f"duplicate relation id {rel['id']!r}"))
        relation_ids.add(rel["id"])
        head_label, child_label = RELATION_ENDS.get(rel["label"], (None, None))
        for end, want in (("head", head_label), ("child", child_label)):
            got = span_labels.get(rel[end])
            if got is None:
                out.append(Finding(f"{where}.{end}", f"span {rel[end]!r} does not exist"))
            elif want and got != want:
                out.append(Finding(f"{where}.{end}", f"{rel['label']} {end} must be a {want} span, "
                                                     f"{rel[end]!r} is {got}"))
    return out


def _check_task_span(span: dict, where: str, text: str, tokens: list[dict], out: list[Finding]) -> bool:
    """Offsets in range, on token boundaries and consistent with token_start/token_end (inclusive)."""
    s, e, ts, te = span["start"], span["end"], span["token_start"], span["token_end"]
    n = len(text)
    if not s < e <= n:
        out.append(Finding(where, f"[{s}, {e}) is empty or outside the text (length {n})"))
        return False
    if "text" in span and span["text"] != text[s:e]:
        out.append(Finding(f"{where}.text", f"{_short(span['text'])} != text[{s}:{e}] {_short(text[s:e])}"))
    if not ts <= te < len(tokens):
        out.append(Finding(where, f"token_start {ts} / token_end {te} are not a token range "
                                  f"(the task has {len(tokens)} tokens)"))
        return False
    if tokens[ts]["start"] != s or tokens[te]["end"] != e:
        on_boundary = any(t["start"] == s for t in tokens) and any(t["end"] == e for t in tokens)
        if on_boundary:
            message = (f"token_start/token_end {ts}..{te} cover [{tokens[ts]['start']}, {tokens[te]['end']}), "
                       f"not the span [{s}, {e})")
        else:
            message = f"[{s}, {e}) {_short(text[s:e])} is not on token boundaries"
        out.append(Finding(where, message))
        return False
    return True


def _check_task(task: dict, kind: str) -> list[Finding]:
    out: list[Finding] = []
    text: str = task["text"]
    n = len(text)
    tokens = task["tokens"]
    tokens_ok = True
    prev_end = 0
    for i, tok in enumerate(tokens):
        s, e = tok["start"], tok["end"]
        if tok["id"] != i:
            out.append(Finding(f"tokens[{i}].id", f"is {tok['id']}, expected its index {i}"))
            tokens_ok = False
        if not s < e <= n:
            out.append(Finding(f"tokens[{i}]", f"[{s}, {e}) is empty or outside the text (length {n})"))
            tokens_ok = False
        elif s < prev_end:
            out.append(Finding(f"tokens[{i}]", f"[{s}, {e}) overlaps or precedes the previous token"))
            tokens_ok = False
        elif text[s:e] != tok["text"]:
            out.append(Finding(f"tokens[{i}].text", f"{_short(tok['text'])} != text[{s}:{e}] {_short(text[s:e])}"))
            tokens_ok = False
        prev_end = max(prev_end, e)
        if len(out) >= MAX_FINDINGS_PER_RECORD:
            return out
    if tokens_ok:
        _check_tiling(text, [(t["start"], t["end"]) for t in tokens], "tokens", out)
    if not tokens_ok:
        return out  # span checks against broken tokens would only repeat the problem

    span_ok = []
    for i, span in enumerate(task["spans"]):
        span_ok.append(_check_task_span(span, f"spans[{i}]", text, tokens, out))
    ids = [span["id"] for span in task["spans"]]
    for i, span_id in enumerate(ids):
        if span_id in ids[:i]:
            out.append(Finding(f"spans[{i}].id", f"duplicate span id {span_id!r}"))
    if kind == NER:
        ordered = sorted((s["start"], s["end"], i) for i, s in enumerate(task["spans"]))
        for (_, prev_end_, j), (start, _, i) in zip(ordered, ordered[1:], strict=False):
            if start < prev_end_:
                out.append(Finding(f"spans[{i}]", f"overlaps spans[{j}] (ner.manual spans must not overlap)"))
    meta = task["meta"]
    if meta["unit"] == "document" and meta["offset"] != 0:
        out.append(Finding("meta.offset", f"is {meta['offset']} for a document unit (must be 0)"))

    if kind == REL:
        ends_of_spans = {s["token_end"] for s, ok in zip(task["spans"], span_ok, strict=True) if ok}
        keyed = {(s["start"], s["end"], s["label"]) for s in task["spans"]}
        for i, rel in enumerate(task["relations"]):
            where = f"relations[{i}]"
            want = RELATION_ENDS.get(rel["label"], (None, None))
            for end, want_label in zip(("head", "child"), want, strict=True):
                end_span = rel[f"{end}_span"]
                if not _check_task_span(end_span, f"{where}.{end}_span", text, tokens, out):
                    continue
                if (end_span["start"], end_span["end"], end_span["label"]) not in keyed:
                    out.append(Finding(f"{where}.{end}_span", "is not one of the task's spans"))
                if rel[end] != end_span["token_end"]:
                    out.append(Finding(f"{where}.{end}", f"is token {rel[end]}, but {end}_span ends at token "
                                                        f"{end_span['token_end']}"))
                elif rel[end] not in ends_of_spans:
                    out.append(Finding(f"{where}.{end}", f"token {rel[end]} is not the last token of any span"))
                if want_label and end_span["label"] != want_label:
                    out.append(Finding(f"{where}.{end}_span.label",
                                       f"{rel['label']} {end} must be a {want_label} span, not {end_span['label']}"))
    elif kind == CHOICE:
        option_ids = [o["id"] for o in task["options"]]
        if sorted(option_ids) != sorted(CHECKWORTHY_OPTIONS):
            out.append(Finding("options", f"ids are {option_ids}, expected each of {list(CHECKWORTHY_OPTIONS)} once"))
        for answer in task["accept"]:
            if answer not in option_ids:
                out.append(Finding("accept", f"{answer!r} is not an option id"))
    return out


def validate_document(doc: Any) -> list[str]:
    """Problems with one document record (schema, then semantic checks), as ``"field: problem"`` strings."""
    return [str(f) for f in _findings(doc, DOCUMENTS)]


def validate_task(task: Any, kind: str) -> list[str]:
    """Problems with one Prodigy task of ``kind`` (``ner.manual``, ``spans.manual``, ``rel.manual``, ``choice``)."""
    return [str(f) for f in _findings(task, kind)]


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _tokens_match_schema(tokens: Any, kind: str) -> bool:
    """The token ``$defs`` of the schemas, checked in plain Python: tokens are most of a record, and jsonschema
    costs ~25 µs per token. Any doubt returns False and the full schema check runs (for its messages)."""
    if type(tokens) is not list:
        return False
    if kind == DOCUMENTS:
        return all(
            type(t) is dict and len(t) == 3 and _is_count(t.get("start")) and _is_count(t.get("end"))
            and type(t.get("ws")) is bool
            for t in tokens
        )
    return all(
        type(t) is dict and type(t.get("text")) is str and t["text"] != "" and _is_count(t.get("start"))
        and _is_count(t.get("end")) and _is_count(t.get("id")) and type(t.get("ws")) is bool
        for t in tokens
    )


def _ranges_match_schema(ranges: Any) -> bool:
    """The ``range`` ``$def`` of the document schema ([start, end] counts), in plain Python."""
    return type(ranges) is list and all(
        type(r) is list and len(r) == 2 and _is_count(r[0]) and _is_count(r[1]) for r in ranges
    )


def _schema_view(record: dict, kind: str) -> dict:
    """The record with its long, uniform arrays emptied when they already passed the plain-Python check, so
    jsonschema only walks the rest (a 10 MB article has two million tokens)."""
    fast = {}
    if _tokens_match_schema(record.get("tokens"), kind):
        fast["tokens"] = []
    if kind == DOCUMENTS:
        for key in ("paragraphs", "sentences"):
            if _ranges_match_schema(record.get(key)):
                fast[key] = []
    return {**record, **fast} if fast else record


def _findings(record: Any, kind: str) -> list[Finding]:
    if not isinstance(record, dict):
        return [Finding(None, f"expected a JSON object, got {_JSON_TYPES.get(type(record), type(record).__name__)}")]
    schema_problems = _schema_findings(_schema_view(record, kind), kind)
    if schema_problems:
        return schema_problems  # semantic checks rely on the types the schema guarantees
    try:
        found = _check_document(record) if kind == DOCUMENTS else _check_task(record, kind)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # A shape the schema let through but the checks did not expect: still one line, never a traceback.
        found = [Finding(None, f"could not be checked ({type(exc).__name__}: {_short(str(exc), 80)})")]
    return found[:MAX_FINDINGS_PER_RECORD]


# ------------------------------------------------------------------------------------------------ files


def detect_kind(path: str | Path) -> str | None:
    """The kind of a file: by name (documents.jsonl, ner.manual.jsonl, …), else by its first record."""
    path = Path(path)
    kind = FILE_NAMES.get(path.name.lower())
    if kind is not None:
        return kind
    first = _first_record(path)
    if not isinstance(first, dict) or "answer" in first:
        return None  # not ours, or an annotation export (checked when annotations are ingested)
    view = first.get("_view_id")
    if isinstance(view, str):
        return next((k for k, v in VIEW_IDS.items() if v == view), None)
    if "id" in first and "text" in first and "tokens" in first and "spans" in first:
        return DOCUMENTS
    return None


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


def _iter_lines(path: Path, report) -> Iterator[tuple[int, Any]]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                report(None, "file starts with a UTF-8 byte-order mark, which most JSONL readers reject; "
                             "save it as UTF-8 without BOM", lineno)
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield lineno, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                report(None, f"malformed JSON ({exc.args[0].split(':')[0]})", lineno)


@dataclass
class _TaskRef:
    """What a task says about its document, checked when the documents file is read."""

    file: int
    line: int
    offset: int
    length: int
    digest: bytes
    span_id: str | None


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


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
            self.out.append(InputProblem(self.summary.path, f"... and {self.hidden} more problems not shown",
                                         severity="error" if self.summary.errors > self.cap else "warning"))


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, str | None]], list[InputProblem]]:
    """Files to validate with their kinds; folders contribute every known ``.jsonl`` file inside (recursively)."""
    files: list[tuple[Path, str | None]] = []
    problems: list[InputProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*.jsonl")):
                if any(part.startswith(".") for part in file.relative_to(path).parts) or not file.is_file():
                    continue
                kind = detect_kind(file)
                if kind is not None:
                    files.append((file, kind))
        elif path.is_file():
            files.append((path, detect_kind(path)))
        else:
            problems.append(InputProblem(str(path), "no such file or folder"))
    return files, problems


def validate_files(
    paths: Iterable[str | Path], max_problems_per_file: int = DEFAULT_MAX_PROBLEMS_PER_FILE
) -> ValidationResult:
    """Validate every file (folders: every known file inside); tasks are cross-checked against documents."""
    files, problems = expand_paths(paths)
    result = ValidationResult(problems=problems, missing_paths=len(problems))
    summaries = [FileSummary(str(path), kind) for path, kind in files]
    result.files = summaries
    per_file: list[list[InputProblem]] = [[] for _ in files]
    reporters = [_FileProblems(s, per_file[i], max_problems_per_file) for i, s in enumerate(summaries)]
    refs: dict[str, list[_TaskRef]] = {}
    has_documents = any(kind == DOCUMENTS for _, kind in files)

    def resolve(doc: dict) -> None:
        """Check the tasks that point into ``doc``: the task text is the document text at ``meta.offset``."""
        pending = refs.pop(doc["id"], None)
        if not pending:
            return
        text = doc["text"]
        span_ids = {s.get("id") for s in doc.get("spans") or () if isinstance(s, dict)}
        for ref in pending:
            if _digest(text[ref.offset:ref.offset + ref.length]) != ref.digest:
                reporters[ref.file]("meta.offset", f"the task text is not the text of document {doc['id']} at "
                                                   f"offset {ref.offset}", ref.line)
            if ref.span_id is not None and ref.span_id not in span_ids:
                reporters[ref.file]("meta.span_id", f"span {ref.span_id!r} is not in document {doc['id']}",
                                    ref.line)

    # Tasks first, so the documents pass can resolve their references without holding document texts.
    order = sorted(range(len(files)), key=lambda i: files[i][1] == DOCUMENTS)
    for i in order:
        path, kind = files[i]
        report = reporters[i]
        if kind is None:
            report(None, "not a known file kind: expected documents.jsonl or a Prodigy task file "
                         f"({', '.join(f'{k}.jsonl' for k in TASK_KINDS)})")
            continue
        try:
            if kind == DOCUMENTS:
                _validate_documents_file(path, summaries[i], report, resolve)
            else:
                _validate_tasks_file(path, kind, summaries[i], report, refs if has_documents else None, i)
        except OSError as exc:
            report(None, f"cannot read: {exc.strerror or exc}")
        if summaries[i].records == 0 and summaries[i].errors == 0 and kind == DOCUMENTS:
            report(None, "no records (empty file)", severity="warning")

    if has_documents:
        doc_files = ", ".join(Path(p).name for p, k in files if k == DOCUMENTS)
        for doc_id, doc_refs in refs.items():
            for ref in doc_refs:
                reporters[ref.file]("meta.doc_id", f"document {doc_id} is not in {doc_files}", ref.line)
    for reporter, found in zip(reporters, per_file, strict=True):
        found.sort(key=lambda p: p.line or 0)  # tasks' document problems arrive late; stable for the rest
        reporter.close()
        result.problems.extend(found)
    return result


def validate_paths(
    paths: Iterable[str | Path], max_problems_per_file: int = DEFAULT_MAX_PROBLEMS_PER_FILE
) -> list[InputProblem]:
    """All problems with the given files / folders (empty when everything is valid)."""
    return validate_files(paths, max_problems_per_file).problems


def _validate_documents_file(path: Path, summary: FileSummary, report, on_document) -> None:
    seen: dict[str, int] = {}
    for lineno, doc in _iter_lines(path, report):
        summary.records += 1
        for f in _findings(doc, DOCUMENTS):
            report(f.field, f.message, lineno, f.severity)
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
            continue
        if doc["id"] in seen:
            report("id", f"duplicate document id {doc['id']} (first on line {seen[doc['id']]})", lineno)
        else:
            seen[doc["id"]] = lineno
        on_document(doc)


def _validate_tasks_file(path: Path, kind: str, summary: FileSummary, report,
                         refs: dict[str, list[_TaskRef]] | None, file_index: int) -> None:
    hashes: dict[int, int] = {}
    for lineno, task in _iter_lines(path, report):
        summary.records += 1
        findings = _findings(task, kind)
        for f in findings:
            report(f.field, f.message, lineno, f.severity)
        if not isinstance(task, dict):
            continue
        task_hash = task.get("_task_hash")
        if isinstance(task_hash, int):
            if task_hash in hashes:
                report("_task_hash", f"duplicate _task_hash {task_hash} (first on line {hashes[task_hash]})", lineno)
            else:
                hashes[task_hash] = lineno
        if refs is not None and not any(f.field and f.field.startswith(("meta", "text")) for f in findings):
            meta, text = task.get("meta"), task.get("text")
            if isinstance(meta, dict) and isinstance(text, str) and isinstance(meta.get("doc_id"), str) \
                    and isinstance(meta.get("offset"), int):
                span_id = meta.get("span_id") if isinstance(meta.get("span_id"), str) else None
                refs.setdefault(meta["doc_id"], []).append(
                    _TaskRef(file_index, lineno, meta["offset"], len(text), _digest(text), span_id))
