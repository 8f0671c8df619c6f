"""Rules `sources` labeller: who said what — SOURCE, CUE and CONTENT spans bound by relations.

No model, no parser: one pass over the tokens finds reporting cues from a lexicon
(``data/sources_cues.tsv``: speech, internal state, evidence and stance verbs plus "according to"), then each cue
is read in one of the configurations that cover almost all news attribution:

* ``SOURCE CUE CONTENT``   — "Officials said (that) …", "X has stated that …", "X told reporters that …"
* ``CONTENT, SOURCE CUE``  — "… , the minister said."  /  "“…,” she said. “…”" (quotes may span sentences)
* ``CONTENT, CUE SOURCE``  — "“…,” said Jane Doe, a spokeswoman."
* ``according to SOURCE``  — before or after its content.
* ``SOURCE …, CUE-ing CONTENT`` / ``SOURCE … and CUE CONTENT`` — the clause subject (or the source of an earlier
  attribution in the sentence) is the source: "Jane Doe pushed back, saying …", "…, she said, adding that …".
* ``CONTENT was CUE by SOURCE`` / ``As CUE by SOURCE, CONTENT`` — the passive agent is the source.

Conventions follow the PolNeAR annotation guidelines: the cue is the verb group (auxiliaries and adverbs
included, "was quoted as saying"), the content of indirect speech starts at "that" and leaves out the final
full stop, direct quotes keep their quote marks, an addressee ("told this correspondent") belongs to no role,
pronoun sources are marked as they stand, and an appositive or a relative clause stays inside its source ("X, a
spokesman,", "said X, who chairs the panel") unless the clause reports speech of its own ("X, who said …").
Quoted sentences that continue an attributed quote become further CONTENT fragments of the same attribution.
Source attrs: ``kind`` (SOURCE_KINDS) and ``correspondent`` (the article's own
reporter speaking, e.g. "this correspondent has tracked …").

Modules: ``words`` (word sets, lists in ``data/sources_words.tsv``), ``cues`` (the cue lexicon), ``reader`` (tokens,
sentences, quotations, noun phrases), ``readings`` (the configurations above), ``scan`` (the pass over the cues),
``nesting`` (attributions inside another's content), ``kinds`` (source kinds); the labeller is here.
"""

from __future__ import annotations

from bisect import bisect_left

from corpus.prelabel.base import Labeller, LayerWriter, Option, read_text_option
from corpus.prelabel.sources.cues import Cue, Cues, cue_lexicon, cue_triggers, load_cues
from corpus.prelabel.sources.kinds import is_correspondent, plausible_source, source_kind
from corpus.prelabel.sources.nesting import (
    Holding,
    _content_holders,
    _open_content_holders,
    _resolve_nested,
    attach_orphan_quotes,
)
from corpus.prelabel.sources.reader import _Reader
from corpus.prelabel.sources.readings import _Attribution
from corpus.prelabel.sources.refer import Antecedents
from corpus.prelabel.sources.scan import scan_attributions

__all__ = [
    "VERSION",
    "Cue",
    "Cues",
    "RulesSourceLabeller",
    "cue_lexicon",
    "cue_triggers",
    "is_correspondent",
    "load_cues",
    "read_attributions",
    "source_kind",
]

VERSION = "3"  # 3: issue 14 real-news rules, kinds unnamed_person/unnamed_organisation, refers_to (outputs changed)
_TIME_LABELS = frozenset(["DATE", "TIME"])  # entity labels that are never a source


def read_attributions(
    doc: dict, cues: Cues, entity_spans: list[dict] | None = None
) -> tuple[_Reader, list[_Attribution]]:
    """All attributions of a segmented document, as token ranges (with the reader that found them).
    ``entity_spans``: the document's entities-layer spans, when the caller has them at hand."""
    r = _Reader(doc, cues)
    if entity_spans is None:
        entity_spans = [s for s in doc.get("spans") or () if s.get("layer") == "entities"]
    times = sorted((s["start"], s["end"]) for s in entity_spans if s["label"] in _TIME_LABELS)
    atts = [att for att in scan_attributions(r) if att.source is None or plausible_source(r, *att.source, times)]
    atts = _resolve_nested(r, atts, _holders(atts))
    attach_orphan_quotes(r, atts)
    return r, atts


