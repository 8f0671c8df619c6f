"""Document records -> rows of the four configs (documents, entities, claims, sources) -> parquet shards.

Row units and ids (every id is a string that joins across configs):

- ``documents``: one row per article; ``id`` is the document id.
- ``entities``: one row per sentence (the usual unit for token classification); ``id`` = ``{doc_id}:sent{n}``.
  ``ner_tags`` are BIO tags over the sentence's tokens; ``spans`` lists every entity span that starts in the
  sentence, including nested or overlapping ones that BIO cannot show.
- ``claims``: one row per CLAIM span; ``id`` = ``{doc_id}:{span id}`` (e.g. ``…:C3``).
- ``sources``: one row per attribution: a CONTENT span with the SOURCE and CUE spans related to it
  (ATTRIBUTION: SOURCE->CONTENT, CUE: CUE->CONTENT). Spans connected through shared SOURCE or CUE spans
  (a quote interrupted by "he said") form one attribution with several fragments. ``id`` =
  ``{doc_id}:{first content span id}``.

All ``start``/``end`` are Python code-point offsets, half-open, into the document's ``text`` (``documents``
config); token indices inside a row are half-open too (``tokens[token_start:token_end]``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.document import (
    ENTITY_LABELS,
    LAYERS,
    RELATION_LABELS,
    SOURCE_KINDS,
    attribution_components,
)
from corpus.errors import CorpusError
from corpus.memory import release_free_memory
from corpus.offsets import TokenIndex
from corpus.publish.features import ClassLabel, Feature, List, Value, arrow_schema
from corpus.publish.licences import STATUSES
from corpus.records import span_problem
from corpus.scoring import EXACT, JACCARD_HALF, OVERLAP_HALF, PRF, MatchRule, best_match, count_matches, overlap
from corpus.spill import DistinctStrings

if TYPE_CHECKING:  # imported where parquet is written (ConfigWriter), not where rows are made (a build's workers)
    import pyarrow as pa
    import pyarrow.parquet as pq

CONFIGS = ("documents", "entities", "claims", "sources")
DEFAULT_CONFIG = "documents"
BIO_NAMES = ("O", *(f"{prefix}-{label}" for label in ENTITY_LABELS for prefix in ("B", "I")))
_BIO_INDEX = {name: i for i, name in enumerate(BIO_NAMES)}

# A claim belongs to an attribution when their offsets match under this rule (half the shorter span overlaps).
CLAIM_SOURCE_RULE = OVERLAP_HALF
# How a pre-label matches a gold span, per layer, in gold builds (the card's pre-label quality and the
# `prelabel_*` columns); the card names them; `corpus publish --match LAYER=RULE` changes one.
PRELABEL_RULES: dict[str, MatchRule] = {"entities": EXACT, "claims": JACCARD_HALF, "sources": JACCARD_HALF}


# The checkworthy ClassLabel: the positive class is 1 (`corpus.document.CHECKWORTHY_OPTIONS` lists the options in
# the order annotation tools show them, positive first).
CHECKWORTHY_CLASSES = ("NOT_CHECKWORTHY", "CHECKWORTHY")


# --------------------------------------------------------------------------------------------- features
def _offsets() -> dict:
    return {"start": Value("int32"), "end": Value("int32")}


def _entity_span() -> dict:
    return {
        "id": Value("string"),
        "label": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
        "token_start": Value("int32"),
        "token_end": Value("int32"),
        "score": Value("float64"),
        "labeller": Value("string"),
    }


def _fragment() -> dict:
    return {
        "id": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
        "score": Value("float64"),
        "labeller": Value("string"),
    }


def _any_span() -> dict:
    return {
        "id": Value("string"),
        "layer": Value("string"),
        "label": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
        "score": Value("float64"),
        "labeller": Value("string"),
    }


def config_features(gold: bool = False) -> dict[str, dict[str, Feature]]:
    """The ``datasets`` features of each config, as :mod:`corpus.publish.features` types (``gold`` adds the
    pre-label comparison columns)."""
    checkworthy = ClassLabel(names=list(CHECKWORTHY_CLASSES))
    kinds = ClassLabel(names=list(SOURCE_KINDS))
    documents = {
        "id": Value("string"),
        "title": Value("string"),
        "text": Value("string"),
        "source_url": Value("string"),
        "publisher": Value("string"),
        "published": Value("string"),
        "licence": Value("string"),
        "licence_status": ClassLabel(names=list(STATUSES)),
        "origin": Value("string"),
        "paragraphs": List(_offsets()),
        "sentences": List(_offsets()),
        "labellers": {layer: Value("string") for layer in LAYERS},
    }
    entities = {
        "id": Value("string"),
        "doc_id": Value("string"),
        "sentence": Value("int32"),
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
        "tokens": List(Value("string")),
        "token_starts": List(Value("int32")),
        "token_ends": List(Value("int32")),
        "ner_tags": List(ClassLabel(names=list(BIO_NAMES))),
        "spans": List(_entity_span()),
    }
    claims = {
        "id": Value("string"),
        "doc_id": Value("string"),
        "text": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "checkworthy": checkworthy,
        "score": Value("float64"),
        "source_ids": List(Value("string")),
        "entity_ids": List(Value("string")),
        "evidence": List(Value("string")),
        "labeller": Value("string"),
    }
    sources = {
        "id": Value("string"),
        "doc_id": Value("string"),
        "source": List(_fragment()),
        "cue": List(_fragment()),
        "content": List(_fragment()),
        "source_kind": kinds,
        "correspondent": Value("bool"),
        "claim_ids": List(Value("string")),
        "labeller": Value("string"),
    }
    if gold:
        documents |= {
            "prelabel_spans": List(_any_span()),
            "prelabel_relations": List({k: Value("string") for k in ("id", "label", "head", "child", "labeller")}),
        }
        entities |= {
            "prelabel_ner_tags": List(ClassLabel(names=list(BIO_NAMES))),
            "prelabel_spans": List(_entity_span()),
        }
        claims |= {
            "prelabel_id": Value("string"),
            "prelabel_checkworthy": checkworthy,
            "prelabel_score": Value("float64"),
        }
        sources |= {
            "prelabel_id": Value("string"),
            "prelabel_source": List(_fragment()),
            "prelabel_cue": List(_fragment()),
            "prelabel_content": List(_fragment()),
            "prelabel_source_kind": kinds,
        }
    return {"documents": documents, "entities": entities, "claims": claims, "sources": sources}


# --------------------------------------------------------------------------------------------- span checks
def clean_spans(doc: dict, spans: list, where: Callable[[str], None] | None, key: str = "spans") -> list[dict]:
    """Spans that :mod:`corpus.records` finds usable and whose ``text`` (when given) is the document's text at
    their offsets; each other one is reported (one line) and left out."""
    text, n = doc["text"], len(doc["text"])
    good = []
    for span in spans or ():
        problem = span_problem(span, n)
        if problem is None and "text" in span and span["text"] != text[span["start"] : span["end"]]:
            problem = f"text {span['text']!r} differs from the document text at its offsets"
        if problem is None:
            good.append(span)
        elif where:
            name = f"span {span.get('id')}" if isinstance(span, dict) else "span"
            where(f"[{key}] {name} {problem}; span left out")
    return good


def _score(span: dict) -> float | None:
    score = span.get("score")
    if type(score) is float:  # the usual case, answered without the isinstance checks (~170k calls at 1x)
        return score
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


def _attrs(span: dict) -> dict:
    attrs = span.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


# --------------------------------------------------------------------------------------------- entities
@dataclass
class SentenceIndex:
    """Token and sentence lookups for one document."""

    tokens: list[dict]
    sentences: list[list[int]]

    def __post_init__(self) -> None:
        self.token_index = TokenIndex(self.tokens)
        starts = self.token_index.starts
        # Token range [t0, t1) of every sentence.
        self.sentence_tokens = [(bisect_right(starts, s - 1), bisect_right(starts, e - 1)) for s, e in self.sentences]
        self._sentence_first_tokens = [t0 for t0, _ in self.sentence_tokens]

    def sentence_of_token(self, i: int) -> int | None:
        k = bisect_right(self._sentence_first_tokens, i) - 1
        if k < 0 or not (self.sentence_tokens[k][0] <= i < self.sentence_tokens[k][1]):
            return None
        return k

    def token_range(self, start: int, end: int) -> tuple[int, int] | None:
        """Half-open token range of a span; spans off token boundaries are widened to whole tokens."""
        rng = self.token_index.token_range(start, end)
        if rng is None:
            snapped = self.token_index.snap(start, end)
            if snapped is None:
                return None
            rng = self.token_index.token_range(*snapped)
            if rng is None:
                return None
        return rng[0], rng[1] + 1


@dataclass
class EntityLayout:
    """Doc-level BIO tags and per-sentence span lists for one set of entity spans."""

    tags: list[int]
    by_sentence: dict[int, list[tuple]]  # sentence -> its entity span rows (_entity_span_row)
    not_in_bio: int = 0  # nested/overlapping spans kept only in `spans`
    crossing: int = 0  # spans that cross a sentence boundary (BIO and token range cut at the sentence end)
    unplaced: int = 0  # spans on no token or outside every sentence
    snapped: int = 0  # spans off token boundaries, widened to whole tokens


def _place_spans(index: SentenceIndex, spans: list[dict], layout: EntityLayout) -> list[tuple]:
    """``(token start, token end, sentence, span)`` of every span on tokens, cut at its sentence's end; the
    spans on no token and those off token boundaries are counted in ``layout``."""
    placed = []
    for span in spans:
        rng = index.token_range(span["start"], span["end"])
        sent = None if rng is None else index.sentence_of_token(rng[0])
        if rng is None or sent is None:
            layout.unplaced += 1
            continue
        if not index.token_index.on_boundaries(span["start"], span["end"]):
            layout.snapped += 1
        t0, t1 = rng
        s1 = index.sentence_tokens[sent][1]
        if t1 > s1:
            layout.crossing += 1
            t1 = s1
        placed.append((t0, t1, sent, span))
    return placed


def _entity_span_row(span: dict, doc_id: str, t0: int, t1: int, s0: int) -> tuple:
    """One entity span as a row of its sentence, its token range relative to the sentence's first token: the
    struct's fields in :func:`_entity_span`'s order (a tuple is a third of a dict's size to keep, pickle and
    transpose into Arrow columns)."""
    return (
        f"{doc_id}:{span['id']}",
        span["label"],
        span["start"],
        span["end"],
        span.get("text", ""),
        t0 - s0,
        t1 - s0,
        _score(span),
        span.get("labeller"),
    )


def _tag_bio(tags: list[int], t0: int, t1: int, label: str) -> None:
    tags[t0] = _BIO_INDEX[f"B-{label}"]
    for i in range(t0 + 1, t1):
        tags[i] = _BIO_INDEX[f"I-{label}"]


def layout_entities(index: SentenceIndex, spans: list[dict], doc_id: str) -> EntityLayout:
    layout = EntityLayout([0] * len(index.tokens), {})
    placed = _place_spans(index, spans, layout)
    # Longest first among spans starting at the same token, then left to right: BIO keeps the outer span.
    placed.sort(key=lambda p: (p[0], -(p[1] - p[0]), p[3]["start"], p[3]["id"]))
    taken_until = -1
    for t0, t1, sent, span in placed:
        s0 = index.sentence_tokens[sent][0]
        layout.by_sentence.setdefault(sent, []).append(_entity_span_row(span, doc_id, t0, t1, s0))
        if t0 < taken_until:
            layout.not_in_bio += 1
            continue
        _tag_bio(layout.tags, t0, t1, span["label"])
        taken_until = t1
    for rows in layout.by_sentence.values():
        rows.sort(key=lambda r: (r[2], -r[3], r[0]))  # start, longest first, id
    return layout


# --------------------------------------------------------------------------------------------- sources
def attributions(spans: list[dict], relations: list[dict]) -> list[dict]:
    """Group sources-layer spans into attributions: connected components around CONTENT spans."""
    valid = [r for r in relations or () if r.get("label") in RELATION_LABELS]
    out = []
    for members in attribution_components(spans, valid):
        content = [s for s in members if s["label"] == "CONTENT"]
        if content:
            out.append(
                {"content": content, "source": _with_label(members, "SOURCE"), "cue": _with_label(members, "CUE")}
            )
    out.sort(key=lambda a: (a["content"][0]["start"], a["content"][0]["end"], a["content"][0]["id"]))
    return out


def _with_label(spans: list[dict], label: str) -> list[dict]:
    return [s for s in spans if s["label"] == label]


def orphan_source_spans(spans: list[dict], groups: list[dict]) -> int:
    grouped = {s["id"] for g in groups for role in ("source", "cue", "content") for s in g[role]}
    return sum(1 for s in spans if s["layer"] == "sources" and s["id"] not in grouped)


# Older or other tools' spellings of a kind; a kind's own name (with spaces) always wins over them.
_KIND_ALIASES = {
    "person": "named_person",
    "organisation": "named_organisation",
    "organization": "named_organisation",
    "named organization": "named_organisation",
    "unnamed": "unnamed_group",
    "group": "unnamed_group",
    "anonymous source": "anonymous",
    "unnamed person": "anonymous",
} | {k.replace("_", " "): k for k in SOURCE_KINDS}
_ORG_LIKE = {"ORG", "GPE", "NORP", "FAC"}


def source_kind(group: dict, entity_spans: list[dict]) -> int:
    """ClassLabel index of the attribution's source kind, -1 when nothing says it."""
    for span in (*group["source"], *group["content"]):
        key = _kind_key(_attrs(span))
        if key is None:
            continue
        kind = _KIND_ALIASES.get(key)
        if kind is None and key == "named":
            kind = _named_kind(group, entity_spans)
        if kind in SOURCE_KINDS:
            return SOURCE_KINDS.index(kind)
    return -1


