"""Article text and metadata from an HTML page: trafilatura, checked against the page's own metadata.

Real news pages often render the article with JavaScript, so trafilatura finds a caption or a teaser where the
page's JSON-LD (schema.org ``NewsArticle`` and kin, also inside ``@graph`` or lists) holds the whole
``articleBody``: when the extracted text is much shorter, that body is used, after the headline and the
standfirst. Titles lose their site suffixes ("… | DW | 19.01.2020", "… - Site Name") and the published date is
the page's own (JSON-LD ``datePublished``, ``article:published_time``, …), with the field it came from.
Which types, date fields and title separators count is data: ``corpus/ingest/data/html.json``.
"""

from __future__ import annotations

import html as html_lib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import regex

from corpus.errors import InputProblem

Report = Callable[[InputProblem], None]

# htmldate (through trafilatura) without its extensive search, which turns "Copyright 2024" into 2024-01-01: the
# page's markup and address only. Its original (first published) date, not the last modification.
_DATE_SEARCH = {"extensive_search": False, "original_date": True}
# Extracted text shorter than this share of the JSON-LD articleBody is taken as a fragment (a caption, a teaser).
BODY_RATIO = 0.5
_MAX_JSONLD_DEPTH = 6  # @graph, lists and mainEntity nest a few levels; deeper is not an article's metadata
_BLOCK_END = regex.compile(r"<br\s*/?>|</(?:p|div|h[1-6]|li|blockquote|figcaption)\s*>", regex.IGNORECASE)
_TAG = regex.compile(r"<[^<>]{0,2000}>")
_SPACES = regex.compile(r"\s+")
_NOT_ALNUM = regex.compile(r"[^\p{L}\p{N}]+")


@dataclass(frozen=True)
class _Rules:
    article_types: frozenset[str]
    date_sources: tuple[tuple[str, str], ...]
    separators: tuple[str, ...]
    date_suffix: regex.Pattern


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = json.loads(resources.files("corpus.ingest").joinpath("data/html.json").read_text("utf-8"))
    return _Rules(
        article_types=frozenset(data["article_types"]),
        date_sources=tuple((kind, name) for kind, name in data["date_sources"]),
        separators=tuple(data["title_separators"]),
        date_suffix=regex.compile(data["date_suffix"], regex.IGNORECASE),
    )


@dataclass
class PageMeta:
    """What the page says about itself: its JSON-LD article object and its ``<meta>`` values."""

    article: dict = field(default_factory=dict)
    site_names: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    title: str = ""  # the page's <title>, for when trafilatura finds no article

    @property
    def body(self) -> str:
        return _clean_body(_first_text(self.article.get("articleBody")))

    @property
    def headline(self) -> str:
        return _SPACES.sub(" ", _first_text(self.article.get("headline"))).strip()

    @property
    def lead(self) -> str:
        for value in (self.article.get("description"), self.meta.get("description"), self.meta.get("og:description")):
            text = _SPACES.sub(" ", html_lib.unescape(_first_text(value))).strip()
            if text:
                return text
        return ""


def page_meta(tree: Any) -> PageMeta:
    """The JSON-LD article object, publisher and site names, and ``<meta>`` values of a parsed page."""
    page = PageMeta()
    for node in _jsonld_objects(tree):
        types = _types(node.get("@type"))
        if not page.article and types & _rules().article_types:
            page.article = node
            page.site_names += _names(node.get("publisher"))
        elif "WebSite" in types or "NewsMediaOrganization" in types:
            page.site_names += _names(node)
    page.meta = _meta_values(tree)
    page.title = _SPACES.sub(" ", tree.findtext(".//title") or "").strip()
    page.site_names += [page.meta[k] for k in ("og:site_name", "application-name") if page.meta.get(k)]
    return page


def _types(types: Any) -> set[str]:
    """A JSON-LD ``@type`` (a string or a list) as a set of strings."""
    return {types} if isinstance(types, str) else {t for t in types if isinstance(t, str)} if types else set()


def _jsonld_objects(tree: Any) -> Iterator[dict]:
    """Every object in the page's ``application/ld+json`` scripts (lists and ``@graph`` flattened)."""
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue  # a broken block is common; the page's other metadata still counts
        yield from _flatten(data, 0)


