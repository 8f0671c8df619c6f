"""`corpus publish`: documents.jsonl -> a Hugging Face dataset folder (parquet configs + data card) -> the Hub.

:func:`build_dataset` streams the documents once, assigns each to a split (:mod:`.splits`), classifies its
licence (:mod:`.licences`), turns it into rows of the four configs (:mod:`.dataset`), writes parquet in bounded
batches, then writes the card (:mod:`.card`). :func:`corpus.publish.hub.push_folder` uploads the folder.
The folder is built beside ``out_dir`` and moved into place at the end, so a failed run leaves the previous
dataset untouched; a rerun on the same input writes the same bytes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpus.errors import CorpusError, InputProblem

if TYPE_CHECKING:
    from corpus.publish.dataset import DocumentRows
    from corpus.scoring import MatchRule

__all__ = ["build_dataset", "load_json_report"]


def load_json_report(path: str | Path | None, what: str) -> dict | None:
    """Read an optional JSON report (``--quality``, ``--agreement``); one clear error if it is unusable."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: {what} file not found")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: {what} file is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: {what} file must hold a JSON object")
    return data


def _records(path: Path, report: Callable[[InputProblem], None], trusted: bool = False) -> Iterable[tuple[int, dict]]:
    # Records `corpus validate` would reject are reported with its lines and skipped (one owner of validity).
    # A file this run's own pipeline just wrote (`trusted`) is records in shape by construction: the shape check
    # was a third of the dataset phase of `corpus build`, so it is skipped there; lines are still parsed safely.
    if not trusted:
        from corpus.pipeline import read_numbered_document_records

        yield from read_numbered_document_records(path, report)
        return
    # corpus.records, not corpus.pipeline: the pipeline package imports the segmenter and the labellers (~85 MB
    # and ~1 s in a `corpus publish` process) and only its reader of untrusted records is needed here.
    from corpus.jsonl import read_jsonl
    from corpus.records import with_record_defaults

    for lineno, obj in read_jsonl(path, on_problem=report):
        if isinstance(obj, dict) and isinstance(obj.get("id"), str) and isinstance(obj.get("text"), str):
            yield lineno, with_record_defaults(obj, f"{path}:{lineno}")
        else:
            report(InputProblem(str(path), "not a document record; skipped", line=lineno))


def _document_ids(path: Path) -> set[str]:
    from corpus.jsonl import read_jsonl

    ids = set()
    for _lineno, obj in read_jsonl(path, on_problem=lambda _p: None):
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            ids.add(obj["id"])
    return ids


def _structure_problem(doc: dict) -> str | None:
    """Why the record's tokens, paragraphs or sentences cannot be used (checked by :mod:`corpus.records`)."""
    from corpus.records import segments_problem, structure_problem

    return structure_problem(doc, doc["tokens"], "paragraph") or segments_problem(doc, "sentence")


def _needs_segmentation(doc: dict) -> bool:
    return bool(doc["text"].strip()) and not (doc.get("tokens") and doc.get("sentences"))


@dataclass
class _Settings:
    """The options of :func:`build_dataset`, read and checked before anything is written."""

    documents_path: Path
    out_dir: Path
    gold_path: Path | None
    agreement: dict | None
    quality: list[tuple[str, dict | None]]
    ratios: dict[str, float]
    group_by: str | None
    threshold: float
    rules: dict[str, MatchRule]
    options: dict[str, Any]

    @classmethod
    def read(cls, documents_path: str | Path, out_dir: str | Path, options: dict[str, Any]) -> _Settings:
        from corpus.publish.dataset import PRELABEL_RULES
        from corpus.publish.splits import parse_ratios
        from corpus.scoring import rules_over

        documents_path = Path(documents_path)
        if not documents_path.is_file():
            raise CorpusError(f"{documents_path}: documents file not found")
        gold_path = Path(options["gold"]) if options.get("gold") else None
        if gold_path is not None and not gold_path.is_file():
            raise CorpusError(f"{gold_path}: gold file not found")
        quality_paths = options.get("quality") or []
        if isinstance(quality_paths, str | Path):
            quality_paths = [quality_paths]
        return cls(
            documents_path=documents_path,
            out_dir=Path(out_dir),
            gold_path=gold_path,
            agreement=load_json_report(options.get("agreement"), "agreement"),
            quality=[(Path(p).name, load_json_report(p, "quality report")) for p in quality_paths],
            ratios=parse_ratios(options.get("split_ratios")),
            group_by=options.get("group_by") or None,
            threshold=float(options.get("checkworthy_threshold", 0.5)),
            rules=rules_over(PRELABEL_RULES, options.get("match")),
            options=options,
        )

    @property
    def gold(self) -> bool:
        return self.gold_path is not None

    @property
    def source_path(self) -> Path:
        return self.gold_path or self.documents_path


