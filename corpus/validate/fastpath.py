"""Schemas compiled to plain-Python predicates: "does this record conform?" without walking it with jsonschema.

jsonschema walks a record at ~25 µs per token, most of a validation's time (``corpus validate`` on the data
folder of a 400-document build: 11 s with these predicates, 57 s with jsonschema alone). Each schema is therefore
compiled once into a predicate (generated source, keywords inlined) with jsonschema's own semantics (strict
integers: see :mod:`corpus.validate.schemas`). Required properties are read without a test first (a missing one
raises KeyError: False), ``if`` discriminators are inline expressions, and a pattern remembers the strings it
matched (a labeller's ``name@version`` is on every span). A record it accepts skips jsonschema; a rejected one
goes through jsonschema for the exact, field-named messages. A keyword the compiler does not know makes the kind
fall back to jsonschema for every record: never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache
from numbers import Number
from typing import Any

_ANNOTATION_KEYWORDS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"})
_KNOWN_KEYWORDS = frozenset(
    {
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
)
_OBJECT_KEYWORDS = ("required", "properties", "additionalProperties", "propertyNames")
Bound = dict[str, str] | None  # required property name -> the variable holding it, a string (see emit)
_ARRAY_KEYWORDS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "integer": "type({v}) is int",
    # a float or an int without a call (a score on every span); any other number through _is_number
    "number": "(type({v}) is float or type({v}) is int or _is_number({v}))",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
}


class _Unsupported(Exception):
    """A schema keyword (or value) the compiler does not handle."""


def _is_number(value: Any) -> bool:
    # jsonschema's "number": any numbers.Number except bool.
    return type(value) is float or type(value) is int or (not isinstance(value, bool) and isinstance(value, Number))


def _is_finite_number(value: Any) -> bool:
    # A record checked in object form (the build's workers) may hold NaN or infinity, which JSON cannot: written,
    # they become null. In that form only finite numbers pass, so "passes" means "passes once written".
    return _is_number(value) and (type(value) is int or math.isfinite(value))


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


class _Matched(set):
    """The strings a pattern matched so far (at most ``limit``, then each other string is searched again)."""

    def __init__(self, regex: re.Pattern, limit: int = 4096) -> None:
        super().__init__()
        self.regex, self.limit = regex, limit

    def search(self, value: str) -> bool:
        if self.regex.search(value) is None:
            return False
        if len(self) < self.limit:
            self.add(value)
        return True


class _SchemaCompiler:
    """Generates ``def check(v0) -> bool`` from a (non-recursive) schema; every failing test returns False.

    Each ``emit*`` method returns source lines indented by ``ind`` that test the value named ``v``."""

    def __init__(self, root: dict, finite: bool = False):
        self.root = root
        # finite: "number" also excludes NaN and infinity (see _is_finite_number)
        self.names: dict[str, Any] = {
            "_is_number": _is_finite_number if finite else _is_number,
            "_unique": _unique,
            "_isfinite": math.isfinite,
        }
        self.finite = finite
        # a finite float passes without a call too (an int is finite; a NaN or infinity goes on to _is_number)
        number = "(type({v}) is float and _isfinite({v}) or type({v}) is int or _is_number({v}))"
        self.finite_tests = {**_TYPE_TESTS, "number": number}
        self.helpers: list[str] = []
        self.counter = 0

    def compile(self) -> Callable[[Any], bool]:
        body = _function("check", self.emit(self.root, "v0", "        ", ()))
        source = "\n".join([*self.helpers, *body, ""])
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

    def emit(
        self, schema: Any, v: str, ind: str, refs: tuple[str, ...], known: str | None = None, bound: Bound = None
    ) -> list[str]:
        """``known``: the one type ``v`` is already known to have here (a test before this one returned False
        otherwise): a ``$ref`` or ``then`` repeating it does not test it again. ``bound``: required properties of
        ``v`` already read into variables and known to be strings here (property name -> variable)."""
        if schema is True:
            return []
        if schema is False:
            return [f"{ind}return False"]
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        unknown = set(schema) - _KNOWN_KEYWORDS - _ANNOTATION_KEYWORDS
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        out, only = self.emit_type(schema, v, ind, known)
        only = only or known
        out += self.emit_values(schema, v, ind, only)
        lines, strings = self.emit_object(schema, v, ind, refs, only == "object")
        out += lines
        out += self.emit_array(schema, v, ind, refs, only == "array")
        out += self.emit_combinators(schema, v, ind, refs, only, {**(bound or {}), **strings})
        return out

    def emit_type(self, schema: dict, v: str, ind: str, known: str | None = None) -> tuple[list[str], str | None]:
        """The ``type`` test, and the one type the value then has (``None``: several or any)."""
        types = schema.get("type")
        if types is None:
            return [], None
        types = [types] if isinstance(types, str) else list(types)
        if not types or any(t not in _TYPE_TESTS for t in types):
            raise _Unsupported(f"type {types}")
        if types == [known]:
            return [], known
        tests = self.finite_tests if self.finite else _TYPE_TESTS
        test = " or ".join(tests[t].format(v=v) for t in types)
        return [f"{ind}if not ({test}): return False"], types[0] if len(types) == 1 else None

    def emit_values(self, schema: dict, v: str, ind: str, only: str | None) -> list[str]:
        """``enum`` / ``const`` (strings), numeric bounds, ``minLength`` and ``pattern``."""
        out = self.emit_enum(schema, v, ind)
        out += self.emit_bounds(schema, v, ind, only)
        out += self.emit_string(schema, v, ind, only)
        return out

    def emit_enum(self, schema: dict, v: str, ind: str) -> list[str]:
        """``enum`` and ``const``, of strings only."""
        out = []
        for key in ("enum", "const"):
            if key in schema:
                values = schema["enum"] if key == "enum" else [schema["const"]]
                if not all(type(x) is str for x in values):
                    raise _Unsupported(f"non-string {key}")  # strings compare by ==; others need JSON equality
                allowed = self.constant(frozenset(values))
                out.append(f"{ind}if not (isinstance({v}, str) and {v} in {allowed}): return False")
        return out

    def emit_bounds(self, schema: dict, v: str, ind: str, only: str | None) -> list[str]:
        """``minimum`` and ``maximum`` (tested on numbers only, unless the type is already known)."""
        number = "" if only in ("integer", "number") else f"_is_number({v}) and "
        return [
            f"{ind}if {number}{v} {op} {self.constant(schema[key])}: return False"
            for key, op in (("minimum", "<"), ("maximum", ">"))
            if key in schema
        ]

    def emit_string(self, schema: dict, v: str, ind: str, only: str | None) -> list[str]:
        """``minLength`` and ``pattern`` (tested on strings only, unless the type is already known)."""
        out = []
        string = "" if only == "string" else f"isinstance({v}, str) and "
        if "minLength" in schema:
            out.append(f"{ind}if {string}len({v}) < {int(schema['minLength'])}: return False")
        if "pattern" in schema:
            # values repeat (a labeller's name@version on every span, a document id on every task): a string
            # that matched is remembered, so the regex runs once per distinct value
            matched = self.constant(_Matched(re.compile(schema["pattern"])))
            out.append(f"{ind}if {string}{v} not in {matched} and not {matched}.search({v}): return False")
        return out

    def emit_combinators(
        self, schema: dict, v: str, ind: str, refs: tuple[str, ...], known: str | None = None, bound: Bound = None
    ) -> list[str]:
        """``$ref`` (inlined; a recursive one is unsupported), ``allOf`` and ``if`` / ``then`` / ``else``."""
        out = []
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in refs:
                raise _Unsupported(f"recursive {ref}")
            out += self.emit(self.resolve(ref), v, ind, (*refs, ref), known, bound)
        for sub in schema.get("allOf", ()):
            out += self.emit(sub, v, ind, refs, known, bound)
        if "if" in schema:
            test = self.if_expression(schema["if"], v, known == "object", bound or {})
            if test is None:
                helper = self.fresh("_if")
                self.helpers += _function(helper, self.emit(schema["if"], "v0", "        ", refs))
                test = f"{helper}({v})"
            then_lines = self.emit(schema.get("then", True), v, ind + "    ", refs, known, bound)
            else_lines = self.emit(schema.get("else", True), v, ind + "    ", refs, known, bound)
            out += [
                f"{ind}if {test}:",
                *(then_lines or [f"{ind}    pass"]),
                f"{ind}else:",
                *(else_lines or [f"{ind}    pass"]),
            ]
        return out

    def if_expression(self, schema: Any, v: str, is_object: bool = False, bound: dict | None = None) -> str | None:
        """An ``if`` that only tests properties against strings (``{"properties": {"type": {"const": "labels"}}}``,
        a discriminator) as one inline expression instead of a helper call per value; ``None`` for any other.
        A property in ``bound`` (present, a string, in a variable) is tested as ``variable in allowed``."""
        if not isinstance(schema, dict) or set(schema) - {"properties", "required"} - _ANNOTATION_KEYWORDS:
            return None
        bound = bound or {}
        tests = [f"{name!r} in {v}" for name in schema.get("required", ()) if name not in bound]
        for name, sub in schema.get("properties", {}).items():
            if not isinstance(sub, dict) or len(sub) != 1 or not set(sub) <= {"const", "enum"}:
                return None
            values = sub["enum"] if "enum" in sub else [sub["const"]]
            if not all(type(x) is str for x in values):
                return None
            x, allowed = f"{v}[{name!r}]", self.constant(frozenset(values))
            if name in bound:
                tests.append(f"{bound[name]} in {allowed}")
            else:
                tests.append(f"({name!r} not in {v} or (isinstance({x}, str) and {x} in {allowed}))")
        tested = f"({' and '.join(tests) or 'True'})"
        return tested if is_object else f"(not isinstance({v}, dict) or {tested})"

    def emit_object(
        self, schema: dict, v: str, ind: str, refs: tuple[str, ...], is_object: bool
    ) -> tuple[list[str], dict[str, str]]:
        """The object keywords' tests, and (when ``v`` is known to be an object, so that they are read at this
        level) the required properties read into variables that hold strings once tested (name -> variable)."""
        if not any(k in schema for k in _OBJECT_KEYWORDS):
            return [], {}
        inner = ind if is_object else ind + "    "
        out = [] if is_object else [f"{ind}if isinstance({v}, dict):"]
        required = list(schema.get("required", ()))
        properties = schema.get("properties", {})
        lines, read = self.emit_properties(properties, required, v, inner, refs)
        strings = {name: x for name, x in read.items() if _is_string_schema(properties[name])} if is_object else {}
        unread = [name for name in required if name not in read]  # the others: read, a KeyError if missing
        if 0 < len(unread) <= 3:  # read too (a missing one: KeyError), cheaper than a set test for a few
            out += [f"{inner}{v}[{name!r}]" for name in unread]
        elif unread:
            out.append(f"{inner}if not {self.constant(frozenset(unread))} <= {v}.keys(): return False")
        out += lines
        out += self.emit_additional(schema.get("additionalProperties", True), properties, v, inner, refs)
        if "propertyNames" in schema:
            k = self.fresh("k")
            out += [f"{inner}for {k} in {v}:", *self.emit(schema["propertyNames"], k, inner + "    ", refs)]
        return (out if len(out) > (0 if is_object else 1) else []), strings

    def emit_properties(
        self, properties: dict, required: list[str], v: str, inner: str, refs: tuple[str, ...]
    ) -> tuple[list[str], dict[str, str]]:
        """The properties' tests, and the required names they read unguarded (a missing one: a KeyError), each
        with the variable it is read into."""
        out, read = [], {}
        for name, sub in properties.items():
            x = self.fresh("v")
            lines = self.emit(sub, x, inner + ("" if name in required else "    "), refs)
            if not lines:
                continue
            if name in required:
                out += [f"{inner}{x} = {v}[{name!r}]", *lines]
                read[name] = x
            else:
                out += [f"{inner}if {name!r} in {v}:", f"{inner}    {x} = {v}[{name!r}]", *lines]
        return out, read

    def emit_additional(self, extra: Any, properties: dict, v: str, inner: str, refs: tuple[str, ...]) -> list[str]:
        if extra is True:
            return []
        allowed = self.constant(frozenset(properties))
        if extra is False:
            return [f"{inner}if not {v}.keys() <= {allowed}: return False"]
        k, x = self.fresh("k"), self.fresh("v")
        return [
            f"{inner}for {k}, {x} in {v}.items():",
            f"{inner}    if {k} not in {allowed}:",
            *self.emit(extra, x, inner + "        ", refs),
        ]

    def emit_array(self, schema: dict, v: str, ind: str, refs: tuple[str, ...], is_array: bool) -> list[str]:
        if not any(k in schema for k in _ARRAY_KEYWORDS):
            return []
        inner = ind if is_array else ind + "    "
        out = [] if is_array else [f"{ind}if isinstance({v}, list):"]
        out += _array_sizes(schema, v, inner)
        prefix = schema.get("prefixItems", [])
        out += self.emit_prefix_items(prefix, v, inner, refs)
        if "items" in schema:
            out += self.emit_items(schema["items"], len(prefix), v, inner, refs)
        return out if len(out) > (0 if is_array else 1) else []

    def emit_prefix_items(self, prefix: list, v: str, inner: str, refs: tuple[str, ...]) -> list[str]:
        out = []
        for i, sub in enumerate(prefix):
            x = self.fresh("v")
            lines = self.emit(sub, x, inner + "    ", refs)
            if lines:
                out += [f"{inner}if len({v}) > {i}:", f"{inner}    {x} = {v}[{i}]", *lines]
        return out

    def emit_items(self, items: Any, n_prefix: int, v: str, inner: str, refs: tuple[str, ...]) -> list[str]:
        """``items``: every item after the ``prefixItems``."""
        x = self.fresh("v")
        lines = self.emit(items, x, inner + "    ", refs)
        if not lines:
            return []
        rest = f"{v}[{n_prefix}:]" if n_prefix else v
        return [f"{inner}for {x} in {rest}:", *lines]


def _is_string_schema(schema: Any) -> bool:
    """Its value is a string once its tests passed: type string, or an enum / const of strings (the compiler
    supports no other enums)."""
    if not isinstance(schema, dict):
        return False
    values = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else None
    return schema.get("type") == "string" or (values is not None and all(type(x) is str for x in values))


def _function(name: str, body: list[str]) -> list[str]:
    """``def name(v0)`` returning False where ``body`` does, or when it reads a required property that is missing
    (a KeyError: only required properties are read without an ``in`` test), else True."""
    return [
        f"def {name}(v0):",
        "    try:",
        *(body or ["        pass"]),
        "    except KeyError:",
        "        return False",
        "    return True",
    ]


def _array_sizes(schema: dict, v: str, inner: str) -> list[str]:
    """``minItems``, ``maxItems`` and ``uniqueItems``."""
    out = []
    if "minItems" in schema:
        out.append(f"{inner}if len({v}) < {int(schema['minItems'])}: return False")
    if "maxItems" in schema:
        out.append(f"{inner}if len({v}) > {int(schema['maxItems'])}: return False")
    if schema.get("uniqueItems"):
        out.append(f"{inner}if not _unique({v}): return False")
    return out


@cache
def fast_check(kind: str, finite: bool = False) -> Callable[[Any], bool] | None:
    """The compiled predicate of ``kind``'s schema, or ``None`` when the schema uses a keyword it does not know.

    ``finite``: for records in object form, not yet written: a number must also be finite (JSON has no NaN)."""
    from corpus.validate.schemas import load_schema

    try:
        return _SchemaCompiler(load_schema(kind), finite).compile()
    except _Unsupported:
        return None


def conforms(record: Any, kind: str) -> bool:
    """True when ``record`` conforms to ``kind``'s schema (fast path; jsonschema only for kinds it cannot compile)."""
    from corpus.validate.schemas import _validator

    check = fast_check(kind)
    if check is not None:
        return check(record)
    return _validator(kind).is_valid(record)