def _kind_key(attrs: dict) -> str | None:
    """The recorded kind, lower case with spaces for hyphens and underscores; None when there is none."""
    raw = attrs.get("kind", attrs.get("source_kind"))
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip().lower().replace("-", " ").replace("_", " ")


def _named_kind(group: dict, entity_spans: list[dict]) -> str | None:
    """ "named" without person/organisation: decide from the entity under the source span (the last source
    span whose entities say either wins)."""
    kind = None
    for src in group["source"]:
        labels = {e["label"] for e in entity_spans if overlap((e["start"], e["end"]), (src["start"], src["end"]))}
        if "PERSON" in labels:
            kind = "named_person"
        elif labels & _ORG_LIKE:
            kind = "named_organisation"
    return kind


def is_correspondent(group: dict) -> bool:
    return any(bool(_attrs(s).get("correspondent")) for s in (*group["source"], *group["content"]))


def _fragments(spans: list[dict], doc_id: str) -> list[tuple]:
    """The spans as fragment structs, fields in :func:`_fragment`'s order."""
    return [
        (f"{doc_id}:{s['id']}", s["start"], s["end"], s.get("text", ""), _score(s), s.get("labeller")) for s in spans
    ]


def _content_extent(group: dict) -> tuple[int, int]:
    return group["content"][0]["start"], max(s["end"] for s in group["content"])


