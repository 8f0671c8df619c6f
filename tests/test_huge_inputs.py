"""Huge inputs stay bounded (issue 12): a paragraph longer than the task limit becomes several tasks, each at
most MAX_UNIT_CHARS characters, cut at sentence boundaries (token boundaries when one sentence is longer),
never through a span or a relation; what cannot fit in any task is left out and said."""

from __future__ import annotations

import random

import orjson
import pytest

from corpus.document import new_document
from corpus.pipeline import DocumentProcessor, ProcessorConfig
from corpus.segment.core import segment_document
from corpus.tasks import render_document, write_tasks
from corpus.tasks.units import MAX_UNIT_CHARS, TaskStats, claim_sentence_units, document_units

NAMES = ("Maria Kovalenko", "John Smith", "Olena Garcia", "Ahmed Okafor", "Kaja Lindqvist")
TOPICS = ("the budget", "grain exports", "the ceasefire talks", "interest rates", "the pension reform")


def one_line_article(n_sentences: int, seed: int = 3) -> str:
    """News-like sentences (attributions, quotes, numbers) on one line: one paragraph."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_sentences):
        name, topic = rng.choice(NAMES), rng.choice(TOPICS)
        out.append(
            rng.choice(
                (
                    f"{name}, the finance minister, said on Tuesday that {topic} would be reviewed in Kyiv.",
                    f"“We will not accept {topic} in its current form,” said {name} in Brussels.",
                    f"According to the World Bank, {topic} fell by {rng.randrange(2, 40)} percent in 2023.",
                    f"Officials in London said about ${rng.randrange(2, 900)} million had been set aside for {topic}.",
                )
            )
        )
    return " ".join(out)


@pytest.fixture(scope="module")
def processor() -> DocumentProcessor:
    return DocumentProcessor(ProcessorConfig())


def check_units(doc: dict, units: list, limit: int = MAX_UNIT_CHARS) -> None:
    """Every unit fits, its text and spans are exact, and every kept span sits in exactly one unit, whole."""
    text = doc["text"]
    seen: dict[str, int] = {}
    for u in units:
        assert u.end - u.start <= limit
        assert u.text == text[u.start : u.end]
        for span in u.spans:
            assert u.text[span["start"] : span["end"]] == text[u.start + span["start"] : u.start + span["end"]]
            assert 0 <= span["start"] < span["end"] <= len(u.text)  # never cut by the unit's ends
            tokens = u.tokens
            assert tokens[span["token_start"]]["start"] == span["start"]
            assert tokens[span["token_end"]]["end"] == span["end"]
            seen[span["id"]] = seen.get(span["id"], 0) + 1
        ids = {s["id"] for s in u.spans}
        assert all(r["head"] in ids and r["child"] in ids for r in u.relations)
    assert all(n == 1 for n in seen.values())
    # Units follow each other without overlap, in order.
    assert all(a.end <= b.start for a, b in zip(units, units[1:], strict=False))


def test_a_long_paragraph_becomes_several_tasks_under_the_cap(processor):
    text = one_line_article(700)  # ~60,000 characters, no paragraph break
    doc = processor.process(new_document(text, "long.txt"))
    assert len(doc["paragraphs"]) == 1 and len(text) > 5 * MAX_UNIT_CHARS
    stats = TaskStats()
    problems: list = []
    units = document_units(doc, "paragraph", problems.append, stats)
    assert len(units) >= 6 and problems == [] and stats.skipped_spans == 0
    check_units(doc, units)
    # Every span and relation of the document is in a task, and units are cut at sentence starts.
    assert sum(len(u.spans) for u in units) == len(doc["spans"])
    assert sum(len(u.relations) for u in units) == len(doc["relations"])
    sentence_starts = {s for s, _ in doc["sentences"]}
    assert all(u.start in sentence_starts for u in units)
    assert [u.index for u in units] == list(range(len(units)))
    # The renderers agree: every task text is a unit text, each under the cap, hashes stable on rerun.
    for fmt in ("prodigy", "labelstudio", "doccano"):
        first, again = render_document(doc, fmt), render_document(doc, fmt)
        assert first.items == again.items
    prodigy = render_document(doc, "prodigy")
    assert prodigy.stats.units == len(units)


def test_short_paragraphs_are_untouched(processor):
    text = "\n\n".join(one_line_article(3, seed=n) for n in range(5))
    doc = processor.process(new_document(text, "short.txt"))
    units = document_units(doc, "paragraph")
    assert [(u.start, u.end) for u in units] == [tuple(p) for p in doc["paragraphs"]]


def test_a_sentence_longer_than_the_cap_is_cut_at_token_boundaries():
    # No sentence punctuation at all: one sentence of ~40,000 characters.
    words = ("council", "budget", "talks", "Kyiv", "minister", "grain", "exports", "said", "would", "fall")
    rng = random.Random(5)
    text = " ".join(rng.choice(words) for _ in range(6000))
    doc = segment_document(new_document(text, "flat.txt"))
    assert len(doc["sentences"]) == 1
    tokens = doc["tokens"]
    # Hand-made annotations: short spans everywhere, and a relation between neighbours.
    doc["spans"] = [
        {
            "id": f"E{n}",
            "layer": "entities",
            "label": "GPE",
            "start": t["start"],
            "end": t["end"],
            "text": text[t["start"] : t["end"]],
        }
        for n, t in enumerate(tokens)
        if text[t["start"]] == "K"
    ]
    doc["spans"].append(
        {
            "id": "Q",
            "layer": "sources",
            "label": "CONTENT",
            "start": tokens[1000]["start"],
            "end": tokens[1400]["end"],
            "text": text[tokens[1000]["start"] : tokens[1400]["end"]],
        }
    )
    doc["spans"].append(
        {
            "id": "S",
            "layer": "sources",
            "label": "SOURCE",
            "start": tokens[998]["start"],
            "end": tokens[998]["end"],
            "text": text[tokens[998]["start"] : tokens[998]["end"]],
        }
    )
    doc["relations"] = [{"id": "R", "label": "ATTRIBUTION", "head": "S", "child": "Q"}]
    units = document_units(doc, "paragraph", max_chars=3000)
    assert len(units) >= len(text) // 3000 + 1
    check_units(doc, units, 3000)
    token_starts = {t["start"] for t in tokens}
    assert all(u.start in token_starts for u in units)
    holder = [u for u in units if any(s["id"] == "Q" for s in u.spans)]
    assert len(holder) == 1 and holder[0].relations[0]["id"] == "R"
    # The same with the sentence unit and the document unit: the cap holds for every unit kind.
    for kind in ("sentence", "document"):
        check_units(doc, document_units(doc, kind, max_chars=3000), 3000)


def test_what_cannot_fit_in_any_task_is_left_out_and_said():
    text = " ".join(["alpha beta gamma delta."] * 400)  # ~9,600 characters
    doc = segment_document(new_document(text, "wide.txt"))
    tokens = doc["tokens"]
    long_claim = {"id": "C", "layer": "claims", "label": "CLAIM", "start": 0, "end": tokens[600]["end"]}
    head = {"id": "S", "layer": "sources", "label": "SOURCE", "start": tokens[0]["start"], "end": tokens[0]["end"]}
    far = {"id": "Q", "layer": "sources", "label": "CONTENT", "start": tokens[900]["start"], "end": tokens[901]["end"]}
    near = {"id": "N", "layer": "entities", "label": "GPE", "start": tokens[50]["start"], "end": tokens[50]["end"]}
    doc["spans"] = [long_claim, head, far, near]
    doc["relations"] = [{"id": "R", "label": "ATTRIBUTION", "head": "S", "child": "Q"}]
    problems: list = []
    stats = TaskStats()
    units = document_units(doc, "paragraph", problems.append, stats, max_chars=2000)
    check_units(doc, units, 2000)
    kept = {s["id"] for u in units for s in u.spans}
    assert kept == {"S", "Q", "N"} and stats.skipped_spans == 1 and stats.skipped_relations == 1
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "1 spans and 1 relations left out" in problems[0].message and "span C" in problems[0].message
    # A claim whose sentence is over the cap gets no sentence unit of its own (its choice task shows its unit).
    flat = segment_document(new_document(text.replace(".", ""), "flat.txt"))
    flat_tokens = flat["tokens"]
    claim = {
        "id": "c",
        "layer": "claims",
        "label": "CLAIM",
        "start": flat_tokens[4]["start"],
        "end": flat_tokens[8]["end"],
    }
    assert claim_sentence_units(flat, [claim], max_chars=2000) == {}
    assert set(claim_sentence_units(flat, [claim], max_chars=20_000)) == {"c"}


def test_chained_overlapping_annotations_force_a_cut_that_is_reported():
    text = " ".join(["word"] * 3000)
    doc = segment_document(new_document(text, "chain.txt"))
    tokens = doc["tokens"]
    # Spans of 300 tokens overlapping by 100: no free boundary anywhere.
    doc["spans"] = [
        {
            "id": f"C{n}",
            "layer": "claims",
            "label": "CLAIM",
            "start": tokens[a]["start"],
            "end": tokens[min(a + 299, 2999)]["end"],
        }
        for n, a in enumerate(range(0, 2900, 200))
    ]
    problems: list = []
    stats = TaskStats()
    units = document_units(doc, "paragraph", problems.append, stats, max_chars=4000)
    check_units(doc, units, 4000)
    assert len(units) >= 4 and stats.skipped_spans >= 1 and len(problems) == 1
    assert "forced" in problems[0].message
    kept = sum(len(u.spans) for u in units)
    assert kept + stats.skipped_spans == len(doc["spans"])


def test_huge_article_builds_tasks_with_bounded_size(tmp_path, processor):
    """A one-line article ~20x the cap, pre-labelled, written in every format: no task text over the cap."""
    text = one_line_article(2300, seed=9)
    doc = processor.process(new_document(text, "huge.txt"))
    stats = TaskStats()
    write_tasks([doc], tmp_path / "prodigy", "prodigy", stats=stats)
    assert stats.units > 15 and stats.skipped_spans == 0
    for name in ("ner.manual.jsonl", "spans.manual.jsonl", "rel.manual.jsonl", "choice.jsonl"):
        tasks = [orjson.loads(line) for line in (tmp_path / "prodigy" / name).read_bytes().splitlines()]
        assert tasks and all(len(t["text"]) <= MAX_UNIT_CHARS for t in tasks)
        assert all(text[t["meta"]["offset"] : t["meta"]["offset"] + len(t["text"])] == t["text"] for t in tasks)
    write_tasks([doc], tmp_path / "labelstudio", "labelstudio")
    tasks = orjson.loads((tmp_path / "labelstudio" / "tasks.json").read_bytes())
    assert len(tasks) == stats.units and all(len(t["data"]["text"]) <= MAX_UNIT_CHARS for t in tasks)
    write_tasks([doc], tmp_path / "doccano", "doccano")
    lines = (tmp_path / "doccano" / "relations.jsonl").read_bytes().splitlines()
    assert len(lines) == stats.units and all(len(orjson.loads(x)["text"]) <= MAX_UNIT_CHARS for x in lines)
    assert len(orjson.dumps(doc)) < 40 * len(text.encode())  # documents.jsonl stays proportional to the text


def no_punctuation_reading(n_sentences: int, sweep: bool, monkeypatch) -> tuple[list, int]:
    """The sources reading of one article with no sentence punctuation (one sentence: every candidate content
    runs to its end), and how many holders the nesting pass was handed for all its cues together."""
    from corpus.prelabel import sources

    handed = 0
    make = sources._open_content_holders if sweep else sources._content_holders

    def counting(atts):
        holding = make(atts)

        def count(a: int, b: int) -> list:
            nonlocal handed
            found = holding(a, b)
            handed += len(found)
            return found

        return count

    monkeypatch.setattr(sources, "_open_content_holders", counting)
    doc = new_document(one_line_article(n_sentences, seed=5).replace(".", ""), origin="nopunct")
    segment_document(doc)
    assert len(doc["sentences"]) == 1
    _, atts = sources.read_attributions(doc, sources.load_cues())
    return [(att.cue, att.source, att.contents) for att in atts], handed


def test_nested_attributions_on_a_text_without_sentence_punctuation_are_linear(monkeypatch):
    """Issue 12: cues are checked only against the contents still open where they stand, so the work grows with
    the text, not with its square; the attributions are the ones the position lookup of every content finds."""
    small, handed_small = no_punctuation_reading(400, True, monkeypatch)
    large, handed_large = no_punctuation_reading(800, True, monkeypatch)
    every, handed_every = no_punctuation_reading(800, False, monkeypatch)  # every content tested for every cue
    assert every == large and len(large) > 100
    assert handed_large <= 2.5 * handed_small  # twice the text, about twice the holders: 1773 -> 3684
    assert handed_large * 20 < handed_every  # the lookup of every starting content: 352398
