"""Model labellers: a folder written by ``corpus train`` labels its layer (``--backend LAYER=model:PATH``).

``model:PATH+rules`` combines the model with the layer's rules: the model's spans first, then every rules span
that overlaps none of them (the rules speak where the model is silent). The version is a hash of the model
folder (plus the rules' version when combined), so build caches and data cards change whenever the model does.
Each span records who made it: ``model@VERSION`` or, for the spans the rules added, ``rules@VERSION``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from corpus.document import clear_layer, spans_of
from corpus.errors import CorpusError
from corpus.prelabel.base import Labeller, LayerWriter, Option
from corpus.train.engine import require_spacy
from corpus.train.gold import sentence_ranges
from corpus.train.modeldir import PIPELINE, folder_hash, read_meta

RULES_SUFFIX = "+rules"
SHARED = ("tok2vec", "transformer")  # embedding components a trained component may listen to
DOCS_PER_BATCH = 32  # documents whose sentences go through one nlp.pipe call in label_batch


def _split_spec(spec: str) -> tuple[Path, bool]:
    if spec.endswith(RULES_SUFFIX):
        return Path(spec[: -len(RULES_SUFFIX)]), True
    return Path(spec), False


class ModelLabeller(Labeller):
    """Base of the three layers' model labellers: loads the folder, checks its layer, hashes it."""

    name: ClassVar[str] = "model"
    version = "1"
    options = (
        Option(
            "path",
            "model folder written by `corpus train` (append '+rules' to let the rules fill in where "
            "the model is silent)",
        ),
        Option("batch_size", "sentences per nlp.pipe batch", 256, int),
    )

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        if not self.config["path"]:
            raise CorpusError(f"{self.layer}=model needs a model folder: --backend {self.layer}=model:PATH")
        self.path, with_rules = _split_spec(str(self.config["path"]))
        self.meta = read_meta(self.path)
        if self.meta["layer"] != self.layer:
            raise CorpusError(
                f"{self.path} was trained for the {self.meta['layer']} layer; use it as "
                f"--backend {self.meta['layer']}=model:{self.path}"
            )
        self.nlp = _load(self.path, self.meta)
        self.rules = _rules(self.layer) if with_rules else None
        # The folder's hash, not the folder's name: a retrained model in the same place is a new version.
        self.version = f"{type(self).version}+{folder_hash(self.path)[:12]}"
        if self.rules is not None:
            self.version += f"+rules{self.rules.version}"
        self.dev_scores = self.meta.get("dev", {})

    def label_batch(self, docs: Iterable[dict]) -> Iterator[dict]:
        """Label documents in groups, so one nlp.pipe call sees many documents' sentences."""
        it = iter(docs)
        while group := list(islice(it, DOCS_PER_BATCH)):
            yield from self._label_group(group)

    def _label_group(self, group: list[dict]) -> Iterator[dict]:
        for doc, found in zip(group, self.predict_many(group), strict=True):
            clear_layer(doc, self.layer)
            out = LayerWriter(doc, self.layer, self.tag)
            self.write(doc, found, out)
            yield out.close()

    def label(self, doc: dict, out: LayerWriter) -> None:
        self.write(doc, self.predict_many([doc])[0], out)

    def predict_many(self, docs: list[dict]) -> list[Any]:
        """The model's raw predictions for several documents (one nlp.pipe stream)."""
        raise NotImplementedError

    def write(self, doc: dict, found: Any, out: LayerWriter) -> None:
        """Write one document's predictions (and the rules', when combined) through ``out``."""
        raise NotImplementedError


def _load(path: Path, meta: dict) -> Any:
    spacy = require_spacy()
    try:
        nlp = spacy.load(path / PIPELINE)
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: the model's pipeline cannot be loaded ({str(exc).splitlines()[0][:160]})") from None
    keep = {meta.get("component"), *SHARED}
    nlp.select_pipes(disable=[n for n in nlp.pipe_names if n not in keep])
    return nlp


def _rules(layer: str) -> Labeller:
    from corpus.prelabel.registry import get_labeller

    if layer == "claims":
        raise CorpusError(
            "model:PATH+rules combines span layers (entities, sources); a claims model scores "
            "every sentence, so the rules would never speak"
        )
    return get_labeller(layer, "rules")


