"""The cue lexicon: reporting and internal-state verbs (plus "according to") from ``data/sources_cues.tsv``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from corpus.prelabel.sources.words import MARKS, NEVER_CUES, POLL_WORDS


@dataclass(frozen=True)
class Cue:
    lemma: str
    kind: str  # speech | belief | evidence | stance | according


@dataclass(frozen=True)
class Cues:
    """A cue lexicon and the word sets the reader scans for."""

    single: dict[str, Cue]  # single-word forms
    double: dict[str, dict[str, Cue]]  # first word -> {the rest -> Cue}
    triggers: frozenset[str]  # every word that can open a cue: single forms, first words, ":" and "in"
    scanned: frozenset[str]  # the words whose positions the reader lists in its one pass over the tokens


def _inflect(lemma: str) -> list[str]:
    """Regular English forms of a verb (irregular ones are listed in the data file)."""
    if " " in lemma:
        head, rest = lemma.split(" ", 1)
        return [f"{f} {rest}" for f in _inflect(head)]
    if lemma.endswith("e"):
        return [lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"]
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return [lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"]
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        return [lemma, lemma + "es", lemma + "ed", lemma + "ing"]
    return [lemma, lemma + "s", lemma + "ed", lemma + "ing"]


@lru_cache(maxsize=4)
def load_cues(text: str | None = None) -> Cues:
    """The cues of a ``data/sources_cues.tsv``-style text (default: the packaged list)."""
    if text is None:
        text = resources.files("corpus.prelabel").joinpath("data/sources_cues.tsv").read_text("utf-8")
    single, double = _parse_cues(text)
    triggers = frozenset(single) | frozenset(double) | {":", "in"}
    return Cues(single, double, triggers, MARKS | triggers | POLL_WORDS)


def cue_lexicon() -> tuple[dict[str, Cue], dict[str, dict[str, Cue]]]:
    """(single-word forms -> Cue, first word -> {second word -> Cue}) from ``data/sources_cues.tsv``."""
    cues = load_cues()
    return cues.single, cues.double


def cue_triggers() -> frozenset[str]:
    """Every word that can open a cue: single forms, first words of two-word forms, ":" and "in"."""
    return load_cues().triggers


def _add_forms(single: dict[str, Cue], double: dict[str, dict[str, Cue]], forms: list[str], cue: Cue) -> None:
    """File each form of a cue under its first word: one-word forms in ``single``, longer ones in ``double``
    (a form already filed keeps its first cue)."""
    for form in forms:
        words = form.replace("_", " ").split(" ")
        if len(words) == 1:
            single.setdefault(words[0], cue)
        else:
            double.setdefault(words[0], {}).setdefault(" ".join(words[1:]), cue)


def _parse_cues(text: str) -> tuple[dict[str, Cue], dict[str, dict[str, Cue]]]:
    single: dict[str, Cue] = {}
    double: dict[str, dict[str, Cue]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        lemma, kind = parts[0].strip(), parts[1].strip()
        forms = parts[2].split() if len(parts) > 2 and parts[2].strip() else []
        _add_forms(single, double, forms or _inflect(lemma), Cue(lemma, kind))
        if forms and " " not in lemma:  # irregular verbs list their forms; add the base too
            single.setdefault(lemma, Cue(lemma, kind))
    for form in NEVER_CUES:
        single.pop(form, None)
    return single, double
