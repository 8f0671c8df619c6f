"""What the tools' exports share: the label set's colours, and (doccano) one span shown once per task.

Colours: one per label, no two alike, the same in every tool and in ``corpus preview`` (entity tints come from
:data:`corpus.preview.ENTITY_COLOURS`); attribution roles and claims get strong colours so they stand out, and the
relation types two more. Label Studio puts them in ``config.xml``, doccano in its label files.

Identical spans (same label and offsets: the sources labeller writes one SOURCE per attribution, so a source that
says two things is two spans) show in doccano as one stacked mark an annotator cannot tell apart: the doccano
export keeps the first and moves relations on a copy to it (:func:`distinct_spans`), so that source links to both
contents. Prodigy and Label Studio keep both (Label Studio regions differ by id; Prodigy relations name tokens).
"""

from __future__ import annotations

from collections.abc import Iterable

from corpus.document import CLAIM_LABELS, ENTITY_LABELS, RELATION_LABELS, SOURCE_LABELS
from corpus.preview import ENTITY_COLOURS

SPAN_LABELS = (*ENTITY_LABELS, *SOURCE_LABELS, *CLAIM_LABELS)
_STRONG_COLOURS = {"SOURCE": "#e41a1c", "CUE": "#ff7f00", "CONTENT": "#377eb8", "CLAIM": "#4daf4a"}
SPAN_COLOURS: dict[str, str] = {**{label: ENTITY_COLOURS[label] for label in ENTITY_LABELS}, **_STRONG_COLOURS}
RELATION_COLOURS: dict[str, str] = dict(zip(RELATION_LABELS, ("#984ea3", "#a65628"), strict=True))


def text_colour(background: str) -> str:
    """Black on light backgrounds, white on dark ones (WCAG relative luminance of an ``#rrggbb`` colour)."""
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.179 else "#ffffff"  # 0.179: where black and white contrast equally


def distinct_spans(spans: Iterable[dict]) -> tuple[list[dict], dict[str, str]]:
    """``(spans without repeats, alias)``: the first span of each (start, end, label), in order; ``alias`` maps
    the id of every span dropped as a repeat to the id of the span kept in its place (empty when none was)."""
    kept: list[dict] = []
    first: dict[tuple[int, int, str], str] = {}
    alias: dict[str, str] = {}
    for span in spans:
        key = (span["start"], span["end"], span["label"])
        held = first.get(key)
        if held is None:
            first[key] = span["id"]
            kept.append(span)
        else:
            alias[span["id"]] = held
    return kept, alias
