"""Score the pipeline's segmentation and pre-labels against gold-annotated documents.

Gold format and scoring conventions: one JSON document per line with ``id``, ``text`` and any of the layers
``paragraphs``, ``sentences`` ([[start, end]]), ``entities`` ([{start, end, label}]), ``attributions``
([{source, cue, content}], each a list of [start, end] fragments) and ``claims`` ([{start, end, checkworthy}]).
A file scores only the layers it has:

- sentences / paragraphs: boundary F1 on end offsets (trailing whitespace trimmed, the document end excluded,
  because every splitter gets that one for free);
Spans are matched under the named rules of :mod:`corpus.scoring` (defaults below; ``--match LAYER=RULE``
changes them) and the report's ``matching`` field names the rule of every layer it scored:

- entities (``exact``): ``(start, end, label)`` after the label map, plus untyped spans, plus per label;
- attributions, per role (``jaccard>=0.5``): predicted and gold fragments matched one-to-one; character-level
  F1 and exact match are reported as well;
- claims (``overlap>=0.5``): positive-class F1 over the gold claims; a gold claim counts as predicted
  check-worthy when a predicted check-worthy claim overlaps it by at least half of the shorter span.

The gold text is used unchanged (no cleaning), so predicted offsets are directly comparable with gold ones.
Predictions come from the build's document stages (:func:`corpus.pipeline.document_stages`: segment, then one
stage per layer) run over the whole gold stream, so a labeller batches here as it does in `corpus build`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpus.document import ENTITY_LABELS, LAYERS, attribution_components, new_document, spans_of
from corpus.errors import CorpusError, InputProblem
from corpus.jsonl import read_jsonl, write_jsonl
from corpus.pipeline.stages import Stage, run_stages
from corpus.scoring import EXACT, JACCARD_HALF, OVERLAP_HALF, PRF, MatchRule, per_label, rules_over, set_counts

if TYPE_CHECKING:
    from corpus.segment.core import Segmenter

# OntoNotes (our labels) -> CoNLL-2003; numeric and date labels have no CoNLL counterpart and are dropped.
CONLL_LABEL_MAP: dict[str, str | None] = {label: None for label in ENTITY_LABELS} | {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
BUILTIN_LABEL_MAPS = {"conll": CONLL_LABEL_MAP}

GOLD_LAYERS = ("paragraphs", "sentences", "entities", "attributions", "claims")
# Which prelabel layer produces the predictions for a gold layer.
PRELABEL_LAYER = {"entities": "entities", "attributions": "sources", "claims": "claims"}
ROLES = ("source", "cue", "content")
ROLE_LABEL = {"source": "SOURCE", "cue": "CUE", "content": "CONTENT"}
# How predicted spans match gold ones, per gold layer (`corpus eval --match LAYER=RULE` changes them).
SPAN_LAYERS = ("entities", "attributions", "claims")
DEFAULT_RULES: dict[str, MatchRule] = {"entities": EXACT, "attributions": JACCARD_HALF, "claims": OVERLAP_HALF}

Span = tuple[int, int]


def resolve_rules(rules: Mapping[str, MatchRule | str] | Iterable[str] | None) -> dict[str, MatchRule]:
    """:data:`DEFAULT_RULES` with ``rules`` (layer -> rule or its name, or ``LAYER=RULE`` strings) laid over them."""
    return rules_over(DEFAULT_RULES, rules)


def parse_rules(specs: Iterable[str]) -> dict[str, MatchRule]:
    """``["entities=jaccard>=0.5", "claims=exact"]`` -> layer -> rule (only the layers given)."""
    specs = list(specs)
    rules = resolve_rules(specs)
    return {layer: rules[layer] for layer in dict.fromkeys(spec.partition("=")[0].strip() for spec in specs)}


# --------------------------------------------------------------------------------------------- metrics


def boundary_ends(text: str, spans: Iterable[Iterable[int]]) -> set[int]:
    """End offsets with trailing whitespace trimmed, the document's (trimmed) end excluded."""
    doc_end = len(text.rstrip())
    ends = set()
    for span in spans:
        s, e = int(span[0]), int(span[1])
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s and e < doc_end:
            ends.add(e)
    return ends


def _chars(spans: Iterable[Span]) -> set[int]:
    out: set[int] = set()
    for s, e in spans:
        out.update(range(s, e))
    return out


# ------------------------------------------------------------------------------------------- label maps


