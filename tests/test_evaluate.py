"""The scorer behind `corpus eval`, on tiny gold files the tests write themselves."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import add_relation, add_span, clear_layer
from corpus.errors import CorpusError
from corpus.evaluate import (
    CONLL_LABEL_MAP,
    boundary_ends,
    evaluate,
    parse_label_map,
    parse_rules,
    predicted_attributions,
)
from corpus.prelabel import register
from corpus.scoring import JACCARD_HALF, OVERLAP_HALF, MatchRule, count_matches, jaccard


class _FixedLabeller:
    """Writes pre-set spans found by their text, so the scorer is tested independently of real labellers."""

    def __init__(self, layer: str, items: list[tuple[str, str, dict]], relations=()):
        self.layer, self.name, self.version = layer, "fixed", "0"
        self.items, self.relations = items, relations

    def __call__(self, doc: dict) -> dict:
        clear_layer(doc, self.layer)
        ids = {}
        for needle, label, attrs in self.items:
            start = doc["text"].find(needle)
            if start >= 0:
                span = add_span(
                    doc,
                    self.layer,
                    label,
                    start,
                    start + len(needle),
                    "fixed@0",
                    score=attrs.pop("score", 1.0) if "score" in attrs else 1.0,
                    attrs=dict(attrs),
                )
                ids[needle] = span["id"]
        for label, head, child in self.relations:
            if head in ids and child in ids:
                add_relation(doc, label, ids[head], ids[child], "fixed@0")
        doc["labellers"][self.layer] = "fixed@0"
        return doc


TEXT = "Maria Lopez met the Acme Corp board in Lisbon.\n\nShe said profits rose 5 percent. Nobody agreed."


@register("entities", "test-fixed")
def _entities(arg: str | None = None):
    return _FixedLabeller(
        "entities",
        [("Maria Lopez", "PERSON", {}), ("Acme Corp", "ORG", {}), ("Lisbon", "NORP", {}), ("5 percent", "PERCENT", {})],
    )


@register("sources", "test-fixed")
def _sources(arg: str | None = None):
    return _FixedLabeller(
        "sources",
        [
            ("She", "SOURCE", {}),
            ("said", "CUE", {}),
            ("profits rose 5 percent", "CONTENT", {}),
            ("Nobody", "SOURCE", {}),
        ],
        relations=[("ATTRIBUTION", "She", "profits rose 5 percent"), ("CUE", "said", "profits rose 5 percent")],
    )


@register("claims", "test-fixed")
def _claims(arg: str | None = None):
    return _FixedLabeller(
        "claims",
        [
            ("She said profits rose 5 percent.", "CLAIM", {"checkworthy": True}),
            ("Nobody agreed.", "CLAIM", {"checkworthy": True}),
        ],
    )


BACKENDS = {"entities": "test-fixed", "sources": "test-fixed", "claims": "test-fixed"}


class _BatchingLabeller(_FixedLabeller):
    """The fixed entities, through a batch hook that takes the whole stream before yielding (as a model would)."""

    batches: list[int] = []  # documents per call of label_batch, over every instance

    def label_batch(self, docs: Iterable[dict]) -> Iterator[dict]:
        batch = list(docs)
        _BatchingLabeller.batches.append(len(batch))
        for doc in batch:
            yield self(doc)


@register("entities", "test-batched")
def _batched(arg: str | None = None):
    return _BatchingLabeller("entities", _entities().items)


def _write_gold(tmp_path: Path, docs: list[dict]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


def _off(needle: str) -> list[int]:
    start = TEXT.index(needle)
    return [start, start + len(needle)]


def _gold_doc() -> dict:
    return {
        "id": "t/1",
        "text": TEXT,
        "paragraphs": [
            _off("Maria Lopez met the Acme Corp board in Lisbon."),
            _off("She said profits rose 5 percent. Nobody agreed."),
        ],
        "sentences": [
            _off("Maria Lopez met the Acme Corp board in Lisbon."),
            _off("She said profits rose 5 percent."),
            _off("Nobody agreed."),
        ],
        "entities": [
            {"start": _off("Maria Lopez")[0], "end": _off("Maria Lopez")[1], "label": "PER"},
            {"start": _off("Acme Corp board")[0], "end": _off("Acme Corp board")[1], "label": "ORG"},
            {"start": _off("Lisbon")[0], "end": _off("Lisbon")[1], "label": "LOC"},
        ],
        "attributions": [{"source": [_off("She")], "cue": [_off("said")], "content": [_off("profits rose 5")]}],
        "claims": [
            {
                "start": _off("She said profits rose 5 percent.")[0],
                "end": _off("She said profits rose 5 percent.")[1],
                "checkworthy": True,
            },
            {"start": _off("Nobody agreed.")[0], "end": _off("Nobody agreed.")[1], "checkworthy": False},
        ],
    }


def test_boundary_ends_trim_whitespace_and_exclude_document_end():
    text = "One.  Two.\n"
    assert boundary_ends(text, [[0, 6], [6, 11]]) == {4}
    assert boundary_ends(text, [[3, 1]]) == set()  # inverted spans (blank lines in some corpora) ignored


def test_jaccard_and_matching_are_one_to_one():
    assert jaccard((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert jaccard((0, 10), (0, 6)) == pytest.approx(0.6)
    assert jaccard((0, 4), (4, 8)) == 0.0
    # Two predictions over one gold fragment: only one may match.
    assert count_matches([(0, 10)], [(0, 9), (1, 10)], JACCARD_HALF) == 1
    assert count_matches([(0, 10), (20, 30)], [(0, 6), (22, 30)], JACCARD_HALF) == 2
    assert count_matches([(0, 10)], [(0, 4)], JACCARD_HALF) == 0


def test_overlap_of_half_the_shorter_span():
    assert OVERLAP_HALF.accepts((0, 100), (90, 110))  # 10 of the shorter 20
    assert not OVERLAP_HALF.accepts((0, 100), (91, 111))


def test_label_maps(tmp_path: Path):
    name, mapping = parse_label_map("conll")
    assert name == "conll" and mapping["GPE"] == "LOC" and mapping["DATE"] is None and mapping["NORP"] == "MISC"
    assert parse_label_map("PERSON=PER,DATE=-") == ("PERSON=PER,DATE=-", {"PERSON": "PER", "DATE": None})
    path = tmp_path / "map.txt"
    path.write_text("# ours -> gold\nPERSON\tPER\nGPE=LOC\nCARDINAL=-\n", encoding="utf-8")
    assert parse_label_map(str(path))[1] == {"PERSON": "PER", "GPE": "LOC", "CARDINAL": None}
    jpath = tmp_path / "map.json"
    jpath.write_text('{"ORG": "ORG", "MONEY": null}', encoding="utf-8")
    assert parse_label_map(str(jpath))[1] == {"ORG": "ORG", "MONEY": None}
    with pytest.raises(CorpusError, match="neither a built-in map"):
        parse_label_map("nonsense")
    assert CONLL_LABEL_MAP["FAC"] == "LOC"


def test_labellers_run_as_build_stages_so_a_batch_hook_sees_the_whole_stream(tmp_path: Path):
    docs = [{**_gold_doc(), "id": f"t/{i}"} for i in range(3)]
    gold = _write_gold(tmp_path, docs)
    one_at_a_time = evaluate(gold, backends=BACKENDS, layers=["entities"])
    _BatchingLabeller.batches.clear()
    batched = evaluate(gold, backends={**BACKENDS, "entities": "test-batched"}, layers=["entities"])
    assert _BatchingLabeller.batches == [3]  # one call for the stream, as in `corpus build`, not one per document
    assert batched["scores"] == one_at_a_time["scores"] and batched["documents"] == 3
    assert batched["labellers"] == {"entities": "fixed@0"}


def test_evaluate_scores_every_layer(tmp_path: Path):
    gold = _write_gold(tmp_path, [_gold_doc()])
    out = tmp_path / "pred.jsonl"
    result = evaluate(gold, backends=BACKENDS, label_map=dict(CONLL_LABEL_MAP), predictions_out=out)
    scores = result["scores"]
    assert result["documents"] == 1 and result["notes"] == []
    assert scores["paragraphs"]["boundaries"]["f1"] == 1.0
    assert scores["sentences"]["boundaries"]["tp"] == 2  # the document end is excluded
    ent = scores["entities"]
    # Predicted: Maria Lopez/PER (right), Acme Corp/ORG (wrong extent), Lisbon/MISC (wrong type), 5 percent dropped.
    assert (ent["typed"]["tp"], ent["typed"]["fp"], ent["typed"]["fn"]) == (1, 2, 2)
    assert (ent["untyped"]["tp"], ent["untyped"]["fp"], ent["untyped"]["fn"]) == (2, 1, 1)
    assert ent["per_label"]["MISC"]["fp"] == 1 and ent["per_label"]["LOC"]["fn"] == 1
    attr = scores["attributions"]
    assert attr["source"]["span"]["tp"] == 1 and attr["source"]["span"]["fp"] == 1  # "Nobody" is spurious
    assert attr["cue"]["exact"]["f1"] == 1.0
    # "profits rose 5 percent" vs gold "profits rose 5": Jaccard 14/22 >= 0.5, but not exact.
    assert attr["content"]["span"]["tp"] == 1 and attr["content"]["exact"]["tp"] == 0
    assert attr["content"]["char"]["tp"] == 14 and attr["content"]["char"]["fp"] == 8
    claims = scores["claims"]["checkworthy"]
    assert (claims["tp"], claims["fp"], claims["fn"]) == (1, 1, 0)

    pred = json.loads(out.read_text(encoding="utf-8"))
    assert pred["id"] == "t/1" and pred["text"] == TEXT
    assert {"start": _off("Lisbon")[0], "end": _off("Lisbon")[1], "label": "MISC"} in pred["entities"]
    assert all(e["label"] != "PERCENT" for e in pred["entities"])
    grouped = [a for a in pred["attributions"] if a["content"]]
    assert grouped == [{"source": [_off("She")], "cue": [_off("said")], "content": [_off("profits rose 5 percent")]}]
    assert pred["claims"][1]["checkworthy"] is True


def test_evaluate_keeps_gold_text_unchanged(tmp_path: Path):
    # Text a cleaner would normalise (non-breaking space, trailing spaces): offsets must stay the gold ones.
    text = "Prices rose\u00a0fast.   \nThen they fell."
    gold = _write_gold(tmp_path, [{"id": "t/2", "text": text, "sentences": [[0, 17], [21, 36]]}])
    out = tmp_path / "p.jsonl"
    result = evaluate(gold, predictions_out=out)
    assert result["scores"]["sentences"]["boundaries"]["f1"] == 1.0
    assert json.loads(out.read_text(encoding="utf-8"))["text"] == text


def test_only_layers_in_the_gold_file_are_scored_and_run(tmp_path: Path):
    gold = _write_gold(tmp_path, [{"id": "t/3", "text": "A short one. Another one.", "sentences": [[0, 12], [13, 25]]}])
    result = evaluate(gold, backends=BACKENDS)
    assert set(result["scores"]) == {"sentences"} and result["labellers"] == {}


def test_bad_gold_lines_are_reported_and_skipped(tmp_path: Path):
    path = tmp_path / "gold.jsonl"
    good = {"id": "ok", "text": "Fine text here. More.", "sentences": [[0, 15], [16, 21]]}
    path.write_text(
        "{not json\n"
        + json.dumps({"id": "bad", "text": "abc", "entities": [{"start": 0, "end": 9, "label": "X"}]})
        + "\n"
        + json.dumps(good)
        + "\n",
        encoding="utf-8",
    )
    problems = []
    result = evaluate(path, report=problems.append)
    assert result["documents"] == 1
    assert [p.line for p in problems] == [1, 2]
    assert "entities: bad span" in problems[1].message


def test_unregistered_layer_is_noted_not_fatal(tmp_path: Path, monkeypatch):
    from corpus.prelabel import registry

    gold = _write_gold(
        tmp_path, [{"id": "t/4", "text": "He said so.", "claims": [{"start": 0, "end": 11, "checkworthy": False}]}]
    )
    monkeypatch.setattr(registry, "_REGISTRY", {k: v for k, v in registry._REGISTRY.items() if k[0] != "claims"})
    result = evaluate(gold, backends=BACKENDS)
    assert any("no claims labeller" in note for note in result["notes"])
    assert "claims" not in result["scores"]


def test_predicted_attributions_group_by_cue():
    doc = {"text": "A said B and C.", "spans": [], "relations": []}
    src = add_span(doc, "sources", "SOURCE", 0, 1, "x")
    cue = add_span(doc, "sources", "CUE", 2, 6, "x")
    c1 = add_span(doc, "sources", "CONTENT", 7, 8, "x")
    c2 = add_span(doc, "sources", "CONTENT", 13, 14, "x")
    add_relation(doc, "ATTRIBUTION", src["id"], c1["id"], "x")
    add_relation(doc, "CUE", cue["id"], c1["id"], "x")
    add_relation(doc, "CUE", cue["id"], c2["id"], "x")
    assert predicted_attributions(doc) == [{"source": [[0, 1]], "cue": [[2, 6]], "content": [[7, 8], [13, 14]]}]


def test_cli_eval_json_and_table(tmp_path: Path):
    gold = _write_gold(tmp_path, [_gold_doc()])
    runner = CliRunner()
    args = ["eval", str(gold), "--label-map", "conll"]
    args += ["--backend", "test-fixed", "--backend", "sources=test-fixed", "--backend", "claims=test-fixed"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["scores"]["entities"]["typed"]["tp"] == 1
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "untyped" in res.stdout
    res = runner.invoke(app, ["eval", str(tmp_path / "missing.jsonl")])
    assert res.exit_code != 0


def test_the_report_names_its_matching_rules_and_they_can_be_changed(tmp_path: Path):
    gold = _write_gold(tmp_path, [_gold_doc()])
    result = evaluate(gold, backends=BACKENDS, label_map=dict(CONLL_LABEL_MAP))
    assert result["matching"] == {"entities": "exact", "attributions": "jaccard>=0.5", "claims": "overlap>=0.5"}
    loose = evaluate(gold, backends=BACKENDS, label_map=dict(CONLL_LABEL_MAP), rules={"attributions": "exact"})
    assert loose["matching"]["attributions"] == "exact"
    assert loose["scores"]["attributions"]["content"]["span"]["tp"] == 0  # not exact, Jaccard 14/22
    assert parse_rules(["entities=jaccard>=0.5"]) == {"entities": MatchRule("jaccard", 0.5)}
    with pytest.raises(CorpusError, match="LAYER=RULE"):
        parse_rules(["entities"])
    with pytest.raises(CorpusError, match="no matching rule for 'tokens'"):
        parse_rules(["tokens=exact"])


def test_cli_eval_prints_the_rules(tmp_path: Path):
    gold = _write_gold(tmp_path, [_gold_doc()])
    args = ["eval", str(gold), "--backend", "test-fixed", "--backend", "sources=test-fixed"]
    res = CliRunner().invoke(app, [*args, "--match", "attributions=overlap>=0.5"])
    assert res.exit_code == 0, res.output
    assert "matching rules: entities exact, attributions overlap>=0.5" in res.stdout
    res = CliRunner().invoke(app, [*args, "--match", "entities=dice"])
    assert res.exit_code == 2 and "matching rule 'dice'" in res.output
