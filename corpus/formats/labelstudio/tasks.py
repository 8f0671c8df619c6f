"""Label Studio tasks: ``tasks.json`` (a JSON list of tasks with predictions) and the matching ``config.xml``.

One task per unit::

    {"data": {"text", "doc_id", "unit", "unit_index", "offset", "title"},
     "predictions": [{"model_version": "entities=rules@1,sources=rules@1", "score": <mean span score>,
                      "result": [...]}]}

``result`` holds, in this order:

- one region per span of every layer (entities, sources, claims may overlap): ``{"id": <document span id>,
  "from_name": "label", "to_name": "text", "type": "labels", "value": {"start", "end", "text", "labels"},
  "score"}``;
- one relation per ATTRIBUTION / CUE relation: ``{"from_id", "to_id", "type": "relation", "direction": "right",
  "labels": [label]}``;
- one per-region check-worthiness choice per CLAIM whose labeller decided it: ``{"id": <the claim's region id>,
  "from_name": "checkworthy", "to_name": "text", "type": "choices", "value": {"start", "end", "text",
  "choices": [option]}}`` (Label Studio ties a per-region result to its region by sharing the id).

``data.title`` is the article's title (its id when it has none), shown as the task's header (``config.xml``:
``<Header value="$title"/>``); it stays a JSON string in the task, never goes into the XML, and Label Studio shows
it as plain text, so no title can change the config or the page. Every label and relation type has its own colour
(:mod:`corpus.tasks.labelset`).

Units without any pre-label get ``"predictions": []``. Offsets are Python code points relative to the unit text,
which is what Label Studio (1.x) stores; the document offset is ``data.offset + start``. Region ids are the
document span ids, so exported annotations that keep a pre-label can be traced back to it.
"""

from __future__ import annotations

from contextlib import ExitStack
from operator import itemgetter
from pathlib import Path
from xml.sax.saxutils import quoteattr

from corpus.document import CHECKWORTHY_OPTIONS, CLAIM_LABELS
from corpus.errors import CorpusError
from corpus.jsonl import atomic_writer, dumps
from corpus.tasks.labelset import RELATION_COLOURS, SPAN_COLOURS
from corpus.tasks.units import Report, TaskStats, Unit, document_units, model_version

TASKS_FILE, CONFIG_FILE = "tasks.json", "config.xml"
FROM_NAME, TO_NAME, CHOICES_NAME = "label", "text", "checkworthy"

_LINE = itemgetter(1)  # an item's task JSON
_NUMBER = (int, float)  # a tuple: ``int | float`` would build a union type at every isinstance call
_CHOICE_HINTS = {
    "CHECKWORTHY": "Check-worthy: a factual claim worth verifying",
    "NOT_CHECKWORTHY": "Not check-worthy: opinion, prediction, trivial or unverifiable",
}


def label_config() -> str:
    """The labeling config matching :func:`unit_task`: one ``Labels`` for every layer, relations, choices."""
    labels = [
        f"    <Label value={quoteattr(label)} background={quoteattr(colour)}/>"
        for label, colour in SPAN_COLOURS.items()
    ]
    relations = [
        f"    <Relation value={quoteattr(label)} background={quoteattr(colour)}/>"
        for label, colour in RELATION_COLOURS.items()
    ]
    choices = [
        f'    <Choice value="{option}" hint={quoteattr(_CHOICE_HINTS[option])}/>' for option in CHECKWORTHY_OPTIONS
    ]
    return "\n".join(
        [
            "<View>",
            '  <Header value="$title"/>',
            "  <Relations>",
            *relations,
            "  </Relations>",
            f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">',
            *labels,
            "  </Labels>",
            f'  <Text name="{TO_NAME}" value="$text" granularity="word"/>',
            f'  <Choices name="{CHOICES_NAME}" toName="{TO_NAME}" perRegion="true" choice="single" '
            f'whenLabelValue="{CLAIM_LABELS[0]}">',
            *choices,
            "  </Choices>",
            "</View>",
            "",
        ]
    )


def task_title(doc: dict) -> str:
    """The header of a document's tasks: its title, or its id when it has no (non-blank string) title."""
    title = doc.get("title")
    return title.strip() if isinstance(title, str) and title.strip() else str(doc["id"])