def parse_label_map(spec: str | None) -> tuple[str | None, dict[str, str | None] | None]:
    """``conll`` | a file (JSON object or ``A=B`` / ``A<TAB>B`` lines) | ``A=B,C=-`` -> (name, mapping).

    A target of ``-`` (or JSON null) drops the label; labels the map does not name are kept unchanged.
    """
    if not spec:
        return None, None
    if spec in BUILTIN_LABEL_MAPS:
        return spec, dict(BUILTIN_LABEL_MAPS[spec])
    path = Path(spec)
    if path.is_file():
        text = path.read_text("utf-8")
        if text.lstrip().startswith("{"):
            return str(path), _json_label_map(path, text)
        return str(path), _lines_label_map(path, text)
    if "=" not in spec:
        raise CorpusError(
            f"label map {spec!r} is neither a built-in map ({', '.join(BUILTIN_LABEL_MAPS)}), "
            "a file, nor 'A=B,C=-' pairs"
        )
    return spec, _inline_label_map(spec)


def _target(value: Any) -> str | None:
    return None if value in (None, "-") else str(value)


def _json_label_map(path: Path, text: str) -> dict[str, str | None]:
    from corpus.jsonl import loads

    try:
        data = loads(text)
    except ValueError as exc:
        raise CorpusError(f"{path}: label map is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorpusError(f'{path}: label map must be a JSON object {{"OURS": "GOLD" or null}}')
    return {str(k): _target(v) for k, v in data.items()}


def _lines_label_map(path: Path, text: str) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sep = "\t" if "\t" in line else "="
        if sep not in line:
            raise CorpusError(f"{path}:{lineno}: expected 'OURS=GOLD' or 'OURS<TAB>GOLD', got {line!r}")
        ours, gold = line.split(sep, 1)
        mapping[ours.strip()] = _target(gold.strip())
    return mapping


def _inline_label_map(spec: str) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        ours, eq, gold = part.partition("=")
        if not eq or not ours.strip() or not gold.strip():
            raise CorpusError(f"label map entry {part!r} should be 'OURS=GOLD' (or 'OURS=-' to drop)")
        mapping[ours.strip()] = _target(gold.strip())
    return mapping


def map_label(label: str, label_map: dict[str, str | None] | None) -> str | None:
    if label_map is None or label not in label_map:
        return label
    return label_map[label]


# ------------------------------------------------------------------------------------------------ gold


def _fragments(value: Any) -> list[Span] | None:
    if not isinstance(value, list):
        return None
    out = []
    for frag in value:
        if not (isinstance(frag, list | tuple) and len(frag) == 2 and all(isinstance(x, int) for x in frag)):
            return None
        out.append((frag[0], frag[1]))
    return out


def _in_text(n: int, s: Any, e: Any) -> bool:
    return isinstance(s, int) and isinstance(e, int) and 0 <= s <= e <= n


def _boundary_problem(obj: dict, n: int) -> str | None:
    # Some converted corpora carry empty (even inverted) boundary spans for blank lines: ignored in scoring, so
    # only each end must lie inside the text.
    for layer in ("paragraphs", "sentences"):
        for span in obj.get(layer) or ():
            if not isinstance(span, list | tuple) or len(span) != 2 or not all(_in_text(n, x, x) for x in span):
                return f"{layer}: bad span {span!r} (text has {n} characters)"
    return None


def _span_problem(obj: dict, n: int) -> str | None:
    for layer in ("entities", "claims"):
        for span in obj.get(layer) or ():
            if not isinstance(span, dict) or not _in_text(n, span.get("start"), span.get("end")):
                return f"{layer}: bad span {span!r} (text has {n} characters)"
            if layer == "entities" and not isinstance(span.get("label"), str):
                return f"entities: span without a string label: {span!r}"
    return None


def _attribution_problem(obj: dict, n: int) -> str | None:
    for attribution in obj.get("attributions") or ():
        if not isinstance(attribution, dict):
            return f"attributions: not an object: {attribution!r}"
        for role in ROLES:
            frags = _fragments(attribution.get(role, []))
            if frags is None or not all(_in_text(n, s, e) for s, e in frags):
                return f"attributions: bad {role} fragments {attribution.get(role)!r}"
    return None


def _check_gold(obj: Any) -> str | None:
    """A problem with one gold record, or None when it can be scored."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not isinstance(obj.get("id"), str):
        return "not a gold document (needs string 'id' and 'text')"
    n = len(obj["text"])
    return _boundary_problem(obj, n) or _span_problem(obj, n) or _attribution_problem(obj, n)


def read_gold(
    path: str | Path, report: Callable[[InputProblem], None] | None = None, limit: int | None = None
) -> Iterator[dict]:
    """Gold documents; a malformed line is reported (file:line: problem) and skipped."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: gold file not found")
    n = 0
    for lineno, obj in read_jsonl(path, on_problem=report):
        problem = _check_gold(obj)
        if problem:
            if report is None:
                raise CorpusError(f"{path}:{lineno}: {problem}")
            report(InputProblem(str(path), problem + "; skipped", line=lineno))
            continue
        yield obj
        n += 1
        if limit is not None and n >= limit:
            return


