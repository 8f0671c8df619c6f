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
  the labeller did not decide), ``config`` = ``{"choice_style": "single"}`` (one answer per claim: Prodigy's
  choice view would otherwise let both options be ticked); ``meta`` adds ``span_id`` and ``score``.
  Check-worthiness is judged per sentence, so a choice task's unit is always the claim's own sentence
  (``meta.unit = "sentence"``, ``meta.offset`` = the sentence start, ``unit_index`` = the sentence's index),
  widened over the following sentences only when the claim itself runs over them -- whatever unit the span
  views use. (At paragraph or document unit, repeating the whole unit per claim made this file grow with the
  unit.)

Every task carries ``text`` (the unit's text), ``tokens`` relative to the unit (``ws`` false on its last token),
``spans`` relative to the unit with inclusive ``token_start``/``token_end`` and the extra keys ``id`` (the
document span id), ``score`` and ``labeller``; ``meta`` = ``{doc_id, unit, unit_index, offset}`` so that
``doc_start = meta.offset + span.start``. Offsets are Python code points, as Prodigy counts them.
``_input_hash``/``_task_hash`` come from :mod:`corpus.tasks.hashing` (stable across runs and machines; Prodigy
keeps hashes already present). A ``_task_hash`` is unique within its file and an ``_input_hash`` within the
export: a 32-bit collision is re-hashed with a counter as salt, deterministically (same input, same bytes).
"""

from __future__ import annotations

from array import array
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import orjson

from corpus.document import CHECKWORTHY_OPTIONS
from corpus.errors import CorpusError, InputProblem
from corpus.jsonl import atomic_writer
from corpus.tasks.hashing import UniqueHashes, input_hash, task_hash, task_hash_of, task_question
from corpus.tasks.units import Report, TaskStats, Unit, claim_sentence_units, document_units

NER_FILE, SPANS_FILE = "ner.manual.jsonl", "spans.manual.jsonl"
REL_FILE, CHOICE_FILE = "rel.manual.jsonl", "choice.jsonl"
FILES = (NER_FILE, SPANS_FILE, REL_FILE, CHOICE_FILE)
FILE_INDEX = {name: i for i, name in enumerate(FILES)}
VIEWS = {NER_FILE: "ner_manual", SPANS_FILE: "spans_manual", REL_FILE: "relations", CHOICE_FILE: "choice"}
CHOICE_TEXT = {"CHECKWORTHY": "Check-worthy", "NOT_CHECKWORTHY": "Not check-worthy"}
OPTIONS = [{"id": option, "text": CHOICE_TEXT[option]} for option in CHECKWORTHY_OPTIONS]
CHOICE_CONFIG = {"choice_style": "single"}  # per-task Prodigy setting: one option per answer


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


# Pre-encoded JSON spliced into tasks: a unit's text and tokens are encoded once and shared by all its views.
_OPTIONS_JSON = orjson.dumps(OPTIONS)
_OPTION_IDS = [o["id"] for o in OPTIONS]


_VIEWS = ("ner_manual", "spans_manual", "relations", "choice")
_VIEW_NUMBER = {view: n for n, view in enumerate(_VIEWS)}
_VIEW_BYTES = [view.encode() for view in _VIEWS]
_ROW = 12  # integers per packed task (see PackedTasks)
_LINE_END = b'"_input_hash":%d,"_task_hash":%d,"_view_id":"%s"}\n'  # the hash keys, last in every task


class PackedTasks(NamedTuple):
    """One document's rendered Prodigy tasks: ``rows`` holds 12 integers per task -- file index, unit number,
    then (start, end) in ``pieces`` of its head, tokens, tail and question, its plain task hash, its view number;
    ``units[unit number]`` is ``(unit key, plain input hash)``.

    Between a task's tail and its question, ``pieces`` holds the end of its line with the plain hashes
    (:data:`_LINE_END`), and a unit's head is followed by its tokens when they are packed with it: when no hash
    has to change, :class:`ProdigyWriter` writes each line as slices of ``pieces`` (tail start to question start)
    without formatting anything."""

    pieces: bytes | memoryview  # a memoryview of a mapped spill file when it comes from a worker process
    rows: array
    units: list[tuple[tuple, int]]


def _split_layers(unit: Unit) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """``(entities, claims + sources, sources, claims)`` of a unit, each in the unit's span order, in one pass."""
    entities, claims_sources, sources, claims = [], [], [], []
    layer_of = unit.layers
    for span in unit.spans:
        layer = layer_of[span["id"]]
        if layer == "entities":
            entities.append(span)
        else:
            claims_sources.append(span)
            (sources if layer == "sources" else claims).append(span)
    return entities, claims_sources, sources, claims


def unit_tasks(unit: Unit, choice_units: dict[str, Unit] | None = None) -> dict[str, list[dict]]:
    """The Prodigy tasks of one unit, by output file name (entities assumed already non-overlapping).

    ``choice_units`` maps a claim's span id to its own sentence unit (:func:`claim_sentence_units`); a claim
    missing from it is asked about in ``unit`` itself. Hashes are the plain :mod:`corpus.tasks.hashing` values,
    before the writer makes them unique. (The readable form of what :func:`corpus.tasks.write_tasks` encodes.)
    """
    return {
        name: [
            _task(u, view, spans, relations, meta, options, accept, input_hash(u.doc_id, u.kind, u.start, u.text))
            for u, view, spans, relations, meta, options, accept in questions
        ]
        for name, questions in _unit_questions(unit, choice_units, _non_overlapping).items()
    }


def _unit_questions(unit: Unit, choice_units: dict[str, Unit] | None, non_overlapping) -> dict[str, list[tuple]]:
    """What each view asks about ``unit``: ``(unit shown, view, spans, relations, meta, options, accept)`` per task."""
    entities, claims_sources, sources, claims = _split_layers(unit)
    entities = non_overlapping(entities)[0]
    relations = []
    if unit.relations:
        span = unit.span
        for rel in unit.relations:
            head, child = span(rel["head"]), span(rel["child"])
            relations.append(
                {
                    "head": head["token_end"],
                    "child": child["token_end"],
                    "label": rel["label"],
                    "head_span": head,
                    "child_span": child,
                    "id": rel["id"],
                }
            )
    meta = unit.meta
    choices = []
    for claim in claims:
        own = (choice_units or {}).get(claim["id"], unit)
        option = own.checkworthy[claim["id"]]
        choices.append(
            (
                own,
                "choice",
                [own.span(claim["id"])],
                None,
                {**own.meta, "span_id": claim["id"], "score": claim["score"]},
                OPTIONS,
                [option] if option else [],
            )
        )
    return {
        NER_FILE: [(unit, "ner_manual", entities, None, meta, None, None)],
        SPANS_FILE: [(unit, "spans_manual", claims_sources, None, meta, None, None)],
        REL_FILE: [(unit, "relations", sources, relations, meta, None, None)],
        CHOICE_FILE: choices,
    }


def _task(
    u: Unit,
    view: str,
    spans: list[dict],
    relations: list[dict] | None,
    meta: dict,
    options: list[dict] | None,
    accept: list[str] | None,
    input_hash_: int,
) -> dict:
    """One task as plain values (what :func:`render_prodigy` encodes piecewise)."""
    out: dict = {"text": u.text, "meta": meta, "tokens": u.tokens, "spans": spans}
    if relations is not None:
        out["relations"] = relations
    if options is not None:
        out["options"] = options
        out["accept"] = accept or []
        out["config"] = CHOICE_CONFIG
    out["_input_hash"] = input_hash_
    out["_task_hash"] = task_hash(input_hash_, view, spans, relations or (), _OPTION_IDS if options else [])
    out["_view_id"] = view
    return out


def render_prodigy(
    doc: dict,
    unit: str,
    report: Report | None = None,
    stats: TaskStats | None = None,
    units: list[Unit] | None = None,
    objects: dict | None = None,
) -> PackedTasks:
    """One document's Prodigy tasks, encoded, before their hashes are made unique (picklable: a worker makes them).

    A :class:`PackedTasks`, tasks in the order :class:`ProdigyWriter` must claim hashes in (unit by unit, file by
    file); each task's JSON up to the hash keys, which come last (see
    :func:`corpus.tasks.hashing.task_question`), is the concatenation of its head, tokens and tail pieces.
    ``units``: the document's :func:`document_units` when already cut (their problems and counts already made).
    ``objects``: gets what each piece encodes, by the piece's start (see :class:`_Packer`).
    """
    stats = stats if stats is not None else TaskStats()
    where = str(doc.get("origin") or doc.get("id"))
    if units is None:
        units = document_units(doc, unit, report, stats)
    choice_units = _choice_units(doc, units)
    if choice_units is None and report:
        report(
            InputProblem(
                where,
                f"document {doc['id']}: sentences missing or malformed; its choice tasks show the whole {unit} unit",
                severity="warning",
            )
        )
    dropped_entities: list[int] = []

    def non_overlapping(spans: list[dict]) -> tuple[list[dict], list[dict]]:
        kept, dropped = _non_overlapping(spans)
        dropped_entities.append(len(dropped))
        return kept, dropped

    packer = _Packer(objects)
    for u in units:
        dropped_entities.clear()
        questions = _unit_questions(u, choice_units, non_overlapping)
        if dropped_entities[0]:
            _count_overlaps(u, unit, dropped_entities[0], where, report, stats)
        for name, tasks in questions.items():
            for question in tasks:
                packer.add(FILE_INDEX[name], *question)
    return packer.packed()


def _choice_units(doc: dict, units: list[Unit]) -> dict[str, Unit] | None:
    """Each exported claim's own sentence unit (``{}``: no claim; ``None``: the sentences are unusable)."""
    if not units:
        return {}
    in_units = set().union(*(u.layers for u in units))
    claims = [
        s
        for s in doc.get("spans") or ()
        if isinstance(s, dict) and s.get("layer") == "claims" and isinstance(s.get("id"), str) and s["id"] in in_units
    ]
    return claim_sentence_units(doc, claims, units[0].doc_tokens) if claims else {}


def _count_overlaps(u: Unit, unit: str, dropped: int, where: str, report: Report | None, stats: TaskStats) -> None:
    stats.overlapping_entities += dropped
    if report:
        report(
            InputProblem(
                where,
                f"document {u.doc_id}: {dropped} overlapping entity span(s) left "
                f"out of {NER_FILE} ({unit} {u.index}); they stay in the document",
                severity="warning",
            )
        )


_CONFIG_JSON = orjson.dumps(CHOICE_CONFIG)


def _tail(spans: list[dict], relations: list[dict] | None, options: list | None, accept: list | None) -> bytes:
    """A task's fields between its tokens and its hashes, as ``,<fields>,`` (what :func:`_task` puts there)."""
    if options is not None:
        return b',"spans":%s,%s"options":%s,"accept":%s,"config":%s,' % (
            orjson.dumps(spans),
            b"" if relations is None else b'"relations":%s,' % orjson.dumps(relations),
            _OPTIONS_JSON,
            orjson.dumps(accept or []),
            _CONFIG_JSON,
        )
    if relations is not None:
        return b',"spans":%s,"relations":%s,' % (orjson.dumps(spans), orjson.dumps(relations))
    return b',"spans":%s,' % orjson.dumps(spans)


def _tail_fields(spans: list[dict], relations: list[dict] | None, options: list | None, accept: list | None) -> dict:
    """What :func:`_tail` encodes, as a dict whose JSON is ``{<fields>}`` (same keys, same order)."""
    fields: dict = {"spans": spans}
    if relations is not None:
        fields["relations"] = relations
    if options is not None:
        fields.update(options=OPTIONS, accept=accept or [], config=CHOICE_CONFIG)
    return fields


class _Packer:
    """Packs a document's tasks into one byte string and one integer array (pickling then copies two buffers
    instead of ~100 small objects a unit): a task is 12 integers pointing into the pieces (see PackedTasks).

    ``objects`` (when given) gets, by piece start, what a head, tokens or tail piece encodes: ``(text, meta)``,
    the token list, the tail's fields as a dict (for the build's checks, which compare their JSON to the piece)."""

    def __init__(self, objects: dict | None = None) -> None:
        self.objects = objects
        self.pieces: list[bytes] = []
        self.size = 0
        self.rows = array("q")
        self.units: list[tuple[tuple, int]] = []  # (unit key, plain input hash) per unit shown
        self.unit_numbers: dict[int, int] = {}  # id(unit shown) -> its index in units
        self.heads: dict[tuple[int, int], tuple[int, ...]] = {}  # (id(unit), id(meta)) -> see head()
        self.alive: list[tuple] = []  # the objects whose ids are keys above
        self.shared_tokens: dict[int, tuple[int, int]] = {}  # id(token JSON) -> where it is packed

    def put(self, data: bytes) -> tuple[int, int]:
        self.pieces.append(data)
        self.size += len(data)
        return self.size - len(data), self.size

    def unit_number(self, shown: Unit) -> int:
        unit_no = self.unit_numbers.get(id(shown))
        if unit_no is None:
            unit_no = self.unit_numbers[id(shown)] = len(self.units)
            key = (shown.doc_id, shown.kind, shown.start, len(shown.text))
            self.units.append((key, input_hash(shown.doc_id, shown.kind, shown.start, shown.text)))
        return unit_no

    def head(self, shown: Unit, meta: dict) -> tuple[int, int, int, int, int, int]:
        """``(unit number, plain input hash, head start, head end, tokens start, tokens end)`` of a task: the same
        for every view of a unit, its head (text, meta) and tokens packed once."""
        shared = self.heads.get((id(shown), id(meta)))
        if shared is None:
            unit_no = self.unit_number(shown)
            head_at = self.put(b'{"text":%s,"meta":%s,"tokens":' % (orjson.dumps(shown.text), orjson.dumps(meta)))
            objects = self.objects
            if objects is not None:
                objects[head_at[0]] = (shown.text, meta)
                tokens = shown.tokens  # built (once) before tokens_json, which then encodes this very list
            tokens_json = shown.tokens_json
            tokens_at = self.shared_tokens.get(id(tokens_json))
            if tokens_at is None:  # right after the head: one slice for both in the writer
                tokens_at = self.shared_tokens[id(tokens_json)] = self.put(tokens_json)
                if objects is not None:
                    objects[tokens_at[0]] = tokens
            shared = self.heads[(id(shown), id(meta))] = (unit_no, self.units[unit_no][1], *head_at, *tokens_at)
            self.alive.append((shown, meta, tokens_json))  # their ids are keys
        return shared

    def add(
        self,
        file_index: int,
        shown: Unit,
        view: str,
        spans: list[dict],
        relations: list[dict] | None,
        meta: dict,
        options: list[dict] | None,
        accept: list[str] | None,
    ) -> None:
        unit_no, plain_input, h0, h1, k0, k1 = self.head(shown, meta)
        question = task_question(view, spans, relations or (), _OPTION_IDS if options else ())
        tail = _tail(spans, relations, options, accept)
        if self.objects is not None:
            self.objects[self.size] = _tail_fields(spans, relations, options, accept)
        task_hash_ = task_hash_of(plain_input, question)
        view_no = _VIEW_NUMBER[view]
        end = _LINE_END % (plain_input, task_hash_, _VIEW_BYTES[view_no])  # the line's end, when nothing changes
        t0 = self.size
        t1 = t0 + len(tail)
        q0 = t1 + len(end)
        self.size = q1 = q0 + len(question)
        self.pieces += (tail, end, question)
        self.rows.extend((file_index, unit_no, h0, h1, k0, k1, t0, t1, q0, q1, task_hash_, view_no))

    def packed(self) -> PackedTasks:
        return PackedTasks(b"".join(self.pieces), self.rows, self.units)


def _packed_lines(table, view: memoryview) -> tuple[list[memoryview], list[int]]:
    """The lines of tasks whose hashes are all the plain ones, as packed (see PackedTasks): head, tokens, and tail
    through the line's end (tail start to question start), as slices of the pieces, slices that follow each other
    joined into one; and, for every task position ``i``, ``at[i]``: where the slices of task ``i`` begin
    (``table``: the rows, ``at`` as a function given by ``_slice_at``)."""
    import numpy as np

    starts, ends = table[:, (2, 4, 6)].ravel(), table[:, (3, 5, 8)].ravel()
    breaks = np.flatnonzero(starts[1:] != ends[:-1]) + 1  # where a new slice begins (besides 0)
    firsts, lasts = starts[np.concatenate(([0], breaks))], ends[np.concatenate((breaks - 1, [len(ends) - 1]))]
    return list(map(view.__getitem__, map(slice, firsts.tolist(), lasts.tolist()))), breaks


def _slice_at(breaks, task_bounds: list[int]) -> list[int]:
    """Where the slices of each task in ``task_bounds`` begin: a task's slices never join the next task's (its
    question lies between), so the slices begun before task ``i`` are those begun before its first piece."""
    import numpy as np

    firsts = np.array(task_bounds) * 3
    return (np.searchsorted(breaks, firsts) + (firsts > 0)).tolist()


def _formatted(mine, tasks: list[int], view: memoryview, claimed: list[int]) -> bytes:
    """The lines of one file's tasks (``mine``: their rows), each ending with its claimed hashes."""
    lines: list = []
    for (unit_no, h0, h1, k0, k1, t0, t1, view_no), task in zip(
        mine[:, (1, 2, 3, 4, 5, 6, 7, 11)].tolist(), tasks, strict=True
    ):
        lines += (view[h0:h1], view[k0:k1], view[t0:t1], _LINE_END % (claimed[unit_no], task, _VIEW_BYTES[view_no]))
    return b"".join(lines)


class ProdigyWriter:
    """Writes rendered documents into the four Prodigy files, making hashes unique as it goes (in order).

    One unit keeps one _input_hash in every file; a _task_hash is unique within its file (Prodigy skips a
    repeated one). Cross-file repeats are harmless: each file goes into its own dataset.
    """

    def __init__(self, out_dir: Path, stats: TaskStats):
        self.stats = stats
        self.paths = [out_dir / name for name in FILES]
        self._stack = ExitStack()
        self._handles = [self._stack.enter_context(atomic_writer(path)) for path in self.paths]
        self._input_hashes = UniqueHashes()
        self._task_hashes = [UniqueHashes() for _ in FILES]
        self._counts = [0] * len(FILES)
        for name in FILES:
            stats.tasks.setdefault(name, 0)

    def add(self, packed: PackedTasks) -> None:
        """One document's tasks: input hashes claimed unit by unit, then each file's task hashes in order (the
        stores are independent, so this is the order of claims task by task), one write per file."""
        import numpy as np

        pieces, rows, units = packed
        if not rows:
            return
        claimed = self._claim_inputs(units)
        salted = {n for n, (hash_, (_, plain)) in enumerate(zip(claimed, units, strict=True)) if hash_ != plain}
        table = np.frombuffer(rows, dtype=np.int64).reshape(-1, _ROW)
        files = table[:, 0]
        table = table[np.argsort(files, kind="stable")]  # file by file, each in document order
        bounds = [0, *np.cumsum(np.bincount(files, minlength=len(FILES))).tolist()]
        view = memoryview(pieces)
        lines, breaks = _packed_lines(table, view)
        at = _slice_at(breaks, bounds)
        plain = table[:, 10].tolist()
        for file_index, handle in enumerate(self._handles):
            first, last = bounds[file_index], bounds[file_index + 1]
            if first == last:
                continue
            mine = table[first:last]
            tasks = self._claim_tasks(file_index, mine, plain[first:last], view, claimed, salted)
            if tasks is None:  # every hash the plain one: the lines as packed
                handle.write(b"".join(lines[at[file_index] : at[file_index + 1]]))
            else:
                handle.write(_formatted(mine, tasks, view, claimed))
            self._counts[file_index] += last - first

    def _claim_tasks(
        self, file_index: int, mine, plain: list[int], view: memoryview, claimed: list[int], salted: set[int]
    ) -> list[int] | None:
        """The claimed task hashes of one file's tasks (``mine``: their rows), ``None`` when every task keeps its
        plain input and task hashes."""
        candidates = plain
        resalted = salted.intersection(mine[:, 1].tolist()) if salted else salted
        if resalted:  # a re-salted input hash changes the task hash: re-hash those tasks (their question bytes)
            candidates = [
                task_hash_of(claimed[unit_no], view[q0:q1].tobytes()) if unit_no in resalted else task
                for unit_no, q0, q1, task in mine[:, (1, 8, 9, 10)].tolist()
            ]
        tasks = self._task_hashes[file_index].claim_many(candidates)
        return None if not resalted and tasks == plain else tasks

    def _claim_inputs(self, units: list[tuple[tuple, int]]) -> list[int]:
        """The claimed input hash of every unit number: one per unit key, claimed in order of first appearance."""
        first: dict[tuple, int] = {}  # unit key -> its first unit's plain hash, in order of first appearance
        for key, plain in units:
            first.setdefault(key, plain)
        keys = list(first)
        claimed = dict(zip(keys, self._input_hashes.claim_many(list(first.values()), keys), strict=True))
        return [claimed[key] for key, _ in units]

    def close(self) -> list[Path]:
        self._stack.close()
        for name, n in zip(FILES, self._counts, strict=True):
            self.stats.count_task(name, n)
        self.stats.hash_collisions += self._input_hashes.resalted + sum(h.resalted for h in self._task_hashes)
        return self.paths

    def abort(self) -> None:
        self._stack.__exit__(CorpusError, CorpusError("aborted"), None)  # temp files removed, nothing published
