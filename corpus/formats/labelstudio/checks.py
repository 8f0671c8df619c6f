"""What `corpus validate` checks in a Label Studio task once its schema passed, against a labeling config.

Regions: offsets in range, ``value.text`` equal to the text, unique ids, control names and labels from the
config. Relations: both ends are regions of the same prediction, labels from the config, SOURCE/CUE -> CONTENT.
Per-region choices: the control and the option are the config's, the region exists and is a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from corpus.document import CLAIM_LABELS, RELATION_ENDS
from corpus.formats.shapes import ALL_LABELS, OPTIONS, RELATION_LABELS, is_count, is_label_list, is_name
from corpus.records import MAX_FINDINGS_PER_RECORD, Finding, outside, text_mismatch


@dataclass(frozen=True)
class LabelConfig:
    """What a Label Studio labeling config allows: Labels / Choices by control name, relation labels, Text names."""

    labels: dict[str, frozenset[str]]
    choices: dict[str, frozenset[str]]
    relations: frozenset[str]
    texts: frozenset[str]


def parse_label_config(xml: str) -> LabelConfig:
    """The names and values of a labeling config (raises ``ValueError`` on malformed XML)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"malformed XML ({exc})") from None

    def values(tag: str, child: str) -> dict[str, frozenset[str]]:
        return {el.get("name", ""): frozenset(c.get("value", "") for c in el.iter(child)) for el in root.iter(tag)}

    return LabelConfig(
        labels=values("Labels", "Label"),
        choices=values("Choices", "Choice"),
        relations=frozenset(r.get("value", "") for r in root.iter("Relation")),
        texts=frozenset(t.get("name", "") for t in root.iter("Text")),
    )


@cache
def default_label_config() -> LabelConfig:
    """The config `corpus tasks` writes beside tasks.json."""
    from corpus.formats.labelstudio.tasks import label_config

    return parse_label_config(label_config())


def check(task: dict, kind: str = "labelstudio", config: LabelConfig | None = None) -> list[Finding]:
    """Problems of one Label Studio task, checked against ``config`` (default: :func:`default_label_config`)."""
    config = config or default_label_config()
    out: list[Finding] = []
    text: str = task["data"]["text"]
    for p, prediction in enumerate(task["predictions"]):
        where = f"predictions[{p}].result"
        regions = _check_regions(prediction["result"], where, text, config, out)
        for r, res in enumerate(prediction["result"]):
            if res["type"] == "relation":
                _check_relation(res, f"{where}[{r}]", regions, config, out)
            elif res["type"] == "choices":
                _check_choice(res, f"{where}[{r}]", regions, config, out)
        if len(out) >= MAX_FINDINGS_PER_RECORD:
            break
    return out


def _check_regions(results: list[dict], where: str, text: str, config: LabelConfig, out: list[Finding]) -> dict:
    """The ``labels`` results of one prediction; returns region id -> its (first) label."""
    regions: dict[str, str] = {}
    for r, res in enumerate(results):
        if res["type"] != "labels":
            continue
        if res["id"] in regions:
            out.append(Finding(f"{where}[{r}].id", f"duplicate region id {res['id']!r}"))
        regions[res["id"]] = res["value"]["labels"][0]
        if not _region_fine(res, text, config):
            _check_region(res, f"{where}[{r}]", text, config, out)
    return regions


def _region_fine(res: dict, text: str, config: LabelConfig) -> bool:
    """:func:`_check_region` finds nothing: the common case in one test (no field name formatted)."""
    value, labels = res["value"], config.labels.get(res["from_name"])
    s, e = value["start"], value["end"]
    return (
        labels is not None
        and labels.issuperset(value["labels"])
        and res["to_name"] in config.texts
        and s < e <= len(text)
        and value["text"] == text[s:e]
    )


def _check_region(res: dict, where: str, text: str, config: LabelConfig, out: list[Finding]) -> None:
    value = res["value"]
    if res["from_name"] not in config.labels:
        out.append(Finding(f"{where}.from_name", f"{res['from_name']!r} is no <Labels> name of the config"))
    else:
        for label in value["labels"]:
            if label not in config.labels[res["from_name"]]:
                message = f"{label!r} is not a <Label> of {res['from_name']!r} in the config"
                out.append(Finding(f"{where}.value.labels", message))
    if res["to_name"] not in config.texts:
        out.append(Finding(f"{where}.to_name", f"{res['to_name']!r} is no <Text> name of the config"))
    s, e = value["start"], value["end"]
    if not s < e <= len(text):
        out.append(Finding(f"{where}.value", outside(s, e, len(text))))
    elif value["text"] != text[s:e]:
        out.append(Finding(f"{where}.value.text", text_mismatch(value["text"], text, s, e)))


