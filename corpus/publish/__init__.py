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
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError, InputProblem

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


def _records(path: Path, report: Callable[[InputProblem], None]) -> Iterable[tuple[int, dict]]:
    # Records `corpus validate` would reject are reported with its lines and skipped (one owner of validity).
    from corpus.pipeline import read_numbered_document_records

    yield from read_numbered_document_records(path, report)


def _document_ids(path: Path) -> set[str]:
    from corpus.jsonl import read_jsonl

    ids = set()
    for _lineno, obj in read_jsonl(path, on_problem=lambda _p: None):
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            ids.add(obj["id"])
    return ids


def _structure_problem(doc: dict) -> str | None:
    """Why the record's segmentation cannot be used (offsets are checked, not trusted), or ``None``."""
    n = len(doc["text"])
    for key in ("paragraphs", "sentences"):
        for item in doc[key]:
            if not (
                isinstance(item, list | tuple)
                and len(item) == 2
                and all(isinstance(x, int) for x in item)
                and 0 <= item[0] <= item[1] <= n
            ):
                return f"[{key}] {item!r} is not a [start, end] pair inside the text"
    previous_end = 0
    for token in doc["tokens"]:
        if not (
            isinstance(token, dict)
            and isinstance(token.get("start"), int)
            and isinstance(token.get("end"), int)
            and previous_end <= token["start"] < token["end"] <= n
        ):
            return f"[tokens] {token!r} is not a token inside the text after the previous one"
        previous_end = token["end"]
    return None