def _splits_with_rows(files: dict, split_order: list[str]) -> dict:
    """A config's files of the splits that have rows, in split order."""
    return {s: files[s] for s in split_order if s in files and files[s].rows}


class _Build:
    """One run of :func:`build_dataset`: the documents go in one by one, rows stream to the config writers."""

    def __init__(self, settings: _Settings, staging: Path, report: Callable[[InputProblem], None]):
        from corpus.publish.dataset import CONFIGS, ConfigWriter, RowBuilder, Stats, config_features
        from corpus.publish.licences import LicenceMix
        from corpus.publish.splits import SplitAssigner

        self.settings, self.report = settings, report
        self.problems = {"errors": 0, "warnings": 0}
        self.features = config_features(gold=settings.gold)
        self.stats = Stats(split_names=tuple(settings.ratios))
        self.builder = RowBuilder(
            self.stats, gold=settings.gold, checkworthy_threshold=settings.threshold, rules=settings.rules
        )
        self.assigner = SplitAssigner(settings.ratios, settings.group_by)
        self.mix = LicenceMix()
        self.unannotated: set[str] = _document_ids(settings.documents_path) if settings.gold else set()
        self.not_in_documents = 0
        self.seen: set[str] = set()
        options = settings.options
        self.writers = {
            name: ConfigWriter(
                staging,
                name,
                self.features[name],
                batch_rows=int(options.get("batch_rows", 1000)),
                shard_bytes=int(options.get("shard_bytes", 256 << 20)),
            )
            for name in CONFIGS
        }

    def emit(self, problem: InputProblem) -> None:
        self.problems["errors" if problem.severity == "error" else "warnings"] += 1
        self.report(problem)

    def warn(self, where: Path | str, message: str) -> None:
        self.emit(InputProblem(str(where), message, severity="warning"))

    def add(self, lineno: int, doc: dict, done: DocumentRows | None = None) -> None:
        """Turn one document record into rows (or report why it is skipped); ``done``: its rows computed already
        by :func:`~corpus.publish.dataset.document_rows` (in a worker), so ``doc`` needs only the fields the
        split and licence are read from (``id``, ``licence``, ``ingest``, the ``group_by`` field)."""
        from corpus.publish.licences import STATUSES

        where = str(self.settings.source_path)

        def problem(message: str, _line: int = lineno) -> None:
            self.emit(InputProblem(where, message, line=_line, severity="error"))

        if not self._admit(lineno, doc, problem, check=done is None):
            return
        split = self.assigner.split_of(doc)
        licence = self.mix.add(doc["id"], doc.get("licence"))
        if done is None:
            rows = self.builder.rows(doc, split, STATUSES.index(licence.status), problem)
        else:
            self.stats.merge(done.stats, split)
            for message in done.problems:
                problem(message)
            rows = done.columns
        for config, columns in rows.items():
            self.writers[config].add(split, columns)

    def _admit(self, lineno: int, doc: dict, problem: Callable[[str], None], check: bool) -> bool:
        """Whether the document goes in: not a repeated id, and (``check``) usable tokens, segmented if need be."""
        where = str(self.settings.source_path)
        if doc["id"] in self.seen:
            self.emit(
                InputProblem(
                    where, f"document id {doc['id']} repeats an earlier line; skipped", line=lineno, severity="warning"
                )
            )
            self.stats.duplicates += 1
            return False
        self.seen.add(doc["id"])
        if self.settings.gold:
            self._note_gold(doc["id"])
        bad = _structure_problem(doc) if check else None
        if bad:
            problem(f"{bad}; document skipped")
            return False
        if check and _needs_segmentation(doc):
            from corpus.segment.core import segment_document

            segment_document(doc)
            self.stats.segmented_now += 1
        return True

    def _note_gold(self, doc_id: str) -> None:
        if doc_id in self.unannotated:
            self.unannotated.discard(doc_id)
        else:
            self.not_in_documents += 1

    def finish(self) -> tuple[dict, list[str]]:
        """Close the writers; the non-empty configs (config -> split -> files) and the splits in order."""
        from corpus.publish.dataset import CONFIGS

        files = {name: writer.close() for name, writer in self.writers.items()}
        if sum(self.stats.documents.values()) == 0:
            raise CorpusError(f"{self.settings.source_path}: no usable document records; no dataset written")
        # Configs and splits with no rows are left out: `datasets` cannot load an empty split.
        split_order = [s for s in self.settings.ratios if self.stats.documents[s]]
        configs = {name: _splits_with_rows(files[name], split_order) for name in CONFIGS}
        return {name: splits for name, splits in configs.items() if splits}, split_order

    def warnings(self) -> str | None:
        """The warnings about the whole run; returns the licence gate's message (``None``: a push is allowed)."""
        from corpus.publish.licences import gate_message

        source, stats, assigner = self.settings.source_path, self.stats, self.assigner
        if stats.segmented_now:
            self.warn(
                source,
                f"{stats.segmented_now} documents had no tokens or sentences and were "
                "segmented now (run `corpus segment` to keep segmentation in documents.jsonl)",
            )
        if assigner.group_by and assigner.ungrouped:
            self.warn(
                source,
                f"{assigner.ungrouped} documents have no '{assigner.group_by}' value; each forms its own split group",
            )
        if self.settings.gold and self.unannotated:
            self.warn(
                self.settings.documents_path,
                f"{len(self.unannotated)} documents have no gold annotations and are not in the dataset",
            )
        gate = gate_message(self.mix.to_dict())
        if gate:
            self.warn(
                source, gate.replace("refusing to push", "local build only; a push would be refused").split(". Fix")[0]
            )
        return gate

    def card_text(self, configs: dict) -> str:
        """The card, keeping the hand edits of an existing one."""
        from corpus.publish.card import CardInputs, merge_card, render_card

        settings, options = self.settings, self.settings.options
        inputs = CardInputs(
            stats=self.stats,
            configs=configs,
            features=self.features,
            licences=self.mix.to_dict(),
            ratios=settings.ratios,
            group_by=self.assigner.group_by,
            gold=settings.gold,
            quality=settings.quality,
            agreement=settings.agreement,
            repo=options.get("repo"),
            pretty_name=options.get("pretty_name"),
            language=options.get("language") or "en",
            checkworthy_threshold=settings.threshold,
            unannotated=len(self.unannotated),
            not_in_documents=self.not_in_documents,
            near_duplicates=self.assigner.near_duplicates,
            folder=settings.out_dir.name,
            prelabel_rules=settings.rules,
        )
        card_text = render_card(inputs)
        # A hand-edited card survives rebuilds: the folder's own README, or one named by a caller that builds
        # into a staging folder (corpus build).
        existing = Path(options.get("card_base") or settings.out_dir / "README.md")
        if existing.is_file():
            card_text = merge_card(card_text, existing.read_text("utf-8"))
        return card_text