# ----------------------------------------------------------------------------------------- predictions


def predicted_entities(doc: dict, label_map: dict[str, str | None] | None) -> list[dict]:
    out = []
    for span in spans_of(doc, "entities"):
        label = map_label(span["label"], label_map)
        if label is not None:
            out.append({"start": span["start"], "end": span["end"], "label": label})
    return out


def predicted_attributions(doc: dict) -> list[dict]:
    """Group SOURCE / CUE / CONTENT spans into attributions through their relations.

    A cue and the content fragments it introduces form one attribution (CUE relations); sources attach
    through ATTRIBUTION relations to the contents. Fragments linked to nothing stand alone.
    """
    out = []
    for members in attribution_components(doc.get("spans", ()), doc.get("relations", ())):
        group: dict[str, list[list[int]]] = {r: [] for r in ROLES}
        for span in members:
            role = _ROLE_OF_LABEL.get(span["label"])
            if role is not None:
                group[role].append([span["start"], span["end"]])
        if any(group.values()):
            for role in ROLES:
                group[role].sort()
            out.append(group)
    out.sort(key=lambda g: min((f for r in ROLES for f in g[r]), default=[0, 0]))
    return out


_ROLE_OF_LABEL = {"SOURCE": "source", "CUE": "cue", "CONTENT": "content"}


def predicted_claims(doc: dict) -> list[dict]:
    out = []
    for span in spans_of(doc, "claims"):
        if span["label"] != "CLAIM":
            continue
        out.append(
            {
                "start": span["start"],
                "end": span["end"],
                "checkworthy": bool(span["attrs"].get("checkworthy", False)),
                "score": span["score"],
            }
        )
    return out


# --------------------------------------------------------------------------------------------- scoring


class Scores:
    """Accumulates counts per layer over documents, matching spans under each layer's rule."""

    def __init__(self, rules: Mapping[str, MatchRule | str] | None = None) -> None:
        self.rules = resolve_rules(rules)
        self.boundaries: dict[str, PRF] = {}
        self.entities_typed = PRF()
        self.entities_untyped = PRF()
        self.entities_by_label: dict[str, PRF] = {}
        self.attr_span = {role: PRF() for role in ROLES}
        self.attr_char = {role: PRF() for role in ROLES}
        self.attr_exact = {role: PRF() for role in ROLES}
        self.claims = PRF()
        self.claims_unmatched_predictions = 0
        self.docs_with: Counter[str] = Counter()

    def add_boundaries(self, layer: str, text: str, gold: list, pred: list) -> None:
        counts = set_counts(boundary_ends(text, gold), boundary_ends(text, pred))
        self.boundaries.setdefault(layer, PRF()).add(*counts)

    def add_entities(self, gold: list[dict], pred: list[dict]) -> None:
        rule = self.rules["entities"]
        gold_typed = sorted({(g["start"], g["end"], g["label"]) for g in gold})
        pred_typed = sorted({(p["start"], p["end"], p["label"]) for p in pred})
        self.entities_typed.score(gold_typed, pred_typed, rule)
        self.entities_untyped.score(sorted({t[:2] for t in gold_typed}), sorted({t[:2] for t in pred_typed}), rule)
        for label, counts in per_label(gold_typed, pred_typed, rule).items():
            self.entities_by_label.setdefault(label, PRF()).add(counts.tp, counts.fp, counts.fn)

    def add_attributions(self, gold: list[dict], pred: list[dict]) -> None:
        for role in ROLES:
            g = sorted({tuple(f) for a in gold for f in (a.get(role) or ()) if f[0] < f[1]})
            p = sorted({tuple(f) for a in pred for f in (a.get(role) or ()) if f[0] < f[1]})
            self.attr_span[role].score(g, p, self.rules["attributions"])
            self.attr_exact[role].score(g, p, EXACT)
            self.attr_char[role].add(*set_counts(_chars(g), _chars(p)))

    def add_claims(self, gold: list[dict], pred: list[dict]) -> None:
        """Positive-class counts over the gold claims: a gold claim is predicted check-worthy when a check-worthy
        prediction matches it under the claims rule (several gold claims may share one prediction)."""
        rule = self.rules["claims"]
        positives = [(p["start"], p["end"]) for p in pred if p["checkworthy"]]
        matched_preds: set[int] = set()
        for claim in gold:
            span = (claim["start"], claim["end"])
            hits = [i for i, p in enumerate(positives) if rule.accepts(span, p)]
            matched_preds.update(hits)
            predicted, actual = bool(hits), bool(claim.get("checkworthy"))
            self.claims.add(int(predicted and actual), int(predicted and not actual), int(actual and not predicted))
        self.claims_unmatched_predictions += len(positives) - len(matched_preds)

    def matching(self) -> dict[str, str]:
        """The rule of every span layer scored, for the report."""
        return {layer: str(self.rules[layer]) for layer in SPAN_LAYERS if self.docs_with[layer]}

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for layer in ("paragraphs", "sentences"):
            if layer in self.boundaries:
                out[layer] = {"boundaries": self.boundaries[layer].as_dict()}
        if self.docs_with["entities"]:
            out["entities"] = {
                "typed": self.entities_typed.as_dict(),
                "untyped": self.entities_untyped.as_dict(),
                "per_label": {k: v.as_dict() for k, v in sorted(self.entities_by_label.items())},
            }
        if self.docs_with["attributions"]:
            out["attributions"] = {
                role: {
                    "span": self.attr_span[role].as_dict(),
                    "char": self.attr_char[role].as_dict(),
                    "exact": self.attr_exact[role].as_dict(),
                }
                for role in ROLES
            }
        if self.docs_with["claims"]:
            out["claims"] = {
                "checkworthy": self.claims.as_dict(),
                "unmatched_predictions": self.claims_unmatched_predictions,
            }
        return out


