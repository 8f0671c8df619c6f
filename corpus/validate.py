"""Validate documents, task files and annotations: JSON Schemas (``schemas/``) plus semantic checks.

Files are known by name (then by content): ``documents.jsonl``; Prodigy ``ner.manual.jsonl``,
``spans.manual.jsonl``, ``rel.manual.jsonl``, ``choice.jsonl``; Label Studio ``tasks.json`` (checked against the
``config.xml`` beside it, else against the config `corpus tasks` writes); doccano ``relations.jsonl`` and
``spans.jsonl`` (UTF-16 offsets) and its label files ``span-types.json`` / ``relation-types.json``;
``annotations.jsonl`` from `corpus annotations ingest`.

The schemas say what each record looks like; the semantic checks say what a schema cannot: offsets inside the
text, ``text[start:end]`` equal to the span text, spans on token boundaries, tokens tiling the text, sentences
inside paragraphs, relation ends that exist, unique ids and hashes. When documents and tasks are validated
together, every task is also checked against the document it came from (``meta.doc_id`` + ``meta.offset``).

Every problem is an :class:`InputProblem` naming the file, the line and the field; garbage input (malformed
JSON, a non-object, wrong types) is reported the same way and never raises.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from numbers import Number
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, validators

import corpus
from corpus.document import CHECKWORTHY_OPTIONS, CLAIM_LABELS, LABELS_BY_LAYER, RELATION_ENDS, document_id
from corpus.errors import CorpusError, InputError, InputProblem
from corpus.offsets import utf16_offsets

LAYER_OF_LABEL = {label: layer for layer, labels in LABELS_BY_LAYER.items() for label in labels}

# Installed packages carry the schemas as corpus/schemas (copied in by setup.py); a source checkout and an
# editable install read the top-level schemas/ beside the package.
_PACKAGE = Path(corpus.__file__).resolve().parent
SCHEMA_DIRS = (_PACKAGE / "schemas", _PACKAGE.parent / "schemas")
SCHEMA_DIR = next((d for d in SCHEMA_DIRS if d.is_dir()), SCHEMA_DIRS[0])

DOCUMENTS = "documents"
NER, SPANS, REL, CHOICE = "ner.manual", "spans.manual", "rel.manual", "choice"
TASK_KINDS = (NER, SPANS, REL, CHOICE)
LABELSTUDIO, DOCCANO_RELATIONS, DOCCANO_SPANS = "labelstudio", "doccano.relations", "doccano.spans"
ANNOTATIONS = "annotations"
DOCCANO_LABELS = "doccano.labels"  # span-types.json / relation-types.json: one JSON array each, checked whole
TOOL_KINDS = (LABELSTUDIO, DOCCANO_RELATIONS, DOCCANO_SPANS)
SCHEMA_FILES = {
    DOCUMENTS: "document.schema.json",
    NER: "prodigy-ner.schema.json",
    SPANS: "prodigy-spans.schema.json",
    REL: "prodigy-rel.schema.json",
    CHOICE: "prodigy-choice.schema.json",
    LABELSTUDIO: "labelstudio-task.schema.json",
    DOCCANO_RELATIONS: "doccano-relations.schema.json",
    DOCCANO_SPANS: "doccano-spans.schema.json",
    ANNOTATIONS: "annotation.schema.json",
    DOCCANO_LABELS: "doccano-labels.schema.json",
}
FILE_NAMES = {
    "documents.jsonl": DOCUMENTS,
    **{f"{kind}.jsonl": kind for kind in TASK_KINDS},
    "tasks.json": LABELSTUDIO,
    "relations.jsonl": DOCCANO_RELATIONS,
    "spans.jsonl": DOCCANO_SPANS,
    "annotations.jsonl": ANNOTATIONS,
    "span-types.json": DOCCANO_LABELS,
    "relation-types.json": DOCCANO_LABELS,
}
KNOWN_FILES = ", ".join(FILE_NAMES)
JSON_FILE_NAMES = tuple(name for name in FILE_NAMES if name.endswith(".json"))
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
        raise CorpusError(
            f"schema {path} not found: reinstall corpus (a wheel carries corpus/schemas; a checkout "
            "has schemas/ beside corpus/); `corpus doctor` checks this"
        ) from None
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


# ------------------------------------------------------------------------------ fast path: schemas as Python
#
# jsonschema walks a record at ~25 µs per token, most of a build's time. Each schema is therefore also compiled
# once into a plain-Python predicate (generated source, keywords inlined) that answers "does the record conform?"
# with jsonschema's own semantics (strict integers as above). A record it accepts skips jsonschema; a rejected one
# goes through jsonschema for the exact, field-named messages. A keyword the compiler does not know makes the
# kind fall back to jsonschema for every record: never a guess.

_ANNOTATION_KEYWORDS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"})
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "integer": "type({v}) is int",
    "number": "_is_number({v})",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
}


class _Unsupported(Exception):
    """A schema keyword (or value) the fast-path compiler does not handle."""


def _is_number(value: Any) -> bool:
    # jsonschema's "number": any numbers.Number except bool.
    return type(value) is float or type(value) is int or (not isinstance(value, bool) and isinstance(value, Number))


def _freeze(value: Any) -> Any:
    """A hashable form with jsonschema's equality: 1 == 1.0 but True != 1, lists and objects by content."""
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if isinstance(value, list):
        return ("l", tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("d", frozenset((k, _freeze(v)) for k, v in value.items()))
    return ("n" if _is_number(value) else "v", value)


def _unique(items: list) -> bool:
    if all(type(v) is str for v in items):
        return len(set(items)) == len(items)
    return len({_freeze(v) for v in items}) == len(items)


class _SchemaCompiler:
    """Generates ``def check(v0) -> bool`` from a (non-recursive) schema; every failing test returns False."""

    def __init__(self, root: dict):
        self.root = root
        self.names: dict[str, Any] = {"_is_number": _is_number, "_unique": _unique}
        self.helpers: list[str] = []
        self.counter = 0

    def compile(self) -> Callable[[Any], bool]:
        body = self.emit(self.root, "v0", "    ", ())
        source = "\n".join([*self.helpers, "def check(v0):", *body, "    return True", ""])
        namespace = dict(self.names)
        exec(compile(source, f"<schema fast path {self.root.get('$id', '')}>", "exec"), namespace)  # noqa: S102
        return namespace["check"]

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any) -> str:
        name = self.fresh("_c")
        self.names[name] = value
        return name

    def resolve(self, ref: str) -> dict:
        if not ref.startswith("#/"):
            raise _Unsupported(ref)
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def emit(self, schema: Any, v: str, ind: str, refs: tuple[str, ...]) -> list[str]:
        if schema is True:
            return []
        if schema is False:
            return [f"{ind}return False"]
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        known = {
            "type",
            "enum",
            "const",
            "minimum",
            "maximum",
            "minLength",
            "pattern",
            "required",
            "properties",
            "additionalProperties",
            "propertyNames",
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "$ref",
            "allOf",
            "if",
            "then",
            "else",
        }
        unknown = set(schema) - known - _ANNOTATION_KEYWORDS
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        out: list[str] = []
        types = schema.get("type")
        if types is not None:
            types = [types] if isinstance(types, str) else list(types)
            if not types or any(t not in _TYPE_TESTS for t in types):
                raise _Unsupported(f"type {types}")
            test = " or ".join(_TYPE_TESTS[t].format(v=v) for t in types)
            out.append(f"{ind}if not ({test}): return False")
        only = types[0] if types is not None and len(types) == 1 else None
        for key in ("enum", "const"):
            if key in schema:
                values = schema["enum"] if key == "enum" else [schema["const"]]
                if not all(type(x) is str for x in values):
                    raise _Unsupported(f"non-string {key}")  # strings compare by ==; others need JSON equality
                out.append(
                    f"{ind}if not (isinstance({v}, str) and {v} in {self.constant(frozenset(values))}): return False"
                )
        number = "" if only in ("integer", "number") else f"_is_number({v}) and "
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in schema:
                out.append(f"{ind}if {number}{v} {op} {self.constant(schema[key])}: return False")
        string = "" if only == "string" else f"isinstance({v}, str) and "
        if "minLength" in schema:
            out.append(f"{ind}if {string}len({v}) < {int(schema['minLength'])}: return False")
        if "pattern" in schema:
            regex_ = self.constant(re.compile(schema["pattern"]))
            out.append(f"{ind}if {string}{regex_}.search({v}) is None: return False")
        out += self.emit_object(schema, v, ind, refs, only == "object")
        out += self.emit_array(schema, v, ind, refs, only == "array")
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in refs:
                raise _Unsupported(f"recursive {ref}")
            out += self.emit(self.resolve(ref), v, ind, (*refs, ref))
        for sub in schema.get("allOf", ()):
            out += self.emit(sub, v, ind, refs)
        if "if" in schema:
            helper = self.fresh("_if")
            self.helpers += [f"def {helper}(v0):", *self.emit(schema["if"], "v0", "    ", refs), "    return True"]
            then_lines = self.emit(schema.get("then", True), v, ind + "    ", refs)
            else_lines = self.emit(schema.get("else", True), v, ind + "    ", refs)
            out += [
                f"{ind}if {helper}({v}):",
                *(then_lines or [f"{ind}    pass"]),
                f"{ind}else:",
                *(else_lines or [f"{ind}    pass"]),
            ]
        return out

    def emit_object(self, schema: dict, v: str, ind: str, refs: tuple[str, ...], is_object: bool) -> list[str]:
        keys = ("required", "properties", "additionalProperties", "propertyNames")
        if not any(k in schema for k in keys):
            return []
        inner = ind if is_object else ind + "    "
        out = [] if is_object else [f"{ind}if isinstance({v}, dict):"]
        required = list(schema.get("required", ()))
        if required:
            out.append(f"{inner}if not {self.constant(frozenset(required))} <= {v}.keys(): return False")
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            x = self.fresh("v")
            lines = self.emit(sub, x, inner + ("" if name in required else "    "), refs)
            if not lines:
                continue
            if name in required:
                out += [f"{inner}{x} = {v}[{name!r}]", *lines]
            else:
                out += [f"{inner}if {name!r} in {v}:", f"{inner}    {x} = {v}[{name!r}]", *lines]
        extra = schema.get("additionalProperties", True)
        if extra is False:
            out.append(f"{inner}if not {v}.keys() <= {self.constant(frozenset(properties))}: return False")
        elif extra is not True:
            k, x = self.fresh("k"), self.fresh("v")
            allowed = self.constant(frozenset(properties))
            out += [
                f"{inner}for {k}, {x} in {v}.items():",
                f"{inner}    if {k} not in {allowed}:",
                *self.emit(extra, x, inner + "        ", refs),
            ]
        if "propertyNames" in schema:
            k = self.fresh("k")
            out += [f"{inner}for {k} in {v}:", *self.emit(schema["propertyNames"], k, inner + "    ", refs)]
        return out if len(out) > (0 if is_object else 1) else []

    def emit_array(self, schema: dict, v: str, ind: str, refs: tuple[str, ...], is_array: bool) -> list[str]:
        keys = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")
        if not any(k in schema for k in keys):
            return []
        inner = ind if is_array else ind + "    "
        out = [] if is_array else [f"{ind}if isinstance({v}, list):"]
        if "minItems" in schema:
            out.append(f"{inner}if len({v}) < {int(schema['minItems'])}: return False")
        if "maxItems" in schema:
            out.append(f"{inner}if len({v}) > {int(schema['maxItems'])}: return False")
        if schema.get("uniqueItems"):
            out.append(f"{inner}if not _unique({v}): return False")
        prefix = schema.get("prefixItems", [])
        for i, sub in enumerate(prefix):
            x = self.fresh("v")
            lines = self.emit(sub, x, inner + "    ", refs)
            if lines:
                out += [f"{inner}if len({v}) > {i}:", f"{inner}    {x} = {v}[{i}]", *lines]
        if "items" in schema:
            x = self.fresh("v")
            lines = self.emit(schema["items"], x, inner + "    ", refs)
            if lines:
                rest = f"{v}[{len(prefix)}:]" if prefix else v
                out += [f"{inner}for {x} in {rest}:", *lines]
        return out if len(out) > (0 if is_array else 1) else []


