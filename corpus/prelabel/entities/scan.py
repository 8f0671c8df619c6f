"""`_Scan`: one left-to-right pass over a document's sentences that finds numeric expressions and runs of name
tokens (capitalised words with inner connectors, initials and hyphens) and hands the runs to the typing rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from corpus.prelabel.entities.facts import (
    CAPITAL,
    CAPS,
    COMMON,
    GAZ_WORD,
    LETTER_OR_DIGIT,
    LEXICON_NAME,
    LONG,
    NAMEISH,
    NORMAL,
    NUMERIC,
    UPPER,
    _after_opener,
    _starts_clause,
)
from corpus.prelabel.entities.names import Candidate
from corpus.prelabel.entities.words import CONNECTORS, DATE_WORDS, HONORIFICS, PLURAL_POSSESSIVE, WEAK_CONNECTORS

if TYPE_CHECKING:
    from corpus.prelabel.entities.labeller import RulesEntityLabeller


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
        facts = self.info[i]
        if not facts & NAMEISH:
            return False
        if mode == CAPS and not facts & UPPER:
            return False
        if mode == NORMAL and not opens_clause:
            if facts & COMMON:
                everyday = self._everyday_in_text(i, facts, run_start, sent_start)
                if everyday is not None:
                    return everyday
            return facts & LONG != 0 or (i + 1 < len(self.words) and self.words[i + 1] == ".")
        # Headlines, title-case lines and sentence starts: capitalisation says little; ask the lexicons.
        return facts & LEXICON_NAME != 0 or self.lowers[i] in self.cased_names

    def _everyday_in_text(self, i: int, facts: int, run_start: bool, sent_start: int) -> bool | None:
        """Whether a capitalised everyday word inside running text is a name, where its place says so; None
        when nothing does (then it is one like any other capitalised word)."""
        words, info = self.words, self.info
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
        return None

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
                    j = self.extend(k if gaz is None else gaz, b, mode, a, k)
                    self.run(k, j, a, mode, opens)
                    i = j + 1

    def extend(self, j: int, b: int, mode: str, sent_start: int, start: int) -> int:
        """Extend a run of name tokens from ``j`` over names, connectors, initials and hyphens (the run starts at
        ``start``)."""
        while j + 1 < b:
            if self.info[j + 1] & CAPITAL:
                nxt = self._next_name(j + 1, b, mode, sent_start)
            elif self._connects(j) or (self.lowers[j + 1] == "and" and self._organisation_goes_on(start, j, b)):
                nxt = self._after_connector(j, b, mode, sent_start)
            else:
                nxt = self._over_glue(j, b)
            if nxt is None:
                break
            j = nxt
        return j

    def _next_name(self, k: int, b: int, mode: str, sent_start: int) -> int | None:
        """The run's new last token when capitalised token ``k`` continues it (a known multi-word name through
        its end), else None."""
        lnxt = self.lowers[k]
        if lnxt in self.lex.multi_first:
            gaz = self.gazetteer_end(k, b)
            if gaz is not None:
                return gaz
        if lnxt not in DATE_WORDS and self.name_token(k, mode, False, sent_start):
            return k
        return None

    def _connects(self, j: int) -> bool:
        """Token ``j + 1`` is a connector that may join two parts of a name ("of", "for" after "Center")."""
        lnxt = self.lowers[j + 1]
        return (
            lnxt in CONNECTORS
            and lnxt not in WEAK_CONNECTORS
            or (lnxt == "for" and self.lowers[j] in self.lab._for_heads)
        )

    def _after_connector(self, j: int, b: int, mode: str, sent_start: int) -> int | None:
        """The name after the connector(s) at ``j + 1`` ("Bank of England", "Center for Disease Control")."""
        lowers = self.lowers
        k = j + 2 if lowers[j + 1] == "for" else j + 1
        while k < b and lowers[k] in CONNECTORS and k - j <= 2:
            k += 1
        if k < b and self.words[k][:1].isupper() and self.name_token(k, mode, False, sent_start):
            return k
        return None

    def _organisation_goes_on(self, start: int, j: int, b: int) -> bool:
        """ "and" inside an organisation's name: after a lone organisation word ("University and College Union") or
        in "Department of X and Y" when what follows is no known name of its own ("Bank of England and Barclays"
        is two)."""
        lowers, org_words = self.lowers, self.lab._org_words
        if j == start:
            return lowers[j] in org_words
        k = j + 2
        return (
            k < b
            and lowers[start] in self.lab._org_head
            and lowers[start + 1] in ("of", "for")
            and self.info[k] & CAPITAL != 0
            and not self.info[k] & GAZ_WORD
            and lowers[k] not in self.lex.first_names
        )

    def _over_glue(self, j: int, b: int) -> int | None:
        """An initial's dot ("J."), a plural possessive inside an organisation's name or a hyphen or ampersand
        glued to capitalised words; a token "glued" to the next has no space after it."""
        words, tokens = self.words, self.tokens
        nxt = words[j + 1]
        if nxt == "." and len(words[j]) == 1 and words[j].isupper() and not tokens[j]["ws"]:
            return j + 1  # the next capitalised word continues the run
        if nxt in PLURAL_POSSESSIVE and not tokens[j]["ws"] and words[j][-1:] == "s" and j + 2 < b:
            if self.lowers[j + 2] in self.lab._org_words and words[j + 2][:1].isupper():
                return j + 2  # "Employers' Association", "Teachers’ Union"
            return None
        if nxt in ("-", "&") and not tokens[j]["ws"] and not tokens[j + 1]["ws"] and j + 2 < b:
            return self._over_hyphens(j + 2, b)
        return None

    def _over_hyphens(self, k: int, b: int) -> int | None:
        """The capitalised word after a hyphen or ampersand at ``k - 1``, past inner connectors glued by hyphens:
        "Coca-Cola", "AT&T", "Chester-le-Street"."""
        words, lowers, tokens = self.words, self.lowers, self.tokens
        while (
            k + 2 < b
            and lowers[k] in CONNECTORS
            and not tokens[k]["ws"]
            and words[k + 1] == "-"
            and not tokens[k + 1]["ws"]
        ):
            k += 2
        return k if words[k][:1].isupper() else None

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
            # Which leading words the document writes capitalised mid-sentence (`_skip_clause_opening`).
            opens_clause and tuple(map(self.cased_names.__contains__, lowers[i : j + 1])),
            *words[i : j + 1],
        )
        cache = lab._run_cache
        typed = cache.get(key)
        if typed is None:
            found: list[Candidate] = []
            lab._split_run(words, lowers, self.info, i, j, sent_start, mode, found, self.cased_names)
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