def _flatten(data: Any, depth: int) -> Iterator[dict]:
    if depth > _MAX_JSONLD_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if isinstance(data.get(key), list | dict):
                yield from _flatten(data[key], depth + 1)


def _names(value: Any) -> list[str]:
    """The ``name`` of a publisher / organisation value (an object, a list of them or a bare string)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value["name"]] if isinstance(value.get("name"), str) else []
    if isinstance(value, list):
        return [name for item in value[:5] for name in _names(item)]
    return []


def _meta_values(tree: Any) -> dict[str, str]:
    """``<meta>`` contents (and ``datetime`` of elements with an ``itemprop``) by lower-cased property, name or
    itemprop; the first of each wins."""
    values: dict[str, str] = {}
    for element in tree.xpath("//meta[@content] | //*[@itemprop][@datetime]"):
        content = element.get("content") or element.get("datetime") or ""
        for attribute in ("property", "name", "itemprop"):
            key = (element.get(attribute) or "").strip().lower()
            if key and content.strip():
                values.setdefault(key, content.strip())
    return values


def _first_text(value: Any) -> str:
    """A JSON-LD value as text: a string, or the first string of a list."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), "")
    return value if isinstance(value, str) else ""


def _clean_body(body: str) -> str:
    """An articleBody as paragraphs separated by blank lines (some sites put HTML or entities in it)."""
    if "<" in body:
        body = _TAG.sub("", _BLOCK_END.sub("\n", body))
    body = html_lib.unescape(body)
    lines = (_SPACES.sub(" ", line).strip() for line in body.split("\n"))
    return "\n\n".join(line for line in lines if line)


# --------------------------------------------------------------------------------------------------- body
def choose_body(extracted: str, page: PageMeta, title: str | None) -> tuple[str, str | None]:
    """``(text, where it came from)``: trafilatura's text, or the JSON-LD body (after the headline and the
    standfirst) when the extracted text is much shorter than it."""
    body = page.body
    if not body or len(extracted) >= BODY_RATIO * len(body):
        return extracted, None
    parts = [title] if title else []
    lead = page.lead
    if lead and lead != title and _squash(lead)[:80] not in _squash(body[: 2 * len(lead) + 80]):
        parts.append(lead)  # the standfirst, unless the body opens with it
    return "\n\n".join([*parts, body]), "json-ld:articleBody"


def _squash(text: str) -> str:
    return _NOT_ALNUM.sub("", text).lower()


# -------------------------------------------------------------------------------------------------- title
def clean_title(title: str, page: PageMeta, url: str | None) -> str:
    """The headline without the site suffixes a page title adds: the JSON-LD headline when the title starts with
    it; then trailing segments that are a date, a known site name (og:site_name, the publisher, the site's host
    name) or, after " | ", a short name-like segment."""
    title = _SPACES.sub(" ", title).strip()
    headline = page.headline
    if headline and title != headline and _starts_with_headline(title, headline):
        return headline
    names = {_squash(n) for n in page.site_names} - {""}
    host = _host_labels(url)
    while True:
        head, sep, tail = _last_segment(title)
        if not sep or not _is_suffix(head, sep, tail, names, host):
            return title
        title = head


def _starts_with_headline(title: str, headline: str) -> bool:
    """Whether the title is the headline followed by a separator and more (a site suffix)."""
    rest = title[len(headline) :] if title.startswith(headline) else ""
    return any(rest.startswith(sep) for sep in _rules().separators)


def _last_segment(title: str) -> tuple[str, str, str]:
    """``(head, separator, tail)`` at the right-most separator, or ``(title, "", "")``."""
    found = max(((title.rfind(sep), sep) for sep in _rules().separators), default=(-1, ""))
    pos, sep = found
    if pos <= 0:
        return title, "", ""
    return title[:pos].rstrip(), sep, title[pos + len(sep) :].strip()


def _is_suffix(head: str, sep: str, tail: str, names: set[str], host: set[str]) -> bool:
    if len(head.split()) < 2 or not tail:
        return False  # never leave a one-word title
    if _rules().date_suffix.fullmatch(tail):
        return True
    words = tail.split()
    if _names_site(tail, words, names, host):
        return True
    # Generic, conservative: a pipe rarely sits inside a headline, and a site name is short and capitalised.
    short = len(words) <= 4 and len(tail) <= 40 and 2 * len(tail) < len(head)
    return sep.strip() == "|" and short and tail[:1].isupper()


