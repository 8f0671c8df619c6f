"""The ``spacy`` entity labeller: any installed spaCy pipeline, its entities aligned to the project's tokens.

``--backend spacy:en_core_web_sm`` (a package name) or ``spacy:/path/to/pipeline`` (a directory). spaCy is an
optional extra (``pip install "corpus[spacy]"``); nothing is downloaded. The pipeline runs on the document text
as it is, so spaCy's character offsets are ours; an entity whose edges fall inside one of our tokens (spaCy
tokenises "$5.5" as "$" "5.5", we keep it whole) is widened to whole tokens, never dropped. ``stats`` counts
what happened to every entity the model produced.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from corpus.document import ENTITY_LABELS
from corpus.errors import CorpusError
from corpus.offsets import TokenIndex
from corpus.prelabel.base import Labeller, LayerWriter, Option

VERSION = "1"
DEFAULT_MODEL = "en_core_web_sm"

# Label schemes other than OntoNotes (WikiNER / CoNLL-style pipelines such as xx_ent_wiki_sm).
LABEL_ALIASES = {"PER": "PERSON", "PERS": "PERSON", "ORGANIZATION": "ORG", "LOCATION": "LOC", "MISC": "NORP"}
# Components that never change the entities of a standard pipeline: skipped for speed.
NOT_NER = (
    "parser",
    "tagger",
    "lemmatizer",
    "attribute_ruler",
    "morphologizer",
    "senter",
    "textcat",
    "textcat_multilabel",
    "trainable_lemmatizer",
)


def load_pipeline(name: str) -> Any:
    try:
        import spacy
    except ImportError:
        raise CorpusError(
            'the spacy backend needs spaCy, an optional extra: pip install "corpus[spacy]" '
            '(from a checkout: pip install -e ".[spacy]"), then a pipeline such as en_core_web_sm'
        ) from None
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise CorpusError(
            f"spaCy pipeline '{name}' is not installed or not a pipeline directory ({str(exc).splitlines()[0][:160]})"
        ) from None
    if (
        "ner" not in nlp.pipe_names
        and "entity_ruler" not in nlp.pipe_names
        and not any("ner" in n or "ruler" in n for n in nlp.pipe_names)
    ):
        raise CorpusError(
            f"spaCy pipeline '{name}' has no entity recogniser (components: {', '.join(nlp.pipe_names) or 'none'})"
        )
    disable = [n for n in NOT_NER if n in nlp.pipe_names]
    if disable:
        nlp.select_pipes(disable=disable)
    return nlp


class SpacyEntityLabeller(Labeller):
    layer = "entities"
    name = "spacy"
    version = VERSION
    options = (Option("model", "an installed spaCy pipeline: a package name or a folder", default=DEFAULT_MODEL),)

    def __init__(self, model: str | None = None, nlp: Any = None):
        super().__init__(model=model or DEFAULT_MODEL)
        self.model = self.config["model"]
        self.nlp = nlp if nlp is not None else load_pipeline(self.model)
        meta = getattr(self.nlp, "meta", {}) or {}
        # The version names the pipeline instead of hashing the option, so outputs say which model labelled them.
        self.version = f"{VERSION}+{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"
        # entities: produced by the model; exact: already on our token boundaries; widened: snapped outward;
        # unmapped: labels with no project counterpart; overlapping: merged into a neighbour after widening.
        self.stats: Counter[str] = Counter()

    def label(self, doc: dict, out: LayerWriter) -> None:
        text = doc["text"]
        if len(text) >= self.nlp.max_length:
            self.nlp.max_length = len(text) + 1
        index = TokenIndex(doc["tokens"])
        spans = out.spans
        last_end = -1
        for ent in self.nlp(text).ents:
            self.stats["entities"] += 1
            label = LABEL_ALIASES.get(ent.label_, ent.label_)
            if label not in ENTITY_LABELS:
                self.stats["unmapped"] += 1
                continue
            start, end = ent.start_char, ent.end_char
            if index.on_boundaries(start, end):
                self.stats["exact"] += 1
            else:
                snapped = index.snap(start, end)
                if snapped is None:
                    self.stats["lost"] += 1
                    continue
                start, end = snapped
                self.stats["widened"] += 1
            if start < last_end:
                # Two model entities widened onto a shared token: extend the previous one over both.
                prev = spans[-1]
                prev["end"] = max(prev["end"], end)
                prev["text"] = text[prev["start"] : prev["end"]]
                last_end = prev["end"]
                self.stats["overlapping"] += 1
                continue
            attrs = {} if label == ent.label_ else {"model_label": ent.label_}
            out.span(label, start, end, 1.0, attrs)
            last_end = end