# ------------------------------------------------------------------------------------------------- run


def _needed_layers(gold_layers: set[str], layers: Iterable[str] | None) -> set[str]:
    """The prelabel layers to run for the gold layers asked for, with the layers each one uses (sources use
    entities; claims use both)."""
    wanted_layers = set(layers) if layers is not None else set(LAYERS)
    needed: set[str] = set()
    for gold_layer, layer in PRELABEL_LAYER.items():
        if gold_layer in gold_layers and layer in wanted_layers:
            needed.update(LAYERS[: LAYERS.index(layer) + 1])
    return needed


def _stages_for(
    gold_layers: set[str],
    backends: dict[str, str] | None,
    layers: Iterable[str] | None,
    segmenter: Segmenter | None,
    notes: list[str],
) -> tuple[list[Stage], set[str]]:
    """The document stages that predict the gold layers, built as a build builds them (segment, then one
    :class:`~corpus.pipeline.LabelStage` per layer needed, with the layers it depends on), and the layers
    skipped because no labeller is registered for them."""
    from corpus.pipeline import ProcessorConfig, document_stages
    from corpus.prelabel import available

    needed = _needed_layers(gold_layers, layers)
    registered = available()
    skipped = set()
    for layer in LAYERS:
        if layer in needed and not registered.get(layer):
            skipped.add(layer)
            notes.append(f"no {layer} labeller is registered yet; {layer} not predicted")
    config = ProcessorConfig(
        stages=("segment", *(layer for layer in LAYERS if layer in needed - skipped)),
        backends=tuple(sorted((backends or {}).items())),
        segmenter=segmenter,
    )
    return document_stages(config), skipped


def _new_documents(gold_docs: Iterable[dict]) -> Iterator[dict]:
    """A new document record per gold text, keeping the gold id (the text is used unchanged)."""
    for gold in gold_docs:
        doc = new_document(gold["text"], origin=gold["id"])
        doc["id"] = gold["id"]
        yield doc