# --------------------------------------------------------------------------------------------- claims
def checkworthy_decision(span: dict, threshold: float) -> tuple[int, str]:
    """``(ClassLabel index, how it was decided)``: ``recorded`` when the labeller or the annotators recorded a
    decision in the span's attributes, ``score`` when the score was compared with ``threshold`` (nothing was
    recorded), ``none`` (-1) when neither is there."""
    recorded = _recorded_checkworthy(_attrs(span))
    if recorded is not None:
        return recorded, "recorded"
    score = _score(span)
    if score is None:
        return -1, "none"
    return CHECKWORTHY_CLASSES.index("CHECKWORTHY" if score >= threshold else "NOT_CHECKWORTHY"), "score"


def _recorded_checkworthy(attrs: dict) -> int | None:
    """The ClassLabel index of the first decision recorded in the attributes (a bool, a class name or a
    one-choice list), None when there is none."""
    for key in ("checkworthy", "check_worthy", "label", "choice"):
        value = attrs.get(key)
        if isinstance(value, list) and value and isinstance(value[0], str):
            value = value[0]
        if isinstance(value, bool):
            return CHECKWORTHY_CLASSES.index("CHECKWORTHY" if value else "NOT_CHECKWORTHY")
        if isinstance(value, str) and value.upper() in CHECKWORTHY_CLASSES:
            return CHECKWORTHY_CLASSES.index(value.upper())
    return None


def checkworthy_of(span: dict, threshold: float) -> int:
    """ClassLabel index: the labeller's or annotator's decision, else the score against ``threshold``."""
    return checkworthy_decision(span, threshold)[0]


@dataclass
class CheckworthyRule:
    """How one labeller's claims got their ``checkworthy`` label, counted for the card."""

    recorded: int = 0  # decided by the labeller (or the annotators)
    by_score: int = 0  # no decision recorded: score >= the build's threshold
    unlabelled: int = 0
    lowest_yes: float | None = None  # lowest score among recorded CHECKWORTHY decisions
    highest_no: float | None = None  # highest score among recorded NOT_CHECKWORTHY decisions

    def add(self, index: int, how: str, score: float | None) -> None:
        if how == "none":
            self.unlabelled += 1
            return
        if how == "score":
            self.by_score += 1
            return
        self.recorded += 1
        if score is None:
            return
        if index == CHECKWORTHY_CLASSES.index("CHECKWORTHY"):
            self.lowest_yes = score if self.lowest_yes is None else min(self.lowest_yes, score)
        else:
            self.highest_no = score if self.highest_no is None else max(self.highest_no, score)

    def merge(self, other: CheckworthyRule) -> None:
        """Add the counts of ``other`` (another document's or shard's claims of the same labeller)."""
        self.recorded += other.recorded
        self.by_score += other.by_score
        self.unlabelled += other.unlabelled
        if other.lowest_yes is not None:
            self.lowest_yes = other.lowest_yes if self.lowest_yes is None else min(self.lowest_yes, other.lowest_yes)
        if other.highest_no is not None:
            self.highest_no = other.highest_no if self.highest_no is None else max(self.highest_no, other.highest_no)


def evidence_of(span: dict) -> list[str]:
    """The evidence a claim labeller recorded, as strings ("NUMBER: 200", "ORG: Acme", "factual verb")."""
    raw = _attrs(span).get("evidence")
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [f"{k}: {v}" for k, v in raw.items()]
    if not isinstance(raw, list):
        return [str(raw)]
    return [_evidence_item(item) for item in raw]


def _evidence_item(item: object) -> str:
    """One evidence list item: a string as it is, a small ``{type, text}`` dict as "TYPE: text", anything else
    as sorted-key JSON."""
    import orjson

    if isinstance(item, str):
        return item
    if isinstance(item, dict) and "type" in item and "text" in item and len(item) <= 4:
        return f"{item['type']}: {item['text']}"
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()


def _explicit_links(span: dict) -> list[str]:
    out: list[str] = []
    attrs = _attrs(span)
    for key in ("source_id", "source", "sources", "source_ids", "attribution", "attributions"):
        value = attrs.get(key)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


