"""Training gold without spaCy: merged gold documents, coverage, the stable split, the missing-extra message."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from corpus.document import add_span, new_document
from corpus.errors import CorpusError
from corpus.segment import segment_document
from corpus.train.gold import load_gold, split_gold


def _merged_gold(path: Path) -> Path:
    text = "Anna Berg visited Oslo.\n\nNobody looked at this paragraph about Paris."
    doc = segment_document(new_document(text, origin="x"))
    add_span(doc, "entities", "PERSON", 0, 9, "gold@majority")
    add_span(doc, "entities", "GPE", 18, 22, "gold@majority")
    doc["annotation"] = {"annotators": ["a"], "policy": "majority", "coverage": {"entities": [[0, 23]]}}
    path.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    return path


def test_merged_gold_trains_only_on_the_text_annotators_covered(tmp_path: Path) -> None:
    (gd,) = load_gold([_merged_gold(tmp_path / "gold.jsonl")])
    assert gd.has("entities") and not gd.has("sources") and not gd.has("claims")
    assert gd.gold["entities"] == [{"start": 0, "end": 9, "label": "PERSON"}, {"start": 18, "end": 22, "label": "GPE"}]
    units = gd.units("entities")
    assert len(units) == 1  # the uncovered paragraph (Paris, unmarked) is not a negative example
    i, j = units[0]
    tokens = gd.doc["tokens"]
    assert (tokens[i]["start"], tokens[j - 1]["end"]) == (0, 23)


def test_neutral_gold_is_segmented_and_split_stably(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    lines = [
        json.dumps({"id": f"d{k}", "text": f"Document {k} is here. It has two sentences.", "entities": []})
        for k in range(50)
    ]
    path.write_text("\n".join(lines) + "\nnot json\n", encoding="utf-8")
    problems: list = []
    docs = load_gold([path], report=problems.append)
    assert len(docs) == 50 and len(problems) == 1 and ":51" in str(problems[0])
    assert all(len(d.units("entities")) == 2 for d in docs)
    train, dev = split_gold(docs, 0.2)
    assert 0 < len(dev) < 25 and len(train) + len(dev) == 50
    assert [d.id for d in split_gold(list(reversed(docs)), 0.2)[1]] == [d.id for d in reversed(dev)]
    with pytest.raises(CorpusError):
        split_gold(docs, 1.5)


def test_missing_spacy_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from corpus.train.engine import require_spacy

    monkeypatch.setitem(sys.modules, "spacy", None)  # import spacy now raises ImportError
    with pytest.raises(CorpusError, match=r"corpus\[train\]"):
        require_spacy()