@cache
def _fast_check(kind: str) -> Callable[[Any], bool] | None:
    """The compiled predicate of ``kind``'s schema, or ``None`` when the schema uses a keyword it does not know."""
    try:
        return _SchemaCompiler(load_schema(kind)).compile()
    except _Unsupported:
        return None


def conforms(record: Any, kind: str) -> bool:
    """True when ``record`` conforms to ``kind``'s schema (fast path; jsonschema only for kinds it cannot compile)."""
    check = _fast_check(kind)
    if check is not None:
        return check(record)
    return _validator(kind).is_valid(record)


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


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
            out.append(
                Finding(f"{name}[{i}]", f"[{s}, {e}) overlaps or precedes the previous one (which ends at {prev_end})")
            )
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
            out.append(
                Finding(
                    name,
                    f"character {_short(text[offset])} at {offset} is in no token "
                    "(tokens must cover every non-space character)",
                )
            )
            return
        pos = max(pos, e)


def _check_document(doc: dict) -> list[Finding]:
    out: list[Finding] = []
    text: str = doc["text"]
    n = len(text)
    if document_id(text) != doc["id"]:
        out.append(
            Finding(
                "id",
                f"{doc['id']} is not the hash of the text ({document_id(text)}): was the text edited after ingest?",
                "warning",
            )
        )
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
                out.append(
                    Finding(
                        f"tokens[{i}].ws",
                        f"is {str(tok['ws']).lower()} but the next character is "
                        f"{_short(text[tok['end'] : tok['end'] + 1] or 'the end')}",
                    )
                )
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
                out.append(
                    Finding(f"{where}.{end}", f"{rel['label']} {end} must be a {want} span, {rel[end]!r} is {got}")
                )
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
        out.append(
            Finding(
                where, f"token_start {ts} / token_end {te} are not a token range (the task has {len(tokens)} tokens)"
            )
        )
        return False
    if tokens[ts]["start"] != s or tokens[te]["end"] != e:
        on_boundary = any(t["start"] == s for t in tokens) and any(t["end"] == e for t in tokens)
        if on_boundary:
            message = (
                f"token_start/token_end {ts}..{te} cover [{tokens[ts]['start']}, {tokens[te]['end']}), "
                f"not the span [{s}, {e})"
            )
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
                    out.append(
                        Finding(
                            f"{where}.{end}",
                            f"is token {rel[end]}, but {end}_span ends at token {end_span['token_end']}",
                        )
                    )
                elif rel[end] not in ends_of_spans:
                    out.append(Finding(f"{where}.{end}", f"token {rel[end]} is not the last token of any span"))
                if want_label and end_span["label"] != want_label:
                    out.append(
                        Finding(
                            f"{where}.{end}_span.label",
                            f"{rel['label']} {end} must be a {want_label} span, not {end_span['label']}",
                        )
                    )
    elif kind == CHOICE:
        option_ids = [o["id"] for o in task["options"]]
        if sorted(option_ids) != sorted(CHECKWORTHY_OPTIONS):
            out.append(Finding("options", f"ids are {option_ids}, expected each of {list(CHECKWORTHY_OPTIONS)} once"))
        for answer in task["accept"]:
            if answer not in option_ids:
                out.append(Finding("accept", f"{answer!r} is not an option id"))
    return out


