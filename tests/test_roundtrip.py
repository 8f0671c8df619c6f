"""Export -> annotator accepts everything -> ingest -> merge gives back exactly the pre-labels (issue 8 §2).

Hypothesis writes the documents: random words with emoji and other astral characters, ZWJ sequences, flags,
combining marks NFC cannot compose, CRLF line breaks (normalised before any offset is taken), and random
token-aligned spans in every layer, ATTRIBUTION / CUE relations and check-worthiness decisions. For each tool:

- Prodigy: every line of every task file comes back from ``db-out`` with ``answer: accept`` (choice tasks keep
  their pre-selected ``accept``);
- Label Studio: the export is ``tasks.json`` with each task's prediction copied into its annotation;
- doccano: the export is ``relations.jsonl`` itself (doccano gives back what it imported).

After ingest and a single-annotator merge the gold spans, relations and check-worthiness equal the pre-labels,
and exporting the gold again gives the same tasks (ids, scores and labeller names aside: they name who made a
label, not what it is), so export -> ingest -> export is the identity. doccano's formats have no place for
check-worthiness; there the gold claims carry none.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.annotations import MergeState, Policy, ingest_exports, merge_documents
from corpus.annotations.ingest import emitted_task_keys
from corpus.document import ENTITY_LABELS, add_relation, add_span, new_document
from corpus.ingest.normalize import normalize_text
from corpus.jsonl import write_jsonl
from corpus.segment.core import segment_document
from corpus.tasks import write_tasks

LABELLER = "rules@1"
WORDS = [
    "Acme",
    "said",
    "jobs",
    "cut",
    "200",
    "Zoë",
    "Tx\u0304o",
    "Ma\u0301x\u0301",
    "Łódź",
    "prices",
    "rose",
    "😀",
    "👩\u200d💻",
    "🇺🇦",
    "𝔘𝔫𝔦",
    "𠜎𠜱",
    "e\u0301te\u0301",
    "we",
    "will",
    "Kyiv",
    "déjà",
    "🏗\ufe0f",
]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=7).map(" ".join)
sentence = words.map(lambda w: w + ".")
paragraph = st.lists(sentence, min_size=1, max_size=3).map(" ".join)
raw_text = st.tuples(st.lists(paragraph, min_size=1, max_size=3), st.sampled_from(["\r\n\r\n", "\n\n", "\r\n"])).map(
    lambda parts: parts[1].join(parts[0]) + "\r\n"
)


@st.composite
def labelled_document(draw) -> dict:
    text, _ = normalize_text(draw(raw_text))
    doc = segment_document(new_document(text, "hypothesis.txt"))
    tokens = doc["tokens"]
    n = len(tokens)

    def token_span(max_len: int = 4) -> tuple[int, int]:
        first = draw(st.integers(0, n - 1))
        last = draw(st.integers(first, min(n - 1, first + max_len - 1)))
        return tokens[first]["start"], tokens[last]["end"]

    # entities: non-overlapping (Prodigy's ner.manual cannot show overlaps)
    taken: list[tuple[int, int]] = []
    for _ in range(draw(st.integers(0, 4))):
        s, e = token_span(3)
        if all(e <= a or b <= s for a, b in taken):
            taken.append((s, e))
            add_span(doc, "entities", draw(st.sampled_from(ENTITY_LABELS)), s, e, LABELLER, draw(st.floats(0, 1)))
    # sources and their relations; spans of any layer may overlap each other
    seen: set[tuple] = set()
    roles: dict[str, list[dict]] = {"SOURCE": [], "CUE": [], "CONTENT": []}
    for _ in range(draw(st.integers(0, 5))):
        label = draw(st.sampled_from(sorted(roles)))
        s, e = token_span(5)
        if (s, e, label) not in seen:
            seen.add((s, e, label))
            roles[label].append(add_span(doc, "sources", label, s, e, LABELLER, 0.5))
    links: set[tuple] = set()
    for content in roles["CONTENT"]:
        for head_label, rel_label in (("SOURCE", "ATTRIBUTION"), ("CUE", "CUE")):
            if roles[head_label] and draw(st.booleans()):
                head = draw(st.sampled_from(roles[head_label]))
                if (rel_label, head["id"], content["id"]) not in links:
                    links.add((rel_label, head["id"], content["id"]))
                    add_relation(doc, rel_label, head["id"], content["id"], LABELLER)
    claims: set[tuple[int, int]] = set()
    for _ in range(draw(st.integers(0, 3))):
        s, e = token_span(8)  # may run over a sentence end: the choice task then widens
        if (s, e) not in claims:
            claims.add((s, e))
            decided = draw(st.sampled_from([True, False, None]))
            add_span(doc, "claims", "CLAIM", s, e, LABELLER, 0.5, {} if decided is None else {"checkworthy": decided})
    doc["labellers"] = {"entities": LABELLER, "sources": LABELLER, "claims": LABELLER}
    return doc


def _read_lines(path: Path) -> list[dict]:
    return [json.loads(raw) for raw in path.read_text("utf-8").splitlines()]


def _simulate_annotator(fmt: str, paths: list[Path], out: Path) -> Path:
    """The export a tool gives back when the annotator accepts every pre-label unchanged."""
    if fmt == "prodigy":
        lines = [
            {**task, "answer": "accept", "_annotator_id": "rt-ann", "_session_id": "rt-ann", "_timestamp": 1}
            for path in paths
            for task in _read_lines(path)
        ]
        write_jsonl(out / "db-out.jsonl", lines)
        return out / "db-out.jsonl"
    if fmt == "labelstudio":
        (tasks_path,) = [p for p in paths if p.name == "tasks.json"]
        tasks = json.loads(tasks_path.read_text("utf-8"))
        for n, task in enumerate(tasks, start=1):
            task["id"] = n
            task["annotations"] = [
                {
                    "id": n,
                    "completed_by": {"id": 1, "email": "rt@example.org"},
                    "result": task["predictions"][0]["result"] if task["predictions"] else [],
                    "was_cancelled": False,
                    "updated_at": "2024-05-01T10:00:00Z",
                }
            ]
        (out / "ls-export.json").write_text(json.dumps(tasks, ensure_ascii=False, indent=1), "utf-8")
        return out / "ls-export.json"
    (relations_path,) = [p for p in paths if p.name == "relations.jsonl"]
    return relations_path


def _layer_keys(doc: dict) -> set[tuple]:
    return {(s["layer"], s["label"], s["start"], s["end"]) for s in doc["spans"]}


def _relation_keys(doc: dict) -> set[tuple]:
    by_id = {s["id"]: (s["label"], s["start"], s["end"]) for s in doc["spans"]}
    return {(r["label"], by_id[r["head"]], by_id[r["child"]]) for r in doc["relations"]}


def _checkworthy(doc: dict) -> dict[tuple[int, int], object]:
    return {(s["start"], s["end"]): s["attrs"].get("checkworthy") for s in doc["spans"] if s["layer"] == "claims"}


_WHO = ("id", "score", "labeller", "span_id", "model_version")


def _what(value):
    """A task with who-made-it fields removed (span ids become the spans' offsets and labels)."""
    if isinstance(value, dict):
        return {k: _what(v) for k, v in value.items() if k not in _WHO}
    if isinstance(value, list):
        return [_what(v) for v in value]
    return value


def _comparable(fmt: str, paths: list[Path]) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in paths:
        if path.name == "config.xml":
            continue
        if fmt == "labelstudio":
            tasks = json.loads(path.read_text("utf-8"))
            for task in tasks:  # region ids are span ids: name the relation ends by what they point at
                for pred in task["predictions"]:
                    regions = {
                        r["id"]: (r["value"]["start"], r["value"]["end"], r["value"].get("labels"))
                        for r in pred["result"]
                        if r["type"] == "labels"
                    }
                    for r in pred["result"]:
                        if r["type"] == "relation":
                            r["from_id"], r["to_id"] = regions[r["from_id"]], regions[r["to_id"]]
            out[path.name] = _what(tasks)
        elif path.suffix == ".json":  # doccano's label files: one JSON list each
            out[path.name] = json.loads(path.read_text("utf-8"))
        else:
            out[path.name] = _what(_read_lines(path))
    return out


def _round_trip(doc: dict, fmt: str, unit: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_tasks([doc], root / "tasks", fmt, unit)
        export = _simulate_annotator(fmt, paths, root)
        problems: list = []
        emitted = emitted_task_keys(root / "tasks", problems.append)
        records, stats = ingest_exports([export], {doc["id"]: doc}, problems.append, emitted)
        assert problems == [] and stats.rejected == 0, [str(p) for p in problems]
        policy = Policy()
        (gold,) = list(merge_documents([doc], records, policy, problems.append, MergeState(policy)))
        assert problems == []

        assert _layer_keys(gold) == _layer_keys(doc)
        assert _relation_keys(gold) == _relation_keys(doc)
        if fmt == "doccano":  # no check-worthiness in doccano's formats
            assert set(_checkworthy(gold).values()) <= {None}
        else:
            assert _checkworthy(gold) == _checkworthy(doc)
            again = write_tasks([gold], root / "again", fmt, unit)
            assert _comparable(fmt, again) == _comparable(fmt, paths)
        if fmt == "doccano":
            again = write_tasks([gold], root / "again", fmt, unit)
            assert _comparable(fmt, again) == _comparable(fmt, paths)


ROUND_TRIP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(doc=labelled_document(), unit=st.sampled_from(["paragraph", "sentence", "document"]))
def test_prodigy_round_trip_is_the_identity(doc, unit):
    _round_trip(doc, "prodigy", unit)


@ROUND_TRIP
@given(doc=labelled_document(), unit=st.sampled_from(["paragraph", "sentence", "document"]))
def test_labelstudio_round_trip_is_the_identity(doc, unit):
    _round_trip(doc, "labelstudio", unit)


@ROUND_TRIP
@given(doc=labelled_document(), unit=st.sampled_from(["paragraph", "sentence", "document"]))
def test_doccano_round_trip_is_the_identity(doc, unit):
    _round_trip(doc, "doccano", unit)


def test_generated_text_really_has_astral_characters_combining_marks_and_no_cr():
    """The alphabet the property tests draw from exercises every offset convention."""
    text, _ = normalize_text("\r\n\r\n".join(WORDS) + "\r\n")
    assert "\r" not in text and any(ord(ch) > 0xFFFF for ch in text)
    assert len(text.encode("utf-16-le")) // 2 > len(text)  # doccano's offsets really differ here
    assert "x\u0304" in text or "Tx\u0304o" in text
