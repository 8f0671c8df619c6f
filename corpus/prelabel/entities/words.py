"""The entity labeller's fixed word lists, read once from ``data/entities_numeric.tsv`` and ``data/entities_names.tsv``
(the shared ``name<TAB>words`` format of `corpus.prelabel.lexicon.load_word_lists`)."""

from __future__ import annotations

from corpus.prelabel.lexicon import load_word_lists

_NUMERIC = load_word_lists("entities_numeric.tsv")
_NAMES = load_word_lists("entities_names.tsv")

# Numeric and date patterns.
MONTHS = _NUMERIC["month"]
MONTH_ABBREVS = _NUMERIC["month_abbrev"]
MONTH_ABBREVS_DOT = frozenset(m + "." for m in MONTH_ABBREVS)
WEEKDAYS = _NUMERIC["weekday"]
RELATIVE_DAYS = _NUMERIC["relative_day"]
DATE_UNITS = _NUMERIC["date_unit"]
PARTS_OF_DAY = _NUMERIC["part_of_day"]
DURATION_UNITS = _NUMERIC["duration_unit"]
CLOCK_UNITS = _NUMERIC["clock_unit"]
MONTH_PREPOSITIONS = _NUMERIC["month_preposition"]
DATE_LEADS = _NUMERIC["date_lead"]
DATE_AFTER = _NUMERIC["date_after"]
NUMBER_WORDS = _NUMERIC["number_word"]
MULTIPLIERS = _NUMERIC["multiplier"]
ORDINAL_WORDS = _NUMERIC["ordinal_word"]
CURRENCY_SIGNS = _NUMERIC["currency_sign"]
CURRENCY_WORDS = _NUMERIC["currency_word"]
PERCENT_WORDS = _NUMERIC["percent_word"]
UNITS = _NUMERIC["unit"]
UNIT_PREFIXES = _NUMERIC["unit_prefix"]
UNITS_LOWER_ONLY = _NUMERIC["unit_lower"]
TIME_WORDS = _NUMERIC["time_word"]
FRACTIONS = _NUMERIC["fraction"]
COMPOUND_DATE = _NUMERIC["compound_date"]
COMPOUND_TIME = _NUMERIC["compound_time"]
NOT_A_COUNT = _NUMERIC["not_a_count"]
# A year is not a date when a unit or currency follows it ("2000 km", "1500 euros").
YEAR_BLOCKERS = UNITS | CURRENCY_WORDS
# A number phrase continues over these between number words ("forty-two", "one hundred and five").
NUMBER_JOINERS = frozenset({"-", "and"})
NUMERIC_STARTS = (
    MONTHS | MONTH_ABBREVS | MONTH_ABBREVS_DOT | WEEKDAYS | RELATIVE_DAYS | DATE_LEADS | ORDINAL_WORDS | NUMBER_WORDS
)
# "may" is a month only with a number, a year or a month preposition near it; every other month or weekday
# stops a name run ("Paris Tuesday").
DATE_WORDS = frozenset(WEEKDAYS | (MONTHS - {"may"}))

# Name runs.
CONNECTORS = _NAMES["connector"]
WEAK_CONNECTORS = _NAMES["weak_connector"]
NAME_PARTICLES = _NAMES["name_particle"]
HONORIFICS = _NAMES["honorific"]
PERSONAL_TITLES = _NAMES["personal_title"]
DEMONYM_QUALIFIERS = _NAMES["demonym_qualifier"]
POSSESSIVES = _NAMES["possessive"]
EVERYDAY_CAPS = _NAMES["everyday_caps"]
CLAUSE_OPENERS = _NAMES["clause_opener"]
OPENERS = _NAMES["opener"]
HYPHENS = _NAMES["hyphen"]
EDGE_SYMBOLS = _NAMES["edge_symbol"]
CAMEL_NAME_PREFIXES = _NAMES["camel_name_prefix"]
# A plural possessive inside an organisation's name: "Employers' Association", "Teachers’ Union".
PLURAL_POSSESSIVE = frozenset({"'", "’"})
