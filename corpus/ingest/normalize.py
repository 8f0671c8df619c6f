"""Text normalisation and boilerplate stripping, applied before any offset is computed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import regex

from corpus.ingest.openings import RulesByOpening

# C0/C1 controls except tab and newline; zero-width space, word joiner, BOM; bidi embeddings and isolates.
# ZWJ/ZWNJ stay: they are part of emoji sequences and of Persian/Indic spelling.
# A class of single code points means the same to the standard library, whose scan is five times faster.
_STRAY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_SEPARATORS = regex.compile(r"\r\n?|[\u2028\u2029\x85]")
_LINE_SEPARATOR_CHARS = ("\r", "\u2028", "\u2029", "\x85")  # what _LINE_SEPARATORS can match starts with one
_MANY_BLANKS = regex.compile(r"\n{3,}")
_MAX_BOILERPLATE_LINE = 160


@dataclass(frozen=True)
class BoilerplateRule:
    name: str
    pattern: regex.Pattern


@lru_cache(maxsize=1)
def boilerplate_rules() -> tuple[BoilerplateRule, ...]:
    """Rules from ``corpus/ingest/data/boilerplate.tsv``: name, then a whole-line regular expression."""
    raw = resources.files("corpus.ingest").joinpath("data/boilerplate.tsv").read_text("utf-8")
    rules = []
    for line in raw.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, expr = line.partition("\t")
        rules.append(BoilerplateRule(name.strip(), regex.compile(rf"(?:{expr.strip()})", regex.IGNORECASE)))
    return tuple(rules)


@lru_cache(maxsize=1)
def _boilerplate_by_opening() -> RulesByOpening[BoilerplateRule]:
    """The boilerplate rules by how a line opens: a line is tried against the few that can match it."""
    return RulesByOpening(boilerplate_rules(), _rule_pattern)


def _rule_pattern(rule: BoilerplateRule) -> regex.Pattern:
    return rule.pattern


def boilerplate_rule_at(text: str, start: int, end: int, max_chars: int = _MAX_BOILERPLATE_LINE) -> str | None:
    """The name of the whole-line boilerplate rule ``text[start:end]`` matches (``None``: none does, or it is
    longer than ``max_chars``). For labellers given text that did not go through ``corpus ingest``: a sentence
    that is such a line is page furniture, and nothing in it should be labelled."""
    if end - start > max_chars:
        return None
    rules = _boilerplate_by_opening().at(text, start, end)
    return next((r.name for r in rules if r.pattern.fullmatch(text, start, end)), None)


@lru_cache(maxsize=1)
def boilerplate_tail_rules() -> tuple[BoilerplateRule, ...]:
    """Rules from ``corpus/ingest/data/boilerplate_tails.tsv``: name, then an expression that ends a line."""
    raw = resources.files("corpus.ingest").joinpath("data/boilerplate_tails.tsv").read_text("utf-8")
    rules = []
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, expr = line.partition("\t")
            rules.append(BoilerplateRule(name.strip(), regex.compile(expr.strip(), regex.IGNORECASE)))
    return tuple(rules)


def normalize_text(raw: str) -> tuple[str, dict[str, int]]:
    """NFC, ``\\n`` newlines, no stray control/zero-width/bidi characters, tabs as spaces, tidy blank lines.

    Returns the text and counts of what was changed (for the document's ingest report).
    """
    changes: dict[str, int] = {}
    text = raw
    if any(ch in raw for ch in _LINE_SEPARATOR_CHARS):  # most texts have none: four memchr-speed scans
        text, n = _LINE_SEPARATORS.subn("\n", raw)
        changes["newlines"] = n
    if _STRAY.search(text) is not None:
        text, n = _STRAY.subn("", text)
        changes["control_characters"] = n
    return tidy_text(text, changes), changes


def tidy_text(text: str, changes: dict[str, int]) -> str:
    """What :func:`normalize_text` does after its substitutions: NFC (counted in ``changes``), tabs as spaces,
    no trailing spaces, at most one blank line in a row, no leading or trailing blank lines."""
    nfc = unicodedata.normalize("NFC", text)
    if nfc != text:
        changes["nfc"] = 1
        text = nfc
    text = text.replace("\t", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _MANY_BLANKS.sub("\n\n", text).strip()


def strip_boilerplate(text: str) -> tuple[str, list[dict]]:
    """Drop whole lines that match a boilerplate rule; return the text and what was removed.

    Each removal is ``{"line": 1-based line in the normalised text, "text": ..., "rule": ...}``.
    """
    kept, stripped = [], []
    by_opening = _boilerplate_by_opening()
    for lineno, line in enumerate(text.split("\n"), start=1):
        candidate = line.strip()
        if candidate and len(candidate) <= _MAX_BOILERPLATE_LINE:
            rules = by_opening.at(candidate, 0, len(candidate))
            rule = next((r for r in rules if r.pattern.fullmatch(candidate)), None)
            if rule is not None:
                stripped.append({"line": lineno, "text": candidate, "rule": rule.name})
                continue
        kept.append(_strip_tail(line, lineno, stripped))
    cleaned = _MANY_BLANKS.sub("\n\n", "\n".join(kept)).strip()
    return cleaned, stripped


def _strip_tail(line: str, lineno: int, stripped: list[dict]) -> str:
    """The line without a credit run into its end ("… on Sunday. Photo: Jane Doe/Agency"), recorded."""
    if len(line) < 12 or ("/" not in line and ":" not in line):  # every tail rule holds one of them
        return line
    for rule in boilerplate_tail_rules():
        m = rule.pattern.search(line, max(0, len(line) - _MAX_BOILERPLATE_LINE))
        if m is not None and m.start() > 0:
            stripped.append({"line": lineno, "text": m.group().strip(), "rule": rule.name})
            return line[: m.start()].rstrip()
    return line


def clean_text(raw: str, strip: bool = True) -> tuple[str, list[dict], dict[str, int]]:
    """Normalise, then strip boilerplate (unless ``strip`` is false)."""
    text, changes = normalize_text(raw)
    stripped: list[dict] = []
    if strip:
        text, stripped = strip_boilerplate(text)
    return text, stripped, changes
