"""spaCy on the project's tokens: the import (an optional extra), Docs from our words, spans back to offsets."""

from __future__ import annotations

from typing import Any

from corpus.errors import CorpusError

EXTRA_HINT = 'pip install "corpus[train]" (in a checkout: pip install -e ".[train]")'


def require_spacy() -> Any:
    """spaCy, or one line saying which extra installs it."""
    try:
        import spacy
    except ImportError:
        raise CorpusError(f"training and model labellers need spaCy, an optional extra: {EXTRA_HINT}") from None
    return spacy


def make_doc(vocab: Any, doc: dict, i: int, j: int) -> Any:
    """A spaCy ``Doc`` of tokens ``[i, j)`` of a document record: our words, so token k is our token i + k.

    Any run of whitespace after a token becomes spaCy's single trailing space; offsets are never taken from
    the ``Doc``'s own text, only from our tokens.
    """
    from spacy.tokens import Doc

    text = doc["text"]
    tokens = doc["tokens"][i:j]
    words = [text[t["start"] : t["end"]] for t in tokens]
    spaces = [bool(t["ws"]) for t in tokens]
    spaces[-1] = False
    return Doc(vocab, words=words, spaces=spaces)


def token_span(doc: dict, i: int, start: int, end: int) -> tuple[int, int]:
    """Code-point offsets of tokens ``[start, end)`` of a Doc made from tokens starting at ``i``."""
    tokens = doc["tokens"]
    return tokens[i + start]["start"], tokens[i + end - 1]["end"]


def pick_device(gpu: int | None) -> None:
    """Use GPU ``gpu`` when asked (one clear line when it cannot be used); CPU otherwise."""
    if gpu is None or gpu < 0:
        return
    spacy = require_spacy()
    try:
        spacy.require_gpu(gpu)
    except Exception as exc:  # thinc raises ValueError or ImportError depending on what is missing
        raise CorpusError(
            f"--gpu {gpu}: no usable GPU ({str(exc).splitlines()[0][:120]}); "
            "install cupy for your CUDA version or train on the CPU"
        ) from None


def ensure_component(nlp: Any, name: str, model: dict, label_set: list[str]) -> bool:
    """Add (or extend) a trainable component with its labels; True when it is new and needs initialising."""
    fresh = name not in nlp.pipe_names
    component = nlp.add_pipe(name, config={"model": model}) if fresh else nlp.get_pipe(name)
    for label in label_set:
        component.add_label(label)
    return fresh
