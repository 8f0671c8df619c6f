"""Bad inputs the tests write themselves: each gets a clear message naming the file (and line), the good
articles beside it are still processed, and offsets stay valid for every odd character (issue 8 §1, §4)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.errors import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CorpusError
from corpus.ingest import read_documents
from corpus.ingest.dedup import flag_near_duplicates
from corpus.pipeline import drop_exact_duplicates
from corpus.report import Reporter
from corpus.safety import check_output_dir, safe_member_path

runner = CliRunner()

GOOD = (
    "Mayor Jane Doe said on Monday that the city would cut 200 jobs.\n\n"
    "The union called the plan a disgrace and promised to fight it in court."
)
GOOD_TOO = "Officials in the harbour town confirmed that the ferry service will resume in May."
FRENCH = (
    "Le maire de la ville a déclaré lundi que la municipalité supprimerait deux cents postes. Les syndicats "
    "ont qualifié ce plan d'inacceptable et promis de le contester à São Paulo, à Zürich et ailleurs."
)
CP1252 = (
    "The minister said: “We will not back down” – and the crowd cheered. The deal is worth €200m, "
    "officials said… It’s the largest since 2019."
)
HTML = (
    "<html><head><title>Cuts announced</title><style>body{color:red} .secret-style{}</style>"
    "<script>var leaked = 'SCRIPT-CONTENT';</script></head><body><nav>Home | News | Sport</nav><article>"
    "<h1>Cuts announced</h1><p>Mayor Jane Doe said on Monday that the city would cut 200 jobs next year.</p>"
    "<p>The union called the plan a disgrace and promised to fight it in court, its leader said.</p>"
    "<script>alert('SCRIPT-CONTENT-2')</script></article></body></html>"
)


def ingest(folder: Path, out: Path, *extra: str) -> tuple[int, str, list[dict]]:
    result = runner.invoke(app, ["ingest", str(folder), "-o", str(out), *extra])
    assert "Traceback" not in result.output
    docs = [orjson.loads(line) for line in out.read_bytes().splitlines()] if out.exists() else []
    return result.exit_code, result.output, docs


def by_name(docs: list[dict]) -> dict[str, dict]:
    return {Path(d["origin"].split(":")[0]).name: d for d in docs}


# name, file name, content, expected message (None: no message), check on the document (None: skipped)
Case = tuple[str, str, bytes, str | None, Callable[[dict], bool] | None]
CASES: list[Case] = [
    ("empty file", "empty.txt", b"", "empty.txt: empty article (no text after normalisation); skipped", None),
    ("whitespace only", "blank.txt", " \n\t\r\n \u00a0\u3000 ".encode(), "blank.txt: empty article", None),
    (
        "binary with NUL bytes",
        "image.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00",
        "image.txt: not a text file (contains NUL bytes); skipped",
        None,
    ),
    (
        "latin-1",
        "latin1.txt",
        FRENCH.encode("latin-1"),
        "latin1.txt: not UTF-8; decoded as",
        lambda d: d["text"] == FRENCH,
    ),
    (
        "cp1252",
        "cp1252.txt",
        CP1252.encode("cp1252"),
        "cp1252.txt: not UTF-8; decoded as cp1252",
        lambda d: d["text"] == CP1252 and d["ingest"]["encoding"] == "cp1252",
    ),
    (
        "UTF-8 BOM",
        "bom.txt",
        b"\xef\xbb\xbf" + GOOD_TOO.replace("harbour", "river").encode(),
        None,
        lambda d: not d["text"].startswith("\ufeff") and d["text"].startswith("Officials"),
    ),
    (
        "CRLF",
        "crlf.txt",
        b"First paragraph here.\r\n\r\nSecond paragraph here.\r\n",
        None,
        lambda d: d["text"] == "First paragraph here.\n\nSecond paragraph here.",
    ),
    (
        "lone CR",
        "cr.txt",
        b"Old Mac line one.\rOld Mac line two.",
        None,
        lambda d: d["text"] == "Old Mac line one.\nOld Mac line two.",
    ),
    (
        "zero-width and bidi controls",
        "controls.txt",
        "Plain\u200b text \u202ewith\u202c bidi\u200e marks. A family 👩\u200d👩\u200d👧 stays whole.".encode(),
        None,
        lambda d: d["text"] == "Plain text with bidi marks. A family 👩\u200d👩\u200d👧 stays whole.",
    ),
    (
        "emoji and astral",
        "emoji.txt",
        "Astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and emoji 👍🏽🇺🇦 here. Then 😀.".encode(),
        None,
        lambda d: d["text"] == "Astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and emoji 👍🏽🇺🇦 here. Then 😀.",
    ),
    (
        "combining marks",
        "combining.txt",
        "Cafe\u0301 and q\u0307 marks. Zalgo t\u0336e\u0337xt.".encode(),
        None,
        lambda d: d["text"] == "Café and q\u0307 marks. Zalgo t\u0336e\u0337xt." and d["ingest"]["normalised"],
    ),
    (
        "right-to-left",
        "rtl.txt",
        "قال رئيس البلدية إن المدينة ستلغي 200 وظيفة.\n\nהעירייה הודיעה על קיצוצים.".encode(),
        None,
        lambda d: d["text"].startswith("قال") and d["text"].endswith("קיצוצים."),
    ),
    (
        "HTML with scripts and styles",
        "page.html",
        HTML.encode(),
        None,
        lambda d: (
            "cut 200 jobs" in d["text"]
            and "SCRIPT-CONTENT" not in d["text"]
            and "color:red" not in d["text"]
            and "secret-style" not in d["text"]
        ),
    ),
    ("exact duplicate", "copy.txt", GOOD.encode(), "exact duplicate of", None),
    (
        "malformed JSONL line",
        "feed.jsonl",
        b'{"text": "A JSONL article on line one."}\n{broken\n',
        "feed.jsonl:2: malformed JSON",
        lambda d: d["text"] == "A JSONL article on line one.",
    ),
    ("JSONL missing text", "missing.jsonl", b'{"title": "no text here"}\n', "missing.jsonl:1:", None),
    ("JSONL wrong-typed text", "wrongtype.jsonl", b'{"text": 42}\n', "field 'text' is a int", None),
    (
        "JSONL wrong-typed title",
        "wrongtitle.jsonl",
        b'{"text": "Article body.", "title": {"a": 1}}\n',
        "field 'title' must be a string, got dict; field dropped",
        lambda d: d["title"] is None,
    ),
    ("JSONL not an object", "array.jsonl", b'["text", "x"]\n', "array.jsonl:1: expected a JSON object", None),
]


@pytest.mark.parametrize(("name", "filename", "content", "message", "check"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named_and_good_articles_still_processed(tmp_path, name, filename, content, message, check):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_good.txt").write_text(GOOD, encoding="utf-8")
    (folder / filename).write_bytes(content)
    code, output, docs = ingest(folder, tmp_path / "out.jsonl")
    # A skipped input is an error: the others are still written, and the exit code says some were skipped.
    # Warnings (a decoding guess) and duplicates leave it at 0.
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == (EXIT_PARTIAL if errors else EXIT_OK), output
    if check is None and name != "exact duplicate":
        assert errors, output
    docs_by_file = by_name(docs)
    assert docs_by_file["a_good.txt"]["text"] == GOOD
    if message is not None:
        assert message in output
        assert str(folder / filename) in output or str(folder / filename).split(":")[0] in output
    if check is None:
        assert filename not in docs_by_file
    else:
        assert filename in docs_by_file, output
        assert check(docs_by_file[filename]), docs_by_file[filename]["text"]


def test_every_odd_text_segments_and_validates(tmp_path):
    """Ingest -> segment -> validate over all the readable odd inputs: offsets, tokens and sentences hold."""
    folder = tmp_path / "in"
    folder.mkdir()
    for _, filename, content, _, check in CASES:
        if check is not None:
            (folder / filename).write_bytes(content)
    code, output, docs = ingest(folder, tmp_path / "ingested.jsonl")
    # feed.jsonl's broken second line is skipped: everything else is written, and the exit code says so
    assert code == EXIT_PARTIAL and len(docs) == sum(1 for c in CASES if c[4] is not None)
    seg = runner.invoke(app, ["segment", str(tmp_path / "ingested.jsonl"), "-o", str(tmp_path / "segmented.jsonl")])
    assert seg.exit_code == 0, seg.output
    result = runner.invoke(app, ["validate", str(tmp_path / "segmented.jsonl")])
    assert result.exit_code == 0, result.output
    segmented = by_name([orjson.loads(line) for line in (tmp_path / "segmented.jsonl").read_bytes().splitlines()])
    emoji = segmented["emoji.txt"]
    tokens = [emoji["text"][t["start"] : t["end"]] for t in emoji["tokens"]]
    assert "👍🏽" in tokens or "👍🏽🇺🇦" in tokens  # a skin-tone emoji is never split from its modifier
    assert "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" in tokens
    combining = segmented["combining.txt"]
    assert "q\u0307" in [combining["text"][t["start"] : t["end"]] for t in combining["tokens"]]


def test_ten_megabyte_article_on_one_line(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    sentence = "The council met again on Tuesday and the mayor said the budget would be cut. "
    big = sentence * (10_000_000 // len(sentence) + 1)
    (folder / "big.txt").write_text(big, encoding="utf-8")
    (folder / "small.txt").write_text(GOOD, encoding="utf-8")
    code, output, docs = ingest(folder, tmp_path / "out.jsonl")
    assert code == 0
    # Over a million characters it is built as parts cut at sentence ends (corpus.ingest.parts), one warning line;
    # parts with the same text (this article repeats one sentence) are exact duplicates, skipped with a warning.
    assert "big.txt: article is" in output and "characters: built as" in output
    parts = [d for d in docs if d["origin"].endswith("big.txt")]
    whole = big.strip()
    assert parts and all(0 < len(d["text"]) <= 1_000_000 for d in parts)
    for part in parts:
        start = part["ingest"]["part"]["start"]
        assert whole[start : start + len(part["text"])] == part["text"]
    assert [d["text"] for d in docs if d["origin"].endswith("small.txt")] == [GOOD]
    # Under a lower limit it is refused, by name and size, and the small article still goes through.
    code, output, docs = ingest(folder, tmp_path / "limited.jsonl", "--max-chars", "1000000")
    assert f"{folder / 'big.txt'}: article is {len(big):,} characters, over the limit of 1,000,000" in output
    assert [d["text"] for d in docs] == [GOOD]


@pytest.mark.slow
def test_ten_megabyte_article_segments_and_validates(tmp_path):
    from corpus.document import new_document
    from corpus.segment.core import segment_document
    from corpus.tasks.units import MAX_UNIT_CHARS, document_units
    from corpus.validate import validate_document

    sentence = "The council met on Tuesday, and Gen. Smith said the U.S. budget would be cut. "
    doc = segment_document(new_document((sentence * (10_000_000 // len(sentence))).strip(), "big.txt"))
    assert len(doc["sentences"]) == 10_000_000 // len(sentence)
    assert validate_document(doc) == []
    # One paragraph of 10 MB: its task units are cut at sentence starts, each under the task size limit.
    units = document_units(doc, "paragraph")
    assert len(units) >= 10_000_000 // MAX_UNIT_CHARS and max(u.end - u.start for u in units) <= MAX_UNIT_CHARS
    sentence_starts = {s for s, _ in doc["sentences"]}
    assert all(u.start in sentence_starts for u in units)


def test_max_files_limit_is_named(tmp_path):
    for i in range(3):
        (tmp_path / f"a{i}.txt").write_text(f"Article number {i} says something.")
    reporter = Reporter(echo=None)
    docs = list(read_documents([tmp_path], reporter, max_files=2))
    assert len(docs) == 2
    assert [str(p) for p in reporter.problems] == [
        f"{tmp_path / 'a2.txt'}: stopped: more than 2 input files (raise --max-files)"
    ]


def test_near_duplicate_is_reported_and_optionally_dropped(tmp_path):
    body = " ".join(f"Paragraph {i}: the council discussed item {i} of the budget at length." for i in range(40))
    (tmp_path / "a.txt").write_text(body)
    (tmp_path / "b.txt").write_text(body.replace("item 17", "item seventeen"))  # lightly edited copy
    (tmp_path / "c.txt").write_text(GOOD)
    for drop in (False, True):
        reporter = Reporter(echo=None)
        docs = list(
            flag_near_duplicates(
                drop_exact_duplicates(read_documents([tmp_path], reporter), reporter), reporter, drop=drop
            )
        )
        messages = [str(p) for p in reporter.problems]
        assert len(messages) == 1
        assert messages[0].startswith(f"{tmp_path / 'b.txt'}: near duplicate of {tmp_path / 'a.txt'}")
        assert [Path(d["origin"]).name for d in docs] == (["a.txt", "c.txt"] if drop else ["a.txt", "b.txt", "c.txt"])


def test_tasks_with_spans_off_token_boundaries_fail_validation_with_line(tmp_path):
    text = "Jane Doe said Acme cut jobs."
    words = [
        ("Jane", 0, 4),
        ("Doe", 5, 8),
        ("said", 9, 13),
        ("Acme", 14, 18),
        ("cut", 19, 22),
        ("jobs", 23, 27),
        (".", 27, 28),
    ]
    tokens = [
        {"text": w, "start": s, "end": e, "id": i, "ws": text[e : e + 1] == " "} for i, (w, s, e) in enumerate(words)
    ]

    def task(start: int, end: int, ts: int, te: int, task_hash: int) -> bytes:
        return orjson.dumps(
            {
                "text": text,
                "tokens": tokens,
                "_input_hash": 1,
                "_task_hash": task_hash,
                "_view_id": "ner_manual",
                "meta": {"doc_id": "0123456789abcdef", "unit": "paragraph", "unit_index": 0, "offset": 0},
                "spans": [
                    {
                        "start": start,
                        "end": end,
                        "token_start": ts,
                        "token_end": te,
                        "label": "PERSON",
                        "id": "E0",
                        "score": 1.0,
                        "labeller": "hand@1",
                    }
                ],
            }
        )

    path = tmp_path / "ner.manual.jsonl"
    path.write_bytes(task(0, 8, 0, 1, 1) + b"\n" + task(0, 6, 0, 1, 2) + b"\n" + task(14, 18, 3, 3, 3) + b"\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"error: {path}:2: [spans[0]] [0, 6) 'Jane D' is not on token boundaries" in result.output
    assert ":1:" not in result.output and ":3:" not in result.output


def test_build_over_a_folder_of_bad_inputs(tmp_path, monkeypatch):
    """The whole build: every readable article ends up in documents.jsonl and the tasks, every bad one is named,
    a near duplicate is reported, and the outputs validate."""
    folder = tmp_path / "in"
    folder.mkdir()
    readable = 0
    for _, filename, content, _, check in CASES:
        (folder / filename).write_bytes(content)
        readable += check is not None
    (folder / "a_good.txt").write_text(GOOD, encoding="utf-8")
    body = " ".join(f"Item {i}: the council discussed line {i} of the harbour budget at length." for i in range(40))
    (folder / "long.txt").write_text(body)
    (folder / "long_edited.txt").write_text(body.replace("line 17", "line seventeen"))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", "in", "-o", "out", "--no-dataset"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert "Traceback" not in result.output
    docs = [orjson.loads(line) for line in (tmp_path / "out" / "documents.jsonl").read_bytes().splitlines()]
    assert len(docs) == readable + 3
    for _, filename, _, message, _ in CASES:
        if message is not None:
            assert message in result.output, filename
    assert "in/long_edited.txt: near duplicate of in/long.txt" in result.output
    validated = runner.invoke(app, ["validate", "out"])
    assert validated.exit_code == 0, validated.output
    assert "0 errors" in validated.output


# ------------------------------------------------------------------------------------------- names and limits


def test_odd_input_file_names_are_read_and_recorded_verbatim(tmp_path):
    names = ["a..b.txt", "spaces and ünïcode.txt", "semi;colon&amp.txt", "x'quote\".txt"]
    for i, name in enumerate(names):
        (tmp_path / name).write_text(f"Article {i} about the harbour.")
    jsonl = tmp_path / "claims.jsonl"
    jsonl.write_text(
        '{"text": "An article that claims another origin.", "origin": "../../etc/passwd", "id": "../../x"}\n'
    )
    reporter = Reporter(echo=None)
    docs = list(read_documents([tmp_path], reporter))
    assert reporter.problems == []
    assert sorted(d["origin"] for d in docs) == sorted([str(tmp_path / n) for n in names] + [f"{jsonl}:1"])
    assert all(len(d["id"]) == 16 and "/" not in d["id"] for d in docs)


@pytest.mark.parametrize(
    "name", ["../evil.txt", "a/../../evil.txt", "/etc/passwd", "C:\\evil.txt", "..\\..\\evil.txt", "a\x00b", "", "a/.."]
)
def test_path_traversal_in_names_is_refused(tmp_path, name):
    with pytest.raises(CorpusError, match="unsafe name"):
        safe_member_path(tmp_path, name)


def test_safe_names_stay_inside(tmp_path):
    assert safe_member_path(tmp_path, "docs/a.txt") == (tmp_path / "docs" / "a.txt").resolve()
    assert safe_member_path(tmp_path, "a..b.txt") == (tmp_path / "a..b.txt").resolve()


def test_output_dir_outside_the_project_is_refused_unless_explicit(tmp_path):
    project = tmp_path / "project"
    (project / "seeds").mkdir(parents=True)
    assert check_output_dir(project / "data", root=project) == (project / "data").resolve()
    with pytest.raises(CorpusError, match="outside the project folder .*--allow-outside"):
        check_output_dir(tmp_path / "elsewhere", root=project)
    with pytest.raises(CorpusError, match="outside the project folder"):
        check_output_dir(project / ".." / "sibling", root=project)
    assert check_output_dir(tmp_path / "elsewhere", allow_outside=True, root=project) == tmp_path / "elsewhere"
    with pytest.raises(CorpusError, match="inside the input folder"):
        check_output_dir(project / "seeds" / "out", root=project, inputs=[project / "seeds"])
    with pytest.raises(CorpusError, match="filesystem root"):
        check_output_dir("/", allow_outside=True, root=project)


def test_build_refuses_an_output_folder_outside_the_project(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "seeds").mkdir(parents=True)
    (project / "seeds" / "a.txt").write_text(GOOD)
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["build", "seeds", "-o", str(tmp_path / "outside")])
    assert result.exit_code == EXIT_USAGE and "Traceback" not in result.output
    message = " ".join(result.output.split())  # rich wraps long paths
    assert "outside the project folder" in message and "--allow-outside" in message
    assert not (tmp_path / "outside").exists()


# ------------------------------------------------------- problem lines, exit codes, permissions


def test_ingest_problem_lines_keep_the_field(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "feed.jsonl").write_bytes(b'{"title": "t"}\n')
    _, output, _ = ingest(tmp_path / "in", tmp_path / "out.jsonl")
    assert f"{tmp_path / 'in' / 'feed.jsonl'}:1: [text] field 'text' is missing" in output


def test_ingest_with_nothing_readable_exits_non_zero(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    code, output, _ = ingest(tmp_path / "in", tmp_path / "out.jsonl")
    assert code == 1 and "no article could be read" in output
    assert not (tmp_path / "out.jsonl").exists()


def test_outputs_are_readable_by_others_under_the_usual_umask(tmp_path):
    old = os.umask(0o022)
    try:
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "a.txt").write_text(GOOD)
        ingest(tmp_path / "in", tmp_path / "out.jsonl")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.jsonl").stat().st_mode) == 0o644


def test_part_chars_option_cuts_long_articles_in_build_and_ingest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = " ".join(f"Officials in district {i} counted {i * 3} new homes on Monday." for i in range(60))
    (folder / "long.txt").write_text(text, encoding="utf-8")
    code, output, docs = ingest(folder, tmp_path / "parts.jsonl", "--part-chars", "1000")
    assert code == EXIT_OK and len(docs) >= -(-len(text) // 1000) and all(len(d["text"]) <= 1000 for d in docs)
    assert "characters: built as" in output
    code, output, docs = ingest(folder, tmp_path / "whole.jsonl", "--part-chars", "0")
    assert code == EXIT_OK and [d["text"] for d in docs] == [text]
    result = CliRunner().invoke(app, ["build", str(folder), "-o", "out", "--part-chars", "1000", "-q", "-f", "prodigy"])
    assert result.exit_code == EXIT_OK, result.output
    built = [orjson.loads(line) for line in Path("out/documents.jsonl").read_bytes().splitlines()]
    assert [d["ingest"]["part"]["index"] for d in built] == list(range(1, len(built) + 1)) and len(built) > 1
