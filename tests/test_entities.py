"""The rules entity labeller and the spaCy backend, on articles written for these tests."""

from __future__ import annotations

import pytest

from corpus.document import new_document
from corpus.errors import CorpusError
from corpus.offsets import TokenIndex
from corpus.prelabel import get_labeller
from corpus.segment import segment_document

ARTICLE = (
    "MARKETS RALLY AS BERLIN TALKS RESUME\n\n"
    "BERLIN, March 3, 2021\n\n"
    "German Chancellor Anna Keller met Mr. Tomas Reyes of Northfield Holdings Inc. in Berlin on Tuesday. "
    "The Ministry of Finance said exports rose 4.5 percent to $12 billion in the first quarter. "
    "Reyes told Reuters the NATO summit in Brussels would cover 300 km of new rail. "
    "Kenyan and Brazilian officials flew in from Nairobi and Rio de Janeiro.\n"
)


def _label(text: str, backend: str = "rules") -> tuple[dict, dict[str, str]]:
    doc = segment_document(new_document(text, origin="test"))
    doc = get_labeller("entities", backend)(doc)
    return doc, {s["text"]: s["label"] for s in doc["spans"]}


def test_rules_types_people_places_organisations_and_numbers():
    doc, found = _label(ARTICLE)
    assert found["Anna Keller"] == "PERSON"
    assert found["Tomas Reyes"] == "PERSON"  # the title is a cue, not part of the name
    assert found["Northfield Holdings Inc."] == "ORG"
    assert found["Ministry of Finance"] == "ORG"
    assert found["Berlin"] == "GPE" and found["Brussels"] == "GPE" and found["Nairobi"] == "GPE"
    assert found["Rio de Janeiro"] == "GPE"
    assert found["German"] == "NORP" and found["Kenyan"] == "NORP" and found["Brazilian"] == "NORP"
    assert found["NATO"] == "ORG"
    assert found["March 3, 2021"] == "DATE" and found["Tuesday"] == "DATE"
    assert found["4.5 percent"] == "PERCENT"
    assert found["$12 billion"] == "MONEY"
    assert found["first"] == "ORDINAL"
    assert found["300 km"] == "QUANTITY"
    assert found["Reyes"] == "PERSON"  # a surname seen earlier in the full name
    assert "The" not in found and "The Ministry of Finance" not in found
    assert doc["labellers"]["entities"] == "rules@1"


def test_rules_headline_in_capitals_keeps_names_only():
    _, found = _label(ARTICLE)
    assert found.get("BERLIN") == "GPE"
    assert not any(k in found for k in ("MARKETS", "RALLY", "TALKS", "RESUME", "MARKETS RALLY"))


def test_rules_spans_are_on_token_boundaries_sorted_and_disjoint():
    doc, _ = _label(ARTICLE * 3)
    index = TokenIndex(doc["tokens"])
    spans = doc["spans"]
    assert spans and all(index.on_boundaries(s["start"], s["end"]) for s in spans)
    assert all(doc["text"][s["start"]:s["end"]] == s["text"] for s in spans)
    assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False))
    assert [s["id"] for s in spans] == [f"E{i}" for i in range(len(spans))]


def test_rules_relabelling_replaces_and_is_deterministic():
    doc, _ = _label(ARTICLE)
    first = [dict(s) for s in doc["spans"]]
    again = get_labeller("entities", "rules")(doc)
    assert again["spans"] == first


def test_rules_sentence_initial_everyday_words_are_not_names():
    _, found = _label("After the vote, Maria Ortega resigned. Results came later. Analysts were surprised.")
    assert found == {"Maria Ortega": "PERSON"}


def test_rules_initials_and_hyphenated_names():
    _, found = _label("The bill was signed by J. Whitfield and Coca-Cola agreed.")
    assert found.get("J. Whitfield") == "PERSON"
    assert "Coca-Cola" in found


# ------------------------------------------------------------------------------------------------ spaCy

spacy = pytest.importorskip("spacy", reason="spaCy is an optional extra")


@pytest.fixture()
def ruler_pipeline(tmp_path):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "ORG", "pattern": "Quillon Labs"},
        {"label": "PER", "pattern": [{"TEXT": "Ada"}, {"TEXT": "Mwangi"}]},
        # spaCy tokenises "$7.25" as "$" "7.25"; we keep "$7.25" whole: the span must widen, not vanish.
        {"label": "MONEY", "pattern": [{"TEXT": "7.25"}]},
        {"label": "WEIRD", "pattern": "gizmo"},
    ])
    path = tmp_path / "ruler_pipeline"
    nlp.to_disk(path)
    return path


def test_spacy_backend_aligns_and_maps_labels(ruler_pipeline):
    text = "Ada Mwangi joined Quillon Labs for $7.25 an hour and a gizmo."
    labeller = get_labeller("entities", f"spacy:{ruler_pipeline}")
    doc = labeller(segment_document(new_document(text, origin="t")))
    found = {s["text"]: (s["label"], s["attrs"]) for s in doc["spans"]}
    assert found["Ada Mwangi"] == ("PERSON", {"model_label": "PER"})
    assert found["Quillon Labs"] == ("ORG", {})
    assert found["$7.25"][0] == "MONEY"
    index = TokenIndex(doc["tokens"])
    assert all(index.on_boundaries(s["start"], s["end"]) for s in doc["spans"])
    assert labeller.stats["entities"] == 4 and labeller.stats["widened"] == 1
    assert labeller.stats["unmapped"] == 1 and labeller.stats.get("lost", 0) == 0
    assert doc["labellers"]["entities"].startswith("spacy@")


def test_spacy_backend_missing_pipeline_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="not installed"):
        get_labeller("entities", f"spacy:{tmp_path / 'no_such_pipeline'}")


def test_spacy_backend_without_spacy_is_a_clear_error(monkeypatch):
    import builtins

    from corpus.prelabel import entities_spacy

    real_import = builtins.__import__

    def no_spacy(name, *args, **kwargs):
        if name == "spacy":
            raise ImportError("no spacy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_spacy)
    with pytest.raises(CorpusError, match="optional extra"):
        entities_spacy.load_pipeline("en_core_web_sm")