class _ContentIndex:
    """The attributions whose content overlaps a claim enough, found among the fragments near the claim (not by
    testing every attribution for every claim, which made one huge article quadratic); same answer, same order."""

    _NEAR = 10_000  # fragments up to this long are looked up by position; longer ones are tested for every claim

    def __init__(self, groups: list[dict]):
        fragments = [(c["start"], c["end"], n) for n, g in enumerate(groups) for c in g["content"]]
        self.short = sorted(f for f in fragments if f[1] - f[0] <= self._NEAR)
        self.starts = [f[0] for f in self.short]
        self.long = [f for f in fragments if f[1] - f[0] > self._NEAR]

    def groups_of(self, extent: tuple[int, int]) -> list[int]:
        """Indices of the groups with a content fragment overlapping ``extent`` enough, in group order."""
        start, end = extent
        lo = bisect_left(self.starts, start - self._NEAR)
        near = self.short[lo : bisect_left(self.starts, end)]
        # Most fragments in the window do not touch the claim; an overlap or Jaccard rule cannot accept those, so
        # they are passed over before the rule is asked (most of this function's time was spent asking it).
        rule, touching = CLAIM_SOURCE_RULE, CLAIM_SOURCE_RULE.kind != "exact"
        return sorted(
            {
                n
                for s, e, n in (*near, *self.long)
                if (not touching or (e if e < end else end) > (s if s > start else start))
                and rule.accepts(extent, (s, e))
            }
        )


# --------------------------------------------------------------------------------------------- statistics
def load_terms(filename: str, name: str) -> tuple[str, ...]:
    """The terms of class ``name`` in ``corpus/publish/data/FILENAME`` (``CLASS<TAB>term`` lines), in file order."""
    text = resources.files("corpus.publish").joinpath(f"data/{filename}").read_text("utf-8")
    terms = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, tab, term = line.partition("\t")
        if not tab or not term.strip():
            raise CorpusError(f"{filename}:{lineno}: expected CLASS<TAB>term")
        if label.strip() == name:
            terms.append(term.strip())
    return tuple(terms)


WAR_TERMS = load_terms("war_terms.tsv", "war")


@dataclass
class Stats:
    """Everything the card reports, counted while rows stream past (no row is kept)."""

    split_names: tuple[str, ...] = ()
    documents: Counter = field(default_factory=Counter)  # split -> documents
    characters: Counter = field(default_factory=Counter)
    tokens: Counter = field(default_factory=Counter)
    rows: dict = field(default_factory=dict)  # config -> Counter(split -> rows)
    entity_labels: dict = field(default_factory=dict)  # split -> Counter(label)
    checkworthy: dict = field(default_factory=dict)  # split -> Counter(label name)
    checkworthy_rules: dict = field(default_factory=dict)  # claim labeller -> CheckworthyRule
    source_kinds: dict = field(default_factory=dict)  # split -> Counter(kind name)
    correspondent: int = 0
    claims_linked: int = 0
    publishers: Counter = field(default_factory=Counter)
    published_min: str | None = None
    published_max: str | None = None
    labellers: dict = field(default_factory=dict)  # layer -> Counter(name@version)
    stripped: Counter = field(default_factory=Counter)  # boilerplate rule -> lines
    person_mentions: int = 0
    person_names: DistinctStrings = field(default_factory=DistinctStrings)  # (8 bytes a distinct name)
    war_documents: int = 0
    spans_dropped: int = 0
    entities_not_in_bio: int = 0
    entities_crossing: int = 0
    entities_unplaced: int = 0
    entities_snapped: int = 0
    orphan_source_spans: int = 0
    segmented_now: int = 0
    duplicates: int = 0
    annotators: Counter = field(default_factory=Counter)  # gold: annotator -> documents
    policies: Counter = field(default_factory=Counter)  # gold: merge policy -> documents
    prelabel_quality: dict = field(default_factory=dict)  # layer/role -> PRF (gold mode)

    def count_row(self, config: str, split: str) -> None:
        self.rows.setdefault(config, Counter())[split] += 1

    def add_published(self, value: str | None) -> None:
        if not value:
            return
        day = str(value)[:10]
        self.published_min = day if self.published_min is None else min(self.published_min, day)
        self.published_max = day if self.published_max is None else max(self.published_max, day)

    def merge(self, other: Stats, split: str | None = None) -> None:
        """Add the counts of ``other`` (a document's or a shard's), as if its documents had been counted here
        after this object's; ``split`` files all of ``other``'s per-split counts under that split (a worker that
        counted a document before the parent assigned its split). New keys keep ``other``'s order, so merging the
        documents' stats in document order gives the card the same tables as counting them here."""

        def where(key: str) -> str:
            return key if split is None else split

        for name in _SPLIT_COUNTS:
            mine = getattr(self, name)
            for key, n in getattr(other, name).items():
                mine[where(key)] += n
        for name in _SPLIT_TABLES:
            mine = getattr(self, name)
            for key, counts in getattr(other, name).items():
                mine.setdefault(where(key), Counter()).update(counts)
        for config, counts in other.rows.items():
            mine = self.rows.setdefault(config, Counter())
            for key, n in counts.items():
                mine[where(key)] += n
        self._merge_totals(other)

    def _merge_totals(self, other: Stats) -> None:
        """The counts that do not depend on the split."""
        for name in _TOTALS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("publishers", "stripped", "annotators", "policies"):
            getattr(self, name).update(getattr(other, name))
        for layer, counts in other.labellers.items():
            self.labellers.setdefault(layer, Counter()).update(counts)
        for labeller, rule in other.checkworthy_rules.items():
            self.checkworthy_rules.setdefault(labeller, CheckworthyRule()).merge(rule)
        for name, prf in other.prelabel_quality.items():
            self.prelabel_quality.setdefault(name, PRF()).add(prf.tp, prf.fp, prf.fn)
        self.person_names.update(other.person_names)
        for day in (other.published_min, other.published_max):
            self.add_published(day)


# The fields of :class:`Stats` by how :meth:`Stats.merge` adds them.
_SPLIT_COUNTS = ("documents", "characters", "tokens")  # split -> n
_SPLIT_TABLES = ("entity_labels", "checkworthy", "source_kinds")  # split -> Counter(name)
_TOTALS = (
    "correspondent",
    "claims_linked",
    "person_mentions",
    "war_documents",
    "spans_dropped",
    "entities_not_in_bio",
    "entities_crossing",
    "entities_unplaced",
    "entities_snapped",
    "orphan_source_spans",
    "segmented_now",
    "duplicates",
)


# --------------------------------------------------------------------------------------------- rows
def _entry(table: dict, key: str, factory: Callable[[], object]):
    """``table.setdefault(key, factory())`` without making a default per call (per claim, per attribution)."""
    value = table.get(key)
    if value is None:
        value = table[key] = factory()
    return value


def _dict_items(items: list | None) -> list[dict]:
    return [r for r in items or () if isinstance(r, dict)]


def _columns(rows: list[dict]) -> Columns:
    """Rows (dicts with the same keys) as columns."""
    return {key: [row[key] for row in rows] for key in rows[0]} if rows else {}


