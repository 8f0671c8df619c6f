"""Ingest of real news pages: JSON-LD article bodies, site suffixes in titles, published dates, page furniture."""

from __future__ import annotations

import json
from pathlib import Path

from corpus.ingest import read_documents
from corpus.ingest.html import PageMeta, clean_title
from corpus.prelabel import build_labellers
from corpus.report import Reporter
from corpus.segment.core import segment_document

BODY = (
    "Authorities in Halvern closed the river port on Sunday after three days of heavy rain pushed the water "
    "2.4 metres above its usual level. The harbour master said 40 barges were stuck upstream.\n"
    "Residents of the old town were told to move their cars away from the embankment before nightfall.\n"
    '"We have not seen the river this high since 2013," said Mara Lindqvist, who runs a bakery near the quay.\n'
    "The regional weather service expects the rain to ease on Tuesday, but warned that the river would keep "
    "rising for another day as water arrives from the hills."
)
LEAD = "A week of storms has shut the busiest inland port of the region."


def _page(head: str, body: str, jsonld: object | None = None) -> str:
    script = "" if jsonld is None else f'<script type="application/ld+json">{json.dumps(jsonld)}</script>'
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{head}{script}</head><body>{body}</body></html>'


def _read(tmp_path: Path, name: str, content: str) -> tuple[list[dict], Reporter]:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    reporter = Reporter(echo=None)
    return list(read_documents([path], reporter)), reporter


# A page rendered by JavaScript: the HTML holds the headline, the teaser and a captioned photo; the article is in
# the JSON-LD, inside an @graph next to the site's WebSite object.
JS_PAGE = _page(
    "<title>Floods close river port as water levels rise | DW | 19.01.2020</title>"
    '<meta property="og:site_name" content="DW">'
    '<meta property="article:published_time" content="2020-01-18T22:00:00+00:00">'
    '<link rel="canonical" href="https://www.dw.example/en/floods-close-port/a-123">',
    "<header><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav></header><main>"
    "<h1>Floods close river port as water levels rise</h1>"
    "<figure><img src='barges.jpg'><figcaption>Barges wait on the swollen river near Halvern on Sunday, "
    "as the water keeps rising.</figcaption></figure><div id='app'></div></main>"
    "<footer>© 2020 Deutsche Welle. All rights reserved.</footer>",
    {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "DW", "url": "https://www.dw.example/"},
            {
                "@type": ["NewsArticle"],
                "headline": "Floods close river port as water levels rise",
                "datePublished": "2020-01-19T08:30:00+01:00",
                "description": LEAD,
                "articleBody": BODY,
                "publisher": {"@type": "NewsMediaOrganization", "name": "Deutsche Welle"},
            },
        ],
    },
)


def test_jsonld_body_replaces_a_caption_and_keeps_headline_and_lead(tmp_path):
    (doc,), reporter = _read(tmp_path, "floods.html", JS_PAGE)
    assert reporter.problems == []
    paragraphs = doc["text"].split("\n\n")
    assert paragraphs[0] == "Floods close river port as water levels rise"
    assert paragraphs[1] == LEAD
    assert paragraphs[2].startswith("Authorities in Halvern closed the river port")
    assert "said Mara Lindqvist" in doc["text"] and "Barges wait" not in doc["text"]
    assert len(paragraphs) == 6  # headline, lead and the body's four paragraphs
    assert doc["ingest"]["body_from"] == "json-ld:articleBody"


def test_title_suffix_and_date_come_from_the_page(tmp_path):
    (doc,), _ = _read(tmp_path, "floods.html", JS_PAGE)
    assert doc["title"] == "Floods close river port as water levels rise"
    assert doc["published"] == "2020-01-19"  # JSON-LD first, in the page's own time zone
    assert doc["ingest"]["published_from"] == "json-ld:datePublished"


def test_a_good_extraction_is_kept_and_the_lead_is_not_repeated(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY.split("\n"))
    html = _page(
        "<title>Floods close river port - Halvern Courier</title>"
        '<meta property="og:site_name" content="Halvern Courier">'
        '<meta name="date" content="2020-01-19">',
        f"<article><h1>Floods close river port</h1>{paragraphs}</article>",
        [{"@type": "NewsArticle", "articleBody": f"<p>{BODY}</p>", "headline": "Floods close river port"}],
    )
    (doc,), _ = _read(tmp_path, "courier.html", html)
    assert "body_from" not in doc["ingest"]
    assert "The harbour master said 40 barges were stuck upstream." in doc["text"]
    assert doc["title"] == "Floods close river port"
    assert (doc["published"], doc["ingest"]["published_from"]) == ("2020-01-19", "meta:date")


