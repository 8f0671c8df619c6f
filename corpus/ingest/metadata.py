"""Article metadata (title, url, publisher, date, licence) from YAML front matter, JSONL fields and HTML.

Metadata comes from files anyone can write, so it is parsed defensively and kept small:

- front matter is YAML read by a loader that refuses aliases (a few hundred bytes of nested aliases expand to
  gigabytes), nesting deeper than :data:`MAX_FRONT_MATTER_DEPTH` (the composer recurses) and any tag it does
  not know (``!!python/...``), on a block of at most :data:`MAX_FRONT_MATTER_CHARS`. Plain scalars stay the
  strings they were written as (``2024-13-45``, ``yes`` and ``007`` are not dates, booleans or octal numbers);
  a front matter that breaks these rules is an error: the article is skipped, since its licence and source
  cannot be trusted.
- every metadata value, whatever the input format, must be a string (or a number) of at most
  :data:`MAX_META_CHARS` characters, and a date must be a real one; a value that is not is dropped with a
  warning naming the field, and the article is still built.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

import regex
import yaml

MAX_FRONT_MATTER_CHARS = 65_536
MAX_FRONT_MATTER_DEPTH = 20
MAX_META_CHARS = 1_000

# Field names accepted for each metadata field (first present wins), in front matter, JSONL and HTML.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "source_url": ("source_url", "url", "link"),
    "publisher": ("publisher", "source", "site", "sitename"),
    "published": ("published", "date", "published_at", "publication_date"),
    "licence": ("licence", "license", "rights"),
}

# The text is not normalised yet: lines may end in "\r\n".
FRONT_MATTER = regex.compile(r"\A---[ \t\r]*\n(.*?)\n---[ \t\r]*(?:\n|\Z)", regex.DOTALL)
_UNKNOWN_TAG = regex.compile(r"could not determine a constructor for the tag '([^']*)'")
_ISO_DATE = regex.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")

# (field as written in the input, problem) -> None; the caller adds the file and line.
FieldReport = Callable[[str, str], None]


class FrontMatterError(ValueError):
    """Front matter that cannot be read safely; ``line`` is 1-based in the file when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class _SafeMetaLoader(yaml.SafeLoader):
    """SafeLoader without aliases, deep nesting, timestamps, booleans or numbers guessed from plain scalars."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise FrontMatterError(f"YAML aliases (*{event.anchor}) are not allowed", event.start_mark.line)
        self._depth += 1
        if self._depth > MAX_FRONT_MATTER_DEPTH:
            raise FrontMatterError(
                f"nested more than {MAX_FRONT_MATTER_DEPTH} levels deep", self.peek_event().start_mark.line
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# Only ``null`` (and empty values) are resolved implicitly: every other plain scalar is a string as written.
_SafeMetaLoader.yaml_implicit_resolvers = {
    first: [(tag, expr) for tag, expr in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# An explicit ``!!timestamp`` stays text too, and goes through the same date check as any other date.
_SafeMetaLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def split_front_matter(text: str) -> tuple[str, Mapping[str, Any]]:
    """``(body, fields)``: the text after a ``---`` delimited block at the very start, and the block's fields.
    A block that is not a mapping (prose or a list between two Markdown rules) is no front matter: it stays in
    the text. Raises :class:`FrontMatterError` for a block that cannot be read safely."""
    m = FRONT_MATTER.match(text)
    if not m:
        return text, {}
    block = m.group(1)
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise FrontMatterError(
            f"front matter is {len(block):,} characters, over the limit of {MAX_FRONT_MATTER_CHARS:,}"
        )
    data = _load(block)
    if data is None:  # an empty block
        return text[m.end() :], {}
    if not isinstance(data, dict):
        return text, {}
    return text[m.end() :], data


def _load(block: str) -> Any:
    loader = _SafeMetaLoader(block)
    try:
        return loader.get_single_data()
    except FrontMatterError as exc:
        raise FrontMatterError(f"front matter: {exc}", None if exc.line is None else exc.line + 2) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 2  # + the opening '---' line, 1-based
        tag = _UNKNOWN_TAG.search(exc.problem or "")
        if tag is not None:  # ``!!python/object/apply:...`` and any other tag a safe loader does not know
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise FrontMatterError(f"front matter: the YAML tag {name} is not allowed", line) from None
        raise FrontMatterError(f"front matter is not valid YAML: {exc.problem or exc.context}", line) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise FrontMatterError(f"front matter is not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def metadata_fields(data: Mapping[str, Any], report: FieldReport) -> dict[str, str]:
    """The metadata fields of ``data`` (first present alias of each), each checked by :func:`check_value`;
    a bad value is reported (with the alias as written) and dropped."""
    meta: dict[str, str] = {}
    for field, aliases in FIELD_ALIASES.items():
        alias = next((a for a in aliases if not _absent(data.get(a))), None)
        if alias is None:
            continue
        value, problem = check_value(field, data[alias])
        if problem is not None:
            report(alias, f"field '{alias}' {problem}; field dropped")
        elif value:
            meta[field] = value
    return meta


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_value(field: str, value: Any) -> tuple[str | None, str | None]:
    """``(text, None)`` for a usable metadata value, ``(None, problem)`` otherwise: a short string or number,
    and for ``published`` a real date when it starts like an ISO date (a date alone is written YYYY-MM-DD)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        kind = "binary data" if isinstance(value, bytes | bytearray) else type(value).__name__
        return None, f"must be a string, got {kind}"
    if isinstance(value, int) and value.bit_length() > 64:
        return None, "is a number too large for a metadata value"
    text = str(value).strip()
    if len(text) > MAX_META_CHARS:
        return None, f"is {len(text):,} characters, over the limit of {MAX_META_CHARS:,}"
    if field == "published":
        return _check_date(text)
    return text, None


def _check_date(text: str) -> tuple[str | None, str | None]:
    m = _ISO_DATE.match(text)
    if m is None:
        return text, None  # free-form dates ("5 May 2024") are kept as given
    try:
        day = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        return None, f"is not a valid date ({text!r}: {exc})"
    return (day.isoformat() if m.end() == len(text) else text), None
