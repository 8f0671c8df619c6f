"""`corpus preview`: the HTML shows exactly the document text, every span over exactly its offsets, safely escaped;
a headless Chromium renders it (screenshot kept in artifacts/preview/)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import find, make_document, write_documents
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import add_relation, add_span
from corpus.preview import ENTITY_COLOURS, write_preview

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "preview"


class TextView(HTMLParser):
    """Per article: the text inside ``div.text`` (tags dropped) and, per span id, the text its segments hold."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.span_text: list[dict[str, str]] = []
        self.groups: list[dict[str, str]] = []
        self.scripts = 0
        self.links: list[str] = []
        self._stack: list[tuple[str, list[str], bool]] = []  # tag, span ids, inside a label tag
        self._in_text = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "a":
            self.links.append(a.get("href") or "")
        classes = (a.get("class") or "").split()
        if tag == "div" and "text" in classes:
            self._in_text = True
            self.texts.append("")
            self.span_text.append({})
            self.groups.append({})
            self._stack = [(tag, [], False)]
            return
        if not self._in_text:
            return
        ids = (a.get("data-ids") or "").split()
        if ids and a.get("data-g") is not None:
            for sid in ids:
                self.groups[-1].setdefault(sid, a["data-g"])
        lab = self._stack[-1][2] or "lab" in classes
        self._stack.append((tag, ids or self._stack[-1][1], lab))

    def handle_endtag(self, tag):
        if not self._in_text:
            return
        self._stack.pop()
        if not self._stack:
            self._in_text = False

    def handle_data(self, data):
        if not self._in_text or self._stack[-1][2]:
            return
        self.texts[-1] += data
        for sid in self._stack[-1][1]:
            self.span_text[-1][sid] = self.span_text[-1].get(sid, "") + data


def view(path: Path) -> TextView:
    parser = TextView()
    parser.feed(path.read_text("utf-8"))
    return parser


def hostile_document() -> dict:
    """Markup, entities and quotes in the text, a javascript: URL, two attributions, overlapping layers."""
    doc = make_document(
        "Acme said \"<script>alert('x')</script> & <b>bold</b>\" in Kyiv.\r\n\r\n"
        "Analysts say prices will rise 😀 soon, officials added."
    )
    text = doc["text"]
    doc["title"] = "</title><script>alert(1)</script>"
    doc["source_url"] = "javascript:alert(1)"
    add_span(doc, "entities", "ORG", *find(text, "Acme"), "rules@1")
    add_span(doc, "entities", "GPE", *find(text, "Kyiv"), "rules@1")
    s1 = add_span(doc, "sources", "SOURCE", *find(text, "Acme"), "rules@1")
    c1 = add_span(doc, "sources", "CUE", *find(text, "said"), "rules@1")
    q1 = add_span(doc, "sources", "CONTENT", *find(text, "<script>alert('x')</script> & <b>bold</b>"), "rules@1")
    s2 = add_span(doc, "sources", "SOURCE", *find(text, "officials"), "rules@1")
    c2 = add_span(doc, "sources", "CUE", *find(text, "added"), "rules@1")
    q2 = add_span(doc, "sources", "CONTENT", *find(text, "Analysts say prices will rise 😀 soon"), "rules@1")
    for src, cue, content in ((s1, c1, q1), (s2, c2, q2)):
        add_relation(doc, "ATTRIBUTION", src["id"], content["id"], "rules@1")
        add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    add_span(doc, "claims", "CLAIM", *find(text, "prices will rise 😀 soon"), "rules@1", 0.4, {"checkworthy": False})
    return doc


@pytest.fixture()
def docs() -> list[dict]:
    return [make_document(), hostile_document()]


def test_text_and_every_span_survive_exactly(tmp_path, docs):
    paths = write_preview(docs, tmp_path, per_page=10)
    assert [p.name for p in paths] == ["index.html", "page-0001.html"]
    page = view(paths[1])
    assert page.texts == [d["text"] for d in docs]  # emoji, combining marks, markup: all exactly the text
    for doc, span_text in zip(docs, page.span_text, strict=True):
        for span in doc["spans"]:
            assert span_text[span["id"]] == doc["text"][span["start"] : span["end"]], span


