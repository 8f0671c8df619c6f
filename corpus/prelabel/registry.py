"""The labeller registry: layers x backend names -> factories (built-ins, plugins, and code that registers).

Three sources, in order of precedence: factories registered in code with :func:`register`; the built-ins
(:data:`BUILTINS`); and installed packages' entry points in the group ``corpus.labellers``, named
``LAYER.NAME`` and pointing at a :class:`~corpus.prelabel.base.Labeller` subclass (or any factory taking keyword
options), e.g. in a team package's ``pyproject.toml``::

    [project.entry-points."corpus.labellers"]
    "entities.gazette" = "team_labels:GazetteLabeller"

Built-ins and plugins are imported only when first used or listed, so an optional dependency costs nothing
until asked for, and a broken plugin is one line in ``corpus labellers`` (or one error when chosen), not a crash.

A backend string is ``NAME[:VALUE][:KEY=VALUE]…``: the bare value sets the factory's first option
(``spacy:en_core_web_sm``, ``rules:0.4``), ``KEY=VALUE`` any option (``rules:gazetteer=team.tsv``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

from corpus.document import LAYERS
from corpus.errors import CorpusError
from corpus.prelabel.base import Option

# Layer order matters: sources use entities (named sources), claims use both (evidence, attribution links).
DEFAULT_BACKENDS = {"entities": "rules", "sources": "rules", "claims": "rules"}
ENTRY_POINT_GROUP = "corpus.labellers"
# The built-in labellers, in the shape of entry points: "LAYER.NAME" -> "module:attribute".
BUILTINS = {
    "entities.rules": "corpus.prelabel.entities:RulesEntityLabeller",
    "entities.spacy": "corpus.prelabel.entities_spacy:SpacyEntityLabeller",
    "sources.rules": "corpus.prelabel.sources:RulesSourceLabeller",
    "claims.rules": "corpus.prelabel.claims:RulesClaimLabeller",
    "entities.model": "corpus.prelabel.model:EntityModelLabeller",
    "sources.model": "corpus.prelabel.model:SourceModelLabeller",
    "claims.model": "corpus.prelabel.model:ClaimModelLabeller",
}


class LabellerLike(Protocol):
    """What the pipeline needs of a labeller (the base class provides it, and ``label_batch``)."""

    layer: str
    name: str
    version: str

    def __call__(self, doc: dict) -> dict: ...


Factory = Callable[..., LabellerLike]


class _Lazy:
    """A factory named by ``module:attribute``, imported on first use; a failure is one line naming it."""

    def __init__(self, key: str, target: str, origin: str) -> None:
        self.key, self.target, self.origin = key, target, origin
        self._factory: Any = None

    def load(self) -> Any:
        if self._factory is None:
            module, _, attr = self.target.partition(":")
            try:
                obj: Any = importlib.import_module(module)
                for part in filter(None, attr.split(".")):
                    obj = getattr(obj, part)
            except Exception as exc:  # a plugin's import error is the plugin's, reported as one line
                reason = str(exc).splitlines()[0][:160] if str(exc) else ""
                raise CorpusError(
                    f"labeller {self.key.replace('.', '=', 1)} ({self.origin}, {self.target}) cannot be loaded: "
                    f"{type(exc).__name__}{': ' + reason if reason else ''}"
                ) from None
            self._factory = obj
        return self._factory

    def __call__(self, *args: Any, **kwargs: Any) -> LabellerLike:
        return self.load()(*args, **kwargs)


_REGISTRY: dict[tuple[str, str], Factory] = {}
_PROBLEMS: list[str] = []  # entry points that could not be registered, one line each
_loaded = False


def register(layer: str, name: str) -> Callable[[Factory], Factory]:
    """Decorator: register a factory (a Labeller subclass, or a callable) for ``layer`` under ``name``."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}")

    def deco(factory: Factory) -> Factory:
        _REGISTRY[(layer, name)] = factory
        return factory

    return deco