@dataclass(frozen=True)
class LabelConfig:
    """What a Label Studio labeling config allows: Labels / Choices by control name, relation labels, Text names."""

    labels: dict[str, frozenset[str]]
    choices: dict[str, frozenset[str]]
    relations: frozenset[str]
    texts: frozenset[str]


def parse_label_config(xml: str) -> LabelConfig:
    """The names and values of a labeling config (raises ``ValueError`` on malformed XML)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"malformed XML ({exc})") from None

    def values(tag: str, child: str) -> dict[str, frozenset[str]]:
        return {el.get("name", ""): frozenset(c.get("value", "") for c in el.iter(child)) for el in root.iter(tag)}

    return LabelConfig(
        labels=values("Labels", "Label"),
        choices=values("Choices", "Choice"),
        relations=frozenset(r.get("value", "") for r in root.iter("Relation")),
        texts=frozenset(t.get("name", "") for t in root.iter("Text")),
    )


@cache
def default_label_config() -> LabelConfig:
    from corpus.tasks.labelstudio import label_config

    return parse_label_config(label_config())


def _check_labelstudio(task: dict, config: LabelConfig) -> list[Finding]:
    out: list[Finding] = []
    text: str = task["data"]["text"]
    n = len(text)
    for p, prediction in enumerate(task["predictions"]):
        regions: dict[str, str] = {}  # region id -> label
        for r, res in enumerate(prediction["result"]):
            where = f"predictions[{p}].result[{r}]"
            if res["type"] != "labels":
                continue
            value = res["value"]
            if res["id"] in regions:
                out.append(Finding(f"{where}.id", f"duplicate region id {res['id']!r}"))
            regions[res["id"]] = value["labels"][0]
            if res["from_name"] not in config.labels:
                out.append(Finding(f"{where}.from_name", f"{res['from_name']!r} is no <Labels> name of the config"))
            else:
                for label in value["labels"]:
                    if label not in config.labels[res["from_name"]]:
                        out.append(
                            Finding(
                                f"{where}.value.labels",
                                f"{label!r} is not a <Label> of {res['from_name']!r} in the config",
                            )
                        )
            if res["to_name"] not in config.texts:
                out.append(Finding(f"{where}.to_name", f"{res['to_name']!r} is no <Text> name of the config"))
            s, e = value["start"], value["end"]
            if not s < e <= n:
                out.append(Finding(f"{where}.value", f"[{s}, {e}) is empty or outside the text (length {n})"))
            elif value["text"] != text[s:e]:
                out.append(
                    Finding(f"{where}.value.text", f"{_short(value['text'])} != text[{s}:{e}] {_short(text[s:e])}")
                )
        for r, res in enumerate(prediction["result"]):
            where = f"predictions[{p}].result[{r}]"
            if res["type"] == "relation":
                ends = []
                for end in ("from_id", "to_id"):
                    ends.append(regions.get(res[end]))
                    if res[end] not in regions:
                        out.append(Finding(f"{where}.{end}", f"region {res[end]!r} does not exist in this prediction"))
                for label in res["labels"]:
                    if label not in config.relations:
                        out.append(Finding(f"{where}.labels", f"{label!r} is not a <Relation> of the config"))
                    want = RELATION_ENDS.get(label)
                    if want and None not in ends and res.get("direction", "right") == "right" and tuple(ends) != want:
                        out.append(
                            Finding(
                                where, f"{label} must go from {want[0]} to {want[1]}, not from {ends[0]} to {ends[1]}"
                            )
                        )
            elif res["type"] == "choices":
                if res["from_name"] not in config.choices:
                    out.append(
                        Finding(f"{where}.from_name", f"{res['from_name']!r} is no <Choices> name of the config")
                    )
                else:
                    for option in res["value"]["choices"]:
                        if option not in config.choices[res["from_name"]]:
                            out.append(
                                Finding(
                                    f"{where}.value.choices", f"{option!r} is not a <Choice> of {res['from_name']!r}"
                                )
                            )
                if res["id"] not in regions:
                    out.append(
                        Finding(f"{where}.id", f"per-region choice for region {res['id']!r}, which does not exist")
                    )
                elif regions[res["id"]] not in CLAIM_LABELS:
                    out.append(
                        Finding(
                            f"{where}.id", f"check-worthiness on a {regions[res['id']]} region (only claims are judged)"
                        )
                    )
        if len(out) >= MAX_FINDINGS_PER_RECORD:
            break
    return out


def _utf16_boundaries(text: str) -> tuple[set[int], int]:
    """The UTF-16 offsets that fall on code-point boundaries, and the text's length in UTF-16 code units."""
    table = utf16_offsets(text)
    return set(table), table[-1]