def _needs_segmentation(doc: dict) -> bool:
    return bool(doc["text"].strip()) and not (doc.get("tokens") and doc.get("sentences"))


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
    - ``checkworthy_threshold`` (0.5), ``batch_rows`` (1000 rows per parquet row group), ``shard_bytes``;
    - ``progress``: wraps the document iterator (a progress bar);
    - ``card_base``: an existing README.md whose hand edits to keep (default: ``out_dir/README.md``).
    """
    from corpus.publish.card import CardInputs, merge_card, render_card
    from corpus.publish.dataset import CONFIGS, ConfigWriter, RowBuilder, Stats, config_features
    from corpus.publish.licences import STATUSES, LicenceMix, gate_message
    from corpus.publish.splits import SplitAssigner, parse_ratios
    from corpus.report import Reporter

    report = report or Reporter(echo=None)
    problems = {"errors": 0, "warnings": 0}

    def emit(problem: InputProblem) -> None:
        problems["errors" if problem.severity == "error" else "warnings"] += 1
        report(problem)

    documents_path, out_dir = Path(documents_path), Path(out_dir)
    if not documents_path.is_file():
        raise CorpusError(f"{documents_path}: documents file not found")
    gold_path = Path(options["gold"]) if options.get("gold") else None
    if gold_path is not None and not gold_path.is_file():
        raise CorpusError(f"{gold_path}: gold file not found")
    agreement = load_json_report(options.get("agreement"), "agreement")
    quality_paths = options.get("quality") or []
    if isinstance(quality_paths, str | Path):
        quality_paths = [quality_paths]
    quality = [(Path(p).name, load_json_report(p, "quality report")) for p in quality_paths]
    ratios = parse_ratios(options.get("split_ratios"))
    assigner = SplitAssigner(ratios, options.get("group_by") or None)
    threshold = float(options.get("checkworthy_threshold", 0.5))
    gold = gold_path is not None
    features = config_features(gold=gold)

    stats = Stats(split_names=tuple(ratios))
    builder = RowBuilder(stats, gold=gold, checkworthy_threshold=threshold)
    mix = LicenceMix()
    unannotated: set[str] = _document_ids(documents_path) if gold else set()
    not_in_documents = 0
    source_path = gold_path or documents_path

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        writers = {
            name: ConfigWriter(
                staging,
                name,
                features[name],
                batch_rows=int(options.get("batch_rows", 1000)),
                shard_bytes=int(options.get("shard_bytes", 256 << 20)),
            )
            for name in CONFIGS
        }
        seen: set[str] = set()
        records = _records(source_path, emit)
        if options.get("progress"):
            records = options["progress"](records)
        for lineno, doc in records:
            where = str(source_path)

            def problem(message: str, _line: int = lineno, _where: str = where) -> None:
                emit(InputProblem(_where, message, line=_line, severity="error"))

            if doc["id"] in seen:
                emit(
                    InputProblem(
                        where,
                        f"document id {doc['id']} repeats an earlier line; skipped",
                        line=lineno,
                        severity="warning",
                    )
                )
                stats.duplicates += 1
                continue
            seen.add(doc["id"])
            if gold:
                if doc["id"] in unannotated:
                    unannotated.discard(doc["id"])
                else:
                    not_in_documents += 1
            for key in ("paragraphs", "sentences", "tokens", "spans", "relations"):
                if not isinstance(doc.get(key), list):
                    doc[key] = []
            bad = _structure_problem(doc)
            if bad:
                problem(f"{bad}; document skipped")
                continue
            if _needs_segmentation(doc):
                from corpus.segment.core import segment_document

                segment_document(doc)
                stats.segmented_now += 1
            split = assigner.split_of(doc)
            licence = mix.add(doc["id"], doc.get("licence"))
            rows = builder.rows(doc, split, STATUSES.index(licence.status), problem)
            for config, config_rows in rows.items():
                writers[config].add(split, config_rows)
        files = {name: writer.close() for name, writer in writers.items()}
        n_documents = sum(stats.documents.values())
        if n_documents == 0:
            raise CorpusError(f"{source_path}: no usable document records; no dataset written")

        # Configs and splits with no rows are left out: `datasets` cannot load an empty split.
        split_order = [s for s in ratios if stats.documents[s]]
        configs = {
            name: {s: files[name][s] for s in split_order if s in files[name] and files[name][s].rows}
            for name in CONFIGS
        }
        configs = {name: splits for name, splits in configs.items() if splits}

        if stats.segmented_now:
            emit(
                InputProblem(
                    str(source_path),
                    f"{stats.segmented_now} documents had no tokens or sentences and were "
                    "segmented now (run `corpus segment` to keep segmentation in documents.jsonl)",
                    severity="warning",
                )
            )
        if assigner.group_by and assigner.ungrouped:
            emit(
                InputProblem(
                    str(source_path),
                    f"{assigner.ungrouped} documents have no '{assigner.group_by}' "
                    "value; each forms its own split group",
                    severity="warning",
                )
            )
        if gold and unannotated:
            emit(
                InputProblem(
                    str(documents_path),
                    f"{len(unannotated)} documents have no gold annotations and are not in the dataset",
                    severity="warning",
                )
            )
        licences = mix.to_dict()
        gate = gate_message(licences)
        if gate:
            emit(
                InputProblem(
                    str(source_path),
                    gate.replace("refusing to push", "local build only; a push would be refused").split(". Fix")[0],
                    severity="warning",
                )
            )

        inputs = CardInputs(
            stats=stats,
            configs=configs,
            features=features,
            licences=licences,
            ratios=ratios,
            group_by=assigner.group_by,
            gold=gold,
            quality=quality,
            agreement=agreement,
            repo=options.get("repo"),
            pretty_name=options.get("pretty_name"),
            language=options.get("language") or "en",
            checkworthy_threshold=threshold,
            unannotated=len(unannotated),
            not_in_documents=not_in_documents,
            near_duplicates=assigner.near_duplicates,
            folder=out_dir.name,
        )
        card_text = render_card(inputs)
        # A hand-edited card survives rebuilds: the folder's own README, or one named by a caller that builds
        # into a staging folder (corpus build).
        existing = Path(options.get("card_base") or out_dir / "README.md")
        if existing.is_file():
            card_text = merge_card(card_text, existing.read_text("utf-8"))
        (staging / "README.md").write_text(card_text, "utf-8")
        _install(staging, out_dir, CONFIGS)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)

    stray = out_dir / f"{out_dir.name}.py"
    if stray.exists():
        emit(
            InputProblem(
                str(stray), "a loading script beside the data makes `load_dataset` fail; remove it", severity="warning"
            )
        )
    return {
        "out_dir": str(out_dir),
        "documents": n_documents,
        "splits": {s: stats.documents[s] for s in split_order},
        "configs": {name: {s: f.rows for s, f in splits.items()} for name, splits in configs.items()},
        "default_config": "documents",
        "files": ["README.md", *(rel for splits in configs.values() for f in splits.values() for rel in f.files)],
        "licences": licences,
        "push_allowed": gate is None,
        "gold": gold,
        "unannotated": len(unannotated),
        "errors": problems["errors"],
        "warnings": problems["warnings"],
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