def test_hostile_text_is_escaped(tmp_path, docs):
    page_path = write_preview(docs, tmp_path)[1]
    raw = page_path.read_text("utf-8")
    page = view(page_path)
    assert page.scripts == 1  # ours only
    assert "<b>bold</b>" not in raw and "&lt;b&gt;bold&lt;/b&gt;" in raw
    assert not any(link.startswith("javascript:") for link in page.links)
    assert "Content-Security-Policy" in raw and "default-src 'none'" in raw


def test_attributions_are_linked_by_group(tmp_path, docs):
    page = view(write_preview(docs, tmp_path)[1])
    groups = page.groups[1]
    doc = docs[1]
    ids = {s["text"]: s["id"] for s in doc["spans"] if s["layer"] == "sources"}
    first = {groups[ids[t]] for t in ("Acme", "said", "<script>alert('x')</script> & <b>bold</b>")}
    second = {groups[ids[t]] for t in ("officials", "added", "Analysts say prices will rise 😀 soon")}
    assert len(first) == 1 and len(second) == 1 and first != second
    raw = (tmp_path / "page-0001.html").read_text("utf-8")
    assert raw.count('<tr data-g="') == 1 + 2  # a table row per attribution: 1 in the first doc, 2 here


def test_pages_index_and_determinism(tmp_path):
    docs = [make_document(f"Story number {i} about Oslo.\n\nSecond paragraph {i}.") for i in range(5)]
    paths = write_preview(docs, tmp_path / "a", per_page=2)
    assert [p.name for p in paths] == ["index.html", "page-0001.html", "page-0002.html", "page-0003.html"]
    index = view(paths[0])
    assert sum(1 for link in index.links if "#doc-" in link) == 5
    assert 'href="page-0002.html">next<' in paths[1].read_text("utf-8")
    assert ">next<" not in paths[3].read_text("utf-8")
    again = write_preview(docs, tmp_path / "b", per_page=2)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_preview_cli(tmp_path, docs):
    path = write_documents(tmp_path, docs)
    result = CliRunner().invoke(app, ["preview", str(path), "-o", str(tmp_path / "out"), "--per-page", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["index.html", "page-0001.html", "page-0002.html"]


# ------------------------------------------------------------------------------------------- Chromium


def _png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of RGB colours of an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0
    bpp = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, colours = bytearray(stride), set()
    for y in range(height):
        filt, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, up_left = prev[i], prev[i - bpp] if i >= bpp else 0
            if filt == 1:
                line[i] = (line[i] + left) & 255
            elif filt == 2:
                line[i] = (line[i] + up) & 255
            elif filt == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif filt == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, colours


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium): apt-get install -y chromium"
)
def test_chromium_renders_the_preview(tmp_path, docs):
    page = write_preview(docs, tmp_path / "preview")[1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "page-0001.png"
    shot.unlink(missing_ok=True)

    done = _chromium([f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()], tmp_path / "profile")
    assert done.returncode == 0 and shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    width, height, colours = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 900)
    person = tuple(int(ENTITY_COLOURS["PERSON"][i : i + 2], 16) for i in (1, 3, 5))
    org = tuple(int(ENTITY_COLOURS["ORG"][i : i + 2], 16) for i in (1, 3, 5))
    assert person in colours and org in colours  # the highlights were actually painted
    shutil.copy(page, ARTIFACTS / page.name)

    # The DOM Chromium built holds the same text and exactly one script: the escaping held in a real parser.
    dom = _chromium(["--dump-dom", page.as_uri()], tmp_path / "profile")
    assert dom.returncode == 0
    dumped = tmp_path / "dom.html"
    dumped.write_bytes(dom.stdout)
    parsed = view(dumped)
    assert parsed.texts == [d["text"] for d in docs] and parsed.scripts == 1
    (ARTIFACTS / "dom.json").write_text(json.dumps({"texts": parsed.texts}, ensure_ascii=False), "utf-8")