def _check_relation(res: dict, where: str, regions: dict[str, str], config: LabelConfig, out: list[Finding]) -> None:
    ends = []
    for end in ("from_id", "to_id"):
        ends.append(regions.get(res[end]))
        if res[end] not in regions:
            out.append(Finding(f"{where}.{end}", f"region {res[end]!r} does not exist in this prediction"))
    for label in res["labels"]:
        if label not in config.relations:
            out.append(Finding(f"{where}.labels", f"{label!r} is not a <Relation> of the config"))
        want = RELATION_ENDS.get(label)
        if want and None not in ends and res.get("direction", "right") == "right" and tuple(ends) != want:
            message = f"{label} must go from {want[0]} to {want[1]}, not from {ends[0]} to {ends[1]}"
            out.append(Finding(where, message))


def _check_choice(res: dict, where: str, regions: dict[str, str], config: LabelConfig, out: list[Finding]) -> None:
    if res["from_name"] not in config.choices:
        out.append(Finding(f"{where}.from_name", f"{res['from_name']!r} is no <Choices> name of the config"))
    else:
        for option in res["value"]["choices"]:
            if option not in config.choices[res["from_name"]]:
                message = f"{option!r} is not a <Choice> of {res['from_name']!r}"
                out.append(Finding(f"{where}.value.choices", message))
    if res["id"] not in regions:
        out.append(Finding(f"{where}.id", f"per-region choice for region {res['id']!r}, which does not exist"))
    elif regions[res["id"]] not in CLAIM_LABELS:
        message = f"check-worthiness on a {regions[res['id']]} region (only claims are judged)"
        out.append(Finding(f"{where}.id", message))


# ------------------------------------------------------------------ fast shape checks (spare jsonschema)

_DIRECTIONS = ("right", "left", "bi")


def _relation_result(res: dict) -> bool:
    return (
        is_name(res.get("from_id"))
        and is_name(res.get("to_id"))
        and res.get("direction", "right") in _DIRECTIONS
        and is_label_list(res.get("labels"), RELATION_LABELS, 0)
    )


def _labels_value(value: dict, score: Any) -> bool:
    return (
        is_count(value.get("start"))
        and is_count(value.get("end"))
        and type(value.get("text")) is str
        and is_label_list(value.get("labels"), ALL_LABELS)
        and type(score) in (int, float)
        and 0 <= score <= 1
    )


def _choices_value(value: dict) -> bool:
    return (
        is_label_list(value.get("choices"), OPTIONS)
        and len(value["choices"]) == 1
        and all(is_count(value[k]) for k in ("start", "end") if k in value)
        and type(value.get("text", "")) is str
    )


def _region_fields(res: dict) -> bool:
    return (
        type(res.get("value")) is dict
        and is_name(res.get("id"))
        and type(res.get("from_name")) is str
        and type(res.get("to_name")) is str
    )


def result_matches_schema(res: Any) -> bool:
    """One Label Studio result item against ``labelstudio-task.schema.json`` ``$defs``."""
    if type(res) is not dict or type(res.get("type")) is not str:
        return False
    kind = res["type"]
    if kind == "relation":
        return _relation_result(res)
    if not _region_fields(res):
        return False
    if kind == "labels":
        return _labels_value(res["value"], res.get("score", 0))
    return kind == "choices" and _choices_value(res["value"])


def _predictions_view(predictions: list) -> list:
    return [
        {**p, "result": []}
        if type(p) is dict and type(p.get("result")) is list and all(map(result_matches_schema, p["result"]))
        else p
        for p in predictions
    ]


def fine_arrays(task: dict, kind: str) -> dict:
    """Predictions whose results all match the schema, with those results emptied: jsonschema skips them."""
    if type(task.get("predictions")) is list:
        return {"predictions": _predictions_view(task["predictions"])}
    return {}
