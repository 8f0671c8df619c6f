"""Execution engines for the per-document stages beyond this process's own worker pool.

``datatrove`` (optional extra ``corpus[datatrove]``): the same segment and pre-label stages as steps of a
HF datatrove pipeline, run by its local executor here and by its Slurm or Ray executors on a cluster
(see :mod:`corpus.engines.datatrove`).
"""

from __future__ import annotations

from corpus.errors import CorpusError


def datatrove_available() -> bool:
    try:
        import datatrove  # noqa: F401
    except ImportError:
        return False
    return True


def require_datatrove() -> None:
    if not datatrove_available():
        raise CorpusError(
            "the datatrove engine needs the optional 'datatrove' package: "
            "pip install 'corpus[datatrove]' (or pip install datatrove), or use --engine local"
        )
