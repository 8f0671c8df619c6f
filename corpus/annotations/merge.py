"""Merge annotators into gold documents; measure agreement and how many pre-labels the annotators kept.

Only ``accept`` answers vote. For every span layer, an annotator *covers* the stretches of text of the tasks
they accepted for that layer (where they answered the layer's own view -- ``ner_manual`` for entities,
``relations`` for sources, ``spans_manual`` for claims -- the same layer shown in another view of theirs is
ignored, so a deletion in the editing view is not undone by an untouched copy); a candidate span (exact
``start, end, label``) is decided among the annotators covering it:

- ``majority``: kept when more than half of them marked it; exactly half is a *tie*: left out and reported.
- ``adjudicator:NAME``: where NAME (an annotator id, or a Prodigy session id ending in ``-NAME``, e.g. a
  ``review`` session) covered the span, NAME's decision wins; elsewhere the majority rule applies.

Relations are decided the same way among the annotators covering both ends in a view that shows relations (not
``spans_manual`` nor doccano's ``label`` form), and kept only when both ends are gold.
Check-worthiness is one label per claim (the latest answer of each annotator), decided by the same policy;
it sets ``attrs.checkworthy`` (``true``/``false``) on the gold claim with those offsets. A claim judged only
through ``choice`` tasks, in text where nobody annotated claim spans, becomes a gold claim itself (annotators
saw and judged it); judged claims that annotators removed as spans are counted as ``orphan_choices``.

A gold document is the document record with ``spans``/``relations`` replaced by the merged gold (labeller
``gold@<policy>``, ``score`` = share of the covering annotators who marked the span, ``attrs`` copied from an
identical pre-label span), the pre-labels kept under ``prelabel_spans``/``prelabel_relations``, and
``annotation = {"annotators": [...], "policy": "...", "coverage": {layer: [[start, end], ...]},
"prelabellers": {layer: "name@version"}}``. Only documents with at least one accepted annotation are written.

Report (``agreement.json``), every number computed from the inputs::

    {"policy": "majority", "match": "exact", "annotators": ["alice", "bob"],
     "documents": {"total": 12, "annotated": 10},
     "records": {"accept": 40, "reject": 1, "ignore": 2, "unknown_document": 0},
     "agreement": {
        "entities" | "sources" | "claims" | "relations": {"match": "exact", "pairs": [{"a", "b", "documents",
            "a_spans", "b_spans", "matches", "f1"}], "micro_f1": 0.91, "mean_f1": 0.9},
        "checkworthy": {"annotators", "items", "items_rated_twice", "cohen_kappa" (exactly 2 annotators),
            "pairs": [{"a", "b", "items", "observed", "kappa"}], "krippendorff_alpha"}},
     "acceptance": [{"labeller": "rules@1", "layer": "entities", "prelabels", "gold", "matched",
                     "precision", "recall", "f1"}, ...,
                    {"labeller", "layer": "checkworthy", "items", "agree", "accuracy", "precision", "recall", "f1"}],
     "gold": {"spans": {"entities": 30, ...}, "relations": 4, "checkworthy": {"CHECKWORTHY": 3, ...},
              "adjudicated": 5, "dropped_relations": 0, "orphan_choices": 0},
     "ties": {"count": 2, "examples": [{"doc_id", "layer", "start", "end", "label", "text", "votes", "voters"}]}}

Spans match under one named rule of :mod:`corpus.scoring` (``MergeState.match``: ``exact`` by default,
``corpus annotations merge --match RULE``), which the report names (``match``): pairwise F1 counts one-to-one
matches of ``(start, end, label)`` on the text both annotators covered; acceptance counts a pre-label as accepted
when it matches a gold span (a relation: same label and identical ends, its offsets being the extent of both
ends), inside the text annotators covered for that layer.
The check-worthiness prediction of a pre-labelled claim is what its task pre-selected: ``attrs.checkworthy``
(boolean or option name); claims without one are not counted.
"""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from corpus.annotations.agreement import inside, label_agreement, pairwise_span_agreement
from corpus.annotations.ingest import CHECKWORTHY_LAYER
from corpus.document import CHECKWORTHY_OPTIONS, LAYERS, add_relation, add_span
from corpus.errors import CorpusError, InputProblem
from corpus.scoring import EXACT, MatchRule, count_matches