def _check_doccano(record: dict, kind: str) -> list[Finding]:
    out: list[Finding] = []
    text: str = record["text"]
    boundaries, units = _utf16_boundaries(text)
    if kind == DOCCANO_RELATIONS:
        entries = [
            (f"entities[{i}]", e["start_offset"], e["end_offset"], e["id"]) for i, e in enumerate(record["entities"])
        ]
    else:
        entries = [(f"label[{i}]", e[0], e[1], None) for i, e in enumerate(record["label"])]
    ids: dict[int, str] = {}
    labels = record["entities"] if kind == DOCCANO_RELATIONS else [{"label": e[2]} for e in record["label"]]
    for (where, s, e, ident), entry in zip(entries, labels, strict=True):
        if not s < e <= units:
            out.append(Finding(where, f"[{s}, {e}) is empty or outside the text ({units} UTF-16 code units)"))
        elif s not in boundaries or e not in boundaries:
            out.append(
                Finding(
                    where,
                    f"[{s}, {e}) splits a character outside the BMP (an offset inside a surrogate "
                    "pair; doccano offsets are UTF-16 code units)",
                )
            )
        if ident is not None:
            if ident in ids:
                out.append(Finding(f"{where}.id", f"duplicate entity id {ident}"))
            ids[ident] = entry["label"]
        if len(out) >= MAX_FINDINGS_PER_RECORD:
            return out
    if kind == DOCCANO_RELATIONS:
        for i, rel in enumerate(record["relations"]):
            ends = [ids.get(rel["from_id"]), ids.get(rel["to_id"])]
            for end, got in zip(("from_id", "to_id"), ends, strict=True):
                if got is None:
                    out.append(Finding(f"relations[{i}].{end}", f"entity {rel[end]} does not exist"))
            want = RELATION_ENDS.get(rel["type"])
            if want and None not in ends and tuple(ends) != want:
                out.append(
                    Finding(
                        f"relations[{i}]",
                        f"{rel['type']} must go from {want[0]} to {want[1]}, not from {ends[0]} to {ends[1]}",
                    )
                )
    return out