def build_dataset(
    documents_path: str | Path,
    out_dir: str | Path,
    report: Callable[[InputProblem], None] | None = None,
    **options: Any,
) -> dict:
    """Write the dataset folder ``out_dir`` from ``documents_path``; return a summary (counts, licences, files).

    Options:
    - ``gold``: gold documents JSONL: build from merged annotations, keep pre-labels in ``prelabel_*`` columns;
    - ``agreement``, ``quality``: JSON reports rendered in the card (``quality`` may be a list of paths);
    - ``split_ratios``: "0.8,0.1,0.1" or a dict; ``group_by``: a document field keeping related articles in
      one split;
    - ``repo`` ("org/name", for links and the citation), ``pretty_name``, ``language`` (default "en");
    - ``match``: matching rules of gold builds' pre-label quality, layer -> rule or ``LAYER=RULE`` strings
      (defaults: :data:`corpus.publish.dataset.PRELABEL_RULES`);
    - ``checkworthy_threshold`` (0.5), ``batch_rows`` (1000 rows per parquet row group), ``shard_bytes``;
    - ``progress``: wraps the document iterator (a progress bar);
    - ``card_base``: an existing README.md whose hand edits to keep (default: ``out_dir/README.md``);
    - ``trusted``: the documents were written by this run's own pipeline (``corpus build``), so the records'
      shape check (``corpus validate``'s schema) is skipped;
    - ``rows``: the rows computed already, in document order, as ``(line, record, DocumentRows)`` triples
      (:func:`corpus.publish.dataset.document_rows` in the build's workers; the record needs only ``id``,
      ``licence``, ``ingest`` and the ``group_by`` field): ``documents_path`` is then not read again (gold builds
      still read it for the ids).
    """
    from corpus.memory import release_free_memory
    from corpus.publish.dataset import CONFIGS
    from corpus.report import Reporter

    _prefer_system_allocator()
    release_free_memory()  # the pages the documents phase freed, before the dataset's batches take new ones
    settings = _Settings.read(documents_path, out_dir, options)
    out_dir = settings.out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        run = _Build(settings, staging, report or Reporter(echo=None))
        if options.get("rows") is not None:
            records = options["rows"]
        else:
            records = _records(settings.source_path, run.emit, trusted=bool(options.get("trusted")))
        if options.get("progress"):
            records = options["progress"](records)
        for lineno, doc, *done in records:
            run.add(lineno, doc, *done)
        configs, split_order = run.finish()
        gate = run.warnings()
        (staging / "README.md").write_text(run.card_text(configs), "utf-8")
        _install(staging, out_dir, CONFIGS)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    stray = out_dir / f"{out_dir.name}.py"
    if stray.exists():
        run.warn(stray, "a loading script beside the data makes `load_dataset` fail; remove it")
    return _summary(run, configs, split_order, gate)


