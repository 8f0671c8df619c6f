"""Pre-labelling layers (entities, sources, claims), each with labellers registered by name.

A labeller subclasses :class:`Labeller` (``corpus.prelabel.base``): it declares its layer, name, version and
keyword options and implements ``label(doc, out)``; the base does the bookkeeping and offers ``label_batch`` for
backends that batch. Labellers come built in, from installed packages' ``corpus.labellers`` entry points, or from
:func:`register`, and are chosen by a backend string such as ``rules``, ``spacy:en_core_web_sm`` or
``rules:gazetteer=team.tsv`` (see ``corpus.prelabel.registry``).
"""

from corpus.prelabel.base import Labeller, LayerWriter, Option, pipe
from corpus.prelabel.registry import (
    DEFAULT_BACKENDS,
    ENTRY_POINT_GROUP,
    LabellerInfo,
    available,
    build_labellers,
    describe,
    get_labeller,
    parse_backends,
    problems,
    refresh,
    register,
)

__all__ = [
    "DEFAULT_BACKENDS",
    "ENTRY_POINT_GROUP",
    "Labeller",
    "LabellerInfo",
    "LayerWriter",
    "Option",
    "available",
    "build_labellers",
    "describe",
    "get_labeller",
    "parse_backends",
    "pipe",
    "problems",
    "refresh",
    "register",
]
