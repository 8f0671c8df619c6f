"""Hostile articles (issue 12): front-matter bombs, metadata of the wrong shape, bytes that do not decode, folders
that cannot be listed and links that loop. Each bad input gets one line naming the file (and line, and field)
through the reporter, with the severity the exit code counts (error: skipped; warning: used, something dropped),
and the good articles beside it are still read."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.errors import EXIT_PARTIAL, InputProblem
from corpus.ingest import read_documents
from corpus.ingest.metadata import MAX_FRONT_MATTER_CHARS, MAX_FRONT_MATTER_DEPTH, MAX_META_CHARS
from corpus.report import Reporter

GOOD = "Officials in the harbour town confirmed on Monday that the ferry service will resume in May."
BODY = "The council met on Tuesday and agreed the budget after a long debate."


def read(folder: Path) -> tuple[dict[str, dict], list[InputProblem]]:
    reporter = Reporter(echo=None)
    docs = list(read_documents([folder], reporter))
    return {Path(d["origin"]).name: d for d in docs}, reporter.problems


def one_problem(problems: list[InputProblem], name: str) -> InputProblem:
    mine = [p for p in problems if Path(p.path).name.split(":")[0] == name]
    assert len(mine) == 1, [str(p) for p in problems]
    return mine[0]


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: each level repeats the previous one nine times (9**9 'lol's in a few hundred bytes)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "---\n" + "\n".join(lines) + f"\ntitle: *l{levels - 1}\n---\n{BODY}\n"


# ------------------------------------------------------------------------------------ front matter
# file name, content, expected message part, line of the problem (None: not checked)
SKIPPED_FRONT_MATTER = [
    ("laughs.md", billion_laughs(), "front matter: YAML aliases (*l0) are not allowed", 3),
    (
        "deep.md",
        "---\ntitle: " + "[" * 20_000 + "]" * 20_000 + f"\n---\n{BODY}\n",
        f"front matter: nested more than {MAX_FRONT_MATTER_DEPTH} levels deep",
        2,
    ),
    ("deep_top.txt", "---\n" + "{a: " * 10_000 + "1" + "}" * 10_000 + f"\n---\n{BODY}\n", "nested more than", 2),
    (
        "python.md",
        "---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\n" + BODY,
        "front matter: the YAML tag !!python/object/apply:os.system is not allowed",
        2,
    ),
    ("name.md", "---\npublisher: !!python/name:os.system\n---\n" + BODY, "the YAML tag !!python/name:os.system", 2),
    ("custom.md", "---\ntitle: !secret x\n---\n" + BODY, "the YAML tag !secret is not allowed", 2),
    ("syntax.md", "---\ntitle: Fine\nurl: [unclosed\n---\n" + BODY, "front matter is not valid YAML", None),
    (
        "huge.md",
        "---\n" + "# padding\n" * (MAX_FRONT_MATTER_CHARS // 10 + 1) + "title: x\n---\n" + BODY,
        f"over the limit of {MAX_FRONT_MATTER_CHARS:,}",
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "message", "line"), SKIPPED_FRONT_MATTER, ids=[c[0] for c in SKIPPED_FRONT_MATTER]
)
def test_unsafe_front_matter_skips_its_article_with_one_error(tmp_path, name, content, message, line):
    (tmp_path / "a_good.txt").write_text(GOOD)
    (tmp_path / name).write_text(content)
    docs, problems = read(tmp_path)
    assert list(docs) == ["a_good.txt"]
    problem = one_problem(problems, name)
    assert problem.severity == "error" and message in problem.message and problem.message.endswith("skipped")
    if line is not None:
        assert problem.line == line
    assert len(problems) == 1


def test_alias_bomb_is_refused_cheaply(tmp_path):
    """Today's 577-byte block took 3.3 GB and wrote a 312 MB title: now it costs next to nothing."""
    (tmp_path / "bomb.md").write_text(billion_laughs(levels=12))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    docs, problems = read(tmp_path)
    assert time.perf_counter() - started < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    assert docs == {} and "aliases" in problems[0].message
    assert not os.path.exists("/tmp/pwned")


