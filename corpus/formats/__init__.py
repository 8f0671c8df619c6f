"""The labelling tools a corpus is exported to and read back from: one table, :data:`FORMATS`.

Each tool is one package (``corpus.formats.prodigy``, ``.labelstudio``, ``.doccano``) exposing the same names:

``render(doc, unit, report, stats)``
    one document's tasks, encoded (picklable: the build's workers call it), see :mod:`corpus.tasks`;
``Writer(out_dir, stats)``
    the sequential half of an export (``add`` / ``close`` / ``abort``), writing :attr:`ToolFormat.files`;
``check(record, kind, config)``
    the structural checks `corpus validate` runs on a task record of one of :attr:`ToolFormat.kinds` once
    its schema passed (a list of :class:`corpus.records.Finding`);
``kind_of_record(record)``, ``file_context(path, report)``, ``task_meta(task, kind)``, ``fine_arrays(record, kind)``
    for `corpus validate`: the kind of a task file told by its first record (a file under another name), what
    its records are checked against (Label Studio: the ``config.xml`` beside it), ``(meta, text)`` of a task
    (its document reference), and the arrays of a record the schema would accept (emptied, so that jsonschema,
    naming the problems of a rejected record, skips them);
``is_export(item)``, ``records(item, mapper, emitted, sink, annotator)``, ``task_key(task)``
    for `corpus annotations ingest`: whether one exported item is the tool's, the normalised annotation records
    of such an item (:mod:`corpus.formats.exports`), and the key of a task in a task file `corpus tasks` wrote
    (``--tasks``: only annotations on those tasks count).

The CLI (``--format`` choices and help), the build, `corpus validate` and `corpus annotations ingest` all read
this table, so a tool is added here and in its package, nowhere else: a :class:`ToolFormat` entry (its files,
validate kinds and schemas in ``schemas/``) and a package exposing the names above (``tests/test_formats.py``
checks both). What every tool shares stays outside the packages: units, hashes and task order in
:mod:`corpus.tasks`, the mapping of annotations onto documents in :mod:`corpus.formats.exports`, record validity
in :mod:`corpus.records`. The packages are imported on first use: ``corpus.formats`` itself is cheap to import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType, ModuleType
from typing import Any


@dataclass(frozen=True)
class ToolFormat:
    """One labelling tool: what `corpus tasks` writes for it, what `corpus validate` knows of it, where its code is."""

    name: str
    title: str  # the tool's own spelling, for messages
    offsets: str  # what its offsets count, for help texts
    files: tuple[str, ...]  # every file `corpus tasks` writes, in writing order
    kinds: Mapping[str, str]  # task file name -> validate kind (records checked one by one)
    label_kinds: Mapping[str, str]  # label file name -> validate kind (a small JSON file checked whole)
    schemas: Mapping[str, str]  # validate kind -> schema file in schemas/
    help: str  # the `corpus tasks --help` paragraph (lines after the first are indented by the CLI)
    exports: str  # what its annotation exports are, for help texts ("db-out JSONL")
    module: str  # the package holding render / Writer / check / records (see the module docstring)
    meta_key: str = "meta"  # the task field naming its document (doc_id, offset): validate's problem lines
    meta_fields: tuple[str, ...] = ("meta", "text")  # schema problems here make the document check pointless
    json_array: bool = False  # task files are one JSON array (else one JSON record a line)
    hashed: bool = False  # tasks carry a _task_hash that must be unique per file
    export_forms: tuple[str, ...] = ("lines",)  # its exports: JSON "lines" and/or one JSON "array"

    def package(self) -> ModuleType:
        return _package(self.module)

    @property
    def render(self) -> Callable[..., list[tuple]]:
        return self.package().render

    @property
    def writer(self) -> Callable[..., Any]:
        return self.package().Writer

    @property
    def check(self) -> Callable[..., list]:
        return self.package().check

    @property
    def records(self) -> Callable[..., list[dict]]:
        return self.package().records

    @property
    def fine_arrays(self) -> Callable[[dict, str], dict]:
        return self.package().fine_arrays

    @property
    def kind_of_record(self) -> Callable[[dict], str | None]:
        return self.package().kind_of_record

    @property
    def file_context(self) -> Callable[..., Any]:
        return self.package().file_context

    @property
    def task_meta(self) -> Callable[[dict, str], tuple[Any, Any]]:
        return self.package().task_meta

    @property
    def is_export(self) -> Callable[[dict], bool]:
        return self.package().is_export

    @property
    def task_key(self) -> Callable[[dict], str | None]:
        return self.package().task_key


@cache  # called per record by validate and ingest: importlib's lookup costs more than this cache's
def _package(module: str) -> ModuleType:
    return importlib.import_module(module)


def _frozen(pairs: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(pairs))


PRODIGY = ToolFormat(
    name="prodigy",
    title="Prodigy",
    offsets="code points",
    files=("ner.manual.jsonl", "spans.manual.jsonl", "rel.manual.jsonl", "choice.jsonl"),
    kinds=_frozen(
        {
            "ner.manual.jsonl": "ner.manual",
            "spans.manual.jsonl": "spans.manual",
            "rel.manual.jsonl": "rel.manual",
            "choice.jsonl": "choice",
        }
    ),
    label_kinds=_frozen({}),
    schemas=_frozen(
        {
            "ner.manual": "prodigy-ner.schema.json",
            "spans.manual": "prodigy-spans.schema.json",
            "rel.manual": "prodigy-rel.schema.json",
            "choice": "prodigy-choice.schema.json",
        }
    ),
    help="""ner.manual.jsonl (entities), spans.manual.jsonl (claims + sources, overlapping),