def test_meta_published_time_when_there_is_no_jsonld(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY.split("\n"))
    html = _page(
        "<title>River port shut — The Valley Post</title>"
        '<meta property="article:published_time" content="2021-03-04T06:00:00Z">',
        f"<article><h1>River port shut</h1>{paragraphs}</article>",
    )
    (doc,), _ = _read(tmp_path, "post.html", html)
    assert doc["published"] == "2021-03-04"
    assert doc["ingest"]["published_from"] == "meta:article:published_time"


def test_broken_jsonld_is_ignored(tmp_path):
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY.split("\n"))
    html = _page("<title>River port shut</title>", f"<article>{paragraphs}</article>").replace(
        "</head>", '<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": </script></head>'
    )
    (doc,), reporter = _read(tmp_path, "broken.html", html)
    assert reporter.problems == [] and "Mara Lindqvist" in doc["text"]
    assert "body_from" not in doc["ingest"]


def test_a_page_with_only_jsonld_text_is_read(tmp_path):
    html = _page("<title>Port shut</title>", "<div id='root'></div>", {"@type": "Article", "articleBody": BODY})
    (doc,), reporter = _read(tmp_path, "empty.html", html)
    assert reporter.problems == [] and doc["text"].startswith("Port shut\n\nAuthorities in Halvern")


def test_jsonl_record_date_wins_over_the_page(tmp_path):
    record = {"html": JS_PAGE, "published": "2020-01-20"}
    (doc,), _ = _read(tmp_path, "feed.jsonl", json.dumps(record) + "\n")
    assert doc["published"] == "2020-01-20"
    assert "published_from" not in doc["ingest"] and doc["ingest"]["body_from"] == "json-ld:articleBody"


def test_site_suffixes_are_stripped_conservatively():
    page = PageMeta(site_names=["The Valley Post", "Valley Media Group"])
    url = "https://www.theguardian.example/world/2020/jan/19/floods"
    cases = {
        "Floods close river port | DW | 19.01.2020": "Floods close river port",  # a short name after a pipe
        "Floods close river port - The Valley Post": "Floods close river port",
        "Floods close river port — Valley Media Group": "Floods close river port",
        "Floods close river port | World news | The Guardian": "Floods close river port",
        "Floods close river port - January 19, 2020": "Floods close river port",
        "Biden - Putin summit ends without a deal": "Biden - Putin summit ends without a deal",
        "Port reopens - but barges stay put": "Port reopens - but barges stay put",
        "Floods | Analysis": "Floods | Analysis",  # never a one-word title
        "Rain | Wind | Snow: the week ahead": "Rain | Wind | Snow: the week ahead",  # a suffix is short
    }
    for title, expected in cases.items():
        assert clean_title(title, page, url) == expected, title
    # after a dash only a known name goes: the site's own name, or the host name of its address
    assert clean_title("Port shut - DW", PageMeta(site_names=["DW"]), None) == "Port shut"
    assert clean_title("Port shut - DW", PageMeta(), "https://www.dw.example/x") == "Port shut"
    assert clean_title("Port shut - DW", PageMeta(), None) == "Port shut - DW"


FURNITURE_PAGE = _page(
    "<title>Council approves new flood wall</title>",
    "<article><h1>Council approves new flood wall</h1>"
    "<p>The city council of Halvern approved a 12 million euro flood wall on Monday, after a vote of 31 to 9.</p>"
    "<p>Photo: Jonas Beck/Getty Images</p>"
    "<p>Work on the wall along the old quay will begin in the spring and take two years, the council said.</p>"
    "<p>Sign up for our morning newsletter</p>"
    "<p>Get the day's top stories delivered to your inbox.</p>"
    "<p>This article originally appeared on The Halvern Courier.</p>"
    "<p>Submit your letter to the editor</p>"
    "<p>Copyright 2024 Halvern Courier Media</p></article>",
)


def test_page_furniture_is_stripped_and_nothing_of_it_is_labelled(tmp_path):
    (doc,), _ = _read(tmp_path, "council.html", FURNITURE_PAGE)
    rules = {s["rule"] for s in doc["ingest"]["stripped"]}
    assert {"photo_credit", "subscribe", "newsletter_inbox", "originally_appeared", "letter_to_editor"} <= rules
    assert "copyright" in rules
    for word in ("Getty", "newsletter", "inbox", "originally", "letter to the editor", "Copyright"):
        assert word not in doc["text"], word
    doc = segment_document(doc)
    for labeller in build_labellers():
        doc = labeller(doc)
    assert doc["spans"], "the article itself is still pre-labelled"
    assert all(s["end"] <= len(doc["text"]) for s in doc["spans"])