Report = Callable[[InputProblem], None]
SpanKey = tuple[int, int, str]  # start, end, label
MAX_TIE_EXAMPLES = 100


@dataclass(frozen=True)
class Policy:
    """``majority`` or ``adjudicator:NAME``."""

    adjudicator: str | None = None

    @classmethod
    def parse(cls, text: str) -> Policy:
        if text == "majority":
            return cls()
        if text.startswith("adjudicator:") and text.split(":", 1)[1].strip():
            return cls(text.split(":", 1)[1].strip())
        raise CorpusError(f"unknown merge policy {text!r}: use 'majority' or 'adjudicator:NAME'")

    def __str__(self) -> str:
        return "majority" if self.adjudicator is None else f"adjudicator:{self.adjudicator}"

    @property
    def labeller(self) -> str:
        return f"gold@{self}"

    def is_adjudicator(self, annotator: str) -> bool:
        name = self.adjudicator
        return name is not None and (annotator == name or annotator.endswith(f"-{name}"))


@dataclass
class _Decision:
    keep: bool | None  # None: a tie
    votes: int
    voters: int
    adjudicated: bool


@dataclass
class MergeState:
    """Everything accumulated over the documents for the report."""

    policy: Policy
    # How spans match between annotators (agreement) and between pre-labels and gold (acceptance).
    match: MatchRule = EXACT
    annotators: set[str] = field(default_factory=set)
    documents_total: int = 0
    documents_annotated: int = 0
    answers: Counter = field(default_factory=Counter)
    # agreement inputs: layer -> annotator -> doc_id -> spans / regions
    agree_spans: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    agree_regions: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    checkworthy_votes: dict = field(default_factory=dict)
    acceptance: dict = field(default_factory=lambda: defaultdict(Counter))
    gold_spans: Counter = field(default_factory=Counter)
    gold_relations: int = 0
    gold_checkworthy: Counter = field(default_factory=Counter)
    adjudicated: int = 0
    dropped_relations: int = 0
    orphan_choices: int = 0
    ties: list = field(default_factory=list)
    tie_count: int = 0

    def tie(self, example: dict) -> None:
        self.tie_count += 1
        if len(self.ties) < MAX_TIE_EXAMPLES:
            self.ties.append(example)


def group_by_document(records: Iterable[dict]) -> dict[str, list[dict]]:
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for rec in records:
        by_doc[rec["task"]["doc_id"]].append(rec)
    return by_doc


def merge_documents(
    docs: Iterable[dict],
    records: Iterable[dict],
    policy: Policy,
    report: Report,
    state: MergeState | None = None,
    source: tuple[str, dict[str, int]] | None = None,
) -> Iterator[dict]:
    """Yield a gold document for every document with accepted annotations (``state`` collects the numbers).

    ``source`` is the annotations file and the line of each record by key, for the messages; a record whose
    offsets or span texts do not fit its document is reported (one line) and left out.
    """
    state = state if state is not None else MergeState(policy)
    path, lines = source if source is not None else ("annotations", {})
    by_doc = group_by_document(records)
    seen: set[str] = set()
    for doc in docs:
        state.documents_total += 1
        recs = by_doc.get(doc["id"])
        if not recs:
            continue
        seen.add(doc["id"])
        accepted = _accepted(doc, recs, state, path, lines, report)
        if accepted:
            state.documents_annotated += 1
            yield _merge_document(doc, accepted, policy, state)
    _report_unknown_documents(by_doc, seen, state, path, report)


def _accepted(
    doc: dict, recs: list[dict], state: MergeState, path: str, lines: dict[str, int], report: Report
) -> list[dict]:
    """The document's accepted records that fit it; every answer that fits is counted."""
    recs = [rec for rec in recs if _fits_document(rec, doc, path, lines.get(rec["key"]), report)]
    for rec in recs:
        state.answers[rec["answer"]] += 1
    return [r for r in recs if r["answer"] == "accept"]