def _prefer_system_allocator() -> None:
    """Make malloc Arrow's C++ default allocator, unless pyarrow is loaded already or the user chose one.

    The parquet writer's content-defined chunking allocates from that default whatever pool the writer is given
    (~5 MB a batch); mimalloc, the default, kept it as ~20 MB more RSS at the dataset phase's peak. Arrow reads
    ``ARROW_DEFAULT_MEMORY_POOL`` when pyarrow is first loaded (a build's parent loads it only for the dataset).
    """
    import os
    import sys

    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _summary(run: _Build, configs: dict, split_order: list[str], gate: str | None) -> dict:
    stats = run.stats
    return {
        "out_dir": str(run.settings.out_dir),
        "documents": sum(stats.documents.values()),
        "splits": {s: stats.documents[s] for s in split_order},
        "configs": {name: {s: f.rows for s, f in splits.items()} for name, splits in configs.items()},
        "default_config": "documents",
        "files": ["README.md", *(rel for splits in configs.values() for f in splits.values() for rel in f.files)],
        "licences": run.mix.to_dict(),
        "push_allowed": gate is None,
        "gold": run.settings.gold,
        "unannotated": len(run.unannotated),
        "errors": run.problems["errors"],
        "warnings": run.problems["warnings"],
    }


def _install(staging: Path, out_dir: Path, configs: Iterable[str]) -> None:
    """Move the built configs and card into ``out_dir``; old config folders are replaced whole.

    Files in ``out_dir`` that are not ours (a ``.git`` folder, a hand-added LICENSE) are left alone.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for config in configs:
        target, new, old = out_dir / config, staging / config, staging / f"{config}.previous"
        if target.exists():
            target.rename(old)
        if new.exists():
            new.rename(target)
    (staging / "README.md").replace(out_dir / "README.md")