def _holders(atts: list[_Attribution]) -> Holding:
    """The content-holder finder for the nesting pass: cues come in position order, so it can sweep the
    contents instead of looking each one up (the look-up one is kept for any other order)."""
    in_order = all(x.cue[0] <= y.cue[0] for x, y in zip(atts, atts[1:], strict=False))
    return _open_content_holders(atts) if in_order else _content_holders(atts)


class RulesSourceLabeller(Labeller):
    layer = "sources"
    name = "rules"
    version = VERSION
    options = (
        Option(
            "cues",
            "a team's cue list replacing the packaged one: a UTF-8 file in the format of "
            "corpus/prelabel/data/sources_cues.tsv (lemma<TAB>class<TAB>forms)",
            path=True,
        ),
    )

    def __init__(self, **config: object) -> None:
        super().__init__(**config)
        path = self.config["cues"]
        self.cues = load_cues(None if path is None else read_text_option(path, "sources=rules: option cues"))

    def label(self, doc: dict, out: LayerWriter) -> None:
        if not doc.get("tokens"):
            return
        entity_spans = [s for s in doc["spans"] if s["layer"] == "entities"]
        r, atts = read_attributions(doc, self.cues, entity_spans)
        antecedents = Antecedents(r, entity_spans)
        entities = sorted([(s["start"], s["end"], s["label"]) for s in entity_spans])
        entity_starts = [es for es, _, _ in entities]
        longest = max([ee - es for es, ee, _ in entities], default=0)
        starts, ends = r.starts, r.ends
        for att in atts:
            cue_span = out.span("CUE", starts[att.cue[0]], ends[att.cue[1]], 0.8)
            source_span = None
            if att.source is not None:
                s, e = starts[att.source[0]], ends[att.source[1]]
                labels = _labels_over(entities, entity_starts, longest, s, e)
                attrs = _source_attrs(r, att, labels, antecedents)
                source_span = out.span("SOURCE", s, e, 0.7, attrs)
            _write_contents(out, r, att, cue_span, source_span)


def _source_attrs(r: _Reader, att: _Attribution, labels: list[str], antecedents: Antecedents) -> dict:
    """A source span's attributes: its kind (``labels``: those of the entity spans it overlaps), whether it is
    the article's correspondent, and the entity it refers back to, when known."""
    a, b = att.source
    kind = source_kind(r, a, b, labels)
    attrs: dict = {"kind": kind, "correspondent": is_correspondent(r, a, b, att.in_quote)}
    refers_to = antecedents.find(a, b, kind)
    if refers_to is not None:
        attrs["refers_to"] = refers_to
    return attrs


def _labels_over(
    entities: list[tuple[int, int, str]], entity_starts: list[int], longest: int, s: int, e: int
) -> list[str]:
    """The labels of the entity spans (sorted, the longest ``longest`` characters) that overlap ``s..e``."""
    near = entities[bisect_left(entity_starts, s - longest) : bisect_left(entity_starts, e)]
    return [lab for _, ee, lab in near if ee > s]


def _write_contents(out: LayerWriter, r: _Reader, att: _Attribution, cue_span: dict, source_span: dict | None) -> None:
    """One CONTENT span per content fragment, linked to the cue (CUE) and to the source (ATTRIBUTION)."""
    for a, b in att.contents:
        content = out.span("CONTENT", r.starts[a], r.ends[b], 0.6)
        out.relation("CUE", cue_span["id"], content["id"])
        if source_span is not None:
            out.relation("ATTRIBUTION", source_span["id"], content["id"])
