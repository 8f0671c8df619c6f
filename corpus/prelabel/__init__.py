"""Pre-labelling layers (entities, sources, claims), each with labellers registered by name.

A labeller is a callable ``labeller(doc) -> doc`` that adds spans (and relations) for one layer. Labellers
are registered with :func:`register` and chosen by a backend string such as ``rules`` or
``spacy:en_core_web_sm`` (name, then an optional argument after the colon), like spaCy's factories.
"""

from corpus.prelabel.registry import (
    DEFAULT_BACKENDS,
    Labeller,
    available,
    build_labellers,
    get_labeller,
    parse_backends,
    register,
)

__all__ = [
    "DEFAULT_BACKENDS",
    "Labeller",
    "available",
    "build_labellers",
    "get_labeller",
    "parse_backends",
    "register",
]