def test_front_matter_plain_values_stay_as_written(tmp_path):
    """Plain scalars are strings as written: no date, boolean or octal guessing (so no crash on 2024-13-45)."""
    (tmp_path / "a.md").write_text(
        "---\ntitle: yes\npublisher: 007\ndate: 2024-5-1\nlicense: CC-BY-4.0\nanchor_only: &x unused\n---\n" + BODY
    )
    docs, problems = read(tmp_path)
    doc = docs["a.md"]
    assert (doc["title"], doc["publisher"], doc["published"], doc["licence"]) == (
        "yes",
        "007",
        "2024-05-01",
        "CC-BY-4.0",
    )
    assert problems == []


# ----------------------------------------------------------------------------- metadata field values
# field as written, value in YAML, the same value in JSON, expected message part
BAD_FIELDS = [
    ("title", "{a: 1}", {"a": 1}, "must be a string, got dict"),
    ("publisher", "[x, y]", ["x", "y"], "must be a string, got list"),
    ("licence", "!!binary aGVsbG8=", None, "must be a string, got binary data"),
    (
        "url",
        "x" * (MAX_META_CHARS + 1),
        "x" * (MAX_META_CHARS + 1),
        f"is {MAX_META_CHARS + 1:,} characters, over the limit of {MAX_META_CHARS:,}",
    ),
    ("date", "2024-13-45", "2024-13-45", "is not a valid date ('2024-13-45'"),
    ("published", "!!timestamp 2024-02-30", "2024-02-30T10:00:00Z", "is not a valid date"),
    ("rights", "true", True, "must be a string, got bool"),
]


@pytest.mark.parametrize(("field", "yaml_value", "json_value", "message"), BAD_FIELDS, ids=[f[0] for f in BAD_FIELDS])
def test_a_bad_metadata_value_is_dropped_with_a_warning_naming_the_field(
    tmp_path, field, yaml_value, json_value, message
):
    """The same rule in front matter and in JSONL: the field is dropped, the article is built."""
    if field == "rights" and yaml_value == "true":
        yaml_value = "!!bool true"  # plain ``true`` is the string "true" in front matter
    (tmp_path / "fm.md").write_text(f"---\n{field}: {yaml_value}\n---\n{BODY}\n")
    if json_value is not None:
        (tmp_path / "feed.jsonl").write_bytes(orjson.dumps({"text": GOOD, field: json_value}) + b"\n")
    docs, problems = read(tmp_path)
    assert set(docs) == ({"fm.md", "feed.jsonl:1"} if json_value is not None else {"fm.md"})
    for name, line in (("fm.md", None), ("feed.jsonl", 1)):
        if name == "feed.jsonl" and json_value is None:
            continue
        problem = one_problem(problems, name)
        assert (problem.severity, problem.field, problem.line) == ("warning", field, line)
        assert f"field '{field}' {message}" in problem.message and problem.message.endswith("field dropped")
    meta_field = {"url": "source_url", "date": "published", "rights": "licence"}.get(field, field)
    assert all(doc[meta_field] is None for doc in docs.values())


def test_html_metadata_follows_the_same_rules(tmp_path):
    long = "Ferry strike " * 200  # 2,600 characters
    (tmp_path / "page.html").write_text(
        f'<html><head><title>x</title><meta property="og:site_name" content="{long}"></head><body><article>'
        f"<h1>Ferry</h1><p>{BODY} {GOOD}</p><p>{GOOD} The operator said talks would resume.</p></article></body>"
        "</html>"
    )
    docs, problems = read(tmp_path)
    problem = one_problem(problems, "page.html")
    assert (problem.severity, problem.field) == ("warning", "publisher") and "over the limit" in problem.message
    assert docs["page.html"]["publisher"] is None and BODY in docs["page.html"]["text"]