def _load_builtins() -> None:
    """Add the built-ins and the installed plugins (once per process); code registrations keep their names."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for key, target in BUILTINS.items():
        layer, _, name = key.partition(".")
        _REGISTRY.setdefault((layer, name), _Lazy(key, target, "built-in"))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _add_entry_point(ep.name, ep.value, _distribution(ep))


def _distribution(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return f"plugin {dist.name} {dist.version}" if dist is not None else "plugin"


def _add_entry_point(key: str, target: str, origin: str) -> None:
    layer, dot, name = key.partition(".")
    if not dot or layer not in LAYERS or not name:
        _PROBLEMS.append(f"entry point '{key}' ({origin}): name it LAYER.NAME (layers: {', '.join(LAYERS)}); ignored")
    elif (layer, name) in _REGISTRY:
        _PROBLEMS.append(f"entry point '{key}' ({origin}): {layer}={name} is already taken; ignored")
    else:
        _REGISTRY[(layer, name)] = _Lazy(key, target, origin)


def refresh() -> None:
    """Look for installed plugins again (after installing one in a running process)."""
    global _loaded
    for key in [k for k, v in _REGISTRY.items() if isinstance(v, _Lazy)]:
        del _REGISTRY[key]
    _PROBLEMS.clear()
    _loaded = False


def problems() -> list[str]:
    """Entry points that were ignored, one line each."""
    _load_builtins()
    return list(_PROBLEMS)


def available() -> dict[str, list[str]]:
    _load_builtins()
    out: dict[str, list[str]] = {layer: [] for layer in LAYERS}
    for layer, name in sorted(_REGISTRY):
        out[layer].append(name)
    return out


@dataclass
class LabellerInfo:
    """What ``corpus labellers`` shows for one registered labeller."""

    layer: str
    name: str
    origin: str
    version: str = "?"
    options: tuple[Option, ...] = ()
    problem: str | None = None  # why it cannot be loaded


def describe() -> list[LabellerInfo]:
    """Every registered labeller with its version and options (plugins are imported; a broken one says why)."""
    _load_builtins()
    out = []
    for (layer, name), factory in sorted(_REGISTRY.items()):
        origin = factory.origin if isinstance(factory, _Lazy) else f"registered by {factory.__module__}"
        info = LabellerInfo(layer, name, origin)
        try:
            obj = factory.load() if isinstance(factory, _Lazy) else factory
        except CorpusError as exc:
            info.problem = str(exc)
        else:
            info.version = str(getattr(obj, "version", "?"))
            info.options = tuple(getattr(obj, "options", ()))
        out.append(info)
    return out


def parse_spec(backend: str) -> tuple[str, dict[str, str], str | None]:
    """``NAME[:VALUE][:KEY=VALUE]…`` -> (name, options, the bare value or None)."""
    name, _, rest = backend.partition(":")
    options: dict[str, str] = {}
    bare = None
    for k, item in enumerate(rest.split(":") if rest else []):
        key, eq, value = item.partition("=")
        if eq and key.isidentifier():
            options[key] = value
        elif k == 0:
            bare = item
        else:
            raise CorpusError(f"backend '{backend}': expected KEY=VALUE, got '{item}' (only the first may be bare)")
    return name, options, bare


def get_labeller(layer: str, backend: str) -> LabellerLike:
    """Instantiate the labeller for ``layer`` from a backend string ``NAME[:VALUE][:KEY=VALUE]…``."""
    _load_builtins()
    name, options, bare = parse_spec(backend)
    factory = _REGISTRY.get((layer, name))
    if factory is None:
        known = ", ".join(n for (lay, n) in sorted(_REGISTRY) if lay == layer) or "none"
        raise CorpusError(f"unknown {layer} backend '{name}' (available: {known})")
    if isinstance(factory, _Lazy):
        factory = factory.load()
    labeller = _instantiate(factory, options, bare, f"{layer}={name}")
    if getattr(labeller, "layer", layer) != layer:
        raise CorpusError(f"{layer}={name} made a labeller for the {labeller.layer} layer, not {layer}")
    return labeller


def _instantiate(factory: Any, options: dict[str, str], bare: str | None, who: str) -> LabellerLike:
    declared = getattr(factory, "options", None)
    if declared is None:  # a plain factory: at most one argument, as ``factory(arg)``
        if options:
            raise CorpusError(f"{who} takes no options (given: {', '.join(options)})")
        return factory(bare) if bare else factory()
    if bare is not None:
        if not declared:
            raise CorpusError(f"{who} takes no options (given: '{bare}')")
        options = {declared[0].name: bare, **options}
    return factory(**options)


def parse_backends(specs: Iterable[str]) -> dict[str, str]:
    """``["spacy:en_core_web_sm", "sources=rules:cues=x.tsv"]`` -> backends per layer (no layer: entities)."""
    backends = dict(DEFAULT_BACKENDS)
    for spec in specs:
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            head, eq, rest = part.partition("=")
            if eq and ":" not in head:
                layer, name = head, rest
            else:  # "spacy:x" or "rules:words=a.tsv": a bare backend means entities
                layer, name = "entities", part
            if layer not in LAYERS:
                raise CorpusError(f"unknown layer '{layer}' in --backend {spec!r} (layers: {', '.join(LAYERS)})")
            backends[layer] = name
    return backends


def build_labellers(backends: dict[str, str] | None = None, layers: Iterable[str] = LAYERS) -> list[LabellerLike]:
    """Labellers for the requested layers, in dependency order."""
    backends = {**DEFAULT_BACKENDS, **(backends or {})}
    wanted = set(layers)
    return [get_labeller(layer, backends[layer]) for layer in LAYERS if layer in wanted]