def _check_annotation(record: dict) -> list[Finding]:
    out: list[Finding] = []
    task = record["task"]
    if record["key"] != f"{record['annotator']}|{task['hash']}":
        out.append(Finding("key", f"{_short(record['key'])} is not annotator|task.hash"))
    if not task["start"] <= task["end"]:
        out.append(Finding("task", f"start {task['start']} is after end {task['end']}"))
    span_ids = set()
    for i, span in enumerate(record["spans"]):
        if not task["start"] <= span["start"] < span["end"] <= task["end"]:
            out.append(
                Finding(
                    f"spans[{i}]",
                    f"[{span['start']}, {span['end']}) is empty or outside the task [{task['start']}, {task['end']})",
                )
            )
        if span["layer"] != LAYER_OF_LABEL.get(span["label"], span["layer"]):
            out.append(Finding(f"spans[{i}].layer", f"{span['label']} is not a {span['layer']} label"))
        if span["id"] in span_ids:
            out.append(Finding(f"spans[{i}].id", f"duplicate span id {span['id']!r}"))
        span_ids.add(span["id"])
    for i, rel in enumerate(record["relations"]):
        for end in ("head", "child"):
            if rel[end] not in span_ids:
                out.append(Finding(f"relations[{i}].{end}", f"span {rel[end]!r} is not in this record"))
    for i, choice in enumerate(record["choices"]):
        if not choice["start"] < choice["end"]:
            out.append(Finding(f"choices[{i}]", f"[{choice['start']}, {choice['end']}) is empty"))
    return out[:MAX_FINDINGS_PER_RECORD]


def validate_document(doc: Any) -> list[str]:
    """Problems with one document record (schema, then semantic checks), as ``"field: problem"`` strings."""
    return [str(f) for f in _findings(doc, DOCUMENTS)]


