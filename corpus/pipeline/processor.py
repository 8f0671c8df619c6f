"""The document stages over a shard: :class:`DocumentProcessor` runs the configured list in one process.

A batching stage (a model labeller's ``label_batch``) sees the whole shard as one stream. A document a stage
fails on must not stop the corpus, yet a failure inside a batch does not say which document caused it: the
documents in flight are then redone one at a time from a copy of their input (:func:`run_isolated`), so only
the bad one is left out, and the output is the same bytes as without batching.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

import orjson

from corpus.document import LAYERS
from corpus.errors import InputProblem
from corpus.jsonl import dumps
from corpus.pipeline.records import Stats
from corpus.pipeline.shards import Renderer, RenderSpec, ShardResult
from corpus.pipeline.stages import DOCUMENT_STAGES, Stage, check_stage_names, document_stages, run_stages
from corpus.prelabel.registry import DEFAULT_BACKENDS
from corpus.segment.core import Segmenter


@dataclass(frozen=True)
class ProcessorConfig:
    """Which document stages run, with which backends; picklable, so a worker can build its own stages."""

    stages: tuple[str, ...] = DOCUMENT_STAGES  # names from corpus.pipeline.stages.STAGE_FACTORIES
    backends: tuple[tuple[str, str], ...] = ()  # (layer, backend string); a layer left out uses the default
    segmenter: Segmenter | None = field(default=None, compare=True)  # None: the project's default Punkt parameters

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", check_stage_names(self.stages))

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(name for name in self.stages if name in LAYERS)

    def backend(self, layer: str) -> str:
        return dict(self.backends).get(layer, DEFAULT_BACKENDS[layer])

    def describe(self) -> dict:
        """What goes into cache keys (with the stage versions, which only built stages know)."""
        return {
            "stages": list(self.stages),
            "backends": dict(self.backends),
            "trained_segmenter": self.segmenter is not None,
        }


@dataclass
class Failed:
    """A document a stage failed on: where it came from and the error."""

    origin: str
    error: Exception

    def problem(self) -> InputProblem:
        return InputProblem(self.origin, f"could not be processed ({type(self.error).__name__}: {self.error}); skipped")


class _InputError(Exception):
    """An error raised by the input stream itself, not by a stage: it is not the document's fault."""


def _guarded(docs: Iterable[dict]) -> Iterator[dict]:
    it = iter(docs)
    while True:
        try:
            doc = next(it)
        except StopIteration:
            return
        except Exception as exc:
            raise _InputError from exc
        yield doc


def _one(stages: list[Stage], doc: dict) -> dict | Failed:
    origin = str(doc.get("origin") or doc.get("id"))
    try:
        (done,) = run_stages(stages, [doc])  # a document stage yields one document per document
    except Exception as exc:  # one bad article must not stop the corpus
        return Failed(origin, exc)
    return done


def run_isolated(stages: list[Stage], docs: Iterable[dict]) -> Iterator[dict | Failed]:
    """Each document through every stage, in order: the processed document, or :class:`Failed`."""
    source = _guarded(docs)
    in_flight: deque[bytes] = deque()  # inputs pulled into the stages, not yet out: redone alone on a failure

    def feed() -> Iterator[dict]:
        for doc in source:
            in_flight.append(dumps(doc))
            yield doc

    try:
        for done in run_stages(stages, feed()):
            in_flight.popleft()
            yield done
        return
    except _InputError as exc:
        raise exc.__cause__ from None  # type: ignore[misc]
    except Exception:
        pass
    redo = [orjson.loads(line) for line in in_flight]
    in_flight.clear()
    for doc in redo:
        yield _one(stages, doc)
    for doc in source:
        yield _one(stages, doc)


class DocumentProcessor:
    """The configured document stages, built once per process (labellers load once)."""

    def __init__(self, config: ProcessorConfig):
        self.config = config
        self.stages = document_stages(config)

    def versions(self) -> dict[str, str]:
        return {stage.name: stage.version for stage in self.stages}

    def process(self, doc: dict) -> dict:
        (done,) = run_stages(self.stages, [doc])
        return done

    def process_shard(self, docs: list[dict], render: RenderSpec | None = None) -> ShardResult:
        """Process a shard (the list is emptied as it goes); a document a stage fails on is reported (one
        line) and left out, not fatal. With ``render``, each document's tasks are rendered too (an error
        there is a bug, not bad input: it stops the build), and checked when it asks to (:class:`Renderer`)."""
        stats = Stats()
        problems: list[dict] = []
        lines: list[bytes] = []
        renderer = Renderer(render) if render is not None else None
        for done in run_isolated(self.stages, _emptied(docs)):
            if isinstance(done, Failed):
                stats.failed += 1
                problems.append(asdict(done.problem()))
                continue
            lines.append(dumps(done))
            stats.count(done)
            if renderer is not None:
                renderer.add(done, lines[-1])
        lines.append(b"")
        data = b"\n".join(lines) if len(lines) > 1 else b""
        result = ShardResult(data, stats.to_dict(), problems)
        return renderer.finish(result) if renderer is not None else result


def _emptied(docs: list[dict]) -> Iterator[dict]:
    """The shard's documents, each slot freed as it is taken: a processed record is not kept twice."""
    for i, doc in enumerate(docs):
        docs[i] = None  # type: ignore[call-overload]
        yield doc
