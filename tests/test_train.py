"""`corpus train` and model labellers: real training runs on small gold files the tests write themselves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

from corpus.document import new_document  # noqa: E402
from corpus.errors import CorpusError  # noqa: E402
from corpus.offsets import TokenIndex  # noqa: E402
from corpus.prelabel.model import ClaimModelLabeller, EntityModelLabeller  # noqa: E402
from corpus.segment import segment_document  # noqa: E402
from corpus.train.gold import load_gold, split_gold  # noqa: E402
from corpus.train.loop import Settings, train  # noqa: E402

# A made-up entity type no rule knows: gadgets named with a "-tron" suffix, in varied contexts.
GADGETS = [
    "Vexatron",
    "Kalitron",
    "Morbotron",
    "Pelatron",
    "Duratron",
    "Sinotron",
    "Wimbatron",
    "Fostron",
    "Gulatron",
    "Harketron",
    "Jovitron",
    "Lumatron",
]
TEMPLATES = [
    "The army deployed the {} near the northern border on Monday.",
    "Officials said the {} failed its second test in March.",
    "A new {} was delivered to the navy last week.",
    "Engineers in Oslo repaired the {} after the storm.",
    "The ministry ordered twelve more units of the {} this year.",
    "Critics say the {} costs far too much to maintain.",
]


def _gadget_gold(path: Path, n_docs: int = 24) -> Path:
    lines = []
    for d in range(n_docs):
        sentences = []
        for k in range(3):
            name = GADGETS[(d * 3 + k) % len(GADGETS)]
            sentences.append(TEMPLATES[(d + k * 2) % len(TEMPLATES)].format(name))
        text = " ".join(sentences)
        ents, pos = [], 0
        for k in range(3):
            name = GADGETS[(d * 3 + k) % len(GADGETS)]
            start = text.index(name, pos)
            ents.append({"start": start, "end": start + len(name), "label": "GADGET"})
            pos = start + len(name)
        lines.append(json.dumps({"id": f"gadget/{d}", "text": text, "entities": ents}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _segmented(text: str) -> dict:
    return segment_document(new_document(text, origin="test"))


@pytest.fixture(scope="module")
def gadget_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gadgets")
    gold = _gadget_gold(root / "gold.jsonl")
    docs = load_gold([gold])
    out = root / "model"
    train([gold], docs, [], Settings("entities", max_minutes=1, max_epochs=12, seed=1), out)
    return out


def test_trained_model_finds_a_new_entity_type_in_new_text(gadget_model: Path) -> None:
    meta = json.loads((gadget_model / "meta.json").read_text())
    assert meta["layer"] == "entities" and meta["labels"] == ["GADGET"]
    assert meta["training_data"]["files"][0]["sha256"] and meta["training_data"]["train_documents"] == 24
    labeller = EntityModelLabeller(path=str(gadget_model))
    # A name never seen in training, in a sentence never seen in training.
    doc = labeller(_segmented("Late on Friday the navy deployed the Quellotron off the coast."))
    found = [(s["text"], s["label"]) for s in doc["spans"] if s["layer"] == "entities"]
    assert ("Quellotron", "GADGET") in found
    assert doc["labellers"]["entities"] == labeller.tag


def test_model_spans_sit_on_token_boundaries_and_the_version_follows_the_model(
    gadget_model: Path, tmp_path: Path
) -> None:
    text = (
        "The  army\tdeployed the Vexatron — and the Morbotron!\n\nOfficials said the Kalitron "
        "failed; the \u00e9lite Pelatron didn't."
    )
    labeller = EntityModelLabeller(path=str(gadget_model))
    doc = labeller(_segmented(text))
    spans = [s for s in doc["spans"] if s["layer"] == "entities"]
    assert spans
    index = TokenIndex(doc["tokens"])
    for span in spans:
        assert index.on_boundaries(span["start"], span["end"])
        assert text[span["start"] : span["end"]] == span["text"]
    # the batch path gives the same spans as one document at a time
    batched = next(iter(labeller.label_batch([_segmented(text)])))
    assert [(s["start"], s["end"], s["label"]) for s in batched["spans"]] == [
        (s["start"], s["end"], s["label"]) for s in spans
    ]
    copy = tmp_path / "copy"
    shutil.copytree(gadget_model, copy)
    assert EntityModelLabeller(path=str(copy)).version == labeller.version  # the contents, not the name
    meta = json.loads((copy / "meta.json").read_text())
    meta["note"] = "changed"
    (copy / "meta.json").write_text(json.dumps(meta))
    assert EntityModelLabeller(path=str(copy)).version != labeller.version


def test_model_plus_rules_keeps_the_model_spans_and_adds_rules_where_the_model_is_silent(gadget_model: Path) -> None:
    text = "The army deployed the Vexatron in Norway on 3 March 2024."
    model_only = EntityModelLabeller(path=str(gadget_model))(_segmented(text))
    combined_labeller = EntityModelLabeller(path=f"{gadget_model}+rules")
    combined = combined_labeller(_segmented(text))
    model_spans = {(s["start"], s["end"], s["label"]) for s in model_only["spans"]}
    spans = combined["spans"]
    assert model_spans <= {(s["start"], s["end"], s["label"]) for s in spans}
    from_rules = [s for s in spans if s["labeller"].startswith("rules@")]
    assert from_rules, "the rules add the date and the country the model was never taught"
    for rule in from_rules:
        assert all(rule["end"] <= s or e <= rule["start"] for s, e, _ in model_spans)
    assert [s["id"] for s in spans] == [f"E{k}" for k in range(len(spans))]
    assert combined_labeller.version != model_only["labellers"]["entities"].split("@")[1]


def test_best_dev_model_is_kept_and_scored_with_the_project_scorer(tmp_path: Path) -> None:
    gold = _gadget_gold(tmp_path / "gold.jsonl", n_docs=30)
    docs = load_gold([gold])
    train_docs, dev_docs = split_gold(docs, 0.3)
    assert dev_docs and train_docs
    assert split_gold(load_gold([gold]), 0.3)[1][0].id == dev_docs[0].id  # the split is stable
    lines: list = []
    meta = train(
        [gold],
        train_docs,
        dev_docs,
        Settings("entities", max_minutes=1, max_epochs=4, seed=0),
        tmp_path / "m",
        report=lines.append,
    )
    assert [p.epoch for p in lines] == [1, 2, 3, 4]
    best = max(lines, key=lambda p: p.dev)
    assert meta["dev"]["score"] == best.dev and meta["dev"]["report"]["typed"]["f1"] == best.dev
    assert set(meta["dev"]["report"]["per_label"]) <= {"GADGET"}


def _claims_gold(path: Path) -> Path:
    positive = [
        "Unemployment rose by {} percent in {}.",
        "The state spent {} million dollars on roads in {}.",
        "Crime fell {} percent between 2010 and {}.",
    ]
    negative = [
        "I think we can do better than that.",
        "Thank you all for coming tonight.",
        "We need to believe in ourselves.",
        "That is a wonderful question, and I love it.",
    ]
    lines = []
    for k in range(40):
        text = positive[k % 3].format(3 + k, 1990 + k) if k % 2 else negative[k % 4]
        lines.append(
            json.dumps(
                {"id": f"c/{k}", "text": text, "claims": [{"start": 0, "end": len(text), "checkworthy": bool(k % 2)}]}
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_claims_classifier_learns_check_worthiness(tmp_path: Path) -> None:
    gold = _claims_gold(tmp_path / "claims.jsonl")
    docs = load_gold([gold])
    meta = train([gold], docs, [], Settings("claims", max_minutes=1, max_epochs=8, seed=0), tmp_path / "cm")
    assert meta["labels"] == ["CHECKWORTHY", "NOT_CHECKWORTHY"]
    labeller = ClaimModelLabeller(path=str(tmp_path / "cm"))
    doc = labeller(_segmented("Exports rose by 12 percent in 2019. I believe in all of you tonight."))
    claims = [s for s in doc["spans"] if s["layer"] == "claims"]
    assert [c["attrs"]["checkworthy"] for c in claims] == [True, False]
    assert claims[0]["score"] > claims[1]["score"]


def test_cli_trains_then_eval_uses_the_model_as_a_backend(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from corpus.cli import app

    gold = _gadget_gold(tmp_path / "gold.jsonl", n_docs=20)
    runner = CliRunner()
    result = runner.invoke(
        app, ["train", "entities", str(gold), "-o", "models/gadgets", "--max-epochs", "3", "--dev-share", "0.25"]
    )
    assert result.exit_code == 0, result.output
    assert "epoch   3" in result.output and "best" in result.output
    result = runner.invoke(app, ["eval", str(gold), "--backend", "entities=model:models/gadgets", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labellers"]["entities"].startswith("model@1+")
    assert report["scores"]["entities"]["per_label"]["GADGET"]["tp"] > 0
    # a model of one layer refuses to label another; a folder that is no model is one clear line
    from corpus.prelabel import get_labeller

    with pytest.raises(CorpusError, match="trained for the entities layer"):
        get_labeller("sources", "model:models/gadgets")
    (tmp_path / "notamodel").mkdir()
    result = runner.invoke(app, ["eval", str(gold), "--backend", "entities=model:notamodel"])
    assert result.exit_code == 2 and "not a corpus model folder" in result.output
    assert "Traceback" not in result.output


def test_sources_model_links_fragments_into_attributions(tmp_path: Path) -> None:
    texts = [
        ("Mayor {} said the bridge would reopen in May.", "Mayor {}", "said", "the bridge would reopen in May"),
        ("The minister {} told reporters that taxes will fall.", "The minister {}", "told", "taxes will fall"),
    ]
    names = ["Ann Lee", "Bo Park", "Cy Diaz", "Di Moss", "Ed Hart", "Flo Kim"]
    lines = []
    for k in range(24):
        template, src, cue, content = texts[k % 2]
        text = template.format(names[k % 6])
        src = src.format(names[k % 6])
        span = {
            r: [[text.index(t), text.index(t) + len(t)]]
            for r, t in (("source", src), ("cue", cue), ("content", content))
        }
        lines.append(json.dumps({"id": f"s/{k}", "text": text, "attributions": [span]}))
    gold = tmp_path / "sources.jsonl"
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    train([gold], load_gold([gold]), [], Settings("sources", max_minutes=1, max_epochs=10, seed=0), tmp_path / "sm")
    from corpus.prelabel.model import SourceModelLabeller

    doc = SourceModelLabeller(path=str(tmp_path / "sm"))(
        _segmented("Mayor Gus Ortiz said the park would reopen in May.")
    )
    spans = {s["id"]: s for s in doc["spans"] if s["layer"] == "sources"}
    labels = sorted(s["label"] for s in spans.values())
    assert labels == ["CONTENT", "CUE", "SOURCE"]
    rels = {(r["label"], spans[r["head"]]["label"], spans[r["child"]]["label"]) for r in doc["relations"]}
    assert rels == {("CUE", "CUE", "CONTENT"), ("ATTRIBUTION", "SOURCE", "CONTENT")}
    source = next(s for s in spans.values() if s["label"] == "SOURCE")
    assert source["attrs"]["kind"] in ("named_person", "named_organisation", "unnamed_group", "anonymous")
