"""The labeller base, options and versions, backend strings, and plugins found through entry points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus.document import new_document
from corpus.errors import CorpusError
from corpus.jsonl import dumps
from corpus.pipeline import prelabel_stage
from corpus.prelabel import Labeller, LayerWriter, Option, get_labeller, parse_backends, registry
from corpus.prelabel.base import configured_version
from corpus.segment import segment_document

TEXT = (
    "Crews fired the Kestrel Hammer at dawn, and Marta Vell said the line held. The minister blorfed that taxes rose."
)


def _doc(text: str = TEXT) -> dict:
    return segment_document(new_document(text, origin="test"))


def _spans(doc: dict, layer: str) -> dict[str, str]:
    return {s["text"]: s["label"] for s in doc["spans"] if s["layer"] == layer}


@pytest.fixture
def fresh_registry(monkeypatch):
    """A registry that looks for plugins again; the process's own is restored afterwards."""
    monkeypatch.setattr(
        registry, "_REGISTRY", {k: v for k, v in registry._REGISTRY.items() if not isinstance(v, registry._Lazy)}
    )
    monkeypatch.setattr(registry, "_PROBLEMS", [])
    monkeypatch.setattr(registry, "_loaded", False)
    return registry


# --- the base ---------------------------------------------------------------------------------------------


class _Words(Labeller):
    """Marks every token equal to ``word`` (a test labeller: ORG spans, a relation from the first to the rest)."""

    layer = "entities"
    name = "words"
    version = "3"
    options = (Option("word", "the word to mark", default="line"),)

    def label(self, doc: dict, out: LayerWriter) -> None:
        found = [
            out.span("ORG", t["start"], t["end"], 0.5)
            for t in doc["tokens"]
            if doc["text"][t["start"] : t["end"]] == self.config["word"]
        ]
        for span in found[1:]:
            out.relation("SAME", found[0]["id"], span["id"])


def test_base_clears_the_layer_numbers_ids_and_records_the_labeller():
    doc = _Words()(_Words()(_doc("The line held and the line moved.")))  # twice: the second replaces the first
    spans = [s for s in doc["spans"] if s["layer"] == "entities"]
    assert [s["id"] for s in spans] == ["E0", "E1"]
    assert all(s["labeller"] == "words@3" and s["text"] == "line" and s["score"] == 0.5 for s in spans)
    assert doc["relations"] == [{"id": "R0", "label": "SAME", "head": "E0", "child": "E1", "labeller": "words@3"}]
    assert doc["labellers"]["entities"] == "words@3"


def test_version_follows_the_configuration():
    assert _Words().version == "3" and _Words(word="line").version == "3"  # the default, given or not
    held, moved = _Words(word="held").version, _Words(word="moved").version
    assert held.startswith("3+") and len(held) == 10 and held != moved


def test_file_and_folder_options_are_versioned_by_their_contents(tmp_path: Path):
    opt = (Option("model", "a folder", path=True),)
    folder = tmp_path / "model"
    (folder / "weights").mkdir(parents=True)
    (folder / "weights" / "a.bin").write_bytes(b"one")
    first = configured_version("1", opt, {"model": str(folder)})
    assert configured_version("1", opt, {"model": str(folder)}) == first  # stable
    (folder / "weights" / "a.bin").write_bytes(b"two")  # retrained in place, same name
    assert configured_version("1", opt, {"model": str(folder)}) != first
    with pytest.raises(CorpusError, match="does not exist"):
        configured_version("1", opt, {"model": str(tmp_path / "nothing")})


def test_batch_hook_is_what_the_pipeline_stage_calls(monkeypatch):
    batches = []

    class Batching(_Words):
        def label_batch(self, docs):
            docs = list(docs)
            batches.append(len(docs))
            yield from (self(doc) for doc in docs)

    monkeypatch.setitem(registry._REGISTRY, ("entities", "batching"), Batching)
    docs = [new_document(f"The line number {k} held.", origin=f"t{k}") for k in range(3)]
    out = list(prelabel_stage((segment_document(d) for d in docs), {"entities": "batching"}, ["entities"]))
    assert batches == [3] and [_spans(d, "entities") for d in out] == [{"line": "ORG"}] * 3


# --- backend strings and the rules labellers' options -----------------------------------------------------


