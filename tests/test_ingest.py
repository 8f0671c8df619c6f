"""Ingest: readers for each format, normalisation, boilerplate stripping, metadata."""

from __future__ import annotations

import json
from pathlib import Path

from corpus.document import document_id
from corpus.ingest import clean_text, normalize_text, read_documents, strip_boilerplate
from corpus.report import Reporter

ARTICLE = (
    "Listen to article\n"
    "|\n"
    "The harbour authority in Port Elsa said on Monday that 40 ships were delayed.\n"
    "Read also: Storm season starts early – officials\n"
    "Advertisement\n"
    "Dock workers, speaking anonymously, told reporters the cranes had failed twice.\n"
)


def _read(tmp_path: Path, name: str, content: str | bytes) -> tuple[list[dict], Reporter]:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    reporter = Reporter(echo=None)
    return list(read_documents([path], reporter)), reporter


def test_txt_strips_boilerplate_and_records_it(tmp_path):
    docs, reporter = _read(tmp_path, "a.txt", ARTICLE)
    assert reporter.problems == []
    (doc,) = docs
    assert doc["text"].startswith("The harbour authority")
    assert "Advertisement" not in doc["text"] and "Read also" not in doc["text"]
    rules = [s["rule"] for s in doc["ingest"]["stripped"]]
    assert rules == ["listen", "lone_punct", "read_also", "advertisement"]
    assert doc["id"] == document_id(doc["text"]) and len(doc["id"]) == 16
    assert doc["origin"].endswith("a.txt")


def test_boilerplate_keeps_sentences_that_merely_mention_the_words():
    text = "Share prices fell 3% after the advertisement aired.\nShare\nFollow us on Mastodon"
    cleaned, stripped = strip_boilerplate(text)
    assert cleaned == "Share prices fell 3% after the advertisement aired."
    assert [s["text"] for s in stripped] == ["Share", "Follow us on Mastodon"]


def test_normalisation_newlines_controls_nfc():
    raw = "Cafe\u0301 opens\r\nsecond\rthird\u200b line\u202e\x07\t tab  \n\n\n\nend"
    text, changes = normalize_text(raw)
    assert text == "Café opens\nsecond\nthird line  tab\n\nend"
    assert changes["newlines"] == 2 and changes["control_characters"] == 3 and changes["nfc"] == 1
    # Idempotent: normalising normalised text changes nothing.
    assert normalize_text(text) == (text, {})


def test_emoji_joiners_are_kept():
    text, _, _ = clean_text("Family 👩\u200d👩\u200d👧 photo")
    assert "\u200d" in text


def test_markdown_front_matter_and_heading(tmp_path):
    md = (
        "---\ntitle: Front matter title\nurl: https://news.example/a\npublisher: Example News\n"
        "date: 2024-05-01\nlicense: CC-BY-4.0\n---\n# Heading line\n\nBody text of the article is here.\n"
    )
    (doc,), _ = _read(tmp_path, "b.md", md)
    assert doc["title"] == "Front matter title"
    assert doc["source_url"] == "https://news.example/a"
    assert doc["publisher"] == "Example News"
    assert doc["published"] == "2024-05-01"
    assert doc["licence"] == "CC-BY-4.0"
    assert doc["text"] == "Heading line\n\nBody text of the article is here."


def test_jsonl_metadata_aliases_and_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {"text": "First article text.", "headline": "One", "url": "https://x.example/1", "license": "CC0-1.0"}
        ),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": 42}),
        json.dumps({"text": "Second article text.", "publisher": ["a", "b"]}),
        json.dumps(["a list"]),
        "",
        json.dumps({"text": "Third article text.", "date": "2024-01-02"}),
    ]
    docs, reporter = _read(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    # A wrong-typed metadata field is dropped with a warning; the article is still built.
    assert [d["text"] for d in docs] == ["First article text.", "Second article text.", "Third article text."]
    assert docs[0]["title"] == "One" and docs[0]["licence"] == "CC0-1.0"
    assert docs[0]["origin"].endswith("feed.jsonl:1")
    assert docs[1]["publisher"] is None
    assert docs[2]["published"] == "2024-01-02"
    assert [(p.line, p.severity) for p in reporter.problems] == [
        (2, "error"),
        (3, "error"),
        (4, "error"),
        (5, "warning"),
        (6, "error"),
    ]
    assert "field 'text' is missing" in str(reporter.problems[1])
    assert "feed.jsonl:4" in str(reporter.problems[2])
    assert reporter.problems[3].field == "publisher" and "must be a string, got list" in str(reporter.problems[3])


def test_html_extracts_article_and_metadata(tmp_path):
    html = (
        "<html><head><title>Ferry strike | Coast Times</title>"
        '<meta property="og:site_name" content="Coast Times">'
        '<link rel="canonical" href="https://coast.example/ferry"></head><body>'
        "<nav>Home | World | Sport</nav><script>var tracking = 1;</script><style>p{color:red}</style>"
        "<article><h1>Ferry strike</h1><p>Ferry crews walked out on Friday, the union said, "
        "stranding hundreds of passengers on the island.</p>"
        "<p>The operator said talks would resume next week and that extra buses had been hired.</p>"
        "</article><footer>Copyright Coast Times</footer></body></html>"
    )
    (doc,), _ = _read(tmp_path, "c.html", html)
    assert "Ferry crews walked out on Friday" in doc["text"]
    assert "tracking" not in doc["text"] and "color:red" not in doc["text"]
    assert doc["publisher"] == "Coast Times"
    assert doc["source_url"] == "https://coast.example/ferry"


def test_folder_is_read_sorted_and_unsupported_files_reported(tmp_path):
    (tmp_path / "b.txt").write_text("Beta article.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Alpha article.", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    (tmp_path / ".hidden.txt").write_text("Hidden.", encoding="utf-8")
    reporter = Reporter(echo=None)
    docs = list(read_documents([tmp_path], reporter))
    assert [d["text"] for d in docs] == ["Alpha article.", "Beta article."]
    assert len(reporter.problems) == 1 and "notes.docx" in str(reporter.problems[0])
    assert reporter.problems[0].severity == "warning"


def test_cp1252_file_is_decoded_and_reported(tmp_path):
    content = "The minister’s “reform” costs €5 million — critics say.".encode("cp1252")
    (doc,), reporter = _read(tmp_path, "w.txt", content)
    assert doc["text"] == "The minister’s “reform” costs €5 million — critics say."
    assert doc["ingest"]["encoding"] != "utf-8"
    assert "not UTF-8" in str(reporter.problems[0]) and "w.txt" in str(reporter.problems[0])


def test_binary_and_empty_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "empty.txt").write_text("  \n\n ", encoding="utf-8")
    (tmp_path / "ok.txt").write_text("A good article.", encoding="utf-8")
    reporter = Reporter(echo=None)
    docs = list(read_documents([tmp_path], reporter))
    assert [d["text"] for d in docs] == ["A good article."]
    messages = sorted(str(p) for p in reporter.problems)
    assert any("bin.txt" in m and "NUL" in m for m in messages)
    assert any("empty.txt" in m and "empty article" in m for m in messages)


def test_title_guess_from_headline_line(tmp_path):
    (doc,), _ = _read(tmp_path, "h.txt", "Port strike ends after nine days\nWorkers returned on Sunday.")
    assert doc["title"] == "Port strike ends after nine days"