def document_errors(doc: Any, path: str | Path, line: int, semantic: bool = True) -> list[InputProblem]:
    """The errors `corpus validate` reports for one document record, as the same ``file:line: [field]`` lines:
    the one check of record validity that every command reading documents.jsonl uses before trusting a record.
    ``semantic=False`` checks the shape only (types, required fields: what a reader must be able to trust),
    leaving offsets and span texts to callers that drop a bad span and keep its document. Warnings (an id that
    is not the text's hash, ...) do not make a record unusable and are left out."""
    findings = _findings(doc, DOCUMENTS) if semantic else _shape_findings(doc, DOCUMENTS)
    return [InputProblem(str(path), f.message, line=line, field=f.field) for f in findings if f.severity == "error"]


def validate_task(task: Any, kind: str, config: LabelConfig | None = None) -> list[str]:
    """Problems with one task of ``kind``: a Prodigy kind (``ner.manual``, ``spans.manual``, ``rel.manual``,
    ``choice``), ``labelstudio`` (checked against ``config``, default: the config `corpus tasks` writes),
    ``doccano.relations`` or ``doccano.spans``; or with one ``annotations`` record."""
    return [str(f) for f in _findings(task, kind, config)]


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _tokens_match_schema(tokens: Any, kind: str) -> bool:
    """The token ``$defs`` of the schemas, checked in plain Python: tokens are most of a record, and jsonschema
    costs ~25 µs per token. Any doubt returns False and the full schema check runs (for its messages)."""
    if type(tokens) is not list:
        return False
    if kind == DOCUMENTS:
        return all(
            type(t) is dict
            and len(t) == 3
            and _is_count(t.get("start"))
            and _is_count(t.get("end"))
            and type(t.get("ws")) is bool
            for t in tokens
        )
    return all(
        type(t) is dict
        and type(t.get("text")) is str
        and t["text"] != ""
        and _is_count(t.get("start"))
        and _is_count(t.get("end"))
        and _is_count(t.get("id"))
        and type(t.get("ws")) is bool
        for t in tokens
    )


def _ranges_match_schema(ranges: Any) -> bool:
    """The ``range`` ``$def`` of the document schema ([start, end] counts), in plain Python."""
    return type(ranges) is list and all(
        type(r) is list and len(r) == 2 and _is_count(r[0]) and _is_count(r[1]) for r in ranges
    )


_ALL_LABELS = frozenset(LAYER_OF_LABEL)
_RELATION_LABELS = frozenset(RELATION_ENDS)
_OPTIONS = frozenset(CHECKWORTHY_OPTIONS)


def _is_label_list(value: Any, allowed: frozenset[str], min_items: int = 1) -> bool:
    return type(value) is list and len(value) >= min_items and all(type(v) is str and v in allowed for v in value)


def _result_matches_schema(res: Any) -> bool:
    """One Label Studio result item against ``labelstudio-task.schema.json`` ``$defs``, in plain Python."""
    if type(res) is not dict or type(res.get("type")) is not str:
        return False
    kind, value = res["type"], res.get("value")
    if kind == "relation":
        return (
            type(res.get("from_id")) is str
            and res["from_id"] != ""
            and type(res.get("to_id")) is str
            and res["to_id"] != ""
            and res.get("direction", "right") in ("right", "left", "bi")
            and _is_label_list(res.get("labels"), _RELATION_LABELS, 0)
        )
    if (
        type(value) is not dict
        or type(res.get("id")) is not str
        or res["id"] == ""
        or type(res.get("from_name")) is not str
        or type(res.get("to_name")) is not str
    ):
        return False
    if kind == "labels":
        score = res.get("score", 0)
        return (
            _is_count(value.get("start"))
            and _is_count(value.get("end"))
            and type(value.get("text")) is str
            and _is_label_list(value.get("labels"), _ALL_LABELS)
            and type(score) in (int, float)
            and 0 <= score <= 1
        )
    if kind == "choices":
        return (
            _is_label_list(value.get("choices"), _OPTIONS)
            and len(value["choices"]) == 1
            and all(_is_count(value[k]) for k in ("start", "end") if k in value)
            and type(value.get("text", "")) is str
        )
    return False


def _entities_match_schema(entities: Any) -> bool:
    return type(entities) is list and all(
        type(e) is dict
        and type(e.get("id")) is int
        and _is_count(e.get("start_offset"))
        and _is_count(e.get("end_offset"))
        and e.get("label") in _ALL_LABELS
        for e in entities
    )


def _doccano_relations_match_schema(relations: Any) -> bool:
    return type(relations) is list and all(
        type(r) is dict
        and type(r.get("from_id")) is int
        and type(r.get("to_id")) is int
        and r.get("type") in _RELATION_LABELS
        and type(r.get("id", 0)) is int
        for r in relations
    )


