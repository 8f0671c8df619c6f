"""NLTK's Punkt module, imported without NLTK's package ``__init__`` files.

``import nltk.tokenize.punkt`` runs ``nltk/__init__.py`` and ``nltk/tokenize/__init__.py`` first, which import
all of NLTK (scipy included): about 1 s of CPU at the start of every command that segments. Punkt itself needs
only the few modules its own imports name. So, when NLTK is not loaded yet, the two packages are put in
``sys.modules`` unexecuted (their module objects made from their specs, ``__path__`` set) while Punkt is imported,
then taken out again: a later ``import nltk`` anywhere in the process runs the real package ``__init__`` files,
which reuse the modules already loaded (the same classes). The import system binds a submodule to its package
only when it loads it, so a one-shot finder binds the modules loaded here to the real packages as they are
executed (``nltk.tokenize.punkt`` stays an attribute path, as after a plain import).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

PUNKT = "nltk.tokenize.punkt"
_PACKAGES = ("nltk", "nltk.tokenize")


def import_punkt() -> ModuleType:
    """``nltk.tokenize.punkt``; NLTK's package ``__init__`` files run only if something else imports them."""
    if PUNKT in sys.modules or _PACKAGES[0] in sys.modules:
        return importlib.import_module(PUNKT)
    bare: list[ModuleType] = []
    try:
        for name in _PACKAGES:  # the parent first: finding the child's spec reads the parent's __path__
            spec = importlib.util.find_spec(name)
            if spec is None or spec.submodule_search_locations is None:
                break
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            bare.append(module)
        else:
            return importlib.import_module(PUNKT)
    except ImportError:
        pass  # an NLTK whose Punkt needs its packages' names: imported the ordinary way below
    finally:
        for module in bare:
            if sys.modules.get(module.__name__) is module:
                del sys.modules[module.__name__]
        if bare:
            sys.meta_path.insert(0, _BindLoadedSubmodules())
    return importlib.import_module(PUNKT)


class _BindLoadedSubmodules(importlib.abc.MetaPathFinder):
    """Finds NLTK's two packages as the path finder does, and after each runs its ``__init__`` binds the submodules
    loaded before it as its attributes; removes itself once both are loaded."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _BindingLoader(spec.loader)
        if fullname == _PACKAGES[-1]:
            sys.meta_path.remove(self)
        return spec


class _BindingLoader(importlib.abc.Loader):
    """A package's own loader, then its already loaded submodules bound as its attributes."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        prefix = module.__name__ + "."
        for name, child in list(sys.modules.items()):
            rest = name[len(prefix) :] if name.startswith(prefix) else ""
            if rest and "." not in rest and not hasattr(module, rest):
                setattr(module, rest, child)

    def __getattr__(self, name: str) -> Any:  # get_data, get_resource_reader, is_package…: the loader's own
        return getattr(self._loader, name)