def _rules_spans(rules: Any, doc: dict) -> tuple[list[dict], list[dict]]:
    """The rules' spans and relations for this layer, computed on a copy (the document is not touched)."""
    copy = {
        **doc,
        "spans": [s for s in doc.get("spans", ()) if s["layer"] != rules.layer],
        "relations": [],
        "labellers": {},
    }
    rules(copy)
    return spans_of(copy, rules.layer), copy["relations"]


def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(s < end and start < e for s, e in taken)


class EntityModelLabeller(ModelLabeller):
    layer: ClassVar[str] = "entities"

    def predict_many(self, docs: list[dict]) -> list[Any]:
        from corpus.train.entities import predict_many

        return predict_many(self.nlp, [(doc, sentence_ranges(doc)) for doc in docs], self.config["batch_size"])

    def write(self, doc: dict, found: Any, out: LayerWriter) -> None:
        spans = [(s, e, label, None) for s, e, label in found]
        if self.rules is not None:
            taken = [(s, e) for s, e, _, _ in spans]
            rules_spans, _ = _rules_spans(self.rules, doc)
            spans += [(r["start"], r["end"], r["label"], r) for r in rules_spans if _free(taken, r["start"], r["end"])]
        for start, end, label, rule in sorted(spans, key=lambda f: (f[0], f[1])):
            if rule is None:
                out.span(label, start, end)
            else:
                out.span(label, start, end, rule["score"], rule["attrs"])["labeller"] = rule["labeller"]


class ClaimModelLabeller(ModelLabeller):
    """Every sentence (three or more words) becomes a CLAIM scored by the classifier, as the rules do."""

    layer: ClassVar[str] = "claims"

    def predict_many(self, docs: list[dict]) -> list[Any]:
        from corpus.train.claims import probabilities

        out = []
        for doc in docs:
            units = [(i, j) for i, j in sentence_ranges(doc) if _words(doc, i, j) >= 3]
            out.append(list(zip(units, probabilities(self.nlp, doc, units, self.config["batch_size"]), strict=True)))
        return out

    def write(self, doc: dict, found: Any, out: LayerWriter) -> None:
        from corpus.prelabel.claims import _source_for
        from corpus.train.claims import THRESHOLD

        tokens = doc["tokens"]
        attributed = _attributed(doc)
        for (i, j), p in found:
            start, end = tokens[i]["start"], tokens[j - 1]["end"]
            attrs = {"checkworthy": p >= THRESHOLD, "evidence": [], "source_id": _source_for(attributed, 0, start, end)}
            out.span("CLAIM", start, end, p, attrs)


def _attributed(doc: dict) -> list[tuple[int, int, str]]:
    """``(start, end, source id)`` of every CONTENT with a SOURCE, so a claim inside reported speech names it."""
    source_of = {r["child"]: r["head"] for r in doc.get("relations", ()) if r["label"] == "ATTRIBUTION"}
    return sorted(
        (s["start"], s["end"], source_of[s["id"]])
        for s in doc.get("spans", ())
        if s["layer"] == "sources" and s["label"] == "CONTENT" and s["id"] in source_of
    )


def _words(doc: dict, i: int, j: int) -> int:
    text = doc["text"]
    return sum(1 for t in doc["tokens"][i:j] if text[t["start"]].isalnum())


class SourceModelLabeller(ModelLabeller):
    """SOURCE / CUE / CONTENT fragments from the tagger, linked into attributions (CUE and ATTRIBUTION relations)."""

    layer: ClassVar[str] = "sources"

    def predict_many(self, docs: list[dict]) -> list[Any]:
        from corpus.train.entities import predict_many

        units = [(doc, sentence_ranges(doc, unit="paragraphs")) for doc in docs]
        return predict_many(self.nlp, units, self.config["batch_size"])

    def write(self, doc: dict, found: Any, out: LayerWriter) -> None:
        from corpus.train.sources import link

        if self.rules is not None:
            found = found + _silent_rules_fragments(self.rules, doc, found)
        ids: dict[tuple[int, int, str], str] = {}
        kinds = _SourceKinds(doc)
        for att in sorted(link(found, doc["paragraphs"]), key=_first_start):
            for start, end, label in sorted(att["source"] + att["cue"] + att["content"]):
                if (start, end, label) not in ids:
                    attrs = kinds(start, end) if label == "SOURCE" else {}
                    ids[(start, end, label)] = out.span(label, start, end, 1.0, attrs)["id"]
            for content in att["content"]:
                for cue in att["cue"]:
                    out.relation("CUE", ids[cue], ids[content])
                for source in att["source"]:
                    out.relation("ATTRIBUTION", ids[source], ids[content])


