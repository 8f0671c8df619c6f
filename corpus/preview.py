"""`corpus preview`: static, self-contained HTML pages to eyeball pre-labels before tasks go out.

One page per batch of documents plus ``index.html``. Each document shows its text with

- entities as a background tint per label (with a small label tag after each entity),
- claims with a wavy underline (green: check-worthy, grey: not, dotted: undecided),
- attributions in one colour per attribution: the SOURCE underlined, the CUE dashed, the CONTENT highlighted
  underneath, each tagged with the attribution's number; hovering any part outlines all parts of that
  attribution, and a table below the text lists every source -> cue -> content.

The pages load nothing from anywhere (inline CSS, one inline script pinned by its hash in the page's
Content-Security-Policy); all document text is HTML-escaped, URLs are linked only when they are http(s).
Offsets are code points, as everywhere in ``corpus``: the text between the tags is exactly ``doc["text"]``.
Output is deterministic (same documents, same bytes).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from corpus.document import ENTITY_LABELS, LAYERS, attribution_components
from corpus.jsonl import atomic_writer

DEFAULT_PER_PAGE = 20

# Light tints for entity labels (readable under black text), by label.
_ENTITY_TINTS = (
    "#ffd8a8",
    "#d0ebff",
    "#d3f9d8",
    "#e5dbff",
    "#fff3bf",
    "#ffdeeb",
    "#c5f6fa",
    "#e9ecef",
    "#f3d9fa",
    "#d8f5a2",
    "#ffe8cc",
    "#dbe4ff",
    "#b2f2bb",
    "#fcc2d7",
    "#a5d8ff",
    "#eebefa",
    "#ffec99",
    "#ced4da",
)
ENTITY_COLOURS = {label: _ENTITY_TINTS[i % len(_ENTITY_TINTS)] for i, label in enumerate(ENTITY_LABELS)}
# Strong colours for attributions (one per attribution, cycling) and their light versions for CONTENT.
GROUP_COLOURS = (
    ("#c92a2a", "#ffc9c9"),
    ("#1864ab", "#a5d8ff"),
    ("#2b8a3e", "#b2f2bb"),
    ("#862e9c", "#eebefa"),
    ("#d9480f", "#ffd8a8"),
    ("#0b7285", "#99e9f2"),
    ("#5f3dc4", "#d0bfff"),
    ("#a61e4d", "#fcc2d7"),
)
_ROLE_CLASS = {"SOURCE": "src", "CUE": "cue", "CONTENT": "cnt"}

_SCRIPT = """
document.addEventListener("mouseover", function (e) {
  var t = e.target.closest("[data-g]");
  document.querySelectorAll(".hl").forEach(function (x) { x.classList.remove("hl"); });
  if (!t) return;
  var doc = t.closest("article");
  doc.querySelectorAll('[data-g="' + t.getAttribute("data-g") + '"]').forEach(function (x) {
    x.classList.add("hl");
  });
});
""".strip()
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")

_CSS = """
body{font:16px/1.6 system-ui,sans-serif;margin:0;background:#f8f9fa;color:#212529}
header.page,footer.page{background:#343a40;color:#f8f9fa;padding:.6em 1.2em}
header.page a,footer.page a{color:#a5d8ff;margin-right:1em}
main{max-width:60em;margin:0 auto;padding:1em}
article{background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:1em 1.4em;margin:1.2em 0}
article h2{font-size:1.15em;margin:.2em 0}
.meta{color:#495057;font-size:.85em}
.meta code{background:#f1f3f5;padding:0 .3em}
.text{white-space:pre-wrap;line-height:2.3;margin:.8em 0;font-size:1.05em}
.ent{border-radius:3px;padding:.1em 0}
.src{border-bottom:3px solid var(--g);font-weight:600}
.cue{border-bottom:3px dashed var(--g)}
.cnt{background-image:linear-gradient(transparent 62%,var(--gl) 62%)}
.clm{text-decoration:underline wavy #868e96;text-decoration-thickness:1.5px;text-underline-offset:.45em}
.clm.cw{text-decoration-color:#2b8a3e}
.clm.undecided{text-decoration-style:dotted}
.hl{outline:2px solid var(--g);outline-offset:1px}
.lab{font-size:.62em;font-weight:600;vertical-align:super;line-height:1;margin:0 .15em;padding:0 .25em;
     border-radius:3px;background:#495057;color:#fff;user-select:none;white-space:nowrap}
.lab.g{background:var(--g)}
.lab.c{background:#2b8a3e}
.lab.c.not{background:#868e96}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0;width:100%}
th,td{border:1px solid #dee2e6;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f1f3f5}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;background:var(--g);vertical-align:middle}
.legend span{margin-right:.6em;white-space:nowrap}
""".strip()


@dataclass
class PreviewStats:
    documents: int = 0
    pages: int = 0
    spans: dict[str, int] = field(default_factory=lambda: {layer: 0 for layer in LAYERS})
    relations: int = 0


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def attribution_groups(doc: dict) -> dict[str, int]:
    """Span id -> attribution number (0-based): sources-layer spans joined by relations share a number."""
    components = attribution_components(doc.get("spans", ()), doc.get("relations", ()))
    return {span["id"]: number for number, members in enumerate(components) for span in members}


def _checkworthy(span: dict) -> bool | None:
    value = (span.get("attrs") or {}).get("checkworthy")
    if isinstance(value, bool):
        return value
    if value in ("CHECKWORTHY", "NOT_CHECKWORTHY"):
        return value == "CHECKWORTHY"
    return None


def _group_style(group: int) -> str:
    strong, light = GROUP_COLOURS[group % len(GROUP_COLOURS)]
    return f"--g:{strong};--gl:{light}"


def _spans_in_text(spans, text_len: int) -> list[dict]:
    """The spans with offsets in the text (others cannot be drawn)."""
    return [s for s in spans if 0 <= s["start"] < s["end"] <= text_len]


def render_text(doc: dict, groups: dict[str, int]) -> str:
    """The document text as HTML: one element per stretch covered by the same spans, tags after span ends."""
    text = doc["text"]
    spans = _spans_in_text(doc.get("spans", ()), len(text))
    cuts = sorted({0, len(text), *(s["start"] for s in spans), *(s["end"] for s in spans)})
    ending: dict[int, list[dict]] = {}
    for span in spans:
        ending.setdefault(span["end"], []).append(span)
    out: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        out.append(_stretch(esc(text[a:b]), _covering(spans, a, b), groups))
        for span in sorted(ending.get(b, ()), key=lambda s: (-s["start"], s["layer"], s["label"])):
            out.append(_tag(span, groups))
    return "".join(out)


def _covering(spans: list[dict], a: int, b: int) -> list[dict]:
    return [s for s in spans if s["start"] <= a and b <= s["end"]]


def _stretch(piece: str, covering: list[dict], groups: dict[str, int]) -> str:
    """An escaped stretch of text: plain when no span covers it."""
    return _segment(piece, covering, groups) if covering else piece


def _segment(piece: str, covering: list[dict], groups: dict[str, int]) -> str:
    """A stretch covered by ``covering``: styled by its innermost entity, its attribution group and its claims."""
    classes: list[str] = []
    style: list[str] = []
    attrs: list[str] = []
    entities = [s for s in covering if s["layer"] == "entities"]
    if entities:
        inner = min(entities, key=lambda s: s["end"] - s["start"])
        classes.append("ent")
        style.append(f"background-color:{ENTITY_COLOURS.get(inner['label'], '#e9ecef')}")
    sources = [s for s in covering if s["layer"] == "sources"]
    if sources:
        group = _source_classes(sources, groups, classes)
        style.append(_group_style(group))
        attrs.append(f'data-g="{group}"')
    classes += _claim_classes([s for s in covering if s["layer"] == "claims"])
    ids = " ".join(s["id"] for s in covering)
    parts = [
        f'class="{" ".join(classes)}"',
        f'style="{";".join(style)}"',
        f'data-ids="{esc(ids)}"',
        *attrs,
        f'title="{esc(_titles(covering, groups))}"',
    ]
    return f"<span {' '.join(parts)}>{piece}</span>"


def _source_classes(sources: list[dict], groups: dict[str, int], classes: list[str]) -> int:
    """Adds the role classes of ``sources`` to ``classes``; returns the attribution group of the innermost one."""
    for span in sources:
        cls = _ROLE_CLASS.get(span["label"])
        if cls and cls not in classes:
            classes.append(cls)
    inner = min(sources, key=lambda s: s["end"] - s["start"])
    return groups.get(inner["id"], 0)


def _claim_classes(claims: list[dict]) -> list[str]:
    if not claims:
        return []
    decided = [_checkworthy(s) for s in claims]
    if any(d is True for d in decided):
        return ["clm", "cw"]
    return ["clm", "undecided"] if all(d is None for d in decided) else ["clm"]


def _titles(covering: list[dict], groups: dict[str, int]) -> str:
    titles = []
    for span in sorted(covering, key=lambda s: (s["start"], -s["end"], s["layer"])):
        extra = f" {groups[span['id']] + 1}" if span["id"] in groups else ""
        titles.append(
            f"{span['label']}{extra} [{span['id']}] {span.get('labeller', '')} score {span.get('score', '')}".rstrip()
        )
    return " | ".join(titles)


def _tag(span: dict, groups: dict[str, int]) -> str:
    if span["layer"] == "sources":
        group = groups.get(span["id"], 0)
        return (
            f'<sup class="lab g" style="{_group_style(group)}" data-g="{group}" aria-hidden="true">'
            f"{esc(span['label'])} {group + 1}</sup>"
        )
    if span["layer"] == "claims":
        decided = _checkworthy(span)
        mark = {True: " ✓", False: " ✗", None: ""}[decided]
        cls = "lab c" + (" not" if decided is False else "")
        return f'<sup class="{cls}" aria-hidden="true">{esc(span["label"])}{mark}</sup>'
    return f'<sup class="lab" aria-hidden="true">{esc(span["label"])}</sup>'


def _group_texts(doc: dict, groups: dict[str, int]) -> dict[int, dict[str, list[str]]]:
    """Attribution group -> role -> the escaped texts of its spans, in text order."""
    by_group: dict[int, dict[str, list[str]]] = {}
    text = doc["text"]
    for span in sorted(doc.get("spans", ()), key=lambda s: (s["start"], s["end"])):
        if span["id"] in groups:
            role = by_group.setdefault(groups[span["id"]], {"SOURCE": [], "CUE": [], "CONTENT": []})
            role.setdefault(span["label"], []).append(esc(text[span["start"] : span["end"]]))
    return by_group


def _joined(texts: list[str]) -> str:
    return "<br>".join(texts) or "—"


def _attribution_row(group: int, roles: dict[str, list[str]], kind: str) -> str:
    return (
        f'<tr data-g="{group}" style="{_group_style(group)}"><td><span class="swatch"></span> '
        f"{group + 1}</td><td>{_joined(roles['SOURCE'])}</td><td>{esc(kind)}</td>"
        f"<td>{_joined(roles['CUE'])}</td><td>{_joined(roles['CONTENT'])}</td></tr>"
    )


def _attribution_table(doc: dict, groups: dict[str, int]) -> str:
    by_group = _group_texts(doc, groups)
    if not by_group:
        return ""
    kinds = {s["id"]: (s.get("attrs") or {}).get("kind") for s in doc.get("spans", ()) if s["id"] in groups}
    rows = []
    for group in sorted(by_group):
        kind = next((k for sid, k in kinds.items() if groups[sid] == group and k), "")
        rows.append(_attribution_row(group, by_group[group], kind))
    return (
        '<table class="attributions"><tr><th>#</th><th>source</th><th>kind</th><th>cue</th><th>content</th>'
        "</tr>" + "".join(rows) + "</table>"
    )


def _safe_url(url: object) -> str | None:
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


def _publication_meta(doc: dict) -> list[str]:
    return [f"{key}: {esc(doc[key])}" for key in ("publisher", "published", "licence") if doc.get(key)]


def _document_meta(doc: dict) -> list[str]:
    """The line under a document's title: id, publication details, source link, span counts, labellers."""
    counts = {layer: sum(1 for s in doc.get("spans", ()) if s["layer"] == layer) for layer in LAYERS}
    url = _safe_url(doc.get("source_url"))
    meta = [f"<code>{esc(doc['id'])}</code>", *_publication_meta(doc)]
    if url:
        meta.append(f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">source</a>')
    meta.append(
        ", ".join(f"{n} {layer}" for layer, n in counts.items()) + f", {len(doc.get('relations', ()))} relations"
    )
    labellers = doc.get("labellers") or {}
    if labellers:
        meta.append("labellers: " + ", ".join(f"{esc(k)}={esc(v)}" for k, v in sorted(labellers.items())))
    return meta


def render_document(doc: dict) -> str:
    groups = attribution_groups(doc)
    title = doc.get("title") or doc.get("origin") or doc["id"]
    meta = _document_meta(doc)
    return (
        f'<article id="doc-{esc(doc["id"])}"><h2>{esc(title)}</h2><div class="meta">{" · ".join(meta)}</div>'
        f'<div class="text">{render_text(doc, groups)}</div>{_attribution_table(doc, groups)}</article>'
    )


def _legend() -> str:
    entities = "".join(
        f'<span><span class="ent" style="background-color:{ENTITY_COLOURS[label]}">{label}</span></span>'
        for label in ENTITY_LABELS
    )
    style = _group_style(0)
    roles = (
        f'<span><span class="src" style="{style}">SOURCE</span></span>'
        f'<span><span class="cue" style="{style}">CUE</span></span>'
        f'<span><span class="cnt" style="{style}">CONTENT</span></span>'
        '<span><span class="clm cw">check-worthy claim</span></span>'
        '<span><span class="clm">claim, not check-worthy</span></span>'
        '<span><span class="clm undecided">claim, undecided</span></span>'
    )
    return (
        f'<details class="legend"><summary>legend</summary><p>{entities}</p><p>{roles} — one colour and number '
        "per attribution; hover to see its parts</p></details>"
    )


def _page(title: str, body: str, nav: str) -> str:
    csp = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{_CSS}</style></head><body>"
        f'<header class="page">{nav}</header><main>{body}</main><footer class="page">{nav}</footer>'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def page_name(number: int) -> str:
    return f"page-{number:04d}.html"


def _batches(docs: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_preview(
    docs: Iterable[dict], out_dir: str | Path, per_page: int = DEFAULT_PER_PAGE, stats: PreviewStats | None = None
) -> list[Path]:
    """Write one HTML page per ``per_page`` documents and ``index.html``; return the paths (index first)."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    out_dir = Path(out_dir)
    stats = stats if stats is not None else PreviewStats()
    pages: list[tuple[Path, list[tuple[str, str, dict[str, int]]]]] = []
    batches = _batches(docs, per_page)
    batch = next(batches, None)
    while batch is not None:
        following = next(batches, None)  # one batch ahead, so a page knows whether a next page exists
        path = _write_page(out_dir, len(pages) + 1, batch, following is not None)
        pages.append((path, [_count(doc, stats) for doc in batch]))
        batch = following
    stats.pages = len(pages)
    index = out_dir / "index.html"
    with atomic_writer(index) as fh:
        fh.write(_page("corpus preview", _index_body(pages, stats), '<a href="index.html">index</a>').encode("utf-8"))
    return [index, *(p for p, _ in pages)]


def _write_page(out_dir: Path, number: int, batch: list[dict], has_next: bool) -> Path:
    nav = ['<a href="index.html">index</a>']
    if number > 1:
        nav.append(f'<a href="{page_name(number - 1)}">previous</a>')
    if has_next:
        nav.append(f'<a href="{page_name(number + 1)}">next</a>')
    nav.append(f"page {number}")
    body = _legend() + "".join(render_document(doc) for doc in batch)
    path = out_dir / page_name(number)
    with atomic_writer(path) as fh:
        fh.write(_page(f"corpus preview — page {number}", body, " ".join(nav)).encode("utf-8"))
    return path


def _count(doc: dict, stats: PreviewStats) -> tuple[str, str, dict[str, int]]:
    """``(id, title, spans per layer)`` of a document for the index; counted into ``stats``."""
    counts = {layer: sum(1 for s in doc.get("spans", ()) if s["layer"] == layer) for layer in LAYERS}
    stats.documents += 1
    for layer, n in counts.items():
        stats.spans[layer] += n
    stats.relations += len(doc.get("relations", ()))
    return doc["id"], doc.get("title") or doc.get("origin") or doc["id"], counts


def _index_body(pages: list[tuple[Path, list[tuple[str, str, dict[str, int]]]]], stats: PreviewStats) -> str:
    rows = [
        f'<tr><td><a href="{path.name}#doc-{esc(doc_id)}">{esc(title)}</a></td>'
        f"<td><code>{esc(doc_id)}</code></td>" + "".join(f"<td>{counts[layer]}</td>" for layer in LAYERS) + "</tr>"
        for path, summary in pages
        for doc_id, title, counts in summary
    ]
    table = (
        "<table><tr><th>document</th><th>id</th>"
        + "".join(f"<th>{layer}</th>" for layer in LAYERS)
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )
    links = " ".join(f'<a href="{p.name}">{i}</a>' for i, (p, _) in enumerate(pages, start=1))
    return (
        f"<h1>corpus preview</h1><p>{stats.documents} documents on {stats.pages} pages: {links}</p>"
        f"<p>spans: "
        + ", ".join(f"{n} {layer}" for layer, n in stats.spans.items())
        + f", {stats.relations} relations</p>{table}"
    )
