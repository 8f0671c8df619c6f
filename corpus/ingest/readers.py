"""Read articles from .txt, .md, .jsonl and .html files (or folders of them) into document records.

Every problem goes to the caller's reporter as one :class:`~corpus.errors.InputProblem`: ``error`` when an input
(a file, a JSONL line, a folder) was skipped, ``warning`` when it was used with something dropped or guessed
(an undecodable byte replaced, a metadata field dropped, an encoding detected).
"""

from __future__ import annotations

import codecs
import io
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import regex

from corpus.document import META_FIELDS, new_document
from corpus.errors import InputProblem
from corpus.ingest.html import extract_html
from corpus.ingest.metadata import FIELD_ALIASES, FrontMatterError, metadata_fields, split_front_matter
from corpus.ingest.normalize import clean_text
from corpus.ingest.parts import DEFAULT_PART_CHARS, part_bounds

__all__ = ["FIELD_ALIASES", "SUPPORTED_SUFFIXES", "decode_bytes", "iter_input_files", "read_documents"]

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES

DEFAULT_MAX_ARTICLE_CHARS = 20_000_000
DEFAULT_MAX_FILES = 1_000_000

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WESTERN_PUNCT = set("‘’“”‚„–—…€£¥©®°±·×÷§¶•†‡‰«»¡¿ªº¹²³¼½¾µ¢¤¦¨¬¯´¸\xa0")
_MD_HEADING = regex.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")

Report = Callable[[InputProblem], None]


# ------------------------------------------------------------------------------------------------ files
def iter_input_files(paths: Iterable[str | Path], report: Report, max_files: int = DEFAULT_MAX_FILES) -> Iterator[Path]:
    """Expand folders (recursively, in sorted path order, hidden entries and README.md skipped) and keep
    supported files. Unreadable folders, broken links and symbolic-link loops are reported, never skipped
    silently."""
    count = 0
    for raw in paths:
        for file in _expand(Path(raw), report):
            if file.suffix.lower() not in SUPPORTED_SUFFIXES:
                report(
                    InputProblem(
                        str(file),
                        f"skipped: unsupported file type '{file.suffix or file.name}' "
                        f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})",
                        severity="warning",
                    )
                )
                continue
            count += 1
            if count > max_files:
                report(InputProblem(str(file), f"stopped: more than {max_files} input files (raise --max-files)"))
                return
            yield file


def _expand(path: Path, report: Report) -> Iterator[Path]:
    if path.is_dir():
        yield from _walk(path, report)
    elif path.is_file():
        yield path
    elif path.exists():
        report(InputProblem(str(path), "not a regular file (a device, socket or pipe); skipped"))
    elif os.path.islink(path):
        report(InputProblem(str(path), "broken symbolic link or symbolic-link loop; skipped"))
    else:
        report(InputProblem(str(path), "no such file or folder"))


