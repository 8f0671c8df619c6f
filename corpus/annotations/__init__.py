"""Annotations back in: ingest tool exports, merge annotators into gold, measure agreement and acceptance.

- :mod:`corpus.annotations.ingest`: the exports of every tool of :data:`corpus.formats.FORMATS` (Prodigy
  ``db-out`` JSONL, Label Studio JSON, doccano) -> normalised annotation records with document offsets
  (``annotations.jsonl``); each tool's reading is its ``corpus.formats.<tool>.ingest``.
- :mod:`corpus.annotations.merge`: annotators -> gold document records (``gold.jsonl``) and the agreement and
  pre-label acceptance report (``agreement.json``; keys documented there).
- :mod:`corpus.annotations.agreement`: span F1, Cohen's kappa, Krippendorff's alpha.
"""

from __future__ import annotations

from pathlib import Path

from corpus.annotations.ingest import (
    IngestStats,
    emitted_task_keys,
    ingest_exports,
    load_documents,
    read_annotations,
    read_checked_annotations,
    write_annotations,
    write_rejects,
)
from corpus.annotations.merge import MergeState, Policy, build_report, merge_documents
from corpus.report import Reporter
from corpus.scoring import EXACT, MatchRule

__all__ = [
    "IngestStats",
    "MergeState",
    "Policy",
    "build_report",
    "emitted_task_keys",
    "ingest_annotations",
    "ingest_exports",
    "load_documents",
    "merge_annotations",
    "merge_documents",
    "read_annotations",
    "write_annotations",
]


def ingest_annotations(
    exports: list[Path],
    documents: Path,
    out: Path,
    report: Reporter,
    tasks_dir: Path | None = None,
    fresh: bool = False,
    annotator: str | None = None,
) -> IngestStats:
    """Ingest ``exports`` into ``out``; records already in ``out`` are kept unless ``fresh``.

    ``annotator`` names the annotator of doccano exports (default: each file's name without extension).
    """
    docs = load_documents(documents, report)
    emitted = emitted_task_keys(tasks_dir, report) if tasks_dir is not None else None
    skipped: list[dict] = []  # broken records of OUT go to the rejects file, not silently away
    existing = read_checked_annotations(out, report, skipped)[0] if out.exists() and not fresh else []
    records, stats = ingest_exports(exports, docs, report, emitted=emitted, existing=existing, annotator=annotator)
    stats.rejects[:0] = skipped
    write_annotations(out, records)
    write_rejects(out, stats.rejects, exports, fresh=fresh)
    return stats


def merge_annotations(
    annotations: Path,
    documents: Path,
    policy: Policy,
    out: Path,
    report_path: Path | None,
    report: Reporter,
    match: MatchRule | str = EXACT,
) -> dict:
    """Write gold documents to ``out`` and the agreement/acceptance report to ``report_path``; return it.

    ``match`` (a :class:`~corpus.scoring.MatchRule` or its name: ``exact``, ``jaccard>=T``, ``overlap>=T``) is
    when two spans are the same, for annotator agreement and pre-label acceptance; the report names it.
    """
    import orjson

    from corpus.jsonl import atomic_writer, write_jsonl
    from corpus.pipeline import read_document_records

    rule = MatchRule.parse(match)  # a mistyped rule fails before anything is read
    records, lines = read_checked_annotations(annotations, report)
    state = MergeState(policy, match=rule)
    gold = merge_documents(
        read_document_records(documents, report), records, policy, report, state, source=(str(annotations), lines)
    )
    write_jsonl(out, gold)
    summary = build_report(state)
    if report_path is not None:
        with atomic_writer(report_path) as fh:
            fh.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
            fh.write(b"\n")
    return summary