def _score_document(
    gold: dict, doc: dict, ran: set[str], scores: Scores, label_map: dict[str, str | None] | None
) -> dict[str, Any]:
    """Score one predicted document against its gold record; returns the predictions in the gold format."""
    text = gold["text"]
    pred: dict[str, Any] = {
        "id": gold["id"],
        "text": text,
        "paragraphs": doc["paragraphs"],
        "sentences": doc["sentences"],
    }
    for layer in ("paragraphs", "sentences"):
        if layer in gold:
            scores.docs_with[layer] += 1
            scores.add_boundaries(layer, text, gold[layer], doc[layer])
    if "entities" in ran:
        pred["entities"] = predicted_entities(doc, label_map)
    if "sources" in ran:
        pred["attributions"] = predicted_attributions(doc)
    if "claims" in ran:
        pred["claims"] = predicted_claims(doc)
    adders = {"entities": scores.add_entities, "attributions": scores.add_attributions, "claims": scores.add_claims}
    for layer, add in adders.items():
        if layer in pred and layer in gold:
            scores.docs_with[layer] += 1
            add(_gold_layer(gold, layer), pred[layer])
    return pred


def _gold_layer(gold: dict, layer: str) -> list[dict]:
    if layer == "entities":  # only the fields scored: a gold span may carry more
        return [{"start": g["start"], "end": g["end"], "label": g["label"]} for g in gold["entities"]]
    return gold[layer]


def _not_run_notes(gold_layers: set[str], ran: set[str], skipped: set[str]) -> list[str]:
    """Notes for the gold layers whose prelabel layer neither ran nor was skipped for want of a labeller."""
    return [
        f"{gold_layer} in the gold file but the {layer} layer was not run"
        for gold_layer, layer in PRELABEL_LAYER.items()
        if gold_layer in gold_layers and layer not in ran and layer not in skipped
    ]


def evaluate(
    gold_path: str | Path,
    backends: dict[str, str] | None = None,
    label_map: dict[str, str | None] | None = None,
    predictions_out: str | Path | None = None,
    layers: Iterable[str] | None = None,
    limit: int | None = None,
    report: Callable[[InputProblem], None] | None = None,
    segmenter: Segmenter | None = None,
    rules: Mapping[str, MatchRule | str] | None = None,
) -> dict[str, Any]:
    """Run segmentation and pre-labelling on every gold document and score them; returns the report dict.

    ``layers`` restricts which prelabel layers run (default: those the gold file can score). Layers whose
    labeller is not registered are skipped with a note. ``predictions_out`` receives the predictions in the
    gold format (same ids and text; entity labels after the label map). ``rules`` (layer -> matching rule)
    overrides :data:`DEFAULT_RULES`.
    """
    gold_docs = list(read_gold(gold_path, report=report, limit=limit))
    gold_layers = {layer for layer in GOLD_LAYERS for g in gold_docs if layer in g}
    notes: list[str] = []
    stages, skipped = _stages_for(gold_layers, backends, layers, segmenter, notes)
    labellers = {stage.name: stage.version for stage in stages if stage.name in LAYERS}  # layer -> NAME@VERSION
    ran = set(labellers)
    scores = Scores(rules)
    started = time.perf_counter()
    # The stages run over the whole stream, as in a build, so a labeller with a batch hook batches here too.
    predicted = run_stages(stages, _new_documents(gold_docs))
    predictions = [
        _score_document(gold, doc, ran, scores, label_map) for gold, doc in zip(gold_docs, predicted, strict=True)
    ]
    seconds = time.perf_counter() - started
    if predictions_out is not None:
        write_jsonl(predictions_out, predictions)
    notes += _not_run_notes(gold_layers, ran, skipped)
    return {
        "gold": str(gold_path),
        "documents": len(gold_docs),
        "characters": sum(len(g["text"]) for g in gold_docs),
        "seconds": round(seconds, 3),
        "labellers": labellers,
        "label_map": None if label_map is None else dict(label_map),
        "matching": scores.matching(),
        "scores": scores.as_dict(),
        "notes": notes,
    }


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str, dict]]:
    """``(layer, measure, prf)`` rows for rendering a report as one table."""
    rows: list[tuple[str, str, dict]] = []
    scores = result["scores"]
    for layer in ("paragraphs", "sentences"):
        if layer in scores:
            rows.append((layer, "boundaries", scores[layer]["boundaries"]))
    if "entities" in scores:
        rows.append(("entities", "typed", scores["entities"]["typed"]))
        rows.append(("entities", "untyped", scores["entities"]["untyped"]))
        for label, prf in scores["entities"]["per_label"].items():
            rows.append(("entities", f"  {label}", prf))
    if "attributions" in scores:
        for role in ROLES:
            for measure in ("span", "char", "exact"):
                rows.append(("attributions", f"{role} ({measure})", scores["attributions"][role][measure]))
    if "claims" in scores:
        rows.append(("claims", "check-worthy", scores["claims"]["checkworthy"]))
    return rows
