"""The stage protocol and the stages the pipeline is made of.

A stage is a generator over document records, like a datatrove ``PipelineStep``: ``run(docs)`` yields the
documents it keeps, in input order. ``name`` is its place in the pipeline and ``version`` says what produced
its output (it goes into the build cache's keys). Two kinds are composed into one pipeline:

- stream stages (:func:`ingest_stages`: exact and near duplicates) see the whole stream in order and run where
  the articles are read;
- document stages (:data:`DOCUMENT_STAGES`: segment, then one stage per pre-label layer) map each document to
  one document, so they run on shards, in any process or engine (:mod:`corpus.pipeline.processor`,
  :mod:`corpus.engines.datatrove`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from corpus.document import LAYERS
from corpus.errors import CorpusError, InputProblem
from corpus.prelabel import get_labeller, pipe
from corpus.segment.core import Segmenter, default_segmenter, segment_document

if TYPE_CHECKING:
    from corpus.pipeline.processor import ProcessorConfig
    from corpus.pipeline.records import Stats

Report = Callable[[InputProblem], None]


class Stage(Protocol):
    """One step of the pipeline: a generator over document records."""

    name: str
    version: str

    def run(self, docs: Iterable[dict]) -> Iterator[dict]: ...


def run_stages(stages: Iterable[Stage], docs: Iterable[dict]) -> Iterator[dict]:
    """Chain the stages' generators: documents stream through all of them, one at a time unless a stage batches."""
    stream: Iterable[dict] = docs
    for stage in stages:
        stream = stage.run(stream)
    yield from stream


# --- document stages ---------------------------------------------------------------------------------------


class SegmentStage:
    """Paragraphs, sentences (Punkt, the project's parameters or a trained model) and tokens."""

    name = "segment"

    def __init__(self, segmenter: Segmenter | None = None) -> None:
        self.segmenter = segmenter or default_segmenter()
        self.version = f"{self.segmenter.name}@{self.segmenter.version}"

    def run(self, docs: Iterable[dict]) -> Iterator[dict]:
        seg = self.segmenter
        for doc in docs:
            yield segment_document(doc, seg)


class LabelStage:
    """One pre-label layer, through its labeller's batch hook (``label_batch``) so a model can batch."""

    def __init__(self, labeller: Any) -> None:
        self.labeller = labeller
        self.name: str = labeller.layer
        self.version = f"{labeller.name}@{labeller.version}"

    def run(self, docs: Iterable[dict]) -> Iterator[dict]:
        yield from pipe([self.labeller], docs)


def _segment(config: ProcessorConfig) -> Stage:
    return SegmentStage(config.segmenter)


def _layer(layer: str) -> Callable[[ProcessorConfig], Stage]:
    def make(config: ProcessorConfig) -> Stage:
        return LabelStage(get_labeller(layer, config.backend(layer)))

    return make


# The document stages by name, in pipeline order (a layer may use the layers before it: sources use entities,
# claims use both).
STAGE_FACTORIES: dict[str, Callable[[ProcessorConfig], Stage]] = {
    "segment": _segment,
    **{layer: _layer(layer) for layer in LAYERS},
}
DOCUMENT_STAGES: tuple[str, ...] = tuple(STAGE_FACTORIES)


def check_stage_names(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` in pipeline order; an unknown name is one line."""
    names = tuple(names)
    unknown = [name for name in names if name not in STAGE_FACTORIES]
    if unknown:
        raise CorpusError(f"unknown stage(s) {', '.join(unknown)} (stages: {', '.join(DOCUMENT_STAGES)})")
    return tuple(name for name in DOCUMENT_STAGES if name in names)


def document_stages(config: ProcessorConfig) -> list[Stage]:
    """The configured document stages, built (labellers loaded) in this process."""
    return [STAGE_FACTORIES[name](config) for name in check_stage_names(config.stages)]


# --- stream stages -----------------------------------------------------------------------------------------


class ExactDuplicates:
    """Skip a document whose normalised text (hence id) was already seen, saying which one it repeats.

    Memory stays flat on large corpora: ids are 8-byte keys and origins wait on disk (:mod:`corpus.spill`).
    """

    name = "exact-duplicates"
    version = "1"

    def __init__(self, report: Report, stats: Stats | None = None) -> None:
        self.report, self.stats = report, stats

    def run(self, docs: Iterable[dict]) -> Iterator[dict]:
        from corpus.spill import KeyedRecords

        with KeyedRecords() as seen:  # id -> origin of its first occurrence
            for doc in docs:
                first = seen.get(doc["id"])
                if first:
                    self._skipped(doc, first[0].decode("utf-8", "surrogatepass"))
                    continue
                seen.add(doc["id"], str(doc["origin"]).encode("utf-8", "surrogatepass"))
                yield doc

    def _skipped(self, doc: dict, first: str) -> None:
        message = f"exact duplicate of {first} (id {doc['id']}); skipped"
        self.report(InputProblem(doc["origin"], message, severity="warning"))
        if self.stats is not None:
            self.stats.duplicates += 1


class NearDuplicates:
    """Near-duplicate detection (MinHash, :mod:`corpus.ingest.dedup`): reported, or skipped with ``drop``."""

    name = "near-duplicates"
    version = "1"

    def __init__(
        self, report: Report, drop: bool = False, threshold: float | None = None, stats: Stats | None = None
    ) -> None:
        self.report, self.drop, self.threshold, self.stats = report, drop, threshold, stats

    def run(self, docs: Iterable[dict]) -> Iterator[dict]:
        from corpus.ingest.dedup import NEAR_DUPLICATES_LISTED, flag_near_duplicates

        kwargs: dict[str, Any] = {"drop": self.drop, "max_listed": NEAR_DUPLICATES_LISTED}  # the first few, a count
        if self.stats is not None:
            kwargs["on_drop"] = self._count_drop
        if self.threshold is not None:
            kwargs["threshold"] = self.threshold
        yield from flag_near_duplicates(docs, self.report, **kwargs)

    def _count_drop(self, doc: dict) -> None:
        assert self.stats is not None
        self.stats.near_duplicates += 1


def ingest_stages(
    report: Report, stats: Stats | None = None, drop_near: bool = False, near_threshold: float | None = None
) -> list[Stage]:
    """The stream stages after reading: exact duplicates, then near duplicates (`corpus ingest` and `build`)."""
    return [ExactDuplicates(report, stats), NearDuplicates(report, drop_near, near_threshold, stats)]


# --- the older function forms (used by tests and scripts) ---------------------------------------------------


def drop_exact_duplicates(docs: Iterable[dict], report: Report, stats: Stats | None = None) -> Iterator[dict]:
    return ExactDuplicates(report, stats).run(docs)


def flag_near_duplicates_stage(
    docs: Iterable[dict],
    report: Report,
    drop: bool = False,
    threshold: float | None = None,
    stats: Stats | None = None,
) -> Iterator[dict]:
    return NearDuplicates(report, drop, threshold, stats).run(docs)


def segment_stage(docs: Iterable[dict], segmenter: Segmenter | None = None) -> Iterator[dict]:
    return SegmentStage(segmenter).run(docs)


def prelabel_stage(
    docs: Iterable[dict], backends: dict[str, str] | None = None, layers: Iterable[str] = LAYERS
) -> Iterator[dict]:
    from corpus.pipeline.processor import ProcessorConfig

    config = ProcessorConfig(stages=tuple(layers), backends=tuple(sorted((backends or {}).items())))
    return run_stages(document_stages(config), docs)