def _walk(folder: Path, report: Report) -> Iterator[Path]:
    """Files under ``folder``, depth first in name order (the order of their sorted paths). Linked folders
    are followed, each real folder read once: a link back to an enclosing folder is a loop, reported."""
    try:
        st = folder.stat()
    except OSError as exc:
        report(InputProblem(str(folder), f"cannot read folder ({exc.strerror or exc}); skipped"))
        return
    visited = {(st.st_dev, st.st_ino): folder}
    stack = [_listing(folder, report)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith(".") or entry.name.lower() == "readme.md":
            continue
        kind = _entry_kind(entry, report)
        if kind == "file":
            yield Path(entry.path)
        elif kind == "folder" and _first_visit(entry, visited, report):
            stack.append(_listing(Path(entry.path), report))


def _listing(folder: Path, report: Report) -> Iterator[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        report(
            InputProblem(str(folder), f"cannot read folder ({exc.strerror or exc}); the articles in it were skipped")
        )
        return iter(())
    return iter(entries)


def _entry_kind(entry: os.DirEntry, report: Report) -> str | None:
    """``"folder"``, ``"file"`` or ``None`` (reported) for a folder entry, following symbolic links."""
    try:
        if entry.is_dir():
            return "folder"
        if entry.is_file():
            return "file"
    except OSError as exc:  # a link to itself (too many levels of symbolic links), a permission error
        report(InputProblem(entry.path, f"cannot read ({exc.strerror or exc}); skipped"))
        return None
    # An article's broken link is a lost input (error); a broken link to anything else only a warning.
    severity = "error" if Path(entry.name).suffix.lower() in SUPPORTED_SUFFIXES else "warning"
    if entry.is_symlink():
        report(InputProblem(entry.path, "broken symbolic link (its target does not exist); skipped", severity=severity))
    else:
        report(InputProblem(entry.path, "not a regular file (a device, socket or pipe); skipped", severity=severity))
    return None


def _first_visit(entry: os.DirEntry, visited: dict[tuple[int, int], Path], report: Report) -> bool:
    """Whether to walk a folder entry: not when it links to a folder that encloses it (a loop: the walk would
    come back to it) or to a folder already walked (its articles would be read twice)."""
    path = Path(entry.path)
    try:
        st = entry.stat()
        loop = _encloses_link(path) if entry.is_symlink() else None
    except (OSError, RuntimeError) as exc:
        report(InputProblem(str(path), f"cannot read folder ({getattr(exc, 'strerror', None) or exc}); skipped"))
        return False
    if loop is not None:
        report(InputProblem(str(path), f"symbolic-link loop (leads back to {loop}); not followed", severity="warning"))
        return False
    first = visited.setdefault((st.st_dev, st.st_ino), path)
    if first is path:
        return True
    message = f"same folder as {first} (a symbolic link); read once, not again"
    report(InputProblem(str(path), message, severity="warning"))
    return False


def _encloses_link(link: Path) -> Path | None:
    """The link's target when it is the folder holding the link or one of that folder's ancestors."""
    target, here = link.resolve(strict=True), link.parent.resolve(strict=True)
    return target if target == here or target in here.parents else None


# --------------------------------------------------------------------------------------------- decoding
def decode_bytes(data: bytes, origin: str, report: Report) -> tuple[str | None, str]:
    """``(text, encoding)``; never raises. A byte-order mark decides the encoding (undecodable bytes then
    become U+FFFD, with a warning); then UTF-8; then UTF-16 without a mark, or a detected legacy encoding
    (with a warning). Other data with NUL bytes is binary: ``(None, "")``, reported."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_marked(data, len(bom), encoding, origin, report), encoding
    if b"\x00" in data:
        encoding = _unmarked_utf16(data)
        if encoding is None:
            report(InputProblem(origin, "not a text file (contains NUL bytes); skipped"))
            return None, ""
        report(InputProblem(origin, f"no byte-order mark; decoded as {encoding}", severity="warning"))
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text, encoding = _decode_legacy(data)
    report(InputProblem(origin, f"not UTF-8; decoded as {encoding}", severity="warning"))
    return text, encoding


def _decode_marked(data: bytes, skip: int, encoding: str, origin: str, report: Report) -> str:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        return data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        # A truncated UTF-16 file (odd byte count), or stray bytes after a UTF-8 mark: keep the rest.
        report(
            InputProblem(
                origin,
                f"invalid {codec} after its byte-order mark ({exc.reason} at byte "
                f"{exc.start + skip}); undecodable bytes replaced with U+FFFD",
                severity="warning",
            )
        )
        return data[skip:].decode(codec, errors="replace")


def _unmarked_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-Latin text has a NUL in nearly every other byte."""
    half = len(data) // 2
    if half < 2:
        return None
    if data[1::2].count(0) >= 0.9 * half and data[0::2].count(0) == 0:
        return "utf-16-le"
    if data[0::2].count(0) >= 0.9 * half and data[1::2].count(0) == 0:
        return "utf-16-be"
    return None


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Western news sites mostly mis-declare cp1252: accept it when it yields Latin text and typographic
    punctuation; otherwise let charset_normalizer detect the encoding (short texts fool detectors)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text:
        extra = [ch for ch in text if ord(ch) > 127]
        latin = sum(1 for ch in extra if ch in _WESTERN_PUNCT or "LATIN" in unicodedata.name(ch, ""))
        if latin >= 0.9 * len(extra):
            return text, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "latin_1"
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1"), "latin-1"


# ---------------------------------------------------------------------------------------------- articles
def read_documents(
    paths: Iterable[str | Path],
    report: Report,
    strip_boilerplate: bool = True,
    max_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
    max_files: int = DEFAULT_MAX_FILES,
    part_chars: int = DEFAULT_PART_CHARS,
) -> Iterator[dict]:
    """Yield the documents of each article found under ``paths`` (one, or its parts when it is longer than
    ``part_chars``: :mod:`corpus.ingest.parts`); problems go to ``report`` and are skipped."""
    limits = _Limits(strip_boilerplate, max_chars, part_chars)
    for file in iter_input_files(paths, report, max_files):
        try:
            if file.suffix.lower() in JSONL_SUFFIXES:
                yield from _read_jsonl(file, report, limits)
                continue
            data = file.read_bytes()
        except OSError as exc:
            report(InputProblem(str(file), f"cannot read: {exc.strerror or exc}"))
            continue
        yield from _handed_over(_read_article(file, data, report, limits))


def _handed_over(docs: list[dict]) -> Iterator[dict]:
    """The documents one at a time, each dropped from the list as it goes: later stages grow a document in place
    (tokens, spans), so a part kept here would hold a processed part in memory until the article's last."""
    docs.reverse()
    while docs:
        yield docs.pop()


@dataclass(frozen=True)
class _Limits:
    strip: bool  # strip page furniture
    max_chars: int  # longer articles are skipped
    part_chars: int  # longer articles are cut into parts


def _read_article(file: Path, data: bytes, report: Report, limits: _Limits) -> list[dict]:
    """One .txt, .md or .html article."""
    text, encoding = decode_bytes(data, str(file), report)
    if text is None:
        return []
    body = _article_body(file, text, report)
    if body is None:
        return []
    return _make(body[0], str(file), body[1], report, limits, encoding, body[2])


def _article_body(file: Path, text: str, report: Report) -> tuple[str, dict, dict] | None:
    """The article's text, checked metadata and ingest notes (from the HTML, or the front matter and Markdown
    heading)."""
    origin = str(file)
    suffix = file.suffix.lower()
    if suffix in HTML_SUFFIXES:
        body, fields, notes = extract_html(text, origin, report)
        if not body:
            return None
        return body, metadata_fields(fields, _field_report(report, origin)), notes
    try:
        body, fields = split_front_matter(text.lstrip("\ufeff"))
    except FrontMatterError as exc:
        report(InputProblem(origin, f"{exc}; article skipped", line=exc.line))
        return None
    meta = metadata_fields(fields, _field_report(report, origin))
    if suffix in MARKDOWN_SUFFIXES:
        body, heading = _markdown_to_text(body)
        meta.setdefault("title", heading)
    return body, meta, {}


def _field_report(report: Report, path: str, line: int | None = None) -> Callable[[str, str], None]:
    """A metadata field dropped from an article that is still built: a warning naming the field."""

    def field_problem(field: str, message: str) -> None:
        report(InputProblem(path, message, line=line, field=field, severity="warning"))

    return field_problem


def _make(
    raw: str,
    origin: str,
    meta: dict,
    report: Report,
    limits: _Limits,
    encoding: str = "utf-8",
    notes: dict | None = None,
) -> list[dict]:
    if len(raw) > limits.max_chars:
        message = f"article is {len(raw):,} characters, over the limit of {limits.max_chars:,} (raise --max-chars)"
        report(InputProblem(origin, f"{message}; skipped"))
        return []
    text, stripped, changes = clean_text(raw, strip=limits.strip)
    if not text:
        report(InputProblem(origin, "empty article (no text after normalisation); skipped"))
        return []
    if "title" not in meta or not meta["title"]:
        meta["title"] = _guess_title(text)
    ingest = {"stripped": stripped, "normalised": changes, "encoding": encoding, **(notes or {})}
    fields = {k: meta.get(k) for k in META_FIELDS}
    bounds = part_bounds(text, limits.part_chars)
    if len(bounds) == 1:
        return [new_document(text, origin, ingest=ingest, **fields)]
    message = (
        f"article is {len(text):,} characters: built as {len(bounds)} documents of at most "
        f"{limits.part_chars:,} characters, cut at paragraph or sentence ends (see ingest.part)"
    )
    report(InputProblem(origin, message, severity="warning"))
    return [_part(text, bound, (i, len(bounds)), origin, ingest, fields) for i, bound in enumerate(bounds, 1)]


def _part(text: str, bound: tuple[int, int], place: tuple[int, int], origin: str, ingest: dict, fields: dict) -> dict:
    """One part of a cut article; what ingest stripped or normalised is recorded once, on the first part."""
    piece = text[bound[0] : bound[1]]
    start = bound[0] + len(piece) - len(piece.lstrip())
    notes = dict(ingest) if place[0] == 1 else {**ingest, "stripped": [], "normalised": {}}
    notes["part"] = {"index": place[0], "of": place[1], "start": start}
    return new_document(piece.strip(), origin, ingest=notes, **fields)


# ------------------------------------------------------------------------------------------------- JSONL
def _read_jsonl(file: Path, report: Report, limits: _Limits) -> Iterator[dict]:
    path = str(file)
    with open(file, "rb") as fh:
        for lineno, line, encoding in _jsonl_lines(fh, path, report):
            record = _parse_record(line, path, lineno, report)
            if record is not None:
                yield from _handed_over(_record_document(record, path, lineno, encoding, report, limits))


def _jsonl_lines(fh: io.BufferedReader, path: str, report: Report) -> Iterator[tuple[int, bytes | str, str]]:
    """``(line number, line, encoding)`` for each non-blank line. A UTF-8 mark is dropped from the first line;
    a UTF-16/32 file is decoded as a stream; a line that is not UTF-8 is decoded like a .txt file, and the
    file is reported once per encoding so found."""
    head = fh.peek(4)[:4]
    marked = next((enc for bom, enc in _BOMS if head.startswith(bom) and enc != "utf-8-sig"), None)
    if marked is not None:
        yield from _decoded_lines(fh, marked, path, report)
        return
    reported: set[str] = set()
    for lineno, raw in enumerate(fh, start=1):
        line = raw[3:] if lineno == 1 and raw.startswith(codecs.BOM_UTF8) else raw
        if not line.strip():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(line)
            if encoding not in reported:
                reported.add(encoding)
                message = f"not UTF-8; decoded as {encoding} (and so for any later line in that encoding)"
                report(InputProblem(path, message, line=lineno, severity="warning"))
            yield lineno, text, encoding
            continue
        yield lineno, line, "utf-8"


def _decoded_lines(fh: io.BufferedReader, encoding: str, path: str, report: Report) -> Iterator[tuple[int, str, str]]:
    """The lines of a UTF-16/32 JSONL file (marked with a BOM): bytes cannot be split at b"\\n" there."""
    message = f"JSONL not in UTF-8; decoded as {encoding} (undecodable bytes replaced with U+FFFD)"
    report(InputProblem(path, message, severity="warning"))
    stream = io.TextIOWrapper(fh, encoding=encoding[:6], errors="replace", newline="\n")  # "utf-16" reads the BOM
    for lineno, text in enumerate(stream, start=1):
        if text.strip():
            yield lineno, text.lstrip("\ufeff"), encoding


def _parse_record(line: bytes | str, path: str, lineno: int, report: Report) -> dict | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        report(InputProblem(path, f"malformed JSON ({exc.args[0].split(':')[0]}); line skipped", line=lineno))
        return None
    if not isinstance(record, dict):
        report(InputProblem(path, "expected a JSON object per line; line skipped", line=lineno))
        return None
    return record


def _record_document(
    record: dict, path: str, lineno: int, encoding: str, report: Report, limits: _Limits
) -> list[dict]:
    text = record.get("text")
    html = record.get("html")
    notes: dict = {}
    if text is None and isinstance(html, str):
        text, html_meta, notes = extract_html(html, path, report, lineno)
        if not text:
            return []  # reported
        if any(record.get(alias) for alias in FIELD_ALIASES["published"]):
            notes.pop("published_from", None)  # the record's own date wins over the page's
        record = {**html_meta, **record}
    if not isinstance(text, str):
        what = "missing" if text is None else f"a {type(text).__name__}, not a string"
        report(InputProblem(path, f"field 'text' is {what}; line skipped", line=lineno, field="text"))
        return []
    meta = metadata_fields(record, _field_report(report, path, lineno))
    return _make(text, f"{path}:{lineno}", meta, report, limits, encoding, notes)


# ---------------------------------------------------------------------------------------------- Markdown
def _markdown_to_text(text: str) -> tuple[str, str | None]:
    """Drop heading markers (keeping the heading text) and return the first heading as the title."""
    title = None
    lines = []
    for line in text.split("\n"):
        m = _MD_HEADING.match(line)
        if m:
            title = title or m.group(1)
            lines.append(m.group(1))
        else:
            lines.append(line)
    return "\n".join(lines), title


def _guess_title(text: str) -> str | None:
    """The first line, when it reads like a headline (short, no final full stop) and more text follows."""
    first, sep, _rest = text.partition("\n")
    first = first.strip()
    if sep and 0 < len(first) <= 150 and not first.endswith((".", ":", ";", ",")):
        return first
    return None