def test_credits_run_into_captions_and_dateline_furniture_are_stripped(tmp_path):
    text = (
        "Updated: 19 January 2020, 10:30 CET\n"
        "Barges wait on the swollen river near Halvern on Sunday. Photo: Jonas Beck/Agency\n"
        "Rescue teams reached the village on Monday. (Jane Doe/AFP via Getty Images)\n"
        "The council said the rate of repairs was 3:1 in favour of the old town.\n"
        "Published in 2019 by the ministry, the flood plan listed 40 weak points.\n"
    )
    (doc,), _ = _read(tmp_path, "captions.txt", text)
    assert doc["text"].split("\n") == [
        "Barges wait on the swollen river near Halvern on Sunday.",
        "Rescue teams reached the village on Monday.",
        "The council said the rate of repairs was 3:1 in favour of the old town.",
        "Published in 2019 by the ministry, the flood plan listed 40 weak points.",
    ]
    removed = [(s["line"], s["rule"], s["text"]) for s in doc["ingest"]["stripped"]]
    assert removed == [
        (1, "updated", "Updated: 19 January 2020, 10:30 CET"),
        (2, "photo_credit", "Photo: Jonas Beck/Agency"),
        (3, "agency_credit", "(Jane Doe/AFP via Getty Images)"),
    ]


FURNITURE_LINES = [
    "Follow Jane Roe on Twitter @janeroe.",
    "Follow @valleypost or #floodwatch.",
    "Sign up for e-mail alerts whenever Jane Roe files a story.",
    "For more, sign up for the Morning Tide newsletter.",
    "Want this in your inbox? Sign up by entering your email below.",
    "(Reporting by Jane Roe in Halvern; Additional reporting by John Doe; Editing by Ann Smith.)",
    "Jonas Beck via Getty Images.",
    "Jonas Beck / Reuters.",
    "Getty.",
    "Facebook/Halvern Rowing Club.",
    "TWITTER.",
    "This story has been updated with comments from the council.",
    "This post was updated with a statement from the operator.",
    "Share and comment below.",
]
KEPT_LINES = [
    "The mayor will follow the advice of the engineers on Monday.",
    "Share prices of the port operator fell 3 percent.",
    "Getty Images bought the photo agency in 2019, the company said.",
    "Residents were told to sign up for text alerts from the city.",
    "The story of the flood has been told many times.",
]


def test_more_furniture_lines_are_stripped_and_prose_is_kept(tmp_path):
    (doc,), _ = _read(tmp_path, "lines.txt", "\n".join([KEPT_LINES[0], *FURNITURE_LINES, *KEPT_LINES[1:]]) + "\n")
    assert doc["text"].split("\n") == KEPT_LINES
    assert len(doc["ingest"]["stripped"]) == len(FURNITURE_LINES)


def test_no_date_is_guessed_from_a_copyright_line(tmp_path):
    (doc,), _ = _read(tmp_path, "council.html", FURNITURE_PAGE)
    assert doc["published"] is None and "published_from" not in doc["ingest"]
    dated = FURNITURE_PAGE.replace(
        "<head>", '<head><link rel="canonical" href="https://valley.example/2021/03/04/wall">'
    )
    (doc,), _ = _read(tmp_path, "council.html", dated)
    assert (doc["published"], doc["ingest"]["published_from"]) == ("2021-03-04", "trafilatura")  # from the address


def test_article_object_inside_a_web_page_main_entity(tmp_path):
    jsonld = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "mainEntity": {"@type": "ReportageNewsArticle", "articleBody": BODY, "datePublished": ["2020-02-01"]},
    }
    html = _page("<title>Port shut</title>", "<main><p>Barges wait on the river.</p></main>").replace(
        "</head>", f'<script type="application/LD+JSON; charset=utf-8">{json.dumps(jsonld)}</script></head>'
    )
    (doc,), _ = _read(tmp_path, "entity.html", html)
    assert doc["ingest"]["body_from"] == "json-ld:articleBody" and "Mara Lindqvist" in doc["text"]
    assert (doc["published"], doc["ingest"]["published_from"]) == ("2020-02-01", "json-ld:datePublished")


def test_labellers_can_ask_whether_a_sentence_is_a_boilerplate_line():
    from corpus.ingest.normalize import boilerplate_rule_at

    text = "The port reopened on Monday. Follow @valleypost on Twitter for updates."
    start = text.index("Follow")
    assert boilerplate_rule_at(text, start, len(text)) == "follow"
    assert boilerplate_rule_at(text, 0, start - 1) is None
    assert boilerplate_rule_at(text, start, len(text), max_chars=10) is None