def _names_site(tail: str, words: list[str], names: set[str], host: set[str]) -> bool:
    """The title's tail is a site name the page gives, or its host name (or starts with it, in a short tail)."""
    squashed = _squash(tail)
    return squashed in names or squashed in host or (len(words) <= 3 and _squash(words[0]) in host)


def _host_labels(url: str | None) -> set[str]:
    """The labels of the page's host name that can name the site ("theguardian" in www.theguardian.com)."""
    if not url:
        return set()
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return set()
    labels = host.lower().split(".")[:-1]  # the last label is the top-level domain
    return {label for label in labels if len(label) > 1 and label not in {"www", "m", "amp", "co", "com", "news"}}


# --------------------------------------------------------------------------------------------------- date
def published_date(page: PageMeta) -> tuple[str | None, str | None]:
    """``(date, field)``: the page's published date from the first of the configured fields that has one, as
    ``YYYY-MM-DD`` when it starts like an ISO date (the date the page states, in its own time zone)."""
    for kind, name in _rules().date_sources:
        value = _first_text(page.article.get(name)) if kind == "json-ld" else page.meta.get(name.lower(), "")
        value = value.strip()
        if value:
            return _date_part(value), f"{kind}:{name}"
    return None, None


_ISO_START = regex.compile(r"\d{4}-\d{2}-\d{2}(?=$|[T ])")


def _date_part(value: str) -> str:
    m = _ISO_START.match(value)
    return m.group(0) if m else value


# ---------------------------------------------------------------------------------------------- extraction
def extract_html(html: str, path: str, report: Report, line: int | None = None) -> tuple[str, dict, dict]:
    """``(text, raw metadata, ingest notes)`` of a page; ``("", {}, {})`` (reported) when it has no article text.
    The notes say where the body and the published date came from when that is not trafilatura's own."""
    try:
        page, extracted = _parse(html)
    except Exception as exc:  # noqa: BLE001 - a third-party parser on hostile markup: report, keep going
        report(InputProblem(path, f"could not parse the HTML ({type(exc).__name__}); skipped", line=line))
        return "", {}, {}
    found = _Found.of(extracted)
    title = clean_title(found.title or page.headline or page.title, page, found.url) or None
    text, body_from = choose_body(found.text, page, title)
    if not text:
        report(InputProblem(path, "no article text found in the HTML; skipped", line=line))
        return "", {}, {}
    date, date_from = _published(page, found)
    meta = {"title": title, "source_url": found.url, "publisher": found.sitename, "published": date}
    meta["licence"] = found.licence
    notes = {"body_from": body_from, "published_from": date_from}
    return text, {k: v for k, v in meta.items() if v}, {k: v for k, v in notes.items() if v}


def _parse(html: str) -> tuple[PageMeta, Any]:
    """The page's metadata and trafilatura's extraction (raises what the parsers raise)."""
    import trafilatura

    tree = trafilatura.load_html(html)
    page = page_meta(tree) if tree is not None else PageMeta()
    extracted = trafilatura.bare_extraction(
        tree if tree is not None else html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        date_extraction_params=_DATE_SEARCH,
    )
    return page, extracted


def _published(page: PageMeta, found: _Found) -> tuple[str | None, str | None]:
    """The configured fields' published date, else trafilatura's; and where it came from."""
    date, date_from = published_date(page)
    if date is None and found.date:
        date, date_from = found.date, "trafilatura"
    return date, date_from


@dataclass(frozen=True)
class _Found:
    """What trafilatura extracted (empty strings where it found nothing)."""

    text: str = ""
    title: str = ""
    url: str = ""
    sitename: str = ""
    date: str = ""
    licence: str = ""

    @classmethod
    def of(cls, extracted: Any) -> _Found:
        if extracted is None:
            return cls()
        values = (getattr(extracted, name, None) for name in ("text", "title", "url", "sitename", "date", "license"))
        return cls(*(v if isinstance(v, str) else "" for v in values))
