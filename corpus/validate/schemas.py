"""The JSON Schemas of ``schemas/``: which kind of record each describes, loading, and field-named problems.

A kind is ``documents``, ``annotations`` or a task / label file kind of a tool (:data:`corpus.formats.FORMATS`
says which files and schemas each tool has). :func:`shape_findings` answers "does the record have the schema's
shape" fast (:mod:`corpus.validate.fastpath`) and asks jsonschema only for the messages of a record that does not.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator, ValidationError, validators

import corpus
from corpus.errors import CorpusError
from corpus.formats import FORMATS
from corpus.records import Finding, printable, short
from corpus.validate.fastpath import fast_check
from corpus.validate.views import schema_view

# Installed packages carry the schemas as corpus/schemas (copied in by setup.py); a source checkout and an
# editable install read the top-level schemas/ beside the package.
_PACKAGE = Path(corpus.__file__).resolve().parent
SCHEMA_DIRS = (_PACKAGE / "schemas", _PACKAGE.parent / "schemas")
SCHEMA_DIR = next((d for d in SCHEMA_DIRS if d.is_dir()), SCHEMA_DIRS[0])

DOCUMENTS = "documents"
ANNOTATIONS = "annotations"
TOOL_SCHEMAS = {kind: name for tool in FORMATS.values() for kind, name in tool.schemas.items()}
_TASK_KINDS = [kind for tool in FORMATS.values() for kind in tool.kinds.values()]
_LABEL_KINDS = list(dict.fromkeys(kind for tool in FORMATS.values() for kind in tool.label_kinds.values()))
SCHEMA_FILES = {
    DOCUMENTS: "document.schema.json",
    **{kind: TOOL_SCHEMAS[kind] for kind in _TASK_KINDS},
    ANNOTATIONS: "annotation.schema.json",
    **{kind: TOOL_SCHEMAS[kind] for kind in _LABEL_KINDS},
}

MAX_SCHEMA_ERRORS_PER_RECORD = 10
MAX_FINDINGS_PER_RECORD = 20

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


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


def json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _type_message(err: ValidationError) -> str:
    value = err.validator_value
    expected = value if isinstance(value, str) else " or ".join(value)
    return f"expected {expected}, got {json_type(err.instance)}"


def _bound_message(err: ValidationError) -> str:
    bound = "below the minimum" if err.validator == "minimum" else "above the maximum"
    return f"{short(err.instance)} is {bound} {err.validator_value}"


# jsonschema's messages repeat whole values (a text can be megabytes): short, field-named ones instead.
_MESSAGES: dict[str, Callable[[ValidationError], str]] = {
    "type": _type_message,
    "enum": lambda err: f"{short(err.instance)} is not one of {', '.join(map(str, err.validator_value))}",
    "const": lambda err: f"expected {err.validator_value!r}, got {short(err.instance)}",
    "pattern": lambda err: f"{short(err.instance)} does not match {err.validator_value}",
    "minimum": _bound_message,
    "maximum": _bound_message,
    **{
        key: lambda err: f"{err.validator} {err.validator_value} not met"
        for key in ("minItems", "maxItems", "minLength")
    },
}


def _finding(err: ValidationError) -> Finding:
    path = list(err.absolute_path)
    if err.validator == "additionalProperties":
        allowed = set(err.schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        path.append(extra[0] if extra else "?")
        return Finding(json_path(path) or None, "unexpected field (not in the schema)")
    message = _MESSAGES.get(str(err.validator), lambda e: short(e.message, 120))(err)
    return Finding(json_path(path) or None, message)


def schema_findings(record: Any, kind: str) -> list[Finding]:
    """Schema errors as short, field-named findings; the fields missing from one object are one finding."""
    findings: list[Finding] = []
    missing: dict[str, list[str]] = {}  # object path -> its missing fields, in order
    for err in islice(_validator(kind).iter_errors(record), 5 * MAX_SCHEMA_ERRORS_PER_RECORD):
        if err.validator == "required":
            # The missing name is only in the message: "'x' is a required property".
            name = err.message.partition(" is a required property")[0].strip("'\"")
            where = json_path(err.absolute_path)
            if where not in missing:
                missing[where] = []
                findings.append(Finding(where or None, ""))  # completed below, once all names are known
            missing[where].append(name)
            continue
        findings.append(_finding(err))
        if len(findings) >= MAX_SCHEMA_ERRORS_PER_RECORD:
            break
    for finding in findings:
        if not finding.message:
            _name_missing(finding, missing[finding.field or ""])
    return findings


def _name_missing(finding: Finding, names: list[str]) -> None:
    prefix = f"{finding.field}." if finding.field else ""
    finding.message = printable(f"missing field{'s' if len(names) > 1 else ''} {', '.join(names)}")
    finding.field = printable(prefix + names[0]) if len(names) == 1 else finding.field


def shape_findings(record: Any, kind: str) -> list[Finding]:
    """What the schema says is wrong with ``record`` (types, required fields), or nothing."""
    if not isinstance(record, dict):
        return [Finding(None, f"expected a JSON object, got {json_type(record)}")]
    check = fast_check(kind)
    if check is None or not check(record):
        # Rejected (or no fast path): jsonschema names the problems. It may still find none, since only a rare
        # value (a Decimal, a uniqueItems list of objects) makes the fast path say no to a conforming record.
        return schema_findings(schema_view(record, kind), kind)
    return []


# What a check may raise on a shape the schema let through but it did not expect (one finding, not a traceback)
GUARDED = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def guarded(check: Callable[..., list[Finding]], *args: Any) -> list[Finding]:
    """``check(*args)``; a shape the schema let through but the check did not expect is one finding, not a
    traceback."""
    try:
        return check(*args)
    except GUARDED as exc:
        return [Finding(None, f"could not be checked ({type(exc).__name__}: {short(str(exc), 80)})")]