# ---------------------------------------------------------------------------------------- decoding
DECODING = [
    (
        "bom_then_bad.txt",
        b"\xef\xbb\xbf" + BODY.encode() + b" \xff\xfe\xfd end.",
        "invalid utf-8 after its byte-order mark",
        lambda t: t.startswith(BODY) and t.endswith("\ufffd end."),
    ),
    (
        "odd_utf16.txt",
        BODY.encode("utf-16") + b"A",
        "invalid utf-16-le after its byte-order mark (truncated data",
        lambda t: t.startswith(BODY),
    ),
    ("utf16_be.txt", BODY.encode("utf-16-be").join([b"\xfe\xff", b""]), None, lambda t: t == BODY),
    ("utf32.txt", BODY.encode("utf-32"), None, lambda t: t == BODY),
    ("no_bom_utf16.txt", BODY.encode("utf-16-le"), "no byte-order mark; decoded as utf-16-le", lambda t: t == BODY),
]


@pytest.mark.parametrize(("name", "data", "message", "check"), DECODING, ids=[d[0] for d in DECODING])
def test_decoding_never_raises(tmp_path, name, data, message, check):
    (tmp_path / "a_good.txt").write_text(GOOD)
    (tmp_path / name).write_bytes(data)
    docs, problems = read(tmp_path)
    assert docs["a_good.txt"]["text"] == GOOD
    assert check(docs[name]["text"]), docs[name]["text"]
    if message is None:
        assert problems == []
    else:
        problem = one_problem(problems, name)
        assert problem.severity == "warning" and message in problem.message


def test_jsonl_with_a_bom_keeps_its_first_record(tmp_path):
    (tmp_path / "feed.jsonl").write_bytes(
        b"\xef\xbb\xbf" + orjson.dumps({"text": BODY, "title": "First"}) + b"\n" + orjson.dumps({"text": GOOD}) + b"\n"
    )
    docs, problems = read(tmp_path)
    assert docs["feed.jsonl:1"]["title"] == "First" and docs["feed.jsonl:2"]["text"] == GOOD
    assert problems == []


def test_latin1_jsonl_lines_are_decoded_with_one_warning(tmp_path):
    french = "Le maire a déclaré lundi que la municipalité supprimerait deux cents postes à Zürich."
    lines = [
        f'{{"text": "{french}", "publisher": "Le Monde é"}}',
        f'{{"text": "{GOOD}"}}',
        '{"text": "Deuxième article, également en latin-1."}',
    ]
    (tmp_path / "feed.jsonl").write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    docs, problems = read(tmp_path)
    assert docs["feed.jsonl:1"]["text"] == french and docs["feed.jsonl:1"]["publisher"] == "Le Monde é"
    assert docs["feed.jsonl:1"]["ingest"]["encoding"] == "cp1252"
    assert docs["feed.jsonl:2"]["ingest"]["encoding"] == "utf-8"
    assert docs["feed.jsonl:3"]["text"] == "Deuxième article, également en latin-1."
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]
    assert "not UTF-8; decoded as cp1252" in problems[0].message


def test_utf16_jsonl_is_read(tmp_path):
    (tmp_path / "feed.jsonl").write_bytes(
        (orjson.dumps({"text": BODY}) + b"\n" + orjson.dumps({"text": GOOD}) + b"\n").decode().encode("utf-16")
    )
    docs, problems = read(tmp_path)
    assert [d["text"] for d in docs.values()] == [BODY, GOOD]
    assert len(problems) == 1 and "decoded as utf-16-le" in problems[0].message


# ----------------------------------------------------------------------------------------- folders
def test_unreadable_subfolder_is_reported_and_the_rest_read(tmp_path, monkeypatch):
    """Root reads any folder, so a permission error is simulated on the listing call the walk really makes."""
    (tmp_path / "a_good.txt").write_text(GOOD)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "secret.txt").write_text(BODY)
    (tmp_path / "z_open").mkdir()
    (tmp_path / "z_open" / "b.txt").write_text(BODY)
    real_scandir, listed = os.scandir, []

    def scandir(path="."):
        listed.append(Path(path))
        if Path(path) == tmp_path / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    docs, problems = read(tmp_path)
    assert tmp_path / "locked" in listed  # the patched call is the one the walk uses
    assert sorted(docs) == ["a_good.txt", "b.txt"]
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'locked'}: cannot read folder (Permission denied); the articles in it were skipped"
    ]
    assert problems[0].severity == "error"