def _entity_columns(doc: dict, index: SentenceIndex, layout: EntityLayout, pre_layout: EntityLayout | None) -> Columns:
    """The entities config's rows of one document, one per sentence with tokens, built column by column (the
    token texts are cut once for the whole document); gold builds add the pre-labels' tags and spans."""
    text, doc_id, sentences = doc["text"], doc["id"], doc["sentences"]
    starts, ends = index.token_index.starts, index.token_index.ends
    words = [text[s:e] for s, e in zip(starts, ends, strict=True)]
    kept = [(k, t0, t1) for k, (t0, t1) in enumerate(index.sentence_tokens) if t1 > t0]
    columns: Columns = {
        "id": [f"{doc_id}:sent{k}" for k, _, _ in kept],
        "doc_id": [doc_id] * len(kept),
        "sentence": [k for k, _, _ in kept],
        "start": [sentences[k][0] for k, _, _ in kept],
        "end": [sentences[k][1] for k, _, _ in kept],
        "text": [text[sentences[k][0] : sentences[k][1]] for k, _, _ in kept],
        "tokens": [words[t0:t1] for _, t0, t1 in kept],
        "token_starts": [starts[t0:t1] for _, t0, t1 in kept],
        "token_ends": [ends[t0:t1] for _, t0, t1 in kept],
        "ner_tags": [layout.tags[t0:t1] for _, t0, t1 in kept],
        "spans": [layout.by_sentence.get(k, []) for k, _, _ in kept],
    }
    if pre_layout is not None:
        columns["prelabel_ner_tags"] = [pre_layout.tags[t0:t1] for _, t0, t1 in kept]
        columns["prelabel_spans"] = [pre_layout.by_sentence.get(k, []) for k, _, _ in kept]
    return columns


@dataclass
class DocumentRows:
    """One document's rows of every config and its counts: what a worker hands the parent (all picklable)."""

    columns: dict[str, Columns]  # config -> the document's rows as columns (empty dict: no rows)
    stats: Stats  # the document's counts, per-split ones under the split it was given
    problems: list[str]  # the spans left out and why, to report with the document's line


def document_rows(
    doc: dict,
    licence_status: int,
    split: str = "",
    *,
    gold: bool = False,
    checkworthy_threshold: float = 0.5,
    rules: dict[str, MatchRule] | None = None,
) -> DocumentRows:
    """ONE document record (in shape, segmented) -> its rows of every config and its own :class:`Stats`.

    Nothing here depends on other documents, so it runs where the document is (a build worker's shard); the
    parent assigns the split (``Stats.merge(doc_rows.stats, split)``), reports ``problems``, and hands
    ``columns[config]`` to its :class:`ConfigWriter` of that split, in document order.
    ``licence_status`` is the index in :data:`~corpus.publish.licences.STATUSES` of the document's licence
    (``classify_licence(doc.get("licence")).status``)."""
    stats, problems = Stats(), []
    builder = RowBuilder(stats, gold=gold, checkworthy_threshold=checkworthy_threshold)
    if rules is not None:
        builder.rules = rules
    columns = builder.rows(doc, split, licence_status, problems.append)
    return DocumentRows(columns, stats, problems)


