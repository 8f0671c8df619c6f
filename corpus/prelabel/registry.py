"""The labeller registry: layers x backend names -> factories."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Protocol

from corpus.document import LAYERS
from corpus.errors import CorpusError

# Layer order matters: sources use entities (named sources), claims use both (evidence, attribution links).
DEFAULT_BACKENDS = {"entities": "rules", "sources": "rules", "claims": "rules"}

# Modules imported lazily so that registering a backend never costs an import of an optional dependency.
_BUILTIN_MODULES = (
    "corpus.prelabel.entities",
    "corpus.prelabel.entities_spacy",
    "corpus.prelabel.sources",
    "corpus.prelabel.claims",
)


class Labeller(Protocol):
    layer: str
    name: str
    version: str

    def __call__(self, doc: dict) -> dict: ...


Factory = Callable[..., Labeller]
_REGISTRY: dict[tuple[str, str], Factory] = {}
_loaded = False


def register(layer: str, name: str) -> Callable[[Factory], Factory]:
    """Decorator: register ``factory(arg: str | None = None) -> Labeller`` for ``layer`` under ``name``."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}")

    def deco(factory: Factory) -> Factory:
        _REGISTRY[(layer, name)] = factory
        return factory

    return deco


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    for module in _BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("corpus."):
                continue  # a layer module not present in this build
            raise
    _loaded = True


def available() -> dict[str, list[str]]:
    _load_builtins()
    out: dict[str, list[str]] = {layer: [] for layer in LAYERS}
    for layer, name in sorted(_REGISTRY):
        out[layer].append(name)
    return out


def get_labeller(layer: str, backend: str) -> Labeller:
    """Instantiate the labeller for ``layer`` from a backend string ``NAME[:ARG]``."""
    _load_builtins()
    name, _, arg = backend.partition(":")
    factory = _REGISTRY.get((layer, name))
    if factory is None:
        known = ", ".join(n for (lay, n) in sorted(_REGISTRY) if lay == layer) or "none"
        raise CorpusError(f"unknown {layer} backend '{name}' (available: {known})")
    return factory(arg or None) if arg else factory()


def parse_backends(specs: Iterable[str]) -> dict[str, str]:
    """``["spacy:en_core_web_sm", "sources=rules"]`` -> backends per layer (a bare name means entities)."""
    backends = dict(DEFAULT_BACKENDS)
    for spec in specs:
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            layer, eq, name = part.partition("=")
            if not eq:
                layer, name = "entities", part
            if layer not in LAYERS:
                raise CorpusError(f"unknown layer '{layer}' in --backend {spec!r} (layers: {', '.join(LAYERS)})")
            backends[layer] = name
    return backends


def build_labellers(backends: dict[str, str] | None = None, layers: Iterable[str] = LAYERS) -> list[Labeller]:
    """Labellers for the requested layers, in dependency order."""
    backends = {**DEFAULT_BACKENDS, **(backends or {})}
    wanted = set(layers)
    return [get_labeller(layer, backends[layer]) for layer in LAYERS if layer in wanted]
