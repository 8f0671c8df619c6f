"""Prodigy tasks: ``ner.manual``, ``spans.manual``, ``rel.manual`` and ``choice`` JSONL, one task per unit.

Files written to ``out_dir``:

- ``ner.manual.jsonl`` (view ``ner_manual``): the entities layer. Prodigy's NER view cannot show overlapping
  spans, so when entity spans overlap the earliest-starting (then longest) one is kept and the others are
  counted in ``TaskStats.overlapping_entities`` and reported.
- ``spans.manual.jsonl`` (view ``spans_manual``): claims and sources spans, which may overlap.
- ``rel.manual.jsonl`` (view ``relations``): sources spans (SOURCE, CUE, CONTENT) plus the ATTRIBUTION and CUE
  relations; ``head``/``child`` are the token index of the head/child span's ``token_end`` (what Prodigy
  itself writes), with the full spans under ``head_span``/``child_span``.
- ``choice.jsonl`` (view ``choice``): one task per CLAIM span asking CHECKWORTHY / NOT_CHECKWORTHY, the claim
  shown as the task's only span, ``accept`` pre-selected from the claim's ``attrs["checkworthy"]`` (empty when
  the labeller did not decide); ``meta`` adds ``span_id`` and ``score``. Check-worthiness is judged per
  sentence, so a choice task's unit is always the claim's own sentence (``meta.unit = "sentence"``,
  ``meta.offset`` = the sentence start, ``unit_index`` = the sentence's index), widened over the following
  sentences only when the claim itself runs over them -- whatever unit the span views use. (At paragraph or
  document unit, repeating the whole unit per claim made this file grow with the unit.)

Every task carries ``text`` (the unit's text), ``tokens`` relative to the unit (``ws`` false on its last token),
``spans`` relative to the unit with inclusive ``token_start``/``token_end`` and the extra keys ``id`` (the
document span id), ``score`` and ``labeller``; ``meta`` = ``{doc_id, unit, unit_index, offset}`` so that
``doc_start = meta.offset + span.start``. Offsets are Python code points, as Prodigy counts them.
``_input_hash``/``_task_hash`` come from :mod:`corpus.tasks.hashing` (stable across runs and machines; Prodigy
keeps hashes already present). A ``_task_hash`` is unique within its file and an ``_input_hash`` within the
export: a 32-bit collision is re-hashed with a counter as salt, deterministically (same input, same bytes).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

from corpus.document import CHECKWORTHY_OPTIONS
from corpus.errors import InputProblem
from corpus.jsonl import atomic_writer, dumps
from corpus.tasks.hashing import UniqueHashes, input_hash, task_hash
from corpus.tasks.units import Report, TaskStats, Unit, claim_sentence_units, document_units

NER_FILE, SPANS_FILE = "ner.manual.jsonl", "spans.manual.jsonl"
REL_FILE, CHOICE_FILE = "rel.manual.jsonl", "choice.jsonl"
FILES = (NER_FILE, SPANS_FILE, REL_FILE, CHOICE_FILE)
VIEWS = {NER_FILE: "ner_manual", SPANS_FILE: "spans_manual", REL_FILE: "relations", CHOICE_FILE: "choice"}
CHOICE_TEXT = {"CHECKWORTHY": "Check-worthy", "NOT_CHECKWORTHY": "Not check-worthy"}
OPTIONS = [{"id": option, "text": CHOICE_TEXT[option]} for option in CHECKWORTHY_OPTIONS]


def _non_overlapping(spans: list[dict]) -> tuple[list[dict], list[dict]]:
    """Keep spans that do not overlap an earlier kept one (input sorted by start, then longest first)."""
    kept, dropped, reach = [], [], -1
    for span in spans:
        if span["start"] < reach:
            dropped.append(span)
        else:
            kept.append(span)
            reach = span["end"]
    return kept, dropped


def unit_tasks(unit: Unit, choice_units: dict[str, Unit] | None = None) -> dict[str, list[dict]]:
    """The Prodigy tasks of one unit, by output file name (entities assumed already non-overlapping).

    ``choice_units`` maps a claim's span id to its own sentence unit (:func:`claim_sentence_units`); a claim
    missing from it is asked about in ``unit`` itself. Hashes are the plain :mod:`corpus.tasks.hashing` values,
    before :func:`write_prodigy` makes them unique.
    """

    def task(u: Unit, view: str, spans: list[dict], relations: list[dict] | None = None,
             meta: dict | None = None, options: list[dict] | None = None, accept: list[str] | None = None) -> dict:
        base_hash = input_hash(u.doc_id, u.kind, u.start, u.text)
        out: dict = {"text": u.text, "meta": meta or u.meta, "tokens": u.tokens, "spans": spans}
        if relations is not None:
            out["relations"] = relations
        if options is not None:
            out["options"] = options
            out["accept"] = accept or []
        out["_input_hash"] = base_hash
        out["_task_hash"] = task_hash(base_hash, view, spans, relations or (), [o["id"] for o in options or ()])
        out["_view_id"] = view
        return out

    entities, _ = _non_overlapping(unit.spans_of("entities"))
    sources = unit.spans_of("sources")
    relations = []
    for rel in unit.relations:
        head, child = unit.span(rel["head"]), unit.span(rel["child"])
        relations.append({"head": head["token_end"], "child": child["token_end"], "label": rel["label"],
                          "head_span": head, "child_span": child, "id": rel["id"]})
    tasks = {
        NER_FILE: [task(unit, "ner_manual", entities)],
        SPANS_FILE: [task(unit, "spans_manual", unit.spans_of("claims", "sources"))],
        REL_FILE: [task(unit, "relations", sources, relations)],
        CHOICE_FILE: [],
    }
    for claim in unit.spans_of("claims"):
        own = (choice_units or {}).get(claim["id"], unit)
        shown = own.span(claim["id"])
        option = own.checkworthy[claim["id"]]
        tasks[CHOICE_FILE].append(task(own, "choice", [shown], meta={**own.meta, "span_id": claim["id"],
                                                                     "score": claim["score"]},
                                       options=OPTIONS, accept=[option] if option else []))
    return tasks


def write_prodigy(docs: Iterable[dict], out_dir: Path, unit: str, report: Report | None = None,
                  stats: TaskStats | None = None) -> list[Path]:
    """Write the four Prodigy task files into ``out_dir`` (atomically, all or none); return their paths."""
    stats = stats if stats is not None else TaskStats()
    paths = [out_dir / name for name in FILES]
    # One unit keeps one _input_hash in every file; a _task_hash is unique within its file (Prodigy skips a
    # repeated one). Cross-file repeats are harmless: each file goes into its own dataset.
    input_hashes = UniqueHashes()
    task_hashes = {name: UniqueHashes() for name in FILES}
    with ExitStack() as stack:
        handles = {path.name: stack.enter_context(atomic_writer(path)) for path in paths}
        for name in FILES:
            stats.tasks.setdefault(name, 0)
        for doc in docs:
            where = str(doc.get("origin") or doc.get("id"))
            units = document_units(doc, unit, report, stats)
            claims = [s for s in doc.get("spans") or () if isinstance(s, dict) and s.get("layer") == "claims"
                      and any(s.get("id") in u.layers for u in units)]
            choice_units = claim_sentence_units(doc, claims) if claims else {}
            if choice_units is None and report:
                report(InputProblem(where, f"document {doc['id']}: sentences missing or malformed; its choice "
                                    f"tasks show the whole {unit} unit", severity="warning"))
            for u in units:
                dropped = len(u.spans_of("entities")) - len(_non_overlapping(u.spans_of("entities"))[0])
                if dropped:
                    stats.overlapping_entities += dropped
                    if report:
                        report(InputProblem(where, f"document {u.doc_id}: {dropped} overlapping entity span(s) left "
                                            f"out of {NER_FILE} ({unit} {u.index}); they stay in the document",
                                            severity="warning"))
                for name, tasks in unit_tasks(u, choice_units).items():
                    for t in tasks:
                        meta = t["meta"]
                        unit_key = (meta["doc_id"], meta["unit"], meta["offset"], len(t["text"]))
                        plain_input = t["_input_hash"]
                        t["_input_hash"] = input_hashes.claim(plain_input, unit_key)
                        plain_task = t["_task_hash"]
                        if t["_input_hash"] != plain_input:  # the task hash builds on the (re-salted) input
                            plain_task = task_hash(t["_input_hash"], t["_view_id"], t["spans"],
                                                   t.get("relations") or (), [o["id"] for o in t.get("options", ())])
                        t["_task_hash"] = task_hashes[name].claim(plain_task)
                        handles[name].write(dumps(t))
                        handles[name].write(b"\n")
                    stats.count_task(name, len(tasks))
    stats.hash_collisions += input_hashes.resalted + sum(h.resalted for h in task_hashes.values())
    return paths