@dataclass
class RowBuilder:
    """Turns one document record into the rows of every config, updating :class:`Stats`."""

    stats: Stats
    gold: bool = False
    checkworthy_threshold: float = 0.5
    rules: dict[str, MatchRule] = field(default_factory=lambda: dict(PRELABEL_RULES))  # gold vs pre-label

    def rows(self, doc: dict, split: str, licence_status: int, problem: Callable[[str], None]) -> dict[str, Columns]:
        """The document's rows of every config, as columns (:data:`Columns`); counts it in :attr:`stats`."""
        doc_id = doc["id"]
        spans, pre_spans = self._clean_spans(doc, problem)
        relations = _dict_items(doc.get("relations"))
        pre_relations = _dict_items(doc.get("prelabel_relations"))
        self._count_document(doc, split)

        entity_spans = [s for s in spans if s["layer"] == "entities"]
        groups = attributions(spans, relations)
        self.stats.orphan_source_spans += orphan_source_spans(spans, groups)
        out = {
            "documents": _columns([self._document_row(doc, licence_status, pre_spans, pre_relations)]),
            "entities": self._entity_rows(doc, entity_spans, pre_spans, split),
        }
        claim_rows, source_rows = self._claim_and_source_rows(
            doc_id, spans, entity_spans, groups, pre_spans, pre_relations, split
        )
        out["claims"], out["sources"] = _columns(claim_rows), _columns(source_rows)
        self._count_rows(out, split)
        return out

    def _clean_spans(self, doc: dict, problem: Callable[[str], None]) -> tuple[list[dict], list[dict]]:
        """The usable spans and (gold builds) pre-label spans; the dropped ones are counted."""
        spans = clean_spans(doc, doc.get("spans"), problem)
        pre_spans = clean_spans(doc, doc.get("prelabel_spans"), problem, "prelabel_spans") if self.gold else []
        self.stats.spans_dropped += len(doc.get("spans") or ()) - len(spans)
        if self.gold:
            self.stats.spans_dropped += len(doc.get("prelabel_spans") or ()) - len(pre_spans)
        return spans, pre_spans

    def _count_rows(self, out: dict[str, Columns], split: str) -> None:
        for config, columns in out.items():
            if columns and columns["id"]:
                self.stats.rows.setdefault(config, Counter())[split] += len(columns["id"])

    # -- documents
    def _count_document(self, doc: dict, split: str) -> None:
        st = self.stats
        st.documents[split] += 1
        st.characters[split] += len(doc["text"])
        st.tokens[split] += len(doc["tokens"])
        if doc.get("publisher"):
            st.publishers[doc["publisher"]] += 1
        st.add_published(doc.get("published"))
        self._count_annotation(doc)
        for stripped in (doc.get("ingest") or {}).get("stripped") or ():
            if isinstance(stripped, dict):
                st.stripped[str(stripped.get("rule") or "unnamed rule")] += 1
        lowered = doc["text"].lower()
        if any(_has_word(lowered, term) for term in WAR_TERMS):
            st.war_documents += 1

    def _count_annotation(self, doc: dict) -> None:
        """Count the document's labellers, annotators and merge policy."""
        st = self.stats
        annotation = doc.get("annotation") if isinstance(doc.get("annotation"), dict) else {}
        # Gold records keep the pre-labellers under annotation.prelabellers.
        labellers = annotation.get("prelabellers") or doc.get("labellers") or {}
        for layer, name in sorted(labellers.items()):
            st.labellers.setdefault(layer, Counter())[str(name)] += 1
        for annotator in annotation.get("annotators") or ():
            st.annotators[str(annotator)] += 1
        if annotation.get("policy"):
            st.policies[str(annotation["policy"])] += 1

    def _document_row(self, doc: dict, licence_status: int, pre_spans: list[dict], pre_relations: list[dict]) -> dict:
        labellers = doc.get("labellers") or {}
        row = {
            "id": doc["id"],
            "title": _opt_str(doc.get("title")),
            "text": doc["text"],
            "source_url": _opt_str(doc.get("source_url")),
            "publisher": _opt_str(doc.get("publisher")),
            "published": _opt_str(doc.get("published")),
            "licence": _opt_str(doc.get("licence")),
            "licence_status": licence_status,
            "origin": _opt_str(doc.get("origin")),
            # (start, end) tuples, not dicts: a quarter of the memory while a batch of documents is buffered
            "paragraphs": [(s, e) for s, e in doc.get("paragraphs") or ()],
            "sentences": [(s, e) for s, e in doc.get("sentences") or ()],
            "labellers": {layer: _opt_str(labellers.get(layer)) for layer in LAYERS},
        }
        if self.gold:
            row["prelabel_spans"] = [
                {
                    "id": f"{doc['id']}:{s['id']}",
                    "layer": s["layer"],
                    "label": s["label"],
                    "start": s["start"],
                    "end": s["end"],
                    "text": s.get("text", ""),
                    "score": _score(s),
                    "labeller": s.get("labeller"),
                }
                for s in pre_spans
            ]
            row["prelabel_relations"] = [
                {
                    "id": f"{doc['id']}:{r.get('id')}",
                    "label": _opt_str(r.get("label")),
                    "head": f"{doc['id']}:{r.get('head')}",
                    "child": f"{doc['id']}:{r.get('child')}",
                    "labeller": _opt_str(r.get("labeller")),
                }
                for r in pre_relations
            ]
        return row

    # -- entities
    def _entity_rows(self, doc: dict, entity_spans: list[dict], pre_spans: list[dict], split: str) -> Columns:
        index = SentenceIndex(doc["tokens"], doc["sentences"])
        layout = layout_entities(index, entity_spans, doc["id"])
        self._count_entities(layout, entity_spans, split)
        pre_layout = None
        if self.gold:
            pre_entities = [s for s in pre_spans if s["layer"] == "entities"]
            pre_layout = layout_entities(index, pre_entities, doc["id"])
            self._quality("entities", "entities", entity_spans, pre_entities)
        return _entity_columns(doc, index, layout, pre_layout)

    def _count_entities(self, layout: EntityLayout, entity_spans: list[dict], split: str) -> None:
        st = self.stats
        st.entities_not_in_bio += layout.not_in_bio
        st.entities_crossing += layout.crossing
        st.entities_unplaced += layout.unplaced
        st.entities_snapped += layout.snapped
        labels = st.entity_labels.setdefault(split, Counter())
        for span in entity_spans:
            labels[span["label"]] += 1
            if span["label"] == "PERSON":
                st.person_mentions += 1
                st.person_names.add(" ".join(span.get("text", "").split()).lower())

    # -- claims and sources
    def _quality(self, name: str, layer: str, gold: list[dict], pre: list[dict]) -> None:
        """Count how the pre-labels ``pre`` match the gold spans under the layer's rule (gold builds)."""
        keys = [[(s["start"], s["end"], s["label"]) for s in spans] for spans in (gold, pre)]
        counts = self.stats.prelabel_quality.setdefault(name, PRF())
        counts.add_matches(count_matches(keys[0], keys[1], self.rules[layer]), len(pre), len(gold))

    def _claim_and_source_rows(
        self,
        doc_id: str,
        spans: list[dict],
        entity_spans: list[dict],
        groups: list[dict],
        pre_spans: list[dict],
        pre_relations: list[dict],
        split: str,
    ) -> tuple[list[dict], list[dict]]:
        group_ids = [f"{doc_id}:{g['content'][0]['id']}" for g in groups]
        claims_of_group: dict[str, list[str]] = {gid: [] for gid in group_ids}
        links = _ClaimLinks(groups, group_ids, claims_of_group)
        claim_rows = self._claim_rows(doc_id, spans, entity_spans, links, pre_spans, split)
        pre = _PreAttributions(pre_spans, pre_relations) if self.gold else None
        source_rows = [
            self._source_row(doc_id, group, gid, claims_of_group[gid], entity_spans, pre, split)
            for group, gid in zip(groups, group_ids, strict=True)
        ]
        if self.gold:
            self._sources_quality(spans, pre_spans)
        return claim_rows, source_rows

    def _claim_rows(
        self,
        doc_id: str,
        spans: list[dict],
        entity_spans: list[dict],
        links: _ClaimLinks,
        pre_spans: list[dict],
        split: str,
    ) -> list[dict]:
        """The claims config's rows, in text order; linking them fills the attributions' claim lists."""
        claims = sorted((s for s in spans if s["layer"] == "claims"), key=lambda s: (s["start"], s["end"], s["id"]))
        pre_claims = [s for s in pre_spans if s["layer"] == "claims"]
        entities = _EntitiesInside(entity_spans, doc_id)
        claim_rows = [self._claim_row(doc_id, claim, links, entities, pre_claims, split) for claim in claims]
        if self.gold:
            self._claim_quality(claims, pre_claims)
        return claim_rows

    def _sources_quality(self, spans: list[dict], pre_spans: list[dict]) -> None:
        for role in ("SOURCE", "CUE", "CONTENT"):
            gold = [s for s in spans if s["layer"] == "sources" and s["label"] == role]
            pre = [s for s in pre_spans if s["layer"] == "sources" and s["label"] == role]
            self._quality(f"sources {role}", "sources", gold, pre)

    def _claim_row(
        self,
        doc_id: str,
        claim: dict,
        links: _ClaimLinks,
        entities: _EntitiesInside,
        pre_claims: list[dict],
        split: str,
    ) -> dict:
        cid = f"{doc_id}:{claim['id']}"
        linked = links.link(claim, cid)
        self.stats.claims_linked += bool(linked)
        cw, how = checkworthy_decision(claim, self.checkworthy_threshold)
        _entry(self.stats.checkworthy, split, Counter)[CHECKWORTHY_CLASSES[cw] if cw >= 0 else "unlabelled"] += 1
        rule = _entry(self.stats.checkworthy_rules, str(claim.get("labeller") or "unknown"), CheckworthyRule)
        rule.add(cw, how, _score(claim))
        row = {
            "id": cid,
            "doc_id": doc_id,
            "text": claim.get("text", ""),
            "start": claim["start"],
            "end": claim["end"],
            "checkworthy": cw,
            "score": _score(claim),
            "source_ids": linked,
            "entity_ids": entities.inside(claim["start"], claim["end"]),
            "evidence": evidence_of(claim),
            "labeller": claim.get("labeller"),
        }
        if self.gold:
            extent = (claim["start"], claim["end"])
            best = best_match(extent, [(p["start"], p["end"]) for p in pre_claims], self.rules["claims"])
            pre = pre_claims[best] if best is not None else None
            row |= {
                "prelabel_id": f"{doc_id}:{pre['id']}" if pre else None,
                "prelabel_checkworthy": checkworthy_of(pre, self.checkworthy_threshold) if pre else -1,
                "prelabel_score": _score(pre) if pre else None,
            }
        return row

    def _claim_quality(self, claims: list[dict], pre_claims: list[dict]) -> None:
        as_claim = [dict(s, label="CLAIM") for s in claims]
        pre_as_claim = [dict(s, label="CLAIM") for s in pre_claims]
        self._quality("claims", "claims", as_claim, pre_as_claim)
        # Positive class as in the CheckThat! scoring: check-worthy pre-labels against check-worthy gold.
        yes = CHECKWORTHY_CLASSES.index("CHECKWORTHY")
        gold_cw = [s for s in as_claim if checkworthy_of(s, self.checkworthy_threshold) == yes]
        pred_cw = [s for s in pre_as_claim if checkworthy_of(s, self.checkworthy_threshold) == yes]
        self._quality("claims CHECKWORTHY", "claims", gold_cw, pred_cw)

    def _source_row(
        self,
        doc_id: str,
        group: dict,
        gid: str,
        claim_ids: list[str],
        entity_spans: list[dict],
        pre: _PreAttributions | None,
        split: str,
    ) -> dict:
        st = self.stats
        kind = source_kind(group, entity_spans)
        _entry(st.source_kinds, split, Counter)[SOURCE_KINDS[kind] if kind >= 0 else "unknown"] += 1
        correspondent = is_correspondent(group)
        st.correspondent += correspondent
        row = {
            "id": gid,
            "doc_id": doc_id,
            "source": _fragments(group["source"], doc_id),
            "cue": _fragments(group["cue"], doc_id),
            "content": _fragments(group["content"], doc_id),
            "source_kind": kind,
            "correspondent": correspondent,
            "claim_ids": claim_ids,
            "labeller": group["content"][0].get("labeller"),
        }
        if pre is not None:
            best = best_match(_content_extent(group), pre.extents, self.rules["sources"])
            row |= _prelabel_attribution(pre.groups[best] if best is not None else None, pre.entities, doc_id)
        return row