def test_parse_backends_reads_layers_names_and_options():
    got = parse_backends(["rules:gazetteer=a.tsv", "sources=rules:cues=b.tsv,claims=rules:0.4"])
    assert got == {"entities": "rules:gazetteer=a.tsv", "sources": "rules:cues=b.tsv", "claims": "rules:0.4"}
    assert registry.parse_spec("spacy:/models/x") == ("spacy", {}, "/models/x")
    assert registry.parse_spec("rules:0.4:weights=w.json") == ("rules", {"weights": "w.json"}, "0.4")
    with pytest.raises(CorpusError, match="expected KEY=VALUE"):
        registry.parse_spec("rules:a:b")
    with pytest.raises(CorpusError, match="unknown layer 'gazetteer'"):
        parse_backends(["gazetteer=a.tsv"])


def test_unknown_options_and_bad_values_are_one_line_errors():
    with pytest.raises(CorpusError, match=r"unknown option 'words' \(options: gazetteer\)"):
        get_labeller("entities", "rules:words=x.tsv")
    with pytest.raises(CorpusError, match="bad value 'high' for option 'threshold'"):
        get_labeller("claims", "rules:high")
    with pytest.raises(CorpusError, match="sources=rules: option cues: /no/such/cues.tsv does not exist"):
        get_labeller("sources", "rules:cues=/no/such/cues.tsv")


def test_entities_gazetteer_adds_a_teams_names(tmp_path: Path):
    gazetteer = tmp_path / "team.tsv"
    gazetteer.write_text("# our names\nPRODUCT\tKestrel Hammer\nORG\tMarta Vell\n", encoding="utf-8")
    plain = get_labeller("entities", "rules")(_doc())
    team_labeller = get_labeller("entities", f"rules:gazetteer={gazetteer}")
    team = team_labeller(_doc())
    assert _spans(plain, "entities")["Kestrel Hammer"] != "PRODUCT"
    assert _spans(team, "entities")["Kestrel Hammer"] == "PRODUCT"
    assert _spans(team, "entities")["Marta Vell"] == "ORG"
    assert team["labellers"]["entities"] == team_labeller.tag and team_labeller.version.startswith(
        f"{type(team_labeller).version}+"
    )
    gazetteer.write_text("PRODUCT\tKestrel Hammer\n", encoding="utf-8")  # edited: a new version
    assert get_labeller("entities", f"rules:gazetteer={gazetteer}").version != team_labeller.version
    gazetteer.write_text("WEAPON\tKestrel Hammer\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"team.tsv:1: expected LABEL<TAB>name"):
        get_labeller("entities", f"rules:gazetteer={gazetteer}")


def test_sources_cues_file_replaces_the_packaged_list(tmp_path: Path):
    cues = tmp_path / "cues.tsv"
    cues.write_text("blorf\tspeech\n", encoding="utf-8")
    plain = get_labeller("sources", "rules")(_doc())
    team = get_labeller("sources", f"rules:cues={cues}")(_doc())
    assert "blorfed" not in _spans(plain, "sources") and "said" in _spans(plain, "sources")
    found = _spans(team, "sources")
    assert found["blorfed"] == "CUE" and found["The minister"] == "SOURCE" and "said" not in found
    assert team["labellers"]["sources"].startswith(f"rules@{get_labeller('sources', 'rules').version}+")


def test_claims_weights_file_and_threshold(tmp_path: Path):
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"bias": 5.0, "threshold": 0.5, "weights": {}}), encoding="utf-8")
    doc = get_labeller("claims", f"rules:weights={weights}")(_doc())
    claims = [s for s in doc["spans"] if s["layer"] == "claims"]
    assert claims and all(s["attrs"]["checkworthy"] and s["score"] > 0.99 for s in claims)
    strict = get_labeller("claims", f"rules:0.9999:weights={weights}")(_doc())
    assert not any(s["attrs"]["checkworthy"] for s in strict["spans"] if s["layer"] == "claims")
    weights.write_text(json.dumps({"bias": 5.0}), encoding="utf-8")
    with pytest.raises(CorpusError, match="needs numbers 'bias' and 'threshold'"):
        get_labeller("claims", f"rules:weights={weights}")


def test_a_plain_factory_still_registers_and_refuses_options(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, ("entities", "plain"), lambda arg=None: _Words(word=arg or "line"))
    assert get_labeller("entities", "plain:held").version.startswith("3+")
    with pytest.raises(CorpusError, match="takes no options"):
        get_labeller("entities", "plain:word=held")


