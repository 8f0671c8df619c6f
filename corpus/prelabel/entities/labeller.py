"""`RulesEntityLabeller`: the driver that builds per-token facts, scans each sentence (`scan`), types the runs
(`names`, `numeric`) and settles the document's names (`resolve`)."""

from __future__ import annotations

from bisect import bisect_left
from itertools import compress, count

import regex

from corpus.prelabel.base import Labeller, LayerWriter, Option, read_text_option
from corpus.prelabel.entities.compounds import HyphenWords, is_edge_symbol, needs_fixing
from corpus.prelabel.entities.facts import (
    CAPITAL,
    CAPITAL_NOT_UPPER,
    COMMON,
    DIGIT,
    EDGE,
    GAZ_WORD,
    HOT,
    HYPHEN,
    LETTER,
    LETTER_OR_DIGIT,
    LEXICON_NAME,
    LONG,
    NAMEISH,
    NORMAL,
    NUMERIC,
    UPPER,
    _case_modes,
    _starts_clause,
    _WordCache,
)
from corpus.prelabel.entities.gazetteers import lexicon, lexicon_with
from corpus.prelabel.entities.names import NameRules
from corpus.prelabel.entities.numeric import NumericRules
from corpus.prelabel.entities.resolve import DocumentRules
from corpus.prelabel.entities.scan import _drop_overlaps, _Scan, _sentence_token_ranges
from corpus.prelabel.entities.words import (
    CLAUSE_OPENERS,
    CURRENCY_SIGNS,
    EVERYDAY_CAPS,
    HYPHENS,
    NUMBER_WORDS,
    NUMERIC_STARTS,
)
from corpus.prelabel.entities.works import WorkTitles, WorkWords

VERSION = "3"  # 3: hyphenated words whole, organisations, works of art, document consistency (outputs changed)

_LETTER = regex.compile(r"\p{L}")
# Mathematical bold or script letters, circled letters (decoration: a social-media post's heading), and letters
# between digits (a link or tracking code, "P2qpm3h3Pm"): never a name or a number.
_NOT_A_WORD = regex.compile(r"[\U0001D400-\U0001D7FF\u2460-\u24FF\U0001F100-\U0001F1FF]|\d\p{L}+\d")


class RulesEntityLabeller(NumericRules, NameRules, DocumentRules, Labeller):
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
        self._org_words = self._org_suffix | self._org_head
        self._work_words = WorkWords.of(lex)
        # Phrases around a name that make it an organisation ("shares of X", "X said in a statement").
        self._org_before = _phrases(lex.cls("org_before"))
        self._org_after = _phrases(lex.cls("org_after"))
        self._org_after_weak = _phrases(lex.cls("org_after_weak"))
        self._org_before_weak = _phrases(lex.cls("org_before_weak"))
        self._org_after_weak_starts = frozenset(p[0] for p in self._org_after_weak)
        self._org_before_weak_ends = frozenset(p[-1] for p in self._org_before_weak)
        # Their words next to the name, to test a candidate's neighbours before building any phrase.
        self._org_before_ends = frozenset(p[-1] for p in self._org_before)
        self._org_after_starts = frozenset(p[0] for p in self._org_after)
        self._org_after_heads = frozenset(p[:2] for p in self._org_after)
        self._org_before_tails = frozenset(p[-2:] for p in self._org_before)

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
        titles = WorkTitles(self.lex, self._work_words, words, lowers, info, self.is_common)
        works = titles.find(text, sent_ranges, scan.candidates)
        spans = [(f, la, lab, 0.9) for f, la, lab in scan.numeric]
        spans += [(c.first, c.last, c.label, c.score) for c in scan.candidates if c.label]
        if works:
            spans = _with_works(spans, works, lowers)
        if needs_fixing(text):
            spans = HyphenWords(words, lowers, tokens, self.is_common).apply(spans, info)
        out = [(tokens[f]["start"], tokens[la]["end"], lab, score) for f, la, lab, score in spans]
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
        if _NOT_A_WORD.search(w):
            return LETTER * (_LETTER.search(w) is not None) | LONG * (len(w) > 1)
        letter, common, capital = _LETTER.search(w) is not None, self.is_common(lw), first.isupper()
        facts = (
            LETTER * letter
            | COMMON * common
            | CAPITAL * capital
            | UPPER * w.isupper()
            | LONG * (len(w) > 1)
            | DIGIT * first.isdigit()
        )
        if first.isdigit() or first in CURRENCY_SIGNS or lw in NUMERIC_STARTS:
            facts |= NUMERIC
        if not letter and not first.isdigit():
            facts |= EDGE * is_edge_symbol(w) | HYPHEN * (w in HYPHENS)
        if capital and letter and w not in EVERYDAY_CAPS:
            facts |= NAMEISH  # the bits below are read only after this one
            gazetteer = (lw,) in lex.places or (lw,) in lex.norp
            if gazetteer:
                facts |= GAZ_WORD
            if gazetteer or (lw in lex.first_names and not common) or (not common and len(w) > 1):
                facts |= LEXICON_NAME
        return facts


def _phrases(entries: frozenset[str]) -> frozenset[tuple[str, ...]]:
    """Word-list entries whose words are joined by "_", as token tuples."""
    return frozenset(tuple(entry.split("_")) for entry in entries)


def _with_works(
    spans: list[tuple[int, int, str, float]],
    works: list[tuple[int, int]],
    lowers: list[str],
) -> list[tuple[int, int, str, float]]:
    """The works as WORK_OF_ART spans in place of what overlaps them, and every other mention of a title of two
    words or more typed as it (one string, one label), a person's name aside."""
    covered = {t for f, la in works for t in range(f, la + 1)}
    titles = {_key(lowers, f, la) for f, la in works if la > f}
    out = [s for s in spans if s[0] not in covered and s[1] not in covered]
    out = [
        (f, la, "WORK_OF_ART", 0.7)
        if la > f and lab != "PERSON" and _key(lowers, f, la) in titles
        else (f, la, lab, sc)
        for f, la, lab, sc in out
    ]
    out += [(f, la, "WORK_OF_ART", 0.75) for f, la in sorted(set(works))]
    return out


def _key(lowers: list[str], f: int, la: int) -> str:
    return " ".join(lowers[f : la + 1])