class _PreAttributions:
    """A gold document's pre-label attributions, their content extents and the pre-label entities."""

    def __init__(self, pre_spans: list[dict], pre_relations: list[dict]):
        self.groups = attributions(pre_spans, pre_relations)
        self.extents = [_content_extent(g) for g in self.groups]
        self.entities = [s for s in pre_spans if s["layer"] == "entities"]


def _prelabel_attribution(pre: dict | None, pre_entities: list[dict], doc_id: str) -> dict:
    """The ``prelabel_*`` columns of a sources row: the matching pre-label attribution, or empty ones."""
    if pre is None:
        return {
            "prelabel_id": None,
            "prelabel_source": [],
            "prelabel_cue": [],
            "prelabel_content": [],
            "prelabel_source_kind": -1,
        }
    return {
        "prelabel_id": f"{doc_id}:{pre['content'][0]['id']}",
        "prelabel_source": _fragments(pre["source"], doc_id),
        "prelabel_cue": _fragments(pre["cue"], doc_id),
        "prelabel_content": _fragments(pre["content"], doc_id),
        "prelabel_source_kind": source_kind(pre, pre_entities),
    }


class _ClaimLinks:
    """Which attributions a claim belongs to: those whose content overlaps it enough, plus its explicit links;
    records the claim under each of them (``claims_of_group``)."""

    def __init__(self, groups: list[dict], group_ids: list[str], claims_of_group: dict[str, list[str]]):
        self.group_ids, self.claims_of_group = group_ids, claims_of_group
        self.contents = _ContentIndex(groups)
        self.member_of = {
            s["id"]: gid
            for g, gid in zip(groups, group_ids, strict=True)
            for role in ("source", "cue", "content")
            for s in g[role]
        }
        self.position = {gid: n for n, gid in reversed(list(enumerate(group_ids)))}  # list.index, in O(1)

    def link(self, claim: dict, cid: str) -> list[str]:
        linked = [self.group_ids[n] for n in self.contents.groups_of((claim["start"], claim["end"]))]
        for ref in _explicit_links(claim):
            gid = self.member_of.get(ref) or (ref if ref in self.claims_of_group else None)
            if gid and gid not in linked:
                linked.append(gid)
        linked.sort(key=self.position.__getitem__)
        for gid in linked:
            self.claims_of_group[gid].append(cid)
        return linked


class _EntitiesInside:
    """Entity span ids inside a stretch of text: those starting in it (bisection), then those ending in it."""

    def __init__(self, entity_spans: list[dict], doc_id: str):
        self.entities = sorted(entity_spans, key=lambda e: (e["start"], e["id"]))
        self.starts = [e["start"] for e in self.entities]
        self.doc_id = doc_id

    def inside(self, start: int, end: int) -> list[str]:
        lo, hi = bisect_left(self.starts, start), bisect_right(self.starts, end)
        return [f"{self.doc_id}:{e['id']}" for e in self.entities[lo:hi] if e["end"] <= end]


def _opt_str(value) -> str | None:
    return None if value in (None, "") else str(value)


def _has_word(text: str, term: str) -> bool:
    start = 0
    while (i := text.find(term, start)) >= 0:
        before = text[i - 1] if i else " "
        after = text[i + len(term)] if i + len(term) < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = i + 1
    return False


# --------------------------------------------------------------------------------------------- parquet
@cache
def _writer_options() -> dict:
    import inspect

    import pyarrow.parquet as pq

    options: dict = {}
    params = inspect.signature(pq.ParquetWriter.__init__).parameters
    if "use_content_defined_chunking" in params:  # pyarrow >= 21: dedup-friendly pages for the Hub's Xet storage
        options["use_content_defined_chunking"] = True
    if "write_page_index" in params:
        options["write_page_index"] = True
    return options


# A chunk of rows as columns: column name -> one value per row (all the same length); nested values are plain
# lists, and dicts or tuples (fields in order) for structs. What :func:`document_rows` returns per config and
# ConfigWriter buffers.
Columns = dict[str, list]


@dataclass
class SplitFiles:
    rows: int = 0
    num_bytes: int = 0  # uncompressed arrow size, as `datasets` reports it
    files: list[str] = field(default_factory=list)