# --- plugins: a package installed beside corpus ------------------------------------------------------------

PLUGIN = """
from corpus.prelabel import Labeller, Option


class Shout(Labeller):
    layer = "entities"
    name = "shout"
    version = "1"
    options = (Option("word", "the word our team marks", default="HELD"),)

    def label(self, doc, out):
        for tok in doc["tokens"]:
            if doc["text"][tok["start"]:tok["end"]].upper() == self.config["word"]:
                out.span("EVENT", tok["start"], tok["end"], 0.9)
"""


def _install_plugin(tmp_path: Path, monkeypatch) -> None:
    """A tiny distribution (module + dist-info with entry points) on sys.path, as pip would leave it."""
    site = tmp_path / "site"
    (site / "team_labels-0.1.dist-info").mkdir(parents=True)
    (site / "team_labels.py").write_text(PLUGIN, encoding="utf-8")
    (site / "team_labels-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: team-labels\nVersion: 0.1\n", encoding="utf-8"
    )
    (site / "team_labels-0.1.dist-info" / "entry_points.txt").write_text(
        "[corpus.labellers]\n"
        "entities.shout = team_labels:Shout\n"
        "claims.broken = team_labels_gone:Labeller\n"
        "shout = team_labels:Shout\n"
        "entities.rules = team_labels:Shout\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))


def test_a_plugin_is_listed_and_runs_with_backend(tmp_path: Path, monkeypatch, fresh_registry):
    from corpus.cli import app

    _install_plugin(tmp_path, monkeypatch)
    assert "shout" in registry.available()["entities"]
    listing = CliRunner().invoke(app, ["labellers"])
    assert listing.exit_code == 0, listing.output
    assert "shout  version 1  (plugin team-labels 0.1)" in listing.output
    assert "word=VALUE  default: HELD" in listing.output
    assert "broken  BROKEN: labeller claims=broken (plugin team-labels 0.1" in listing.output
    assert "ModuleNotFoundError" in listing.output and "Traceback" not in listing.output
    assert "entry point 'shout'" in listing.output and "entities=rules is already taken" in listing.output
    builtin = get_labeller("entities", "rules").version
    assert f"rules  version {builtin}  (built-in)" in listing.output  # the plugin did not replace the built-in

    segmented = tmp_path / "segmented.jsonl"
    segmented.write_bytes(dumps(_doc()) + b"\n")
    out = tmp_path / "labelled.jsonl"
    run = CliRunner().invoke(
        app,
        ["prelabel", str(segmented), "-o", str(out), "--layer", "entities", "--backend", "entities=shout:word=DAWN"],
    )
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert _spans(doc, "entities") == {"dawn": "EVENT"}
    assert doc["labellers"]["entities"].startswith("shout@1+")


def test_a_broken_plugin_is_one_line_when_chosen(tmp_path: Path, monkeypatch, fresh_registry):
    from corpus.cli import app

    _install_plugin(tmp_path, monkeypatch)
    segmented = tmp_path / "segmented.jsonl"
    segmented.write_bytes(dumps(_doc()) + b"\n")
    run = CliRunner().invoke(
        app, ["prelabel", str(segmented), "-o", str(tmp_path / "out.jsonl"), "--backend", "claims=broken"]
    )
    assert run.exit_code == 2
    assert "claims=broken (plugin team-labels 0.1, team_labels_gone:Labeller) cannot be loaded" in run.output
    assert "Traceback" not in run.output


def test_span_scores_are_rounded_the_same_whether_remembered_or_not():
    # LayerWriter remembers rounded float scores; every score must still come out as round(float(score), 4),
    # the signed zeros, NaN, ints and float subclasses included, the first time and the next.
    import math

    from corpus.prelabel import base

    class Score(float):
        pass

    scores = [0.8, 0.123456, 1, True, 0.0, -0.0, -0.0, 0.0, 0.12345, 2.5e-05, -0.99999, float("nan"), Score(0.33333)]
    doc = new_document("Some text here.", origin="t")
    out = LayerWriter(doc, "entities", "x@1")
    for _ in range(2):
        for score in scores:
            got = out.span("X", 0, 4, score)["score"]
            want = round(float(score), 4)
            assert type(got) is float and (got == want or math.isnan(want) and math.isnan(got)), score
            assert math.copysign(1.0, got) == math.copysign(1.0, want), score
    assert -0.0 not in base._ROUNDED and 0.0 not in base._ROUNDED
