"""The per-document reader: tokens lower-cased once, sentences, quotations, noun phrases read without a parser."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import compress

from corpus.prelabel.lexicon import lower_tokens
from corpus.prelabel.sources.cues import Cues
from corpus.prelabel.sources.words import (
    AUX,
    BOUNDARY,
    BRACKETS,
    CLAUSE_WORDS,
    CLOSE_QUOTES,
    DETERMINERS,
    END,
    END_PUNCT,
    INITIAL_DOT,
    MARKS,
    MAX_POSTPOSED,
    NEVER_SOURCES,
    NP_STOP,
    OPEN_QUOTES,
    POLL_WORDS,
    PRONOUN_SOURCES,
    QUOTES,
    RELATIVE,
    SENTENCE_ADVERBS,
    START,
    TIME_OPENERS,
    TIME_WORDS,
    TOGGLE_QUOTES,
    is_plural,
)

# Words that join a noun phrase's parts when reading leftwards ("the state's governor", "Smith & Wesson").
_NP_JOINERS = frozenset(["’s", "'s", "-", "&", "of", "/"])
# A comma followed by one of these ends a post-posed source: a clause or an attribution of its own follows.
_CLAUSE_OPENERS = frozenset(["and", "but", "as", "while", "after", "before", "when", "because"])
_NP_RIGHT_STOPS = END_PUNCT | QUOTES | {";", ":", "—", "–", "--"}
_CONTENT_EDGES = frozenset([",", ":", ";", "—", "–", "--"])
_SOURCE_PREPOSITIONS = frozenset(["in", "from", "at", "to", "for", "among", "on", "with"])
# Tokens after which a noun phrase opens a clause (its subject can be a source).
_CLAUSE_STARTS = BOUNDARY | END_PUNCT | {"that", "and", "but", "while", "because", "although", "though", "when", "if"}
# Never inside a subject with appositives (brackets are: "Rep. Jane Doe (D-Texas), a member of …,").
_NOT_IN_SUBJECT = QUOTES | END_PUNCT | (BRACKETS - {"(", ")"})
# A word before which a noun phrase read leftwards stops (one set: one look-up per step).
_NP_LEFT_STOPS = NP_STOP | BOUNDARY | END_PUNCT | PRONOUN_SOURCES | RELATIVE
_STOP, _JOIN, _WORD = 0, 1, 2  # what a step leftwards through a noun phrase met
# Past this many tokens `seen_as_written` indexes the token texts: searching the text per word grows with the
# word's occurrences ("he" inside every "the"), and a long document asks about many words.
_WRITTEN_INDEX_TOKENS = 20_000


class _Reader:
    def __init__(self, doc: dict, cues: Cues):
        self.doc = doc
        self.cues = cues
        self._written: set[str] | None = None  # the token texts of a long document, once asked (seen_as_written)
        self._cue_single = cues.single
        self.text = text = doc["text"]
        toks = doc.get("tokens") or []
        self.starts = starts = list(map(START, toks))
        self.ends = list(map(END, toks))
        self.low = low = lower_tokens(text, starts, self.ends)  # the tokens as written: `word(i)`, sliced
        self.sent_of = [0] * len(toks)
        self.sent_bounds: list[tuple[int, int]] = []  # sentence token ranges (inclusive)
        self.para_of_sent: list[int] = []
        self._read_sentences(doc.get("sentences") or [[0, len(text)]], doc.get("paragraphs") or [[0, len(text)]])
        # one pass over the tokens finds every quote mark, full stop, cue trigger and poll word
        scanned = list(compress(range(len(toks)), map(cues.scanned.__contains__, low)))
        marks = [k for k in scanned if low[k] in MARKS]
        self._mark_initials(marks)
        self.quotes: list[tuple[int, int]] = []  # every closed quotation (open, close), in order
        self.quote_of = self._quote_regions([k for k in marks if low[k] in QUOTES])
        triggers = cues.triggers
        self.cue_candidates = [k for k in scanned if low[k] in triggers]  # only tokens that can start a cue
        self.polls = [k for k in scanned if low[k] in POLL_WORDS]

    def _read_sentences(self, sentences: list, paragraphs: list) -> None:
        """Sentence token ranges and their paragraphs; a sentence that only finishes the one before joins it."""
        starts, ends, sent_of = self.starts, self.ends, self.sent_of
        i, p = 0, 0
        for ss, se in sentences:
            first = bisect_left(starts, ss, i)
            i = bisect_right(ends, se, first)
            while p + 1 < len(paragraphs) and paragraphs[p][1] <= ss:
                p += 1
            if self.para_of_sent and self.para_of_sent[-1] == p and self._continues(first, i - 1):
                si = len(self.sent_bounds) - 1
                self.sent_bounds[si] = (self.sent_bounds[si][0], i - 1)
            else:
                si = len(self.sent_bounds)
                self.sent_bounds.append((first, i - 1))
                self.para_of_sent.append(p)
            sent_of[first:i] = [si] * (i - first)

    def _mark_initials(self, marks: list[int]) -> None:
        """The tokenizer splits a middle initial ("Peter T. King") into "T" + "."; inside a sentence that full
        stop belongs to the name, so it is read as a plain word, not as the end of a noun phrase."""
        low, starts, ends, sent_of = self.low, self.starts, self.ends, self.sent_of
        n = len(low)
        for i in marks:
            if (
                low[i] == "."
                and 0 < i < n - 1
                and ends[i - 1] == starts[i]
                and len(low[i - 1]) == 1
                and self.word(i - 1).isupper()
                and sent_of[i + 1] == sent_of[i]
                and self.word(i + 1)[:1].isupper()
            ):
                low[i] = INITIAL_DOT

    def poll_after(self, i: int) -> bool:
        """Whether a poll word sits among the eleven tokens after token ``i``."""
        p = bisect_right(self.polls, i)
        return p < len(self.polls) and self.polls[p] <= i + 11

    def word(self, i: int) -> str:
        """Token ``i`` as written."""
        return self.text[self.starts[i] : self.ends[i]]

    def seen_as_written(self, word: str) -> bool:
        """Whether some token of the document is written exactly ``word`` (asked of lower-case words: "is this
        word also seen in lower case?"). A long document answers from the set of its token texts, built at the
        first question; a short one looks at the places ``word`` occurs (most ask once or never)."""
        if len(self.starts) <= _WRITTEN_INDEX_TOKENS:
            return self._occurs_as_token(word)
        if self._written is None:
            self._written = set(map(self.text.__getitem__, map(slice, self.starts, self.ends)))
        return word in self._written

    def _occurs_as_token(self, word: str) -> bool:
        """Whether a token starts and ends where ``word`` occurs in the text."""
        starts, ends, text = self.starts, self.ends, self.text
        if not word:
            return any(not self.word(k) for k in range(len(starts)))
        n, size = len(starts), len(word)
        at = text.find(word)
        while at != -1:
            k = bisect_left(starts, at)
            while k < n and starts[k] == at:
                if ends[k] == at + size:
                    return True
                k += 1
            at = text.find(word, at + 1)
        return False

    def _continues(self, first: int, last: int) -> bool:
        """Whether a sentence only finishes the one before it: it opens in lower case ("said."), or it is a
        short "Jane Doe said." after a quotation that ended in "?" or "!" (where a sentence splitter cuts)."""
        if first > last or first == 0:
            return False
        w = self.word(first)
        if w[:1].islower() and w[:1].isalpha():
            return True
        prev = self.low[first - 1]
        if prev not in CLOSE_QUOTES and prev not in TOGGLE_QUOTES:
            return False
        if first < 2 or self.low[first - 2] not in ("?", "!") or last - first > 12:
            return False
        single = self._cue_single
        return any(self.low[k] in single for k in range(first, last + 1))

    def _quote_regions(self, quote_marks: list[int]) -> list[tuple[int, int] | None]:
        """For every token, the (open, close) token indices of the quotation it lies in (marks included)."""
        n = len(self.low)
        region: list[tuple[int, int] | None] = [None] * n
        open_at: int | None = None
        prev_para = -1
        for i in quote_marks:
            w = self.word(i)
            para = self.para_of_sent[self.sent_of[i]] if self.sent_bounds else 0
            if para != prev_para:
                open_at, prev_para = None, para  # quotes do not cross paragraphs
            if w in OPEN_QUOTES or (w in TOGGLE_QUOTES and open_at is None):
                open_at = i
            elif (w in CLOSE_QUOTES or w in TOGGLE_QUOTES) and open_at is not None:
                region[open_at : i + 1] = [(open_at, i)] * (i + 1 - open_at)
                self.quotes.append((open_at, i))
                open_at = None
        return region

    # -- small predicates
    def is_cap(self, i: int) -> bool:
        return self.word(i)[:1].isupper()

    def sentence(self, i: int) -> tuple[int, int]:
        return self.sent_bounds[self.sent_of[i]]

    # -- noun phrases
    def np_left(self, k: int, lo: int) -> tuple[int, int] | None:
        """The noun phrase ending at token ``k`` (not before ``lo``), read leftwards without a parser."""
        if k < lo:
            return None
        w = self.low[k]
        if w in NEVER_SOURCES:
            return None
        if w in PRONOUN_SOURCES:
            return (k, k)
        if w in NP_STOP or w in BOUNDARY or w in END_PUNCT:
            return None
        j = k
        while j - 1 >= lo:
            j, step = self._np_step(j, lo)
            if step == _STOP or (step == _WORD and k - j >= 11):
                break
        return self._np_trim(j, k)

    def _np_step(self, j: int, lo: int) -> tuple[int, int]:
        """One step leftwards from the phrase start ``j``: (new start, _STOP / _JOIN / _WORD). Only plain words
        count towards the phrase's length limit."""
        low = self.low
        prev = low[j - 1]
        if prev in DETERMINERS and low[j] != "of":
            if j - 2 >= lo and low[j - 2] == "of":
                return j - 2, _JOIN  # "one of the …": read on past "of"
            return j - 1, _STOP
        if prev in _NP_JOINERS or (prev == "and" and self._joins_names(j, lo)):
            return j - 1, _JOIN
        if prev in _NP_LEFT_STOPS:
            return j, _STOP
        return j - 1, _WORD

    def _joins_names(self, j: int, lo: int) -> bool:
        """Whether the "and" before ``j`` stands between two capitalised words ("Smith and Wesson")."""
        return self.is_cap(j) and j - 2 >= lo and self.is_cap(j - 2)

    def _np_trim(self, j: int, k: int) -> tuple[int, int] | None:
        while j <= k and self.low[j] in ("of", "-", "’s", "'s", "/", "&"):
            j += 1
        # "a move analysts see as …": an indefinite singular cannot head a plural; the source is the plural
        if j + 2 <= k and self.low[j] in ("a", "an") and is_plural(self.low[k]) and not self.is_cap(k):
            j += 2
        return (j, k) if j <= k else None

    def source_left(self, j: int, lo: int) -> tuple[int, int] | None:
        """Source before the cue starting at token ``j``: pronoun, noun phrase, or NP with its appositive."""
        k = self._skip_time(j - 1, lo)
        if k is None or k < lo:
            return None
        if self.low[k] == ",":
            return self._source_before_comma(k, lo)
        if self.low[k] == ")":
            got = self._bracketed(k, lo)
            if got is not None or self._open_bracket(k, lo) is not None:
                return got
        return self._over_prepositions(self.np_left(k, lo), lo)

    def _open_bracket(self, k: int, lo: int) -> int | None:
        p = k - 1
        while p >= lo and self.low[p] != "(" and k - p < 12:
            p -= 1
        return p if p >= lo and self.low[p] == "(" else None

    def _bracketed(self, k: int, lo: int) -> tuple[int, int] | None:
        """A noun phrase with a bracket after it ending at ``k``: "Rep. Jane Doe (D-Texas)"."""
        p = self._open_bracket(k, lo)
        head = self.np_left(p - 1, lo) if p is not None else None
        return (head[0], k) if head else None

    def _over_prepositions(self, np: tuple[int, int] | None, lo: int) -> tuple[int, int] | None:
        """ "Voters in Iowa say", "the senator from Vermont said", "Six in 10 say": a noun phrase read leftwards
        stops at a preposition; when the phrase before it opens the clause, the whole stretch is the source (a
        place or a number alone is not one)."""
        whole = np
        for _ in range(3):
            if whole is None or whole[0] - 2 < lo or self.low[whole[0] - 1] not in _SOURCE_PREPOSITIONS:
                break
            head = self.np_left(whole[0] - 2, lo)
            if head is None or self.low[head[0]] in PRONOUN_SOURCES:
                break
            whole = (head[0], whole[1])
            if head[0] == lo or self.low[head[0] - 1] in _CLAUSE_STARTS:
                return whole
        return np

    def _skip_time(self, k: int, lo: int) -> int | None:
        """ "Jane Doe on Tuesday said", "the party now says": the token before a time adverbial that sits
        between source and cue (``k`` itself when there is none; None when nothing is left)."""
        t = k
        while t >= lo and self.low[t] in TIME_WORDS:
            t -= 1
        if t == k:
            return k
        while t >= lo and self.low[t] in TIME_OPENERS:
            t -= 1
        return None if t < lo else t

    def _source_before_comma(self, k: int, lo: int) -> tuple[int, int] | None:
        """ "X, a spokesman, said" / "X, who chairs the panel, said" (the appositive kept, as PolNeAR keeps it
        more often than not) / "X, speaking in Miami, said" (a participle phrase left out: PolNeAR leaves it
        out two times in three)."""
        p = self._appositive_comma(k, lo)
        if p is None:
            return self.subject_with_appositives(lo, k)  # "Jane Doe, a senator who has met him twice, said"
        head = self._bracketed(p - 1, lo) if self.low[p - 1] == ")" else self.np_left(p - 1, lo)
        whole = self.subject_with_appositives(lo, k)
        if whole is not None and (head is None or whole[0] < head[0]):
            return whole
        if head is None:
            return None
        return head if self.low[p + 1].endswith("ing") else (head[0], k)

    def _appositive_comma(self, k: int, lo: int) -> int | None:
        """The comma opening the appositive that ends at the comma ``k``; a cue inside it ends the search unless
        it opens the appositive as a participle ("X, speaking in Miami on Tuesday, said")."""
        p = k - 1
        while p >= lo and self.low[p] != "," and k - p < 20:
            if self.low[p] in self._cue_single and not (self.low[p].endswith("ing") and self.low[p - 1] == ","):
                return None
            p -= 1
        if p < lo or self.low[p] != ",":
            return None
        return p if k - p < 14 or self.low[p + 1].endswith("ing") else None

    def subject_with_appositives(self, lo: int, k: int) -> tuple[int, int] | None:
        """ "Jane Doe, a lawyer from Austin, Texas, said": everything from the sentence start to the comma before
        the cue is one subject when it opens like a name and holds no clause of its own: no quotation, and no
        verb-like word or cue except inside a relative clause of an appositive ("Jane Doe, a senator who has met
        him twice, said": PolNeAR keeps the relative clause in the source more often than not).
        """
        a = lo
        while a < k and self.low[a] in SENTENCE_ADVERBS:
            a += 1
        if k - a > 40 or k - a < 3 or not self.is_cap(a):
            return None
        return (a, k) if self._appositive_commas(a, k) >= 1 else None

    def _appositive_commas(self, a: int, k: int) -> int:
        """The commas of the subject ``a..k-1`` (0 when it holds a quotation, a verb-like word or a cue outside a
        relative clause of an appositive: no subject then)."""
        low = self.low
        commas = 0
        relative = False
        for t in range(a, k):
            w = low[t]
            if w == ",":
                commas += 1
                relative = False
            elif w in RELATIVE and commas:
                relative = True
            elif w in _NOT_IN_SUBJECT or (not relative and (w in CLAUSE_WORDS or w in self._cue_single)):
                return 0
        return commas

    def np_right(self, i: int, hi: int) -> tuple[int, int] | None:
        """Source after a post-posed cue: up to the sentence end, keeping an appositive and a relative clause
        ("said Jane Doe, who chairs the panel" — PolNeAR keeps it more often than not) unless that runs long."""
        if i > hi:
            return None
        j, relative_at = self._np_right_scan(i, hi)
        clean_end = j > hi or self.low[j] in END_PUNCT or self.low[j] == ":"
        j -= 1
        if relative_at is not None and (j - i > MAX_POSTPOSED or not clean_end):
            j = relative_at - 1
        while j >= i and self.low[j] == ",":
            j -= 1
        if j < i or j - i > MAX_POSTPOSED:
            return None
        return (i, j)

    def _np_right_scan(self, i: int, hi: int) -> tuple[int, int | None]:
        """(the token that ends a post-posed source, the comma of its relative clause if it has one)."""
        j = i
        relative_at = None
        while j <= hi:
            w = self.low[j]
            if w in _NP_RIGHT_STOPS:
                break
            if w == ",":
                after = self._after_comma(j, hi, relative_at is None)
                if after == "stop":
                    break
                if after == "relative":
                    relative_at = j
            j += 1
        return j, relative_at

    def _after_comma(self, j: int, hi: int, first_relative: bool) -> str:
        """What the comma at ``j`` inside a post-posed source opens: "stop", "relative" (clause) or ""."""
        nxt = self.low[j + 1] if j + 1 <= hi else ""
        if nxt.endswith("ing") or nxt in _CLAUSE_OPENERS or nxt in self._cue_single:
            return "stop"
        if nxt in RELATIVE and first_relative:
            if any(w in self._cue_single for w in self.low[j + 2 : min(hi, j + 5) + 1]):
                return "stop"  # "…, said X, who said …": the relative clause is an attribution of its own
            return "relative"
        return ""

    # -- cue groups
    def cue_group(self, i: int, lo: int) -> tuple[int, int]:
        """Widen the cue word ``i`` leftwards over auxiliaries and adverbs ("has also said")."""
        j = i
        while j - 1 >= lo and (self.low[j - 1] in AUX or (self.low[j - 1].endswith("ly") and len(self.low[j - 1]) > 4)):
            j -= 1
        return j, i

    def strip_content(self, a: int, b: int) -> tuple[int, int] | None:
        """Trim a content range: no leading commas/colons, no final full stop unless inside a quote."""
        while a <= b and self.low[a] in _CONTENT_EDGES:
            a += 1
        while b >= a and (
            self.low[b] in _CONTENT_EDGES
            or self.low[b] == "("
            or (self.low[b] in END_PUNCT and self.low[b] != "?" and self.low[b] != "!")
        ):
            b -= 1
        return (a, b) if a <= b else None

    def quote_extend_right(self, a: int, b: int) -> int:
        """When a content opens a quotation, or ends inside one it opened, that closes in a later sentence, run to
        the closing mark (an unclosed one stops at the sentence: running to the paragraph's end is too greedy)."""
        q = self.quote_of[a] if a < len(self.quote_of) else None
        if q and q[0] == a and q[1] > b:
            return q[1]
        q = self.quote_of[b] if a <= b < len(self.quote_of) else None
        if q and q[0] > a and q[1] > b:
            return q[1]  # 'He says Obama “knows … . Still, …”': a quotation opened inside the content runs on
        return b