def _memory_pool() -> pa.MemoryPool:
    import pyarrow as pa

    # The system allocator hands freed batches back; mimalloc (Arrow's default) kept ~40 MB more at the peak of a
    # 4 MB publish for no speed gain. Only this module's arrays and writers use it.
    try:
        return pa.system_memory_pool()
    except NotImplementedError:  # pragma: no cover - a pyarrow built without it
        return pa.default_memory_pool()


# Free heap bytes above which a flushed batch's pages are handed back (see corpus.memory.release_free_memory).
_TRIM_FREE = 16 << 20


class ConfigWriter:
    """Streams one config's rows into ``<root>/<config>/<split>-NNNNN-of-MMMMM.parquet`` in bounded batches.

    Rows arrive as columns (:data:`Columns`) and are buffered per split as columns (no dict per row); a batch is
    flushed as one row group when the buffer holds ``batch_rows`` rows or about ``batch_bytes`` of text; a shard
    is closed after ``shard_bytes`` (uncompressed) and the next one opened.
    """

    def __init__(
        self,
        root: Path,
        config: str,
        features: dict[str, Feature],
        batch_rows: int = 1000,
        batch_bytes: int = 64 << 20,
        shard_bytes: int = 256 << 20,
        piece_rows: int = 100,
    ):
        self.root, self.config = root, config
        self.piece_rows = piece_rows  # rows kept as Python values before they become Arrow arrays
        self.schema = arrow_schema(features)  # carries the `datasets` features (ClassLabel) in its metadata
        self.batch_rows, self.batch_bytes, self.shard_bytes = batch_rows, batch_bytes, shard_bytes
        from corpus.publish.arrow import column_array

        self._column_array = column_array
        self._pool = _memory_pool()
        self._buffers: dict[str, Columns] = {}  # rows not yet converted, as Python values
        self._pieces: dict[str, list[list[pa.Array]]] = {}  # converted rows of the batch: arrays per column
        self._buffer_rows: Counter = Counter()
        self._buffer_bytes: Counter = Counter()
        self._writers: dict[str, tuple[pq.ParquetWriter, int]] = {}  # split -> (writer, bytes in shard)
        self.splits: dict[str, SplitFiles] = {}

    def add(self, split: str, columns: Columns) -> None:
        """Buffer one chunk of rows (a column -> values dict, as :func:`document_rows` gives them)."""
        n = len(next(iter(columns.values()))) if columns else 0
        if not n:
            return
        texts = columns.get("text")
        sizes = [64] * n if texts is None else [64 + len(t or "") * 2 for t in texts]
        rows, size = self._buffer_rows[split], self._buffer_bytes[split]
        if rows + n < self.batch_rows and size + sum(sizes) < self.batch_bytes:
            self._extend(split, columns, 0, n)  # no flush falls inside these rows: skip the row-by-row checks
            self._buffer_rows[split], self._buffer_bytes[split] = rows + n, size + sum(sizes)
            return
        done = 0
        for i, row_size in enumerate(sizes):
            rows, size = rows + 1, size + row_size
            if rows >= self.batch_rows or size >= self.batch_bytes:
                self._extend(split, columns, done, i + 1)
                self._flush(split)
                done, rows, size = i + 1, 0, 0
        self._extend(split, columns, done, n)
        self._buffer_rows[split], self._buffer_bytes[split] = rows, size

    def _extend(self, split: str, columns: Columns, lo: int, hi: int) -> None:
        if hi <= lo:
            return
        buffer = self._buffers.get(split)
        if not buffer:  # (an emptied buffer keeps its split's place: `close` flushes in first-seen order)
            buffer = self._buffers[split] = {name: [] for name in self.schema.names}
        whole = lo == 0 and hi == len(next(iter(columns.values())))
        for name, values in buffer.items():
            chunk = columns.get(name)
            if chunk is None:
                values.extend([None] * (hi - lo))  # a column the rows leave out is null, as in `pa.array`
            else:
                values.extend(chunk if whole else chunk[lo:hi])
        if len(buffer["id"]) >= self.piece_rows:
            self._convert(split)

    def _convert(self, split: str) -> None:
        """Turn the split's Python rows into Arrow arrays (a piece of the batch): a few bytes a value instead of a
        Python object each, so a batch waiting for its row group holds a fraction of the memory."""
        columns = self._buffers[split]
        if columns["id"]:
            arrays = [self._column_array(columns[f.name], f.type, self._pool) for f in self.schema]
            self._pieces.setdefault(split, []).append(arrays)
            self._buffers[split] = {name: [] for name in self.schema.names}

    def _table(self, split: str) -> pa.Table:
        """The batch as a table of this writer's schema, built from buffers (no pandas import; see :mod:`.arrow`);
        its pieces concatenated equal the arrays made from all its rows at once (values, validity, ``nbytes``)."""
        import pyarrow as pa

        self._convert(split)
        pieces = self._pieces.pop(split)
        if len(pieces) == 1:
            arrays = pieces[0]
        else:
            arrays = [pa.concat_arrays(list(column), memory_pool=self._pool) for column in zip(*pieces, strict=True)]
        del pieces
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def _flush(self, split: str) -> None:
        columns = self._buffers.get(split)
        if not columns or not (columns["id"] or self._pieces.get(split)):
            return
        table = self._table(split)
        self._buffers[split] = {}
        files = self.splits.setdefault(split, SplitFiles())
        writer, in_shard = self._writers.get(split, (None, 0))
        if writer is None:
            path = self.root / self.config / f"{split}-{len(files.files):05d}.parquet.part"
            path.parent.mkdir(parents=True, exist_ok=True)
            import pyarrow.parquet as pq

            writer = pq.ParquetWriter(
                path, self.schema, compression="snappy", memory_pool=self._pool, **_writer_options()
            )
            files.files.append(str(path))
        writer.write_table(table)
        files.rows += table.num_rows
        files.num_bytes += table.nbytes
        in_shard += table.nbytes
        del table
        # The batch's arrays and rows were just freed; their pages, left resident, grew the peak at 10x.
        release_free_memory(min_free=_TRIM_FREE)
        if in_shard >= self.shard_bytes:
            writer.close()
            self._writers.pop(split, None)
        else:
            self._writers[split] = (writer, in_shard)

    def close(self) -> dict[str, SplitFiles]:
        """Flush, close and give shards their final ``-NNNNN-of-MMMMM`` names; returns files per split."""
        for split in list(self._buffers):
            self._flush(split)
        for writer, _ in self._writers.values():
            writer.close()
        self._writers.clear()
        for split, files in self.splits.items():
            final = []
            for i, part in enumerate(files.files):
                target = self.root / self.config / f"{split}-{i:05d}-of-{len(files.files):05d}.parquet"
                Path(part).rename(target)
                final.append(target.relative_to(self.root).as_posix())
            files.files = final
        return self.splits
