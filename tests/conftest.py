"""Shared test setup and the helpers several test modules use (imported as ``from conftest import …``).

- build helpers: articles the tests write, small deterministic labellers registered under the name ``test``
  (worker processes are forked, so they inherit the registrations), :func:`build`, :func:`output_bytes`;
- task helpers: a segmented, pre-labelled document with astral characters and every layer (:func:`documents`);
- annotation helpers: documents, tasks and tool exports as Prodigy, Label Studio and doccano write them.
"""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import tempfile
import zlib
from pathlib import Path

import orjson
import pytest

from corpus.build import run_build
from corpus.document import add_relation, add_span, clear_layer, new_document
from corpus.ingest.normalize import clean_text, normalize_text
from corpus.jsonl import write_jsonl
from corpus.prelabel.registry import _REGISTRY, register
from corpus.report import Reporter
from corpus.segment.core import segment_document

# The entity lexicon's cache (corpus/prelabel/entities/lexicon_cache.py) goes to a folder of this test run, not
# the user's ~/.cache: the first process writes it, the CLI subprocesses the tests start load it.
if "CORPUS_LEXICON_CACHE" not in os.environ:
    _LEXICON_CACHE = tempfile.mkdtemp(prefix="corpus-test-lexicon-")
    os.environ["CORPUS_LEXICON_CACHE"] = _LEXICON_CACHE
    atexit.register(shutil.rmtree, _LEXICON_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _work_in_tmp_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command refuses to write outside the working folder (corpus.safety.check_output_path), as a user
    runs it from their project: a test that writes into its tmp_path runs from there."""
    if "tmp_path" in request.fixturenames:
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))


# --- build helpers ---------------------------------------------------------------------------------------------------

TEST_BACKENDS = {"entities": "test", "sources": "test", "claims": "test"}
FIRST = ["Maria", "Jonas", "Aisha", "Pedro", "Lena", "Tomasz", "Ines", "Oskar"]
LAST = ["Keller", "Novak", "Okafor", "Silva", "Brandt", "Haddad", "Moreau", "Lindqvist"]
PLACES = ["Lisbon", "Gdansk", "Accra", "Toulouse", "Uppsala", "Bremen"]
TOPICS = ["the harbour budget", "a new tram line", "school meals", "the flood barrier", "rent controls"]


def make_article(i: int, seed: int = 0) -> str:
    """A small, varied news article (title line, blank lines, quotes, numbers), made up from word lists."""
    rng = random.Random(i * 7919 + seed)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    n = rng.randint(2, 400)
    paragraphs = [
        f"Council debates {topic} in {place} (report {i})",
        f"Officials in {place} met on Tuesday to discuss {topic}. {name} said the plan would cost {n} million "
        f"euros. \u201cWe cannot wait any longer,\u201d {name.split()[0]} told reporters.",
        f"The opposition said {rng.randint(3, 90)} percent of residents disagreed. Dr. {rng.choice(LAST)} "
        f"of the U.S. embassy declined to comment on article {i}.",
    ]
    for _ in range(rng.randint(0, 3)):
        paragraphs.append(
            f"In {rng.choice(PLACES)}, {rng.choice(FIRST)} {rng.choice(LAST)} said {n + i} people "
            f"had signed a petition about {rng.choice(TOPICS)}."
        )
    return "\n\n".join(paragraphs) + "\n"


def write_articles(folder: Path, n: int, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"article_{i:04d}.txt").write_text(make_article(i, seed), encoding="utf-8")
    return folder


def write_feed(path: Path, n: int, seed: int = 0) -> Path:
    """The same kind of articles as one JSONL feed (one article per line, with metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for i in range(n):
            fh.write(
                orjson.dumps(
                    {
                        "text": make_article(i, seed),
                        "title": f"Report {i}",
                        "url": f"https://news.example/{i}",
                        "publisher": "Example News",
                    }
                )
                + b"\n"
            )
    return path


class _TokenLabeller:
    """Base for the test labellers: deterministic rules over the segmenter's tokens."""

    name = "test"
    version = "1"
    layer = ""

    def __call__(self, doc: dict) -> dict:
        clear_layer(doc, self.layer)
        self.label(doc)
        doc["labellers"][self.layer] = f"{self.name}@{self.version}"
        return doc

    def label(self, doc: dict) -> None:
        raise NotImplementedError


class CapitalisedNames(_TokenLabeller):
    """PERSON for runs of two or more capitalised tokens; GPE for a place from the list."""

    layer = "entities"

    def label(self, doc: dict) -> None:
        text, tokens, run = doc["text"], doc["tokens"], []
        if "EXPLODE" in text:
            raise ValueError("the test labeller refuses this article")
        for tok in [*tokens, None]:
            word = text[tok["start"] : tok["end"]] if tok else ""
            if word[:1].isupper() and word.isalpha():
                run.append(tok)
                continue
            if len(run) >= 2:
                add_span(doc, "entities", "PERSON", run[0]["start"], run[-1]["end"], "test@1", 0.9)
            elif len(run) == 1 and text[run[0]["start"] : run[0]["end"]] in PLACES:
                add_span(doc, "entities", "GPE", run[0]["start"], run[0]["end"], "test@1", 0.8)
            run = []


class SaidCues(_TokenLabeller):
    layer = "sources"

    def label(self, doc: dict) -> None:
        text = doc["text"]
        for tok in doc["tokens"]:
            if text[tok["start"] : tok["end"]] in ("said", "told"):
                add_span(doc, "sources", "CUE", tok["start"], tok["end"], "test@1", 0.7)


class NumberClaims(_TokenLabeller):
    layer = "claims"

    def label(self, doc: dict) -> None:
        text = doc["text"]
        for start, end in doc["sentences"]:
            if any(ch.isdigit() for ch in text[start:end]):
                add_span(doc, "claims", "CLAIM", start, end, "test@1", 0.6, attrs={"checkworthy": 0.6})


for _layer, _cls in (("entities", CapitalisedNames), ("sources", SaidCues), ("claims", NumberClaims)):
    if (_layer, "test") not in _REGISTRY:
        register(_layer, "test")(lambda arg=None, _cls=_cls: _cls())


def build(inputs, out: Path, **kwargs) -> tuple:
    """run_build with the test labellers, no progress bar and (by default) Prodigy tasks and no dataset."""
    reporter = Reporter(echo=None)
    kwargs.setdefault("backends", TEST_BACKENDS)
    kwargs.setdefault("formats", ["prodigy"])
    kwargs.setdefault("dataset", False)
    kwargs.setdefault("progress", None)
    kwargs.setdefault("allow_outside", True)
    inputs = inputs if isinstance(inputs, list) else [inputs]
    return run_build(inputs, out, reporter, **kwargs), reporter


def read_records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def output_bytes(out: Path) -> dict[str, bytes]:
    """Every visible output file under OUT (the cache and staging folders are hidden)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


# --- task helpers ----------------------------------------------------------------------------------------------------

LABELLER = "rules@1"

# CRLF input with an emoji ZWJ sequence, an emoji with a variation selector, a flag (two astral code points),
# a combining mark that NFC cannot compose (x + U+0304) and one it can (e + U+0308), curly quotes, and a quote
# that runs over two sentences.
PRODIGY_ARTICLE = (
    "Jane Doe 👩\u200d💻 said Acme cut 200 jobs.\r\n\r\n"
    "“We will rebuild 🏗\ufe0f. It takes time,” said Zoe\u0308 Tx\u0304o, the mayor of Montréal.\r\n\r\n"
    "Officials said nothing. Prices rose 5% in 2023 🇺🇦.\r\n"
)
SHARED_PARAGRAPH = "Officials said nothing. Prices rose 5% in 2023 🇺🇦."


def _at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def article_document() -> dict:
    """A segmented, pre-labelled document built from CRLF input, with every layer and both relation kinds."""
    text, _ = normalize_text(PRODIGY_ARTICLE)
    doc = segment_document(new_document(text, "tests/article.txt"))
    doc["labellers"] = {"entities": LABELLER, "sources": LABELLER, "claims": LABELLER}
    t = doc["text"]
    add_span(doc, "entities", "PERSON", *_at(t, "Jane Doe"), LABELLER, 0.91)
    add_span(doc, "entities", "ORG", *_at(t, "Acme"), LABELLER, 0.8)
    add_span(doc, "entities", "CARDINAL", *_at(t, "200"), LABELLER, 0.7)
    add_span(doc, "entities", "PERSON", *_at(t, "Zoë Tx\u0304o"), LABELLER, 0.85)
    add_span(doc, "entities", "ORG", *_at(t, "mayor of Montréal"), LABELLER, 0.4)  # overlaps the GPE below
    add_span(doc, "entities", "GPE", *_at(t, "Montréal"), LABELLER, 0.9)
    add_span(doc, "entities", "DATE", *_at(t, "2023"), LABELLER, 0.95)
    s0 = add_span(doc, "sources", "SOURCE", *_at(t, "Jane Doe"), LABELLER, 0.9, {"kind": "named_person"})
    s1 = add_span(doc, "sources", "CUE", *_at(t, "said"), LABELLER, 0.9)
    s2 = add_span(doc, "sources", "CONTENT", *_at(t, "Acme cut 200 jobs"), LABELLER, 0.8)
    add_relation(doc, "ATTRIBUTION", s0["id"], s2["id"], LABELLER)
    add_relation(doc, "CUE", s1["id"], s2["id"], LABELLER)
    # A quote over two sentences: at sentence unit the unit must widen, never cut it.
    s3 = add_span(doc, "sources", "CONTENT", *_at(t, "We will rebuild 🏗\ufe0f. It takes time"), LABELLER, 0.7)
    s4 = add_span(doc, "sources", "CUE", *_at(t, "said", 1), LABELLER, 0.9)
    s5 = add_span(doc, "sources", "SOURCE", *_at(t, "Zoë Tx\u0304o"), LABELLER, 0.9, {"kind": "named_person"})
    add_relation(doc, "ATTRIBUTION", s5["id"], s3["id"], LABELLER)
    add_relation(doc, "CUE", s4["id"], s3["id"], LABELLER)
    add_span(doc, "claims", "CLAIM", *_at(t, "Acme cut 200 jobs"), LABELLER, 0.82, {"checkworthy": True})
    add_span(doc, "claims", "CLAIM", *_at(t, "Prices rose 5% in 2023 🇺🇦"), LABELLER, 0.6, {"checkworthy": False})
    add_span(doc, "claims", "CLAIM", *_at(t, "Officials said nothing"), LABELLER, 0.3)  # undecided
    return doc


def other_document() -> dict:
    """A second document that repeats one paragraph of the first word for word."""
    text = f"Acme denied it.\n\n{SHARED_PARAGRAPH}"
    doc = segment_document(new_document(text, "tests/other.txt"))
    add_span(doc, "entities", "ORG", 0, 4, LABELLER, 0.8)
    return doc


def documents() -> list[dict]:
    return [article_document(), other_document()]


# --- annotation helpers ----------------------------------------------------------------------------------------------

ANNOTATIONS_ARTICLE = (
    "Zoë Ma\u0301x\u0301well 👩🏽\u200d🚀 said Acme cut 200 jobs in Kyiv 🇺🇦.\r\n\r\n"
    "Officials told reporters that prices rose 5% in Łódź 😀 last week.\r\n"
)
SECOND_ARTICLE = "Rain fell on Tuesday.\n\nNobody said anything about Oslo."


def find(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    s = text.index(needle, start)
    return s, s + len(needle)


def make_document(raw: str = ANNOTATIONS_ARTICLE) -> dict:
    """A segmented document with pre-labels in every layer (as a labeller would write them)."""
    text, _, _ = clean_text(raw)
    doc = segment_document(new_document(text, "test"))
    if "Zoë" not in text:
        return doc
    add_span(doc, "entities", "PERSON", *find(text, "Zoë Máx\u0301well"), "rules@1", 0.9)
    add_span(doc, "entities", "ORG", *find(text, "Acme"), "rules@1", 0.8)
    add_span(doc, "entities", "GPE", *find(text, "Kyiv"), "rules@1", 0.8)
    add_span(doc, "entities", "GPE", *find(text, "Łódź"), "rules@1", 0.8)
    src = add_span(doc, "sources", "SOURCE", *find(text, "Zoë Máx\u0301well"), "rules@1", 0.9, {"kind": "named_person"})
    cue = add_span(doc, "sources", "CUE", *find(text, "said"), "rules@1", 0.9)
    content = add_span(doc, "sources", "CONTENT", *find(text, "Acme cut 200 jobs in Kyiv"), "rules@1", 0.7)
    add_relation(doc, "ATTRIBUTION", src["id"], content["id"], "rules@1")
    add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    add_span(
        doc,
        "claims",
        "CLAIM",
        *find(text, "Acme cut 200 jobs in Kyiv"),
        "rules@1",
        0.8,
        {"checkworthy": True, "source": src["id"]},
    )
    add_span(doc, "claims", "CLAIM", *find(text, "prices rose 5% in Łódź"), "rules@1", 0.3, {"checkworthy": False})
    doc["labellers"] = {"entities": "rules@1", "sources": "rules@1", "claims": "rules@1"}
    return doc


def write_documents(tmp_path: Path, docs: list[dict]) -> Path:
    path = tmp_path / "documents.jsonl"
    write_jsonl(path, docs)
    return path


# ------------------------------------------------------------------- tasks and exports, as the tools write them

VIEW_OF_LAYER = {"entities": "ner_manual", "claims": "spans_manual", "sources": "relations"}


def _unit(doc: dict, unit_index: int) -> tuple[int, int, list[dict]]:
    start, end = doc["paragraphs"][unit_index]
    tokens = [t for t in doc["tokens"] if start <= t["start"] and t["end"] <= end]
    return start, end, tokens


def _rel_span(doc: dict, unit_index: int, start: int, end: int, label: str) -> dict:
    """A Prodigy span (unit-relative code points, inclusive token_end) for document offsets."""
    offset, _, tokens = _unit(doc, unit_index)
    first = next(i for i, t in enumerate(tokens) if t["start"] == start)
    last = next(i for i, t in enumerate(tokens) if t["end"] == end)
    return {"start": start - offset, "end": end - offset, "token_start": first, "token_end": last, "label": label}


def prodigy_task(doc: dict, unit_index: int, layer: str, view: str | None = None) -> dict:
    """A Prodigy task for one paragraph and one layer, following the `corpus tasks` contract."""
    offset, end, tokens = _unit(doc, unit_index)
    text = doc["text"][offset:end]
    view = view or VIEW_OF_LAYER[layer]
    spans = [
        {
            **_rel_span(doc, unit_index, s["start"], s["end"], s["label"]),
            "id": s["id"],
            "score": s["score"],
            "labeller": s["labeller"],
        }
        for s in doc["spans"]
        if s["layer"] == layer and offset <= s["start"] and s["end"] <= end
    ]
    task = {
        "text": text,
        "tokens": [
            {
                "text": doc["text"][t["start"] : t["end"]],
                "start": t["start"] - offset,
                "end": t["end"] - offset,
                "id": i,
                "ws": t["ws"],
            }
            for i, t in enumerate(tokens)
        ],
        "spans": spans,
        "meta": {"doc_id": doc["id"], "unit": "paragraph", "unit_index": unit_index, "offset": offset},
        "_view_id": view,
    }
    if view == "relations":
        by_id = {s["id"]: s for s in spans}
        task["relations"] = [
            _prodigy_relation(r["label"], by_id[r["head"]], by_id[r["child"]])
            for r in doc["relations"]
            if r["head"] in by_id and r["child"] in by_id
        ]
    task["_input_hash"] = zlib.crc32(f"{doc['id']}|{offset}|{text}".encode())
    task["_task_hash"] = zlib.crc32(json.dumps([task["_input_hash"], view, spans]).encode())
    return task


def prodigy_choice_task(doc: dict, claim_id: str) -> dict:
    claim = next(s for s in doc["spans"] if s["id"] == claim_id)
    unit_index = next(i for i, (s, e) in enumerate(doc["paragraphs"]) if s <= claim["start"] and claim["end"] <= e)
    task = prodigy_task(doc, unit_index, "claims", view="choice")
    task["spans"] = [s for s in task["spans"] if s["id"] == claim_id]
    task["options"] = [
        {"id": "CHECKWORTHY", "text": "Check-worthy"},
        {"id": "NOT_CHECKWORTHY", "text": "Not check-worthy"},
    ]
    task["accept"] = ["CHECKWORTHY"] if claim["attrs"].get("checkworthy") else []
    task["meta"].update({"span_id": claim_id, "score": claim["score"]})
    task["_task_hash"] = zlib.crc32(json.dumps([task["_input_hash"], "choice", claim_id]).encode())
    return task


def _prodigy_relation(label: str, head: dict, child: dict) -> dict:
    strip = ("start", "end", "token_start", "token_end", "label")
    return {
        "head": head["token_end"],
        "child": child["token_end"],
        "label": label,
        "head_span": {k: head[k] for k in strip},
        "child_span": {k: child[k] for k in strip},
    }


def answer(
    task: dict,
    doc: dict,
    annotator: str,
    spans: list[tuple[int, int, str]] | None = None,
    relations: list[tuple[str, tuple, tuple]] = (),
    decision: str = "accept",
    timestamp: int = 1700000000,
    accept: list[str] | None = None,
) -> dict:
    """A Prodigy db-out line: the task as the annotator left it (spans given in document offsets)."""
    line = json.loads(json.dumps(task))
    unit_index = task["meta"]["unit_index"]
    if spans is not None:
        line["spans"] = [_rel_span(doc, unit_index, *s) for s in spans]
        if task["_view_id"] == "relations":
            line["relations"] = [
                _prodigy_relation(label, _rel_span(doc, unit_index, *h), _rel_span(doc, unit_index, *c))
                for label, h, c in relations
            ]
    if accept is not None:
        line["accept"] = accept
    line.update(
        {
            "answer": decision,
            "_timestamp": timestamp,
            "_annotator_id": f"news-{annotator}",
            "_session_id": f"news-{annotator}",
        }
    )
    return line


def labelstudio_task(doc: dict, unit_index: int, task_id: int) -> dict:
    offset, end, _ = _unit(doc, unit_index)
    return {
        "id": task_id,
        "data": {
            "text": doc["text"][offset:end],
            "doc_id": doc["id"],
            "unit": "paragraph",
            "unit_index": unit_index,
            "offset": offset,
        },
        "annotations": [],
        "predictions": [],
    }


def ls_annotation(
    doc: dict,
    task: dict,
    user: int,
    regions: list[tuple[int, int, str]],
    relations: list[tuple[int, int, str]] = (),
    choice: str | None = None,
    region_choices: list[tuple[int, str]] = (),
    cancelled: bool = False,
    updated: str = "2024-05-01T10:00:00.000000Z",
    utf16: bool = False,
) -> dict:
    """A Label Studio annotation (regions given in document offsets; code points unless ``utf16``)."""
    offset, text = task["data"]["offset"], task["data"]["text"]

    def unit_offset(i: int) -> int:
        rel = i - offset
        return len(text[:rel].encode("utf-16-le")) // 2 if utf16 else rel

    result = []
    for n, (s, e, label) in enumerate(regions):
        result.append(
            {
                "id": f"r{user}_{n}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": unit_offset(s), "end": unit_offset(e), "text": doc["text"][s:e], "labels": [label]},
            }
        )
    for head, child, label in relations:
        result.append(
            {
                "from_id": f"r{user}_{head}",
                "to_id": f"r{user}_{child}",
                "type": "relation",
                "direction": "right",
                "labels": [label],
            }
        )
    for n, option in region_choices:  # per-region choice: shares the claim region's id, as Label Studio does
        region = result[n]
        result.append(
            {
                "id": region["id"],
                "from_name": "checkworthy",
                "to_name": "text",
                "type": "choices",
                "value": {**{k: region["value"][k] for k in ("start", "end", "text")}, "choices": [option]},
            }
        )
    if choice:  # task-level choice
        result.append(
            {
                "id": f"c{user}",
                "from_name": "checkworthy",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [choice]},
            }
        )
    return {
        "id": user * 100 + task["id"],
        "completed_by": user,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": updated,
        "updated_at": updated,
        "lead_time": 12.5,
    }


def _utf16(text: str, i: int) -> int:
    return len(text[:i].encode("utf-16-le")) // 2


def doccano_export_line(
    doc: dict,
    unit_index: int,
    spans: list[tuple[int, int, str]],
    relations: list[tuple[int, int, str]] = (),
    example_id: int = 41,
) -> dict:
    """What doccano exports for one example of a relation project: DB ids, meta flattened, UTF-16 offsets."""
    offset, end, _ = _unit(doc, unit_index)
    text = doc["text"][offset:end]
    entities = [
        {
            "id": 9000 + n,
            "label": label,
            "start_offset": _utf16(text, s - offset),
            "end_offset": _utf16(text, e - offset),
        }
        for n, (s, e, label) in enumerate(spans)
    ]
    rels = [
        {"id": 700 + n, "from_id": 9000 + h, "to_id": 9000 + c, "type": label}
        for n, (h, c, label) in enumerate(relations)
    ]
    return {
        "id": example_id,
        "text": text,
        "doc_id": doc["id"],
        "unit": "paragraph",
        "unit_index": unit_index,
        "offset": offset,
        "entities": entities,
        "relations": rels,
        "Comments": [],
    }


def attributions(doc: dict) -> list[dict]:
    """One dict per CONTENT span: its text, the cue text and the source span (or None)."""
    by_id = {s["id"]: s for s in doc["spans"]}
    out = []
    for content in (s for s in doc["spans"] if s["label"] == "CONTENT"):
        heads = {r["label"]: by_id[r["head"]] for r in doc["relations"] if r["child"] == content["id"]}
        out.append({"content": content["text"], "cue": heads["CUE"]["text"], "source": heads.get("ATTRIBUTION")})
    return out
