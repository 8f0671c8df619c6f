"""`corpus build`: every stage, end to end, from article files to tasks and a dataset folder."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import CorpusError, InputProblem
from corpus.jsonl import write_jsonl
from corpus.pipeline import Stats, drop_exact_duplicates, prelabel_stage, segment_stage

TASK_FORMATS = ("prodigy", "labelstudio", "doccano")


@dataclass
class BuildResult:
    stats: Stats
    outputs: list[str] = field(default_factory=list)
    invalid: int = 0


def run_build(
    inputs: Iterable[str | Path],
    out: str | Path,
    report: Callable[[InputProblem], None],
    backends: dict[str, str] | None = None,
    unit: str = "paragraph",
    formats: Iterable[str] | None = None,
    workers: int = 1,
    engine: str = "local",
    resume: bool = False,
    dataset: bool = True,
    progress: bool = True,
) -> BuildResult:
    """Build ``out/documents.jsonl``, ``out/tasks/<format>/…`` and ``out/dataset/`` from ``inputs``."""
    from corpus.ingest import read_documents

    out = Path(out)
    formats = tuple(formats or TASK_FORMATS)
    unknown = [f for f in formats if f not in TASK_FORMATS]
    if unknown:
        raise CorpusError(f"unknown task format(s) {', '.join(unknown)} (choose from {', '.join(TASK_FORMATS)})")
    if engine != "local":
        raise CorpusError(f"unknown engine '{engine}' (available: local)")

    stats = Stats()
    result = BuildResult(stats)
    docs = drop_exact_duplicates(read_documents(inputs, report), report, stats)
    docs = prelabel_stage(segment_stage(docs), backends)

    def counted():
        for doc in docs:
            stats.count(doc)
            yield doc

    documents_path = out / "documents.jsonl"
    if progress:
        from corpus.cli.common import track

        write_jsonl(documents_path, track(counted(), "build"))
    else:
        write_jsonl(documents_path, counted())
    result.outputs.append(str(documents_path))
    if stats.documents == 0:
        return result

    from corpus.pipeline import read_document_records
    from corpus.tasks import write_tasks

    for fmt in formats:
        written = write_tasks(read_document_records(documents_path, report), out / "tasks" / fmt, fmt=fmt, unit=unit)
        result.outputs.extend(str(p) for p in written)

    from corpus.validate import validate_paths

    problems = validate_paths([documents_path, *(out / "tasks" / "prodigy").glob("*.jsonl")])
    for problem in problems:
        report(problem)
    result.invalid = sum(1 for p in problems if p.severity == "error")

    if dataset:
        from corpus.publish import build_dataset

        dataset_dir = out / "dataset"
        build_dataset(documents_path, dataset_dir, report=report)
        result.outputs.append(str(dataset_dir))
    return result
