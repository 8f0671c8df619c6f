"""Sources: one NER over paragraphs tagging SOURCE, CUE and CONTENT fragments, then a linker joining them.

The roles rarely overlap (about 2% of PolNeAR's fragments sit inside another attribution's content), so one
tagger with the three role labels fits; where they overlap in the gold the longest fragment is learnt.
The linker is deliberately simple: each CONTENT joins the nearest CUE of its paragraph, and that cue's
nearest SOURCE in the paragraph becomes the content's source.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from corpus.evaluate import ROLE_LABEL, ROLES, Scores
from corpus.train import entities
from corpus.train.gold import GoldDoc

COMPONENT = entities.COMPONENT
add_component = entities.add_component


def _role_spans(gd: GoldDoc) -> list[dict]:
    return [
        {"start": s, "end": e, "label": ROLE_LABEL[role]}
        for att in gd.gold["attributions"]
        for role in ROLES
        for s, e in (att.get(role) or ())
        if s < e
    ]


def labels(docs: list[GoldDoc]) -> list[str]:
    return sorted({span["label"] for d in docs if d.has("sources") for span in _role_spans(d)})


def examples(nlp: Any, docs: list[GoldDoc], stats: Counter[str]) -> list[Any]:
    return entities.span_examples(nlp, docs, "sources", _role_spans, stats)


Fragment = tuple[int, int, str]


def _gap(a: Fragment, b: Fragment) -> int:
    return max(a[0] - b[1], b[0] - a[1], 0)


def link(fragments: list[Fragment], paragraphs: list[list[int]]) -> list[dict]:
    """Attributions from role fragments: contents grouped under the nearest cue of their paragraph."""

    def paragraph(f: Fragment) -> int:
        return next((k for k, (s, e) in enumerate(paragraphs) if s <= f[0] < e), -1)

    by_role: dict[str, list[Fragment]] = {label: [] for label in ROLE_LABEL.values()}
    for f in fragments:
        by_role[f[2]].append(f)
    groups: dict[Fragment | None, dict[str, list]] = {}
    for content in by_role["CONTENT"]:
        cues = [c for c in by_role["CUE"] if paragraph(c) == paragraph(content)]
        cue = min(cues, key=lambda c: (_gap(c, content), c[0]), default=None)
        groups.setdefault(cue, {"cue": [] if cue is None else [cue], "content": []})["content"].append(content)
    for cue in by_role["CUE"]:
        groups.setdefault(cue, {"cue": [cue], "content": []})
    out = []
    for cue, group in groups.items():
        sources = [s for s in by_role["SOURCE"] if cue is not None and paragraph(s) == paragraph(cue)]
        source = min(sources, key=lambda s: (_gap(s, cue), s[0]), default=None) if cue is not None else None
        out.append({"source": [] if source is None else [source], **group})
    used = {s for g in out for s in g["source"]}
    out += [{"source": [s], "cue": [], "content": []} for s in by_role["SOURCE"] if s not in used]
    return out


def predict_fragments(nlp: Any, doc: dict, units: list[tuple[int, int]], batch_size: int = 256) -> list[Fragment]:
    return entities.predict(nlp, doc, units, batch_size)


def score(nlp: Any, dev: list[GoldDoc]) -> tuple[float, dict]:
    """Mean span F1 of the three roles (Jaccard >= 0.5, the project's scorer), and the full report."""
    scores = Scores()
    for gd in dev:
        if not gd.has("sources"):
            continue
        found = predict_fragments(nlp, gd.doc, gd.units("sources"))
        pred = [{role: [[s, e]] for role in ROLES for s, e, label in [f] if ROLE_LABEL[role] == label} for f in found]
        scores.docs_with["attributions"] += 1
        scores.add_attributions(gd.gold["attributions"], pred)
    report = scores.as_dict().get("attributions")
    if not report:
        return 0.0, {}
    return round(sum(report[role]["span"]["f1"] for role in ROLES) / len(ROLES), 4), report