def _report_unknown_documents(
    by_doc: dict[str, list[dict]], seen: set[str], state: MergeState, path: str, report: Report
) -> None:
    """Count and report the records of documents that are not in the documents file."""
    for doc_id in sorted(by_doc.keys() - seen):
        state.answers["unknown_document"] += len(by_doc[doc_id])
        report(
            InputProblem(
                path,
                f"{len(by_doc[doc_id])} annotations for document {doc_id}, which is not in the documents file; skipped",
            )
        )


def _fits_document(rec: dict, doc: dict, path: str, line: int | None, report: Report) -> bool:
    """Whether a record's offsets lie inside its document and its span texts are the document's."""
    problem = _misfit(rec, doc["text"])
    if problem is not None:
        report(InputProblem(path, f"annotation {rec['key']}: {problem}; annotation record skipped", line=line))
    return problem is None


def _misfit(rec: dict, text: str) -> str | None:
    task = rec["task"]
    if task["end"] > len(text):
        return (
            f"task {task['start']}-{task['end']} is past the end of document {task['doc_id']} ({len(text)} characters)"
        )
    for span in rec["spans"]:
        if span["end"] > len(text):
            return (
                f"span {span['start']}-{span['end']} is past the end of document {task['doc_id']} "
                f"({len(text)} characters)"
            )
        if text[span["start"] : span["end"]] != span["text"]:
            return f"span {span['start']}-{span['end']} text {span['text']!r} is not the document's text there"
    for choice in rec["choices"]:
        if choice["end"] > len(text):
            return f"choice {choice['start']}-{choice['end']} is past the end of document {task['doc_id']}"
    return None