def _first_start(att: dict) -> int:
    return min(f[0] for role in ("source", "cue", "content") for f in att[role])


def _silent_rules_fragments(rules: Any, doc: dict, found: list) -> list:
    """The rules' fragments that overlap none of the model's (the rules speak where the model is silent)."""
    taken = [(s, e) for s, e, _ in found]
    spans, _ = _rules_spans(rules, doc)
    return [(r["start"], r["end"], r["label"]) for r in spans if _free(taken, r["start"], r["end"])]


class _SourceKinds:
    """A SOURCE's ``kind`` and ``correspondent`` attributes, decided as the rules decide them."""

    def __init__(self, doc: dict) -> None:
        from corpus.offsets import TokenIndex
        from corpus.prelabel.sources import _Reader, load_cues

        self.reader = _Reader(doc, load_cues())
        self.index = TokenIndex(doc["tokens"])
        self.entities = [(s["start"], s["end"], s["label"]) for s in doc["spans"] if s["layer"] == "entities"]

    def __call__(self, start: int, end: int) -> dict:
        from corpus.prelabel.sources import is_correspondent, source_kind

        a, b = self.index.token_range(start, end) or (0, 0)
        labels = [lab for s, e, lab in self.entities if s < end and start < e]
        return {
            "kind": source_kind(self.reader, a, b, labels),
            "correspondent": is_correspondent(self.reader, a, b, False),
        }


def is_model_tag(tag: object) -> bool:
    """Whether a labeller tag (``NAME@VERSION``) names a model labeller."""
    return isinstance(tag, str) and tag.startswith(f"{ModelLabeller.name}@")


def model_layers(doc: dict) -> list[str]:
    """The layers of ``doc`` that a model labeller filled (``doc["labellers"]``)."""
    return [layer for layer, tag in (doc.get("labellers") or {}).items() if is_model_tag(tag)]


_RULES: dict[str, Labeller] = {}


def uncertain_spans(doc: dict) -> list[tuple[int, int, float]]:
    """Where a model labeller is unsure of ``doc``: ``(start, end, uncertainty in (0, 1])``, in document order.

    A claims model's CLAIM scores ``1 - 2 * |p - 0.5|`` (1 at p = 0.5). Entities and sources models carry no
    confidence, so there the uncertainty is disagreement with the layer's rules, run on a copy of the document:
    every span the model made that the rules do not make identically (same offsets and label), and every rules
    span the model did not make (with ``model:PATH+rules``, those are the spans the rules filled in), counts 1.
    """
    found: list[tuple[int, int, float]] = []
    for layer in model_layers(doc):
        spans = [s for s in doc.get("spans", ()) if s.get("layer") == layer]
        if layer == "claims":
            found += [_claim_uncertainty(s) for s in spans if isinstance(s.get("score"), int | float)]
            continue
        if layer not in _RULES:
            _RULES[layer] = _rules(layer)
        made = {(s["start"], s["end"], s["label"]) for s in spans if is_model_tag(s.get("labeller"))}
        rules = {(s["start"], s["end"], s["label"]) for s in _rules_spans(_RULES[layer], doc)[0]}
        found += [(start, end, 1.0) for start, end, _ in made ^ rules]
    return sorted(u for u in found if u[2] > 0)


def _claim_uncertainty(span: dict) -> tuple[int, int, float]:
    p = min(max(float(span["score"]), 0.0), 1.0)
    return span["start"], span["end"], 1.0 - 2.0 * abs(p - 0.5)
