"""Gold for training: the neutral evaluation format or merged gold documents, segmented with our tokens.

Two inputs are accepted, line by line: the neutral format of ``../shared/eval/README.md`` (``id``, ``text`` and
``entities`` / ``attributions`` / ``claims``) and the gold documents written by ``corpus annotations merge``
(document records whose ``spans`` are the annotators' decision). For merged gold only the text the annotators
covered for a layer trains that layer: elsewhere an unmarked entity means "not looked at", not "no entity".
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.document import new_document, spans_of
from corpus.errors import CorpusError, InputProblem
from corpus.evaluate import PRELABEL_LAYER, predicted_attributions, read_gold
from corpus.segment import segment_document

# The gold key that trains each prelabel layer.
GOLD_KEY = {layer: key for key, layer in PRELABEL_LAYER.items()}
# The unit a layer's model reads: attributions' contents run over several sentences of a paragraph.
UNIT_OF = {"entities": "sentences", "sources": "paragraphs", "claims": "sentences"}


@dataclass
class GoldDoc:
    """One gold document: the segmented record (text, tokens, sentences) and its gold layers (neutral form)."""

    doc: dict
    gold: dict
    coverage: dict[str, list[list[int]]] | None = None  # per layer, stretches annotators covered (merged gold)
    source: str = ""
    chunks: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # per layer, cached token ranges

    @property
    def id(self) -> str:
        return self.gold["id"]

    def has(self, layer: str) -> bool:
        return GOLD_KEY[layer] in self.gold

    def units(self, layer: str) -> list[tuple[int, int]]:
        """Token ranges ``[i, j)`` of the units (sentences; paragraphs for sources) this layer trains and scores on."""
        if layer not in self.chunks:
            self.chunks[layer] = sentence_ranges(self.doc, self._covered(layer), UNIT_OF.get(layer, "sentences"))
        return self.chunks[layer]

    def _covered(self, layer: str) -> list[list[int]] | None:
        if self.coverage is None:
            return None
        return self.coverage.get(layer) or []


def sentence_ranges(
    doc: dict, covered: list[list[int]] | None = None, unit: str = "sentences"
) -> list[tuple[int, int]]:
    """Token index ranges of the document's sentences or paragraphs (only those inside ``covered`` when given)."""
    starts = [t["start"] for t in doc["tokens"]]
    out = []
    for s, e in doc[unit] or doc["sentences"] or doc["paragraphs"]:
        if covered is not None and not any(cs <= s and e <= ce for cs, ce in covered):
            continue
        i, j = bisect_left(starts, s), bisect_left(starts, e)
        if j > i:
            out.append((i, j))
    return out


def _from_merged(obj: dict) -> dict:
    """A merged gold document's spans in the neutral gold form (every layer it annotated)."""
    covered = (obj.get("annotation") or {}).get("coverage") or {}
    gold: dict[str, Any] = {"id": obj["id"], "text": obj["text"]}
    if "entities" in covered:
        gold["entities"] = [
            {"start": s["start"], "end": s["end"], "label": s["label"]} for s in spans_of(obj, "entities")
        ]
    if "sources" in covered:
        gold["attributions"] = predicted_attributions(obj)
    if "claims" in covered:
        gold["claims"] = [
            {"start": s["start"], "end": s["end"], "checkworthy": bool(s["attrs"].get("checkworthy"))}
            for s in spans_of(obj, "claims")
            if s["label"] == "CLAIM"
        ]
    return gold


def _segmented(obj: dict) -> dict:
    """The document record with our tokens: a merged gold document has them already; neutral gold is segmented."""
    if obj.get("tokens") and obj.get("sentences"):
        return obj
    doc = new_document(obj["text"], origin=obj["id"])
    doc["id"] = obj["id"]
    return segment_document(doc)


def load_gold(paths: Iterable[str | Path], report: Callable[[InputProblem], None] | None = None) -> list[GoldDoc]:
    """Every gold document of the files, segmented; malformed lines are reported and skipped."""
    out = []
    for path in paths:
        for obj in read_gold(path, report=report):
            merged = isinstance(obj.get("spans"), list)
            gold = _from_merged(obj) if merged else obj
            coverage = ((obj.get("annotation") or {}).get("coverage") or {}) if merged else None
            out.append(GoldDoc(_segmented(obj), gold, coverage, str(path)))
    return out


def stable_fraction(key: str) -> float:
    """A document's place in [0, 1) from the SHA-256 of its id: the same on every run and machine."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2**64


def split_gold(docs: list[GoldDoc], dev_share: float) -> tuple[list[GoldDoc], list[GoldDoc]]:
    """``(train, dev)``: a document goes to dev when its stable fraction is below ``dev_share``."""
    if not 0 <= dev_share < 1:
        raise CorpusError(f"--dev-share must be in [0, 1), got {dev_share}")
    dev = [d for d in docs if stable_fraction(d.id) < dev_share]
    train = [d for d in docs if stable_fraction(d.id) >= dev_share]
    return train, dev


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