rel.manual.jsonl (sources + ATTRIBUTION/CUE relations, head/child = token index of the
span's last token), choice.jsonl (check-worthiness per CLAIM, always shown in the
claim's own sentence(s) whatever --unit says). Code-point offsets. _task_hash is unique
per file (a 32-bit collision is re-hashed with a salt, deterministically).
e.g. prodigy ner.manual NEWS blank:en DIR/ner.manual.jsonl --label PERSON,ORG,GPE""",
    exports="db-out JSONL",
    module="corpus.formats.prodigy",
    hashed=True,
)

LABELSTUDIO = ToolFormat(
    name="labelstudio",
    title="Label Studio",
    offsets="code points",
    files=("tasks.json", "config.xml"),
    kinds=_frozen({"tasks.json": "labelstudio"}),
    label_kinds=_frozen({}),
    schemas=_frozen({"labelstudio": "labelstudio-task.schema.json"}),
    help="""tasks.json (data + predictions) and config.xml (paste it as the project's labeling
config, then import tasks.json). Code-point offsets.""",
    exports="JSON exports",
    module="corpus.formats.labelstudio",
    meta_key="data",
    meta_fields=("data", "meta", "text"),
    json_array=True,
    export_forms=("array",),
)

DOCCANO = ToolFormat(
    name="doccano",
    title="doccano",
    offsets="UTF-16 code units",
    files=("relations.jsonl", "spans.jsonl", "span-types.json", "relation-types.json"),
    kinds=_frozen({"relations.jsonl": "doccano.relations", "spans.jsonl": "doccano.spans"}),
    label_kinds=_frozen({"span-types.json": "doccano.labels", "relation-types.json": "doccano.labels"}),
    schemas=_frozen(
        {
            "doccano.relations": "doccano-relations.schema.json",
            "doccano.spans": "doccano-spans.schema.json",
            "doccano.labels": "doccano-labels.schema.json",
        }
    ),
    help="""relations.jsonl (entities + relations) and spans.jsonl (label: \\[\\[start, end, label]]).
Offsets in UTF-16 code units, as doccano counts by default (an emoji counts 2): keep
"count grapheme clusters" off. span-types.json / relation-types.json: every label, to
import under Labels (Span / Relation tab) before the tasks.""",
    exports="JSONL or JSON exports",
    module="corpus.formats.doccano",
    meta_fields=("data", "meta", "text"),
    export_forms=("lines", "array"),
)

FORMATS: dict[str, ToolFormat] = {f.name: f for f in (PRODIGY, LABELSTUDIO, DOCCANO)}  # fixed order: CLI choices
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)


def tool_format(name: str) -> ToolFormat:
    """The format called ``name``; a ``KeyError`` naming the choices otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown task format {name!r} (choose from {', '.join(FORMAT_NAMES)})") from None


def export_format(form: str, first: Any) -> str:
    """The tool an export file of ``form`` (``lines`` / ``array``) is from, told by its first record: the tool
    that record looks like when it exports that form, else the first tool that does (Prodigy, Label Studio)."""
    from corpus.formats.exports import record_format

    found = record_format(first)
    if found is not None and form in FORMATS[found].export_forms:
        return found
    return next(tool.name for tool in FORMATS.values() if form in tool.export_forms)


def format_of_kind(kind: str) -> ToolFormat | None:
    """The tool whose task or label files are of validate kind ``kind`` (``None``: documents, annotations)."""
    return next((f for f in FORMATS.values() if kind in f.schemas), None)


__all__ = [
    "DOCCANO",
    "FORMATS",
    "FORMAT_NAMES",
    "LABELSTUDIO",
    "PRODIGY",
    "ToolFormat",
    "format_of_kind",
    "tool_format",
]
