"""The labeller base: the bookkeeping every labeller shares, options, and a version that follows its configuration.

A labeller fills one layer (``entities``, ``sources`` or ``claims``). Subclasses set ``layer``, ``name``,
``version`` and ``options`` and implement :meth:`Labeller.label`, which writes spans and relations through a
:class:`LayerWriter`; the base clears the layer first, numbers the span ids (``E0``, ``S3``, ``C12``) and records
``NAME@VERSION`` on every span and in ``doc["labellers"]``. :meth:`Labeller.label_batch` is the hook for backends
that work faster on many documents at once (a model): it defaults to one document at a time.

Options are keyword configuration (``RulesEntityLabeller(gazetteer="team.tsv")``, or ``--backend
entities=rules:gazetteer=team.tsv``). A non-default configuration changes the version to
``VERSION+<8 hex digits>``, a hash of the non-default values with every file or folder option replaced by a hash of
its contents, so build caches and data cards stay truthful when a team edits its own word list (or retrains a
model) without renaming it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from corpus.document import clear_layer
from corpus.errors import CorpusError


@dataclass(frozen=True)
class Option:
    """One keyword option of a labeller factory, as ``corpus labellers`` lists it."""

    name: str
    help: str
    default: Any = None  # None: the packaged data (or "not set")
    parse: Callable[[str], Any] = str  # from the command-line text; raises ValueError on a bad value
    path: bool = False  # a file or folder: its contents, not its name, go into the version


def content_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's relative file names and bytes (a model folder)."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def read_text_option(path: str | Path, what: str) -> str:
    """A UTF-8 text file given as an option, or one line saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise CorpusError(f"{what}: cannot read {path} ({reason})") from None


# Rounded scores by the float given: ``round(x, 4)`` on a float is a correctly rounded decimal conversion (~0.2 µs,
# most of a span's cost), and rules labellers give the same few scores again and again. Zero is never stored
# (0.0 == -0.0 as keys, yet they round to different floats); bounded for continuous scores (a model's).
_ROUNDED: dict[float, float] = {}
_ROUNDED_LIMIT = 4096


def _rounded(score: float) -> float:
    """``round(float(score), 4)``, remembered for a non-zero float."""
    rounded = round(float(score), 4)
    if score.__class__ is float and score and len(_ROUNDED) < _ROUNDED_LIMIT:
        _ROUNDED[score] = rounded
    return rounded


class LayerWriter:
    """Adds one labeller's spans (ids numbered in order) and relations to a document whose layer was cleared.

    Spans are the records :func:`corpus.document.add_span` makes; they are added to the document together by
    :meth:`close`, so a labeller may read the other layers' spans while it writes its own."""

    __slots__ = ("doc", "layer", "tag", "text", "spans", "relations", "_prefix")

    def __init__(self, doc: dict, layer: str, tag: str) -> None:
        self.doc, self.layer, self.tag = doc, layer, tag
        self.text: str = doc["text"]
        self.spans: list[dict] = []
        self.relations: list[dict] = doc.setdefault("relations", [])
        self._prefix = layer[0].upper()

    def span(self, label: str, start: int, end: int, score: float = 1.0, attrs: dict | None = None) -> dict:
        """Add a span ``text[start:end]`` and return it (its ``id`` links relations)."""
        rounded = _ROUNDED.get(score) if score.__class__ is float else None
        if rounded is None:
            rounded = _rounded(score)
        span = {
            "id": f"{self._prefix}{len(self.spans)}",
            "layer": self.layer,
            "label": label,
            "start": start,
            "end": end,
            "text": self.text[start:end],
            "score": rounded,
            "labeller": self.tag,
            "attrs": attrs or {},
        }
        self.spans.append(span)
        return span

    def relation(self, label: str, head: str, child: str) -> dict:
        """Add a relation between two span ids (``R`` ids count the document's relations)."""
        rel = {"id": f"R{len(self.relations)}", "label": label, "head": head, "child": child, "labeller": self.tag}
        self.relations.append(rel)
        return rel

    def close(self) -> dict:
        self.doc.setdefault("spans", []).extend(self.spans)
        self.doc.setdefault("labellers", {})[self.layer] = self.tag
        return self.doc


class Labeller:
    """Base of the labellers: subclasses implement :meth:`label` (and, for batching backends, :meth:`label_batch`)."""

    layer: ClassVar[str] = ""
    name: ClassVar[str] = ""
    version: str = "0"  # the release version; an instance appends "+<hash>" for a non-default configuration
    options: ClassVar[tuple[Option, ...]] = ()

    def __init__(self, **config: Any) -> None:
        self._who = f"{self.layer}={self.name}"
        self.config = resolve_options(self.options, config, self._who)
        self.version = configured_version(type(self).version, self.options, self.config, self._who)

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"

    def label(self, doc: dict, out: LayerWriter) -> None:
        """Write this layer's spans (and relations) for one segmented document through ``out``."""
        raise NotImplementedError

    def __call__(self, doc: dict) -> dict:
        clear_layer(doc, self.layer)  # re-labelling replaces, never duplicates
        out = LayerWriter(doc, self.layer, self.tag)
        self.label(doc, out)
        return out.close()

    def label_batch(self, docs: Iterable[dict]) -> Iterator[dict]:
        """Label a stream of documents, in order. Override to batch (a model); the default labels one at a time."""
        for doc in docs:
            yield self(doc)


def resolve_options(options: tuple[Option, ...], given: dict[str, Any], who: str) -> dict[str, Any]:
    """Every option's value (given, else its default); text is parsed, unknown names and bad values refused."""
    by_name = {opt.name: opt for opt in options}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise CorpusError(f"{who}: unknown option '{unknown[0]}' (options: {known})")
    values = {opt.name: opt.default for opt in options}
    for key, value in given.items():
        values[key] = _parsed(by_name[key], value, who)
    return values


def _parsed(opt: Option, value: Any, who: str) -> Any:
    if not isinstance(value, str) or opt.parse is str:
        return value
    try:
        return opt.parse(value)
    except ValueError:
        raise CorpusError(f"{who}: bad value '{value}' for option '{opt.name}' ({opt.help})") from None


def configured_version(version: str, options: tuple[Option, ...], values: dict[str, Any], who: str = "") -> str:
    """``version`` for the default configuration, else ``version+<hash of what differs>``."""
    changed = {}
    for opt in options:
        value = values.get(opt.name, opt.default)
        if value == opt.default:
            continue
        changed[opt.name] = _path_hash(f"{who}: option {opt.name}", value) if opt.path else repr(value)
    if not changed:
        return version
    digest = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()
    return f"{version}+{digest[:8]}"


def _path_hash(what: str, value: Any) -> str:
    path = Path(value)
    if not path.exists():
        raise CorpusError(f"{what}: {path} does not exist")
    try:
        return content_hash(path)
    except OSError as exc:
        raise CorpusError(f"{what}: cannot read {path} ({exc.strerror or exc})") from None


def pipe(labellers: Iterable[Any], docs: Iterable[dict]) -> Iterator[dict]:
    """Run labellers in order over a document stream, through each one's batch hook when it has one."""
    stream: Iterable[dict] = docs
    for labeller in labellers:
        batch = getattr(labeller, "label_batch", None)
        stream = batch(stream) if batch is not None else map(labeller, stream)
    yield from stream