def test_symlink_loops_and_broken_links_are_reported_not_followed_forever(tmp_path):
    (tmp_path / "a_good.txt").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text(BODY)
    (tmp_path / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)  # sub/up -> the root: a loop
    (tmp_path / "sub" / "self.txt").symlink_to(tmp_path / "sub" / "self.txt")  # a link to itself
    (tmp_path / "sub" / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "sub" / "gone.png").symlink_to(tmp_path / "missing.png")
    (tmp_path / "z_link").symlink_to(tmp_path / "sub", target_is_directory=True)  # the same folder again
    docs, problems = read(tmp_path)
    assert sorted(docs) == ["a_good.txt", "b.txt"]  # sub/b.txt read once, not again through z_link
    assert sorted((p.path.removeprefix(str(tmp_path) + "/"), p.severity) for p in problems) == [
        ("sub/gone.png", "warning"),
        ("sub/gone.txt", "error"),
        ("sub/self.txt", "error"),
        ("sub/up", "warning"),
        ("z_link", "warning"),
    ]
    by_path = {Path(p.path).name: p.message for p in problems}
    assert by_path["up"] == f"symbolic-link loop (leads back to {tmp_path}); not followed"
    assert "symbolic links" in by_path["self.txt"] and by_path["gone.txt"].startswith("broken symbolic link")
    assert by_path["z_link"].startswith(f"same folder as {tmp_path / 'sub'}")


def test_a_link_to_an_enclosing_folder_is_a_loop_even_above_the_input(tmp_path):
    """in/up -> the folder holding in/: following it would read in/ again and whatever sits beside it."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    (tmp_path / "beside.txt").write_text(BODY)
    (folder / "up").symlink_to(tmp_path, target_is_directory=True)
    docs, problems = read(folder)
    assert sorted(docs) == ["a.txt"]
    assert [(str(p), p.severity) for p in problems] == [
        (f"{folder / 'up'}: symbolic-link loop (leads back to {tmp_path.resolve()}); not followed", "warning")
    ]


def test_folder_order_and_hidden_entries_are_unchanged(tmp_path):
    """The walk yields files in sorted-path order and skips hidden entries and READMEs, as before."""
    for rel in ("b.txt", "a/z.txt", "a.txt", "a/b/c.md", ".hidden/x.txt", "a/.x.txt", "README.md", "a/readme.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"{BODY} {rel}")
    reporter = Reporter(echo=None)
    origins = [Path(d["origin"]).relative_to(tmp_path).as_posix() for d in read_documents([tmp_path], reporter)]
    assert origins == ["a/b/c.md", "a/z.txt", "a.txt", "b.txt"]
    assert reporter.problems == []


# --------------------------------------------------------------------------------------- end to end
def test_ingest_over_a_hostile_folder_names_each_bad_file_once_and_exits_partial(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_good.txt").write_text(GOOD)
    (folder / "bomb.md").write_text(billion_laughs())
    (folder / "deep.md").write_text("---\ntitle: " + "[" * 20_000 + "]" * 20_000 + f"\n---\n{BODY}\n")
    (folder / "date.md").write_text(f"---\ntitle: Budget\ndate: 2024-13-45\n---\n{BODY} Dated.")
    (folder / "odd.txt").write_bytes(f"{BODY} Odd.".encode("utf-16") + b"A")
    (folder / "feed.jsonl").write_bytes(b"\xef\xbb\xbf" + f'{{"text": "{BODY} Fed é."}}\n'.encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["ingest", "in", "-o", "out.jsonl"])
    assert "Traceback" not in result.output
    assert result.exit_code == EXIT_PARTIAL, result.output
    docs = [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    assert sorted(Path(d["origin"]).name for d in docs) == ["a_good.txt", "date.md", "feed.jsonl:1", "odd.txt"]
    for name, severity in (
        ("bomb.md", "error"),
        ("deep.md", "error"),
        ("date.md", "warning"),
        ("odd.txt", "warning"),
        ("feed.jsonl", "warning"),
    ):
        lines = [line for line in result.output.splitlines() if f"in/{name}" in line]
        assert len(lines) == 1 and lines[0].startswith(f"{severity}: "), (name, result.output)
