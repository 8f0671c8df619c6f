"""Read articles from .txt, .md, .jsonl and .html files (or folders of them) into document records."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import regex

from corpus.document import META_FIELDS, new_document
from corpus.errors import InputProblem
from corpus.ingest.normalize import clean_text

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES

DEFAULT_MAX_ARTICLE_CHARS = 20_000_000
DEFAULT_MAX_FILES = 1_000_000

# JSONL field names accepted for each metadata field (first present wins).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "source_url": ("source_url", "url", "link"),
    "publisher": ("publisher", "source", "site", "sitename"),
    "published": ("published", "date", "published_at", "publication_date"),
    "licence": ("licence", "license", "rights"),
}

_WESTERN_PUNCT = set("‘’“”‚„–—…€£¥©®°±·×÷§¶•†‡‰«»¡¿ªº¹²³¼½¾µ¢¤¦¨¬¯´¸\xa0")
_FRONT_MATTER = regex.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", regex.DOTALL)
_MD_HEADING = regex.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")

Report = Callable[[InputProblem], None]


def iter_input_files(paths: Iterable[str | Path], report: Report, max_files: int = DEFAULT_MAX_FILES) -> Iterator[Path]:
    """Expand folders (recursively, sorted, hidden files skipped) and keep supported files."""
    count = 0
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            report(InputProblem(str(path), "no such file or folder"))
            continue
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in candidates:
            rel_parts = file.relative_to(path).parts if path.is_dir() else ()
            if any(part.startswith(".") for part in rel_parts) or file.name.lower() == "readme.md" and path.is_dir():
                continue
            if file.suffix.lower() not in SUPPORTED_SUFFIXES:
                report(InputProblem(str(file), f"skipped: unsupported file type '{file.suffix or file.name}' "
                                    f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})", severity="warning"))
                continue
            count += 1
            if count > max_files:
                report(InputProblem(str(file), f"stopped: more than {max_files} input files (raise --max-files)"))
                return
            yield file


def decode_bytes(data: bytes, origin: str, report: Report) -> tuple[str | None, str]:
    """Decode UTF-8 (with or without BOM); otherwise detect the encoding and say so; reject binary data."""
    if b"\x00" in data:
        # UTF-16 files carry NULs; anything else with NULs is binary.
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16"), "utf-16"
        report(InputProblem(origin, "not a text file (contains NUL bytes); skipped"))
        return None, ""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text, encoding = _decode_legacy(data)
    report(InputProblem(origin, f"not UTF-8; decoded as {encoding}", severity="warning"))
    return text, encoding


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


def read_documents(
    paths: Iterable[str | Path],
    report: Report,
    strip_boilerplate: bool = True,
    max_chars: int = DEFAULT_MAX_ARTICLE_CHARS,
    max_files: int = DEFAULT_MAX_FILES,
) -> Iterator[dict]:
    """Yield one document per article found under ``paths``; problems go to ``report`` and are skipped."""
    for file in iter_input_files(paths, report, max_files):
        suffix = file.suffix.lower()
        try:
            if suffix in JSONL_SUFFIXES:
                yield from _read_jsonl(file, report, strip_boilerplate, max_chars)
                continue
            data = file.read_bytes()
        except OSError as exc:
            report(InputProblem(str(file), f"cannot read: {exc.strerror or exc}"))
            continue
        text, encoding = decode_bytes(data, str(file), report)
        if text is None:
            continue
        meta: dict[str, Any] = {}
        if suffix in HTML_SUFFIXES:
            text, meta = _extract_html(text)
            if not text:
                report(InputProblem(str(file), "no article text found in the HTML; skipped"))
                continue
        else:
            text, meta = _front_matter(text)
            if suffix in MARKDOWN_SUFFIXES:
                text, heading = _markdown_to_text(text)
                meta.setdefault("title", heading)
        doc = _make(text, str(file), meta, report, strip_boilerplate, max_chars, encoding)
        if doc is not None:
            yield doc


def _make(raw: str, origin: str, meta: dict, report: Report, strip: bool, max_chars: int,
          encoding: str = "utf-8") -> dict | None:
    if len(raw) > max_chars:
        report(InputProblem(origin, f"article is {len(raw):,} characters, over the limit of {max_chars:,} "
                            "(raise --max-chars); skipped"))
        return None
    text, stripped, changes = clean_text(raw, strip=strip)
    if not text:
        report(InputProblem(origin, "empty article (no text after normalisation); skipped"))
        return None
    if "title" not in meta or not meta["title"]:
        meta["title"] = _guess_title(text)
    ingest = {"stripped": stripped, "normalised": changes, "encoding": encoding}
    return new_document(text, origin, ingest=ingest, **{k: meta.get(k) for k in META_FIELDS})


def _read_jsonl(file: Path, report: Report, strip: bool, max_chars: int) -> Iterator[dict]:
    with open(file, "rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            origin = f"{file}:{lineno}"
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                report(InputProblem(str(file), f"malformed JSON ({exc.args[0].split(':')[0]}); line skipped",
                                    line=lineno))
                continue
            if not isinstance(record, dict):
                report(InputProblem(str(file), "expected a JSON object per line; line skipped", line=lineno))
                continue
            text = record.get("text")
            html = record.get("html")
            if text is None and isinstance(html, str):
                text, html_meta = _extract_html(html)
                record = {**html_meta, **record}
            if not isinstance(text, str):
                what = "missing" if text is None else f"a {type(text).__name__}, not a string"
                report(InputProblem(str(file), f"field 'text' is {what}; line skipped", line=lineno, field="text"))
                continue
            meta: dict[str, Any] = {}
            bad_field = False
            for field, aliases in FIELD_ALIASES.items():
                for alias in aliases:
                    value = record.get(alias)
                    if value is None:
                        continue
                    if not isinstance(value, str | int | float) or isinstance(value, bool):
                        report(InputProblem(str(file), f"field '{alias}' must be a string, got "
                                            f"{type(value).__name__}; line skipped", line=lineno, field=alias))
                        bad_field = True
                    meta[field] = str(value)
                    break
            if bad_field:
                continue
            doc = _make(text, origin, meta, report, strip, max_chars)
            if doc is not None:
                yield doc


def _extract_html(html: str) -> tuple[str, dict]:
    import trafilatura

    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if extracted is None or not extracted.text:
        return "", {}
    meta = {
        "title": extracted.title,
        "source_url": extracted.url,
        "publisher": extracted.sitename,
        "published": extracted.date,
        "licence": getattr(extracted, "license", None),
    }
    return extracted.text, {k: v for k, v in meta.items() if v}


def _front_matter(text: str) -> tuple[str, dict]:
    """Optional ``---``-delimited YAML front matter carrying the article's metadata."""
    m = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not m:
        return text, {}
    import yaml

    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return text, {}
    if not isinstance(data, dict):
        return text, {}
    meta = {}
    for field, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            if data.get(alias) not in (None, ""):
                meta[field] = str(data[alias])
                break
    return text[m.end():], meta


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
