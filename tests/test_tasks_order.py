"""`corpus tasks --order uncertain`: tasks whose unit holds what a model labeller is least sure of come first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import add_span, new_document
from corpus.errors import CorpusError
from corpus.jsonl import write_jsonl
from corpus.prelabel.model import uncertain_spans
from corpus.prelabel.registry import get_labeller
from corpus.segment.core import segment_document
from corpus.tasks import FORMATS, NO_MODEL, write_tasks

MODEL = "model@1+0123456789ab"
PARAGRAPHS = [
    "Jane Doe met officials of Acme Corp in Paris on Monday.",
    "The mayor of Berlin, Klaus Weber, said prices rose.",
    "Nothing happened here at all today.",
    "Officials said the budget would grow next year.",
]


def _segmented() -> dict:
    return segment_document(new_document("\n\n".join(PARAGRAPHS), "tests/order.txt"))


def _claim(doc: dict, paragraph: int, score: float) -> None:
    start, end = doc["paragraphs"][paragraph]
    add_span(doc, "claims", "CLAIM", start, end, MODEL, score, {"checkworthy": score >= 0.5})


def claims_document() -> dict:
    """Claims from a model: paragraph 1 at p=0.52 (most unsure), 3 at 0.15, 0 at 0.95; 2 has no claim."""
    doc = _segmented()
    doc["labellers"] = {"claims": MODEL}
    for paragraph, score in ((0, 0.95), (1, 0.52), (3, 0.15)):
        _claim(doc, paragraph, score)
    return doc


def rules_entities(doc: dict) -> list[dict]:
    copy = {**doc, "spans": [], "relations": [], "labellers": {}}
    get_labeller("entities", "rules")(copy)
    return copy["spans"]


def entities_document() -> dict:
    """Entities from a 'model' that agrees with the rules in paragraphs 0 and 2 and not in paragraph 1."""
    doc = _segmented()
    doc["labellers"] = {"entities": MODEL}
    rules = rules_entities(doc)
    p1 = doc["paragraphs"][1]
    assert any(p1[0] <= s["start"] < p1[1] for s in rules), "the rules must find something in paragraph 1"
    for span in rules:
        label = span["label"]
        if p1[0] <= span["start"] < p1[1]:  # paragraph 1: a label the rules do not give
            label = "ORG" if label != "ORG" else "PRODUCT"
        add_span(doc, "entities", label, span["start"], span["end"], MODEL, 1.0)
    return doc


def offsets(path: Path) -> list[int]:
    return [json.loads(line)["meta"]["offset"] for line in path.read_text("utf-8").splitlines()]


def export(tmp_path: Path, docs: list[dict], fmt: str = "prodigy", order: str = "uncertain", name: str = "out"):
    return {p.name: p for p in write_tasks(docs, tmp_path / name, fmt, "paragraph", order=order)}


def test_claims_least_confident_first(tmp_path: Path) -> None:
    doc = claims_document()
    starts = [s for s, _ in doc["paragraphs"]]
    paths = export(tmp_path, [doc])
    # 0.52 -> 0.96, 0.15 -> 0.3, 0.95 -> 0.1, no claim -> 0 (document order among ties)
    assert offsets(paths["spans.manual.jsonl"]) == [starts[1], starts[3], starts[0], starts[2]]
    assert offsets(paths["choice.jsonl"]) == [starts[1], starts[3], starts[0]]
    document = export(tmp_path, [doc], order="document", name="doc")
    assert offsets(document["spans.manual.jsonl"]) == starts


def test_uncertain_is_a_permutation_and_reruns_are_byte_identical(tmp_path: Path) -> None:
    docs = [entities_document(), claims_document()]
    first = export(tmp_path, docs, name="a")
    again = export(tmp_path, docs, name="b")
    default = export(tmp_path, docs, order="document", name="c")
    assert first.keys() == default.keys()
    for name, path in first.items():
        assert path.read_bytes() == again[name].read_bytes()
        assert sorted(path.read_bytes().splitlines()) == sorted(default[name].read_bytes().splitlines())
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(first)  # no temporary folder left


def test_entities_disagreement_with_the_rules_comes_first(tmp_path: Path) -> None:
    doc = entities_document()
    starts = [s for s, _ in doc["paragraphs"]]
    found = uncertain_spans(doc)
    assert found and all(starts[1] <= s < starts[2] and u == 1.0 for s, _, u in found)
    assert offsets(export(tmp_path, [doc])["ner.manual.jsonl"])[0] == starts[1]


def test_rules_filled_spans_count_as_disagreement() -> None:
    """model:PATH+rules: a rules span where the model was silent is one the model did not make."""
    doc = _segmented()
    doc["labellers"] = {"entities": f"{MODEL}+rules2"}
    for span in rules_entities(doc):
        add_span(doc, "entities", span["label"], span["start"], span["end"], span["labeller"], span["score"])
    assert len(uncertain_spans(doc)) == len(rules_entities(doc)) > 0


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano"])
def test_other_formats_are_reordered(tmp_path: Path, fmt: str) -> None:
    doc = claims_document()
    starts = [s for s, _ in doc["paragraphs"]]
    paths = export(tmp_path, [doc], fmt=fmt)
    if fmt == "labelstudio":
        tasks = json.loads(paths["tasks.json"].read_text("utf-8"))
        assert [t["data"]["offset"] for t in tasks] == [starts[1], starts[3], starts[0], starts[2]]
        assert (
            paths["config.xml"].read_bytes() == export(tmp_path, [doc], fmt, "document", "d")["config.xml"].read_bytes()
        )
    else:
        for name in ("relations.jsonl", "spans.jsonl"):
            assert offsets(paths[name]) == [starts[1], starts[3], starts[0], starts[2]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_model_pre_labels_is_an_error_and_writes_nothing(tmp_path: Path, fmt: str) -> None:
    doc = _segmented()
    add_span(doc, "claims", "CLAIM", *doc["paragraphs"][0], "rules@1", 0.5)
    doc["labellers"] = {"claims": "rules@1"}
    with pytest.raises(CorpusError, match="needs model pre-labels"):
        export(tmp_path, [doc], fmt=fmt)
    assert list((tmp_path / "out").iterdir()) == []


def test_cli_order(tmp_path: Path) -> None:
    runner = CliRunner()
    write_jsonl(tmp_path / "docs.jsonl", [claims_document()])
    ok = runner.invoke(app, ["tasks", "docs.jsonl", "--order", "uncertain", "-o", "t", "-q"])
    assert ok.exit_code == 0, ok.output
    doc = claims_document()
    assert offsets(tmp_path / "t" / "spans.manual.jsonl")[0] == doc["paragraphs"][1][0]
    bad = runner.invoke(app, ["tasks", "docs.jsonl", "--order", "random", "-o", "u", "-q"])
    assert bad.exit_code != 0 and "unknown order 'random'" in bad.output
    rules_doc = _segmented()
    write_jsonl(tmp_path / "rules.jsonl", [rules_doc])
    none = runner.invoke(app, ["tasks", "rules.jsonl", "--order", "uncertain", "-o", "v", "-q"])
    assert none.exit_code != 0
    assert NO_MODEL in " ".join(none.output.split()) and "Traceback" not in none.output


def test_with_a_trained_entities_model(tmp_path: Path) -> None:
    """End to end with a real model: the paragraph where model and rules disagree is the first ner.manual task."""
    pytest.importorskip("spacy")
    from corpus.prelabel.model import EntityModelLabeller
    from corpus.train.gold import load_gold
    from corpus.train.loop import Settings, train

    names = ["Vexatron", "Kalitron", "Morbotron", "Pelatron", "Duratron", "Sinotron"]
    lines = []
    for d, name in enumerate(names * 3):
        text = f"Engineers repaired the {name} after the storm. The {names[d % 5]} failed its second test."
        ents = [{"start": text.index(name), "end": text.index(name) + len(name), "label": "GADGET"}]
        other = f"The {names[d % 5]} failed"
        at = text.index(other) + 4
        ents.append({"start": at, "end": at + len(names[d % 5]), "label": "GADGET"})
        lines.append(json.dumps({"id": f"g/{d}", "text": text, "entities": ents}))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = tmp_path / "model"
    train([gold], load_gold([gold]), [], Settings("entities", max_minutes=1, max_epochs=8, seed=1), model)
    text = "Nothing happened here at all.\n\nEngineers repaired the Vexatron after the storm."
    doc = EntityModelLabeller(path=str(model))(segment_document(new_document(text, "tests/model.txt")))
    model_spans = [(s["start"], s["end"], s["label"]) for s in doc["spans"]]
    assert model_spans == [(text.index("Vexatron"), text.index("Vexatron") + 8, "GADGET")]
    paths = export(tmp_path, [doc])
    assert offsets(paths["ner.manual.jsonl"]) == [doc["paragraphs"][1][0], 0]
