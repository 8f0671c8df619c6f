"""Validate documents, task files and annotations: JSON Schemas (``schemas/``) plus semantic checks.

Files are known by name (then by content): ``documents.jsonl``; the task and label files of every tool in
:data:`corpus.formats.FORMATS` (Prodigy ``ner.manual.jsonl``, ``spans.manual.jsonl``, ``rel.manual.jsonl``,
``choice.jsonl``; Label Studio ``tasks.json``, checked against the ``config.xml`` beside it, else against the config
`corpus tasks` writes; doccano ``relations.jsonl`` and ``spans.jsonl`` (UTF-16 offsets) and its label files
``span-types.json`` / ``relation-types.json``); ``annotations.jsonl`` from `corpus annotations ingest`.

The schemas say what each record looks like; the semantic checks say what a schema cannot: offsets inside the
text, ``text[start:end]`` equal to the span text, spans on token boundaries, tokens tiling the text, sentences
inside paragraphs, relation ends that exist, unique ids and hashes. When documents and tasks are validated
together, every task is also checked against the document it came from (``meta.doc_id`` + ``meta.offset``).

Every problem is an :class:`InputProblem` naming the file, the line and the field; garbage input (malformed
JSON, a non-object, wrong types) is reported the same way and never raises.

Modules, by concern: :mod:`.schemas` (kinds, loading, schema messages), :mod:`.fastpath` (schemas compiled to
Python predicates), :mod:`.views` (plain-Python array checks that spare jsonschema), :mod:`.checks` (one record),
:mod:`.annotations` (annotation records), :mod:`.files` (files, folders, tasks against documents),
:mod:`.build_checks` (the same checks in `corpus build`'s workers, on what they just made: nothing read back).
Document records are :mod:`corpus.records`'s; each tool's task checks are in its :mod:`corpus.formats` package.
"""

from __future__ import annotations

from typing import Any

import corpus  # noqa: F401  (corpus.validate.corpus: the installed package, as tests of the wheel read it)
from corpus.formats.labelstudio.checks import LabelConfig, default_label_config, parse_label_config
from corpus.records import Finding, document_errors
from corpus.validate.checks import findings
from corpus.validate.fastpath import conforms
from corpus.validate.files import (
    DEFAULT_MAX_PROBLEMS_PER_FILE,
    FILE_NAMES,
    KNOWN_FILES,
    FileSummary,
    ValidationResult,
    detect_kind,
    expand_paths,
    validate_files,
    validate_paths,
)
from corpus.validate.schemas import (
    ANNOTATIONS,
    DOCUMENTS,
    SCHEMA_DIR,
    SCHEMA_DIRS,
    SCHEMA_FILES,
    _validator,
    load_schema,
    schema_path,
)
from corpus.validate.views import _ranges_match_schema, _tokens_match_schema


def validate_document(doc: Any) -> list[str]:
    """Problems with one document record (schema, then semantic checks), as ``"field: problem"`` strings."""
    return [str(f) for f in findings(doc, DOCUMENTS)]


def validate_task(task: Any, kind: str, config: LabelConfig | None = None) -> list[str]:
    """Problems with one task of ``kind``: a Prodigy kind (``ner.manual``, ``spans.manual``, ``rel.manual``,
    ``choice``), ``labelstudio`` (checked against ``config``, default: the config `corpus tasks` writes),
    ``doccano.relations`` or ``doccano.spans``; or with one ``annotations`` record."""
    return [str(f) for f in findings(task, kind, config)]


__all__ = [
    "ANNOTATIONS",
    "DEFAULT_MAX_PROBLEMS_PER_FILE",
    "DOCUMENTS",
    "FILE_NAMES",
    "KNOWN_FILES",
    "SCHEMA_DIR",
    "SCHEMA_DIRS",
    "SCHEMA_FILES",
    "FileSummary",
    "Finding",
    "LabelConfig",
    "ValidationResult",
    "_ranges_match_schema",
    "_tokens_match_schema",
    "_validator",
    "conforms",
    "default_label_config",
    "detect_kind",
    "document_errors",
    "expand_paths",
    "findings",
    "load_schema",
    "parse_label_config",
    "schema_path",
    "validate_document",
    "validate_files",
    "validate_paths",
    "validate_task",
]
