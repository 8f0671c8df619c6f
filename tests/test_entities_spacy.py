"""The spaCy entity backend: aligned to our tokens, labels mapped (needs the optional spaCy extra)."""

from __future__ import annotations

import pytest

from corpus.document import new_document
from corpus.errors import CorpusError
from corpus.offsets import TokenIndex
from corpus.prelabel import get_labeller
from corpus.segment import segment_document

spacy = pytest.importorskip("spacy", reason="spaCy is an optional extra")


@pytest.fixture()
def ruler_pipeline(tmp_path):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "ORG", "pattern": "Quillon Labs"},
            {"label": "PER", "pattern": [{"TEXT": "Ada"}, {"TEXT": "Mwangi"}]},
            # spaCy tokenises "$7.25" as "$" "7.25"; we keep "$7.25" whole: the span must widen, not vanish.
            {"label": "MONEY", "pattern": [{"TEXT": "7.25"}]},
            {"label": "WEIRD", "pattern": "gizmo"},
        ]
    )
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