@dataclass
class _Votes:
    """What the accepted answers on one document say, before any decision."""

    # layer -> annotator -> the task stretches they covered for it
    regions: dict[str, dict[str, list[tuple[int, int]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    marked: dict[str, dict[SpanKey, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    rel_marked: dict[tuple, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (start, end) -> annotator -> ((timestamp, key), option): each annotator's latest check-worthiness answer
    latest_choice: dict[tuple[int, int], dict[str, tuple]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, rec: dict, records: list[dict]) -> None:
        who, task = rec["annotator"], rec["task"]
        layers = _effective_layers(rec, records)
        shows_relations = "sources" in layers and rec.get("view") not in VIEWS_WITHOUT_RELATIONS
        self._add_regions(who, (task["start"], task["end"]), layers, shows_relations)
        spans = {s["id"]: s for s in rec["spans"] if s["layer"] in rec["layers"]}
        for span in spans.values():
            if span["layer"] in layers:
                self.marked[span["layer"]][_key(span)].add(who)
        if shows_relations:
            self._add_relations(who, rec["relations"], spans)
        self._add_choices(who, rec)

    def _add_regions(self, who: str, stretch: tuple[int, int], layers, shows_relations: bool) -> None:
        """The task stretch counts as covered by ``who`` for each span layer shown (and relations, if shown)."""
        for layer in layers:
            if layer in LAYERS:
                self.regions[layer][who].append(stretch)
        if shows_relations:
            self.regions[RELATIONS][who].append(stretch)

    def _add_relations(self, who: str, relations: list[dict], spans: dict[str, dict]) -> None:
        for rel in relations:
            head, child = spans.get(rel["head"]), spans.get(rel["child"])
            if head and child:
                self.rel_marked[(rel["label"], _key(head), _key(child))].add(who)

    def _add_choices(self, who: str, rec: dict) -> None:
        """Keep each annotator's latest check-worthiness answer per stretch (by timestamp, then record key)."""
        for choice in rec["choices"]:
            when = (str(rec.get("timestamp") or ""), rec["key"])
            old = self.latest_choice[(choice["start"], choice["end"])].get(who)
            if old is None or when > old[0]:
                self.latest_choice[(choice["start"], choice["end"])][who] = (when, choice["label"])

    def decide(self, start: int, end: int, layer: str, markers: set[str], policy: Policy) -> _Decision:
        """Keep, drop or tie one candidate among the annotators covering it (an adjudicator decides alone)."""
        voters = {who for who, stretches in self.regions[layer].items() if inside(start, end, stretches)} | markers
        judges = {who for who in voters if policy.is_adjudicator(who)}
        if judges:
            return _Decision(bool(judges & markers), len(markers & voters), len(voters), True)
        votes = len(markers)
        keep = True if 2 * votes > len(voters) else None if 2 * votes == len(voters) else False
        return _Decision(keep, votes, len(voters), False)


def _tie_example(
    doc: dict, layer: str, start: int, end: int, label: Any, votes: Any, voters: int, text: str | None = None
) -> dict:
    return {
        "doc_id": doc["id"],
        "layer": layer,
        "start": start,
        "end": end,
        "label": label,
        "text": doc["text"][start:end] if text is None else text,
        "votes": votes,
        "voters": voters,
    }


def _merge_document(doc: dict, records: list[dict], policy: Policy, state: MergeState) -> dict:
    votes = _Votes()
    for rec in records:
        votes.add(rec, records)
    state.annotators.update(r["annotator"] for r in records)
    _record_agreement_inputs(doc["id"], votes, state)
    gold = _decide_spans(doc, votes, policy, state)
    checkworthy = _decide_checkworthy(doc, votes, policy, state)
    _add_choice_claims(gold, checkworthy, votes, state)
    out, gold_ids = _gold_record(doc, gold, checkworthy, policy, state)
    _add_gold_relations(doc, out, votes, gold_ids, policy, state)
    coverage = {layer: _union(votes.regions[layer].values()) for layer in LAYERS if votes.regions.get(layer)}
    _count_acceptance(doc, out, coverage, checkworthy, state)
    out["labellers"] = {
        **{k: v for k, v in doc.get("labellers", {}).items() if k not in coverage},
        **{layer: policy.labeller for layer in coverage},
    }
    out["annotation"] = {
        "annotators": sorted({r["annotator"] for r in records}),
        "policy": str(policy),
        "coverage": coverage,
        "prelabellers": dict(doc.get("labellers", {})),
    }
    return out


def _record_agreement_inputs(doc_id: str, votes: _Votes, state: MergeState) -> None:
    for layer, by_who in votes.regions.items():
        if layer == RELATIONS:
            continue
        for who, stretches in by_who.items():
            state.agree_regions[layer][who][doc_id] = stretches
            state.agree_spans[layer][who][doc_id] = {k for k, whos in votes.marked[layer].items() if who in whos}
    for who, stretches in votes.regions.get(RELATIONS, {}).items():
        state.agree_regions[RELATIONS][who][doc_id] = stretches
        state.agree_spans[RELATIONS][who][doc_id] = {
            (min(h[0], c[0]), max(h[1], c[1]), label, h, c)
            for (label, h, c), whos in votes.rel_marked.items()
            if who in whos
        }


def _decide_spans(doc: dict, votes: _Votes, policy: Policy, state: MergeState) -> dict[str, dict[SpanKey, float]]:
    """Gold spans per layer with their share of the votes; ties are reported and left out."""
    gold: dict[str, dict[SpanKey, float]] = {layer: {} for layer in LAYERS}
    for layer in LAYERS:
        for key in sorted(votes.marked[layer]):
            d = votes.decide(key[0], key[1], layer, votes.marked[layer][key], policy)
            state.adjudicated += d.adjudicated
            if d.keep:
                gold[layer][key] = d.votes / d.voters
            elif d.keep is None:
                state.tie(_tie_example(doc, layer, key[0], key[1], key[2], d.votes, d.voters))
    return gold


def _decide_checkworthy(doc: dict, votes: _Votes, policy: Policy, state: MergeState) -> dict[tuple[int, int], str]:
    """One check-worthiness option per judged claim: the adjudicator's, else the majority's (ties left out)."""
    checkworthy: dict[tuple[int, int], str] = {}
    for (start, end), by_who in sorted(votes.latest_choice.items()):
        options = {who: label for who, (_when, label) in by_who.items()}
        state.checkworthy_votes[(doc["id"], start, end)] = options
        judges = sorted(who for who in options if policy.is_adjudicator(who))
        if judges:
            checkworthy[(start, end)] = options[judges[-1]]
            state.adjudicated += 1
            continue
        counts = Counter(options.values()).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            tally = dict(sorted(Counter(options.values()).items()))
            state.tie(_tie_example(doc, CHECKWORTHY_LAYER, start, end, None, tally, len(options)))
            continue
        checkworthy[(start, end)] = counts[0][0]
    return checkworthy


def _add_choice_claims(gold: dict, checkworthy: dict[tuple[int, int], str], votes: _Votes, state: MergeState) -> None:
    """A claim judged only through choice tasks, where nobody annotated claim spans, is a gold claim itself."""
    claim_regions = [r for stretches in votes.regions.get("claims", {}).values() for r in stretches]
    gold_claim_offsets = {(k[0], k[1]) for k in gold["claims"]}
    for start, end in checkworthy:
        if (start, end) in gold_claim_offsets:
            continue
        if inside(start, end, claim_regions):
            state.orphan_choices += 1
        else:
            gold["claims"][(start, end, "CLAIM")] = 1.0


def _gold_record(
    doc: dict, gold: dict, checkworthy: dict[tuple[int, int], str], policy: Policy, state: MergeState
) -> tuple[dict, dict[tuple[str, SpanKey], str]]:
    """The gold document (pre-labels moved to ``prelabel_*``) and the gold span id of every decided span."""
    out = copy.copy(doc)
    out["prelabel_spans"] = doc.get("spans", [])
    out["prelabel_relations"] = doc.get("relations", [])
    out["spans"], out["relations"] = [], []
    prelabels = {(s["layer"], s["start"], s["end"], s["label"]): s for s in out["prelabel_spans"]}
    gold_ids: dict[tuple[str, SpanKey], str] = {}
    pending_attrs: list[tuple[dict, dict]] = []
    for layer in LAYERS:
        for key in sorted(gold[layer]):
            pre = prelabels.get((layer, *key))
            span = add_span(out, layer, key[2], key[0], key[1], policy.labeller, score=gold[layer][key])
            gold_ids[(layer, key)] = span["id"]
            if pre is not None:
                pending_attrs.append((span, pre.get("attrs") or {}))
            option = checkworthy.get((key[0], key[1])) if layer == "claims" else None
            if option is not None:
                span["attrs"]["checkworthy"] = option == "CHECKWORTHY"
                state.gold_checkworthy[option] += 1
            state.gold_spans[layer] += 1
    _copy_prelabel_attrs(pending_attrs, out["prelabel_spans"], gold_ids)
    return out, gold_ids


def _add_gold_relations(
    doc: dict, out: dict, votes: _Votes, gold_ids: dict[tuple[str, SpanKey], str], policy: Policy, state: MergeState
) -> None:
    """Relations kept by the vote whose both ends are gold spans; the others are counted as dropped."""
    text = doc["text"]
    for label, head, child in sorted(votes.rel_marked):
        start, end = min(head[0], child[0]), max(head[1], child[1])
        d = votes.decide(start, end, RELATIONS, votes.rel_marked[(label, head, child)], policy)
        state.adjudicated += d.adjudicated
        if d.keep is None:
            shown = f"{text[head[0] : head[1]]} -> {text[child[0] : child[1]]}"
            state.tie(_tie_example(doc, RELATIONS, start, end, label, d.votes, d.voters, text=shown))
        if not d.keep:
            continue
        head_id, child_id = gold_ids.get(("sources", head)), gold_ids.get(("sources", child))
        if head_id is None or child_id is None:
            state.dropped_relations += 1
            continue
        add_relation(out, label, head_id, child_id, policy.labeller)
        state.gold_relations += 1


# Views that show sources spans but no relations: their annotators did not decide any relation, so they neither
# vote for nor against one (Prodigy's spans.manual, doccano's sequence-labelling form).
RELATIONS = "relations"
VIEWS_WITHOUT_RELATIONS = frozenset({"spans_manual", "doccano_spans"})

# The view where a layer is edited for real; the same layer shown in another view (the exporter shows sources
# in spans.manual too) does not count for an annotator who also answered the layer's own view there.
LAYER_VIEW = {"entities": "ner_manual", "sources": "relations", "claims": "spans_manual"}


def _effective_layers(rec: dict, records: list[dict]) -> list[str]:
    start, end = rec["task"]["start"], rec["task"]["end"]
    out = []
    for layer in rec["layers"]:
        own = LAYER_VIEW.get(layer)
        if (
            own
            and rec.get("view") != own
            and any(
                other["annotator"] == rec["annotator"]
                and other.get("view") == own
                and layer in other["layers"]
                and other["task"]["start"] < end
                and start < other["task"]["end"]
                for other in records
            )
        ):
            continue
        out.append(layer)
    return out


def _key(span: dict) -> SpanKey:
    return span["start"], span["end"], span["label"]


def _union(stretches: Iterable[list[tuple[int, int]]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for s, e in sorted(r for group in stretches for r in group):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def _copy_prelabel_attrs(
    pending: list[tuple[dict, dict]], prelabel_spans: list[dict], gold_ids: dict[tuple[str, SpanKey], str]
) -> None:
    """Copy a pre-label's attributes onto the identical gold span; span-id references are re-pointed to the
    gold ids (and dropped when the referenced span is not gold)."""
    old_to_gold = {s["id"]: gold_ids.get((s["layer"], _key(s))) for s in prelabel_spans}

    def remap(value):
        if isinstance(value, str) and value in old_to_gold:
            return old_to_gold[value]
        if isinstance(value, list) and value and all(isinstance(v, str) and v in old_to_gold for v in value):
            return [old_to_gold[v] for v in value if old_to_gold[v] is not None]
        return value

    for span, attrs in pending:
        for name, value in attrs.items():
            if name.startswith("checkworth"):  # the gold decides check-worthiness, not the model
                continue
            new = remap(value)
            if new is not None:
                span["attrs"].setdefault(name, new)


def _predicted_checkworthy(span: dict) -> bool | None:
    """What the annotator saw pre-selected (the task exporters' reading of ``attrs["checkworthy"]``)."""
    from corpus.tasks.units import checkworthy_option

    option = checkworthy_option(span)
    return None if option is None else option == CHECKWORTHY_OPTIONS[0]


def _count_acceptance(
    doc: dict,
    gold_doc: dict,
    coverage: dict[str, list[list[int]]],
    checkworthy: dict[tuple[int, int], str],
    state: MergeState,
) -> None:
    """How many pre-labels (spans, relations, check-worthiness) the gold kept, inside the covered text."""
    for layer in LAYERS:
        stretches = [tuple(r) for r in coverage.get(layer, ())]
        if stretches:
            _count_span_acceptance(doc, gold_doc, layer, stretches, state)
    stretches = [tuple(r) for r in coverage.get("sources", ())]
    if stretches:
        _count_relation_acceptance(doc, gold_doc, stretches, state)
    _count_checkworthy_acceptance(doc, checkworthy, state)


def _add_acceptance(
    state: MergeState, layer: str, by_labeller: dict[str, set], default: str | None, gold_keys: set
) -> None:
    """Add each labeller's matches with the gold (the document's own labeller counts even with no pre-label)."""
    gold = sorted(gold_keys)
    for labeller in set(by_labeller) | ({default} if default else set()):
        counts = state.acceptance[(labeller, layer)]
        predicted = sorted(by_labeller.get(labeller, ()))
        counts["prelabels"] += len(predicted)
        counts["gold"] += len(gold)
        counts["matched"] += count_matches(gold, predicted, state.match)


def _count_span_acceptance(
    doc: dict, gold_doc: dict, layer: str, stretches: list[tuple[int, int]], state: MergeState
) -> None:
    def covered(span: dict) -> bool:
        return span["layer"] == layer and inside(span["start"], span["end"], stretches)

    gold_keys = {_key(s) for s in gold_doc["spans"] if covered(s)}
    by_labeller: dict[str, set[SpanKey]] = defaultdict(set)
    for span in filter(covered, doc.get("spans", [])):
        by_labeller[span.get("labeller") or "unknown"].add(_key(span))
    _add_acceptance(state, layer, by_labeller, doc.get("labellers", {}).get(layer), gold_keys)


def _count_relation_acceptance(doc: dict, gold_doc: dict, stretches: list[tuple[int, int]], state: MergeState) -> None:
    def rel_key(rel: dict, spans: dict) -> tuple | None:
        head, child = spans.get(rel["head"]), spans.get(rel["child"])
        if head is None or child is None:
            return None
        if not (inside(head["start"], head["end"], stretches) and inside(child["start"], child["end"], stretches)):
            return None
        # Offsets first (the extent of both ends), so a matching rule can compare relations like spans.
        return min(head["start"], child["start"]), max(head["end"], child["end"]), rel["label"], _key(head), _key(child)

    gold_by_id = {s["id"]: s for s in gold_doc["spans"]}
    pre_by_id = {s["id"]: s for s in doc.get("spans", [])}
    gold_rels = {k for r in gold_doc["relations"] if (k := rel_key(r, gold_by_id))}
    by_labeller: dict[str, set[tuple]] = defaultdict(set)
    for rel in doc.get("relations", []):
        k = rel_key(rel, pre_by_id)
        if k:
            by_labeller[rel.get("labeller") or "unknown"].add(k)
    _add_acceptance(state, RELATIONS, by_labeller, doc.get("labellers", {}).get("sources"), gold_rels)


def _count_checkworthy_acceptance(doc: dict, checkworthy: dict[tuple[int, int], str], state: MergeState) -> None:
    for span in doc.get("spans", []):
        if span["layer"] != "claims" or (span["start"], span["end"]) not in checkworthy:
            continue
        predicted = _predicted_checkworthy(span)
        if predicted is None:
            continue
        actual = checkworthy[(span["start"], span["end"])] == CHECKWORTHY_OPTIONS[0]
        counts = state.acceptance[(span.get("labeller") or "unknown", CHECKWORTHY_LAYER)]
        counts["items"] += 1
        counts["agree"] += predicted == actual
        counts["tp"] += predicted and actual
        counts["fp"] += predicted and not actual
        counts["fn"] += actual and not predicted


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def build_report(state: MergeState) -> dict:
    agreement: dict = {}
    for layer in (*LAYERS, "relations"):
        if state.agree_regions.get(layer):
            agreement[layer] = pairwise_span_agreement(
                state.agree_spans[layer], state.agree_regions[layer], state.match
            )
    if state.checkworthy_votes:
        agreement[CHECKWORTHY_LAYER] = label_agreement(state.checkworthy_votes)
    layer_order = {name: i for i, name in enumerate((*LAYERS, "relations", CHECKWORTHY_LAYER))}
    acceptance = []
    for (labeller, layer), c in sorted(state.acceptance.items(), key=lambda kv: (layer_order[kv[0][1]], kv[0][0])):
        if layer == CHECKWORTHY_LAYER:
            p, r = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], c["tp"] + c["fn"])
            acceptance.append(
                {
                    "labeller": labeller,
                    "layer": layer,
                    "items": c["items"],
                    "agree": c["agree"],
                    "accuracy": _ratio(c["agree"], c["items"]),
                    "precision": p,
                    "recall": r,
                    "f1": _f1(p, r),
                }
            )
        else:
            p, r = _ratio(c["matched"], c["prelabels"]), _ratio(c["matched"], c["gold"])
            acceptance.append(
                {
                    "labeller": labeller,
                    "layer": layer,
                    "prelabels": c["prelabels"],
                    "gold": c["gold"],
                    "matched": c["matched"],
                    "precision": p,
                    "recall": r,
                    "f1": _f1(p, r),
                }
            )
    return {
        "policy": str(state.policy),
        "match": str(state.match),
        "annotators": sorted(state.annotators),
        "documents": {"total": state.documents_total, "annotated": state.documents_annotated},
        "records": {k: state.answers.get(k, 0) for k in ("accept", "reject", "ignore", "unknown_document")},
        "agreement": agreement,
        "acceptance": acceptance,
        "gold": {
            "spans": {layer: state.gold_spans.get(layer, 0) for layer in LAYERS},
            "relations": state.gold_relations,
            "checkworthy": {o: state.gold_checkworthy.get(o, 0) for o in CHECKWORTHY_OPTIONS},
            "adjudicated": state.adjudicated,
            "dropped_relations": state.dropped_relations,
            "orphan_choices": state.orphan_choices,
        },
        "ties": {"count": state.tie_count, "examples": state.ties},
    }