def _doccano_labels_match_schema(labels: Any) -> bool:
    return type(labels) is list and all(
        type(x) is list and len(x) == 3 and _is_count(x[0]) and _is_count(x[1]) and x[2] in _ALL_LABELS for x in labels
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
    elif kind == LABELSTUDIO and type(record.get("predictions")) is list:
        predictions = [
            {**p, "result": []}
            if type(p) is dict and type(p.get("result")) is list and all(_result_matches_schema(r) for r in p["result"])
            else p
            for p in record["predictions"]
        ]
        fast["predictions"] = predictions
    elif kind == DOCCANO_RELATIONS:
        if _entities_match_schema(record.get("entities")):
            fast["entities"] = []
        if _doccano_relations_match_schema(record.get("relations")):
            fast["relations"] = []
    elif kind == DOCCANO_SPANS and _doccano_labels_match_schema(record.get("label")):
        fast["label"] = []
    return {**record, **fast} if fast else record


def _shape_findings(record: Any, kind: str) -> list[Finding]:
    """What the schema says is wrong with ``record`` (types, required fields), or nothing."""
    if not isinstance(record, dict):
        return [Finding(None, f"expected a JSON object, got {_JSON_TYPES.get(type(record), type(record).__name__)}")]
    check = _fast_check(kind)
    if check is None or not check(record):
        # Rejected (or no fast path): jsonschema names the problems. It may still find none, since only a rare
        # value (a Decimal, a uniqueItems list of objects) makes the fast path say no to a conforming record.
        return _schema_findings(_schema_view(record, kind), kind)
    return []


def _findings(record: Any, kind: str, config: LabelConfig | None = None) -> list[Finding]:
    schema_problems = _shape_findings(record, kind)
    if schema_problems:
        return schema_problems  # semantic checks rely on the types the schema guarantees
    try:
        if kind == DOCUMENTS:
            found = _check_document(record)
        elif kind == LABELSTUDIO:
            found = _check_labelstudio(record, config or default_label_config())
        elif kind in (DOCCANO_RELATIONS, DOCCANO_SPANS):
            found = _check_doccano(record, kind)
        elif kind == ANNOTATIONS:
            found = _check_annotation(record)
        else:
            found = _check_task(record, kind)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # A shape the schema let through but the checks did not expect: still one line, never a traceback.
        found = [Finding(None, f"could not be checked ({type(exc).__name__}: {_short(str(exc), 80)})")]
    return found[:MAX_FINDINGS_PER_RECORD]


# ------------------------------------------------------------------------------------------------ files


def detect_kind(path: str | Path) -> str | None:
    """The kind of a file: by name (documents.jsonl, ner.manual.jsonl, tasks.json, …), else by its first record."""
    path = Path(path)
    kind = FILE_NAMES.get(path.name.lower())
    if kind is not None:
        return kind
    if path.suffix.lower() == ".json":
        return None  # only tasks.json is known among JSON files (custom names: pass the file as tasks.json)
    first = _first_record(path)
    if not isinstance(first, dict):
        return None
    if isinstance(first.get("key"), str) and isinstance(first.get("task"), dict) and "annotator" in first:
        return ANNOTATIONS
    if "answer" in first:
        return None  # an annotation export (checked when annotations are ingested)
    view = first.get("_view_id")
    if isinstance(view, str):
        return next((k for k, v in VIEW_IDS.items() if v == view), None)
    if "id" in first and "text" in first and "tokens" in first and "spans" in first:
        return DOCUMENTS
    if isinstance(first.get("text"), str) and "_task_hash" not in first:
        if isinstance(first.get("entities"), list):
            return DOCCANO_RELATIONS
        if isinstance(first.get("label"), list):
            return DOCCANO_SPANS
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


def _check_task_ref(ref: _TaskRef, store: _DocumentStore, report, doc_files: str) -> None:
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
            self.out.append(
                InputProblem(
                    self.summary.path,
                    f"... and {self.hidden} more problems not shown",
                    severity="error" if self.summary.errors > self.cap else "warning",
                )
            )


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, str | None]], list[InputProblem]]:
    """Files to validate with their kinds; folders contribute every known ``.jsonl`` file inside (recursively)."""
    files: list[tuple[Path, str | None]] = []
    problems: list[InputProblem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [*path.rglob("*.jsonl"), *(f for name in JSON_FILE_NAMES for f in path.rglob(name))]
            for file in sorted(found):
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
    has_documents = any(kind == DOCUMENTS for _, kind in files)
    doc_files = ", ".join(Path(p).name for p, k in files if k == DOCUMENTS)
    # Documents first, into a temporary file: each task is then checked against its document as it is read,
    # and memory stays flat however many documents and tasks there are.
    store = _DocumentStore() if has_documents else None
    order = sorted(range(len(files)), key=lambda i: files[i][1] != DOCUMENTS)
    try:
        for i in order:
            path, kind = files[i]
            report = reporters[i]
            if kind is None:
                report(
                    None, f"not a known file kind: expected one of {KNOWN_FILES} (or such records under another name)"
                )
                continue
            try:
                if kind == DOCUMENTS:
                    _validate_documents_file(path, summaries[i], report, store, i)
                elif kind == DOCCANO_LABELS:
                    _validate_label_file(path, summaries[i], report)
                else:
                    check = None
                    if store is not None:

                        def check(ref: _TaskRef, report=report) -> None:
                            _check_task_ref(ref, store, report, doc_files)

                    _validate_tasks_file(path, kind, summaries[i], report, check, i)
            except OSError as exc:
                report(None, f"cannot read: {exc.strerror or exc}")
            if summaries[i].records == 0 and summaries[i].errors == 0 and kind == DOCUMENTS:
                report(None, "no records (empty file)", severity="warning")
    finally:
        if store is not None:
            store.close()
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


def _validate_documents_file(path: Path, summary: FileSummary, report, store: _DocumentStore, file_no: int) -> None:
    for lineno, doc in _iter_lines(path, report):
        summary.records += 1
        for f in _findings(doc, DOCUMENTS):
            report(f.field, f.message, lineno, f.severity)
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
            continue
        first = store.first_line(doc["id"], file_no)
        if first is not None:
            report("id", f"duplicate document id {doc['id']} (first on line {first})", lineno)
        store.add(doc, file_no, lineno)


def _validate_label_file(path: Path, summary: FileSummary, report) -> None:
    """A doccano label file is one small JSON array (what its Import Labels reads): parsed and checked whole."""
    try:
        labels = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        report(None, f"not valid JSON ({exc})", 1)
        return
    summary.records = len(labels) if isinstance(labels, list) else 1
    for f in _schema_findings(labels, DOCCANO_LABELS):
        report(f.field, f.message, 1, f.severity)


def _iter_array(path: Path, report) -> Iterator[tuple[int, Any]]:
    """Elements of a top-level JSON array with their line numbers; a broken array is one problem, not a crash."""
    from corpus.annotations.ingest import iter_json_array

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


def _label_config_for(path: Path, report) -> LabelConfig | None:
    """The config.xml beside a tasks.json, or ``None`` (the default config) when there is none."""
    config_path = path.parent / "config.xml"
    if not config_path.is_file():
        return None
    try:
        return parse_label_config(config_path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        report(
            None,
            f"{config_path.name} beside it is unusable ({exc}); checked against the default config",
            severity="warning",
        )
        return None


def _task_meta(task: dict, kind: str) -> tuple[Any, Any]:
    """``(meta, text)`` of a task: Label Studio keeps both in ``data``; doccano may flatten ``meta``."""
    if kind == LABELSTUDIO:
        data = task.get("data")
        return (data, data.get("text")) if isinstance(data, dict) else (None, None)
    meta = task.get("meta")
    if kind in (DOCCANO_RELATIONS, DOCCANO_SPANS) and not isinstance(meta, dict):
        meta = task
    return meta, task.get("text")


def _validate_tasks_file(
    path: Path, kind: str, summary: FileSummary, report, check: Callable[[_TaskRef], None] | None, file_index: int
) -> None:
    hashes = _FirstLines()
    config = _label_config_for(path, report) if kind == LABELSTUDIO else None
    items = _iter_array(path, report) if kind == LABELSTUDIO else _iter_lines(path, report)
    meta_fields = ("data", "meta", "text") if kind in (LABELSTUDIO, *TOOL_KINDS) else ("meta", "text")
    for lineno, task in items:
        summary.records += 1
        findings = _findings(task, kind, config)
        for f in findings:
            report(f.field, f.message, lineno, f.severity)
        if not isinstance(task, dict) or kind == ANNOTATIONS:
            continue
        task_hash = task.get("_task_hash")
        if kind in TASK_KINDS and isinstance(task_hash, int):
            first = hashes.first(task_hash)
            if first is not None:
                report("_task_hash", f"duplicate _task_hash {task_hash} (first on line {first})", lineno)
            else:
                hashes.add(task_hash, lineno)
        if check is not None and not any(f.field and f.field.startswith(meta_fields) for f in findings):
            meta, text = _task_meta(task, kind)
            if (
                isinstance(meta, dict)
                and isinstance(text, str)
                and isinstance(meta.get("doc_id"), str)
                and type(meta.get("offset")) is int
            ):
                span_id = meta.get("span_id") if isinstance(meta.get("span_id"), str) else None
                check(
                    _TaskRef(
                        file_index,
                        lineno,
                        meta["offset"],
                        len(text),
                        _digest(text),
                        span_id,
                        "data" if kind == LABELSTUDIO else "meta",
                        meta["doc_id"],
                    )
                )