def unit_task(doc: dict, unit: Unit, title: str | None = None) -> dict:
    """The Label Studio task of one unit, with its pre-labels as one prediction (``title``: the document's
    :func:`task_title`, found here when not given)."""
    title = task_title(doc) if title is None else title
    task: dict = {"data": {"text": unit.text, **unit.meta, "title": title}, "predictions": []}
    if not unit.spans:
        return task
    prediction = {"model_version": model_version(doc, unit)}
    regions, scores = _regions(unit)
    if scores:
        prediction["score"] = round(sum(scores) / len(scores), 4)
    prediction["result"] = [*regions, *_relations(unit), *_choices(unit)]
    task["predictions"].append(prediction)
    return task


def _regions(unit: Unit) -> tuple[list[dict], list]:
    """One ``labels`` region per span, its id the document span id; and the spans' scores (those that are
    numbers), in span order."""
    result, scores = [], []
    text = unit.text
    for span in unit.spans:
        start, end = span["start"], span["end"]
        region = {
            "id": span["id"],
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [span["label"]]},
        }
        score = span.get("score")
        if isinstance(score, _NUMBER):
            region["score"] = score
            scores.append(score)
        result.append(region)
    return result, scores


def _relations(unit: Unit) -> list[dict]:
    """One ``relation`` per relation, between the regions of its ends."""
    return [
        {"from_id": r["head"], "to_id": r["child"], "type": "relation", "direction": "right", "labels": [r["label"]]}
        for r in unit.relations
    ]


def _choices(unit: Unit) -> list[dict]:
    """A per-region check-worthiness choice for each claim region whose labeller decided it (its region's id)."""
    result = []
    if not any(unit.checkworthy.values()):  # no claim, or none decided
        return result
    for span in unit.spans_of("claims"):
        option = unit.checkworthy[span["id"]]
        if option:
            result.append(
                {
                    "id": span["id"],
                    "from_name": CHOICES_NAME,
                    "to_name": TO_NAME,
                    "type": "choices",
                    "value": {
                        "start": span["start"],
                        "end": span["end"],
                        "text": unit.text[span["start"] : span["end"]],
                        "choices": [option],
                    },
                }
            )
    return result


def render_labelstudio(
    doc: dict,
    unit: str,
    report: Report | None = None,
    stats: TaskStats | None = None,
    units: list[Unit] | None = None,
    objects: list | None = None,
) -> list[tuple[int, bytes]]:
    """One document's tasks, encoded: ``(0, task JSON)`` per unit (picklable: a worker makes them). ``units``: the
    document's :func:`document_units` when already cut; ``objects``: gets each task as a dict, item by item."""
    if units is None:
        units = document_units(doc, unit, report, stats)
    title = task_title(doc)
    if objects is None:
        return [(0, dumps(unit_task(doc, u, title))) for u in units]
    objects += [unit_task(doc, u, title) for u in units]
    return [(0, dumps(task)) for task in objects]


class LabelStudioWriter:
    """Streams rendered tasks into ``tasks.json`` (a JSON list, one task per line); ``config.xml`` on close."""

    def __init__(self, out_dir: Path, stats: TaskStats):
        self.stats = stats
        self.paths = [out_dir / TASKS_FILE, out_dir / CONFIG_FILE]
        self._stack = ExitStack()
        self._fh = self._stack.enter_context(atomic_writer(self.paths[0]))
        self._fh.write(b"[")
        self._n = 0

    def add(self, items: list[tuple[int, bytes | memoryview]]) -> None:
        if items:
            self._fh.write(b"\n" if self._n == 0 else b",\n")  # then the tasks, ",\n" between
            self._fh.write(b",\n".join(map(_LINE, items)))
            self._n += len(items)

    def close(self) -> list[Path]:
        self._fh.write(b"\n]\n")
        self._stack.close()
        self.stats.count_task(TASKS_FILE, self._n)
        with atomic_writer(self.paths[1]) as fh:
            fh.write(label_config().encode("utf-8"))
        return self.paths

    def abort(self) -> None:
        self._stack.__exit__(CorpusError, CorpusError("aborted"), None)  # temp file removed, nothing published
