"""Rules `sources` labeller: who said what — SOURCE, CUE and CONTENT spans bound by relations.

No model, no parser: one pass over the tokens finds reporting cues from a lexicon
(``data/sources_cues.tsv``: speech, internal state, evidence and stance verbs plus "according to"), then each cue
is read in one of the configurations that cover almost all news attribution:

* ``SOURCE CUE CONTENT``   — "Officials said (that) …", "X has stated that …", "X told reporters that …"
* ``CONTENT, SOURCE CUE``  — "… , the minister said."  /  "“…,” she said. “…”" (quotes may span sentences)
* ``CONTENT, CUE SOURCE``  — "“…,” said Jane Doe, a spokeswoman."
* ``according to SOURCE``  — before or after its content.
* ``SOURCE …, CUE-ing CONTENT`` / ``SOURCE … and CUE CONTENT`` — the clause subject (or the source of an earlier
  attribution in the sentence) is the source: "Jane Doe pushed back, saying …", "…, she said, adding that …".
* ``CONTENT was CUE by SOURCE`` / ``As CUE by SOURCE, CONTENT`` — the passive agent is the source.

Conventions follow the PolNeAR annotation guidelines: the cue is the verb group (auxiliaries and adverbs
included, "was quoted as saying"), the content of indirect speech starts at "that" and leaves out the final
full stop, direct quotes keep their quote marks, an addressee ("told this correspondent") belongs to no role,
pronoun sources are marked as they stand, and an appositive or a relative clause stays inside its source ("X, a
spokesman,", "said X, who chairs the panel") unless the clause reports speech of its own ("X, who said …").
Quoted sentences that continue an attributed quote become further CONTENT fragments of the same attribution.
Source attrs: ``kind`` (SOURCE_KINDS) and ``correspondent`` (the article's own
reporter speaking, e.g. "this correspondent has tracked …").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import accumulate, compress
from operator import itemgetter

from corpus.prelabel.base import Labeller, LayerWriter, Option, read_text_option
from corpus.prelabel.lexicon import load_word_lists, lower_tokens

VERSION = "2"


_WORDS = load_word_lists("sources_words.tsv")  # read once, at import

# --- lexicons ---------------------------------------------------------------------------------------------

_AUX = _WORDS["aux"]
_PRONOUN_SOURCES = frozenset(["he", "she", "i", "we", "they", "you", "it", "who", "which", "that"])
# Read as a source these are mostly something else: "that" a relative or demonstrative ("ads that slam"), "you"
# generic or inside an interview answer. Measured on PolNeAR train they are right about one time in four.
_NEVER_SOURCES = frozenset(["that", "you"])
_PERSON_PRONOUNS = frozenset(["he", "she", "i", "you", "who", "him", "her", "me"])
_GROUP_PRONOUNS = frozenset(["we", "they", "us", "them"])
_OBJECT_PRONOUNS = frozenset(["me", "him", "her", "us", "them", "you", "reporters", "journalists"])
_DETERMINERS = _WORDS["determiners"]
_TIME_WORDS = _WORDS["time_words"]
_TIME_OPENERS = _WORDS["time_openers"]
_RELATIVE = frozenset(["who", "whom", "whose", "which"])
# Words that end a noun phrase when reading leftwards from a cue.
_NP_STOP = _WORDS["np_stop"]
_OPEN_QUOTES = frozenset({"“", "``", "‘‘", "«"})
_CLOSE_QUOTES = frozenset({"”", "’’", "»"})
_TOGGLE_QUOTES = frozenset({'"', "''"})  # '' opens as well as closes in ASCII-fied news (''Yes,'' he said)
_QUOTES = _OPEN_QUOTES | _CLOSE_QUOTES | _TOGGLE_QUOTES
_END_PUNCT = frozenset({".", "!", "?", ";", "…", "..."})
_MARKS = _QUOTES | {"."}
_BOUNDARY = frozenset({",", ";", ":", "—", "–", "--", "(", ")"}) | _QUOTES
# Short tails that may follow a post-posed cue without turning it into "SOURCE CUE CONTENT".
_TAIL_WORDS = _WORDS["tail_words"]
_ADDRESSEE_CUES = _WORDS["addressee_cues"]
_ANONYMOUS = re.compile(
    r"\b(anonym\w*|unnamed|unidentified|not authori[sz]ed|declined to be (named|identified)|"
    r"familiar with|briefed on|insider|on condition)\b"
)
_CORRESPONDENT = re.compile(r"\b(this|our|your) (correspondent|reporter|writer|journalist|newspaper|paper)\b")
_SOURCE_GROUP_WORDS = _WORDS["source_group_words"]
_ORG_WORDS = _WORDS["org_words"]
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ic|an|i)$")
_MAX_POSTPOSED = 25  # tokens; a longer tail after "said" is a clause, not a name with its appositive
_SENTENCE_ADVERBS = frozenset(["but", "and", "so", "yet", "still", "now", "meanwhile", "instead", "later"])
# Words that show a stretch holds a clause of its own, not just a subject with its appositives.
_CLAUSE_WORDS = _WORDS["clause_words"]
_BRACKETS = frozenset(["(", ")", ":", ";", "—", "–", "--"])
_INITIAL_DOT = "·"  # stands for the full stop of a middle initial in the lower-cased words
_START, _END, _SECOND = itemgetter("start"), itemgetter("end"), itemgetter(1)


# Forms read as nouns or adverbs far more often than as reporting verbs in news ("the United States").
_NEVER_CUES = _WORDS["never_cues"]
# Forms that are often nouns ("his remarks", "polls show"): a cue only right after a subject-like word.
_NOUNISH_FORMS = _WORDS["nounish_forms"]


@dataclass(frozen=True)
class Cue:
    lemma: str
    kind: str  # speech | belief | evidence | stance | according


def _is_plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "’s", "'s"))


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


@dataclass(frozen=True)
class Cues:
    """A cue lexicon and the word sets the reader scans for."""

    single: dict[str, Cue]  # single-word forms
    double: dict[str, dict[str, Cue]]  # first word -> {the rest -> Cue}
    triggers: frozenset[str]  # every word that can open a cue: single forms, first words, ":" and "in"
    scanned: frozenset[str]  # the words whose positions the reader lists in its one pass over the tokens


@lru_cache(maxsize=4)
def load_cues(text: str | None = None) -> Cues:
    """The cues of a ``data/sources_cues.tsv``-style text (default: the packaged list)."""
    if text is None:
        text = resources.files("corpus.prelabel").joinpath("data/sources_cues.tsv").read_text("utf-8")
    single, double = _parse_cues(text)
    triggers = frozenset(single) | frozenset(double) | {":", "in"}
    return Cues(single, double, triggers, _MARKS | triggers | _POLL_WORDS)


def cue_lexicon() -> tuple[dict[str, Cue], dict[str, dict[str, Cue]]]:
    """(single-word forms -> Cue, first word -> {second word -> Cue}) from ``data/sources_cues.tsv``."""
    cues = load_cues()
    return cues.single, cues.double


def _parse_cues(text: str) -> tuple[dict[str, Cue], dict[str, dict[str, Cue]]]:
    single: dict[str, Cue] = {}
    double: dict[str, dict[str, Cue]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        lemma, kind = parts[0].strip(), parts[1].strip()
        forms = parts[2].split() if len(parts) > 2 and parts[2].strip() else []
        for form in forms or _inflect(lemma):
            words = form.replace("_", " ").split(" ")
            if len(words) == 1:
                single.setdefault(words[0], Cue(lemma, kind))
            else:
                double.setdefault(words[0], {}).setdefault(" ".join(words[1:]), Cue(lemma, kind))
        if forms and " " not in lemma:  # irregular verbs list their forms; add the base too
            single.setdefault(lemma, Cue(lemma, kind))
    for form in _NEVER_CUES:
        single.pop(form, None)
    return single, double


def cue_triggers() -> frozenset[str]:
    """Every word that can open a cue: single forms, first words of two-word forms, ":" and "in"."""
    return load_cues().triggers


# --- the per-document reader ------------------------------------------------------------------------------


@dataclass
class _Attribution:
    cue: tuple[int, int]  # inclusive token range
    source: tuple[int, int] | None
    contents: list[tuple[int, int]] = field(default_factory=list)
    in_quote: bool = False


class _Reader:
    def __init__(self, doc: dict, cues: Cues):
        self.doc = doc
        self.cues = cues
        self._cue_single = cues.single
        self.text = text = doc["text"]
        toks = doc.get("tokens") or []
        self.starts = starts = list(map(_START, toks))
        self.ends = ends = list(map(_END, toks))
        self.low = low = lower_tokens(text, starts, ends)  # the tokens as written: `word(i)`, sliced when needed
        n = len(toks)
        # sentence and paragraph token ranges
        self.sent_of = sent_of = [0] * n
        self.sent_bounds: list[tuple[int, int]] = []
        self.para_of_sent: list[int] = []
        paragraphs = doc.get("paragraphs") or [[0, len(text)]]
        i, p = 0, 0
        for ss, se in doc.get("sentences") or [[0, len(text)]]:
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
        # one pass over the tokens finds every quote mark, full stop, cue trigger and poll word
        scanned = list(compress(range(n), map(cues.scanned.__contains__, low)))
        marks = [k for k in scanned if low[k] in _MARKS]
        # The tokenizer splits a middle initial ("Peter T. King") into "T" + "."; inside a sentence that full stop
        # belongs to the name, so it is read as a plain word, not as the end of a noun phrase.
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
                low[i] = _INITIAL_DOT
        self.quote_of = self._quote_regions([k for k in marks if low[k] in _QUOTES])
        triggers = cues.triggers
        self.cue_candidates = [k for k in scanned if low[k] in triggers]  # only tokens that can start a cue
        self.polls = [k for k in scanned if low[k] in _POLL_WORDS]

    def poll_after(self, i: int) -> bool:
        """Whether a poll word sits among the eleven tokens after token ``i``."""
        p = bisect_right(self.polls, i)
        return p < len(self.polls) and self.polls[p] <= i + 11

    def word(self, i: int) -> str:
        """Token ``i`` as written."""
        return self.text[self.starts[i] : self.ends[i]]

    def seen_as_written(self, word: str) -> bool:
        """Whether some token of the document is written exactly ``word`` (asked of lower-case words: "is this
        word also seen in lower case?"): a token starting and ending where ``word`` occurs in the text."""
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
        if prev not in _CLOSE_QUOTES and prev not in _TOGGLE_QUOTES:
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
            if w in _OPEN_QUOTES or (w in _TOGGLE_QUOTES and open_at is None):
                open_at = i
            elif (w in _CLOSE_QUOTES or w in _TOGGLE_QUOTES) and open_at is not None:
                region[open_at : i + 1] = [(open_at, i)] * (i + 1 - open_at)
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
        if w in _NEVER_SOURCES:
            return None
        if w in _PRONOUN_SOURCES:
            return (k, k)
        if w in _NP_STOP or (w in _BOUNDARY and w not in _QUOTES) or w in _END_PUNCT:
            return None
        if w in _QUOTES:
            return None
        j = k
        while j - 1 >= lo:
            prev = self.low[j - 1]
            if prev in _DETERMINERS and self.low[j] != "of":
                j -= 1
                if j - 1 >= lo and self.low[j - 1] == "of":
                    j -= 1
                    continue
                break
            if prev in ("’s", "'s", "-", "&", "of", "/") or (
                prev == "and" and self.is_cap(j) and j - 2 >= lo and self.is_cap(j - 2)
            ):
                j -= 1
                continue
            if prev in _NP_STOP or prev in _BOUNDARY or prev in _END_PUNCT or prev in _QUOTES:
                break
            if prev in _PRONOUN_SOURCES or prev in _RELATIVE:
                break
            j -= 1
            if k - j >= 11:
                break
        while j <= k and self.low[j] in ("of", "-", "’s", "'s", "/", "&"):
            j += 1
        # "a move analysts see as …": an indefinite singular cannot head a plural; the source is the plural
        if j + 2 <= k and self.low[j] in ("a", "an") and _is_plural(self.low[k]) and not self.is_cap(k):
            j += 2
        return (j, k) if j <= k else None

    def source_left(self, j: int, lo: int) -> tuple[int, int] | None:
        """Source before the cue starting at token ``j``: pronoun, noun phrase, or NP with its appositive."""
        k = j - 1
        if k < lo:
            return None
        # "Jane Doe on Tuesday said", "the party now says": a time adverbial sits between source and cue
        t = k
        while t >= lo and self.low[t] in _TIME_WORDS:
            t -= 1
        if t < k:
            while t >= lo and self.low[t] in _TIME_OPENERS:
                t -= 1
            if t < lo:
                return None
            k = t
        if self.low[k] == ",":
            # "X, a spokesman, said" (appositive kept) / "X, who …, said" (relative clause dropped)
            p = k - 1
            while p >= lo and self.low[p] != "," and k - p < 14 and self.low[p] not in self._cue_single:
                p -= 1
            if p < lo or self.low[p] != ",":
                return None
            head = self.np_left(p - 1, lo)
            whole = self.subject_with_appositives(lo, k)
            if whole is not None and (head is None or whole[0] < head[0]):
                return whole
            if head is None:
                return None
            return (head[0], k)
        if self.low[k] == ")":
            p = k - 1
            while p >= lo and self.low[p] != "(" and k - p < 12:
                p -= 1
            if p >= lo and self.low[p] == "(":
                head = self.np_left(p - 1, lo)
                return (head[0], k) if head else None
        return self.np_left(k, lo)

    def subject_with_appositives(self, lo: int, k: int) -> tuple[int, int] | None:
        """ "Jane Doe, a lawyer from Austin, Texas, said": everything from the sentence start to the comma before
        the cue is one subject when it holds no clause (no verb-like word, quotation or cue) and opens like a name.
        """
        a = lo
        while a < k and self.low[a] in _SENTENCE_ADVERBS:
            a += 1
        if k - a > 35 or k - a < 3 or not self.is_cap(a):
            return None
        low = self.low
        commas = 0
        for t in range(a, k):
            w = low[t]
            if w == ",":
                commas += 1
            elif w in _CLAUSE_WORDS or w in _QUOTES or w in _END_PUNCT or w in self._cue_single or w in _BRACKETS:
                return None
        return (a, k) if commas >= 1 else None

    def np_right(self, i: int, hi: int) -> tuple[int, int] | None:
        """Source after a post-posed cue: up to the sentence end, keeping an appositive and a relative clause
        ("said Jane Doe, who chairs the panel" — PolNeAR keeps it more often than not) unless that runs long."""
        if i > hi:
            return None
        j = i
        relative_at = None
        while j <= hi:
            w = self.low[j]
            if w in _END_PUNCT or w in _QUOTES or w in (";", ":", "—", "–", "--"):
                break
            if w == ",":
                nxt = self.low[j + 1] if j + 1 <= hi else ""
                if nxt.endswith("ing") or nxt in ("and", "but", "as", "while", "after", "before", "when", "because"):
                    break
                if nxt in self._cue_single:
                    break
                if nxt in _RELATIVE and relative_at is None:
                    if any(w in self._cue_single for w in self.low[j + 2 : min(hi, j + 5) + 1]):
                        break  # "…, said X, who said …": the relative clause is an attribution of its own
                    relative_at = j
            j += 1
        clean_end = j > hi or self.low[j] in _END_PUNCT or self.low[j] == ":"
        j -= 1
        if relative_at is not None and (j - i > _MAX_POSTPOSED or not clean_end):
            j = relative_at - 1
        while j >= i and self.low[j] in (",",):
            j -= 1
        if j < i or j - i > _MAX_POSTPOSED:
            return None
        return (i, j)

    # -- cue groups
    def cue_group(self, i: int, lo: int) -> tuple[int, int]:
        """Widen the cue word ``i`` leftwards over auxiliaries and adverbs ("has also said")."""
        j = i
        while j - 1 >= lo and (
            self.low[j - 1] in _AUX or (self.low[j - 1].endswith("ly") and len(self.low[j - 1]) > 4)
        ):
            j -= 1
        # the group must not swallow a pronoun source ("it's said") — keep 's/'ve attached only after a word
        while j < i and self.low[j] in ("'s", "’s", "'d", "’d", "'ve", "’ve"):
            j += 1
        return j, i

    def strip_content(self, a: int, b: int) -> tuple[int, int] | None:
        """Trim a content range: no leading commas/colons, no final full stop unless inside a quote."""
        while a <= b and self.low[a] in (",", ":", ";", "—", "–", "--"):
            a += 1
        while b >= a and (
            self.low[b] in (",", ";", ":", "—", "–", "--", "(")
            or (self.low[b] in _END_PUNCT and self.low[b] != "?" and self.low[b] != "!")
        ):
            b -= 1
        return (a, b) if a <= b else None

    def quote_extend_right(self, a: int, b: int) -> int:
        """When a content opens a quotation that closes in a later sentence, run to the closing mark."""
        q = self.quote_of[a] if a < len(self.quote_of) else None
        if q and q[0] == a and q[1] > b:
            return q[1]
        if self.low[a] in _OPEN_QUOTES or self.low[a] in _TOGGLE_QUOTES:
            # unclosed in this paragraph: run to the paragraph's end is too greedy; stop at the sentence
            return b
        return b


# PolNeAR sometimes counts a manner/time tail in the cue ("said in a statement") and sometimes not; measured
# on its training split, leaving tails out of the cue matches more often.
TAIL_IN_CUE = COMMA_TAIL_IN_CUE = THAT_IN_CUE = False


def _post_tail(r: _Reader, a: int, hi: int) -> tuple[bool, int, list[tuple[int, int]]]:
    """Read what follows a post-posed cue ("…, she said [tail].").

    Returns (post-posed?, last token of the cue, extra content fragments). PolNeAR counts a short manner or
    time tail as part of the cue ("said Monday night", "said in a statement", "said, looking out at …"); a
    tail after a comma that is a clause or quotation is the second half of a split content.
    """
    low = r.low
    b = hi
    while b >= a and (low[b] in _END_PUNCT or (low[b] in _QUOTES and r.quote_of[b] is None)):
        b -= 1
    if a > b:
        return True, a - 1, []
    if low[a] != ",":
        if b - a > 7 or "that" in low[a : b + 1] or any(w in _QUOTES for w in low[a : b + 1]):
            return False, a - 1, []
        if (
            low[a] in _TAIL_WORDS
            or low[a] in ("with", "without", "after", "before", "through", "via", "by", "to", "from", "about")
            or r.is_cap(a)
            or low[a].endswith("ly")
        ):
            return True, (b if TAIL_IN_CUE else a - 1), []
        return False, a - 1, []
    nxt = low[a + 1] if a + 1 <= b else ""
    if nxt in r._cue_single or nxt in ("and", "but", "who", "which", "according", "as", "while"):
        return True, a - 1, []
    if nxt in _QUOTES:
        rest = r.strip_content(a + 1, hi)
        if rest:
            return True, a - 1, [(rest[0], r.quote_extend_right(rest[0], rest[1]))]
        return True, a - 1, []
    if (
        nxt.endswith("ing") or nxt in ("with", "without", "in", "at", "on", "before", "after", "during")
    ) and b - a <= 16:
        return True, (b if COMMA_TAIL_IN_CUE else a - 1), []
    rest = r.strip_content(a + 1, hi)
    return True, a - 1, [rest] if rest and rest[1] - rest[0] >= 1 else []


def read_attributions(doc: dict, cues: Cues) -> tuple[_Reader, list[_Attribution]]:
    """All attributions of a segmented document, as token ranges (with the reader that found them)."""
    single, double = cues.single, cues.double
    r = _Reader(doc, cues)
    low = r.low
    n = len(low)
    out: list[_Attribution] = []
    used_until = -1  # tokens before this index belong to an earlier attribution's source/cue
    next_i = 0  # the scan resumes here after an attribution
    for i in r.cue_candidates:
        if i < next_i:
            continue
        w = low[i]
        cue = single.get(w)
        cue_end = i
        if w in double and i + 1 < n:
            second = double[w].get(low[i + 1])
            if second is not None:
                cue, cue_end = second, i + 1
        # "in" opens an attribution only with a poll word close after it (see _in_poll)
        if cue is None and i > used_until and (w == ":" or (w == "in" and r.poll_after(i))):
            lo, hi = r.sentence(i)
            att = _colon_speaker(r, i, lo, hi) if w == ":" else _in_poll(r, i, lo, hi)
            if att is not None:
                out.append(att)
                used_until = max(att.cue[1], att.source[1] if att.source else i)
                next_i = used_until + 1
                continue
        if cue is None or i <= used_until:
            continue
        if r.quote_of[i] is not None and SKIP_QUOTED:
            continue
        lo, hi = r.sentence(i)
        if not _verb_like(r, i, lo, cue):
            continue
        if cue.kind == "according":
            if i + 1 > hi or low[i + 1] != "to":
                continue
            att = _according(r, i, lo, hi)
            if att:
                out.append(att)
                used_until = att.source[1] if att.source else i + 1
            next_i = i + 2
            continue
        # "was quoted as saying"
        if w == "quoted" and i + 2 <= hi and low[i + 1] == "as" and low[i + 2] in ("saying", "telling"):
            cue_end = i + 2
        # particles that belong to the cue
        if cue.lemma in ("call", "point") and cue_end + 1 <= hi and low[cue_end + 1] in ("for", "on", "out"):
            cue_end += 1
        gstart, _ = r.cue_group(i, lo)
        prior = out[-1].source if out and out[-1].source is not None else None
        if prior is not None and (prior[0] < lo or prior[1] >= gstart):
            prior = None  # only an earlier source of this same sentence can be the subject of ", adding …"
        att = _read_cue(r, cue, gstart, cue_end, lo, hi, prior)
        if att is not None:
            att.in_quote = r.quote_of[i] is not None
            out.append(att)
            used_until = max(cue_end, att.source[1] if att.source and att.source[0] > cue_end else cue_end)
            _continuation_quotes(r, att)
        next_i = cue_end + 1
    return r, _resolve_nested(r, out)


_CLAUSE_BOUNDARY = _WORDS["clause_boundary"]


_COMMENT_BOUNDARY = frozenset([",", ";", "—", "–"]) | _QUOTES


def _content_holders(atts: list[_Attribution], near: int = 1000):
    """``holding(a, b)``: the attributions (in ``atts`` order) with a content fragment holding tokens ``a..b``,
    looked up by position instead of testing every attribution for every cue (quadratic on one huge article).
    Found from the contents as they are now: a superset later, since :func:`_resolve_nested` only shrinks them."""
    fragments = sorted((a, b, n) for n, att in enumerate(atts) for a, b in att.contents)
    short = [f for f in fragments if f[1] - f[0] <= near]
    long = [f for f in fragments if f[1] - f[0] > near]
    starts = [f[0] for f in short]

    def holding(a: int, b: int) -> list[_Attribution]:
        nearby = short[bisect_left(starts, a - near) : bisect_right(starts, a)]
        return [atts[n] for n in sorted({n for s, e, n in (*nearby, *long) if s <= a and b <= e})]

    return holding


def _open_content_holders(atts: list[_Attribution]):
    """``holding(a, b)`` as :func:`_content_holders`, for cues asked in position order (issue 12): a sweep over
    the contents' fragments by start that keeps only those still open, judged by the contents as they are now.

    Every fragment :func:`_resolve_nested` leaves lies inside one the attribution had at the start (it only
    trims or drops them), so a starting fragment whose present pieces all end before ``a`` holds no later cue
    and is closed for good. On a text without sentence punctuation the candidate contents run to its end;
    once trimmed they close here instead of being tested again for every later cue."""
    fragments = sorted((a, b, n) for n, att in enumerate(atts) for a, b in att.contents)
    opened: list[tuple[int, int, int]] = []
    nxt = 0

    def end_now(s: int, e: int, n: int) -> int:
        return max((fb for fa, fb in atts[n].contents if s <= fa and fb <= e), default=-1)

    def holding(a: int, b: int) -> list[_Attribution]:
        nonlocal nxt, opened
        while nxt < len(fragments) and fragments[nxt][0] <= a:
            opened.append(fragments[nxt])
            nxt += 1
        opened = [f for f in opened if end_now(*f) >= a]
        return [atts[n] for n in sorted({n for _, _, n in opened})]

    return holding


def _covered(n: int, atts: list[_Attribution]) -> bytearray:
    """Token k is 1 when some content fragment holds it: one pass over boundary counts, not a write per token
    of every fragment (each runs to the end of a text without sentence punctuation)."""
    depth = [0] * (n + 1)
    for att in atts:
        for a, b in att.contents:
            depth[a] += 1
            depth[b + 1] -= 1
    return bytearray(d > 0 for d in accumulate(depth[:n]))


def _resolve_nested(r: _Reader, atts: list[_Attribution]) -> list[_Attribution]:
    """PolNeAR marks no attribution inside another's content: one of the two goes, or the outer content ends.

    A cue right inside a content ("said he believes …", "said that she wants …") is part of that content and
    is dropped. A cue after a clause boundary (", while critics say …", "…, and officials said …") starts an
    attribution of its own: the outer content stops at the boundary. When two attributions each hold the
    other's cue (", he said, … she said") both stay.
    """
    covered = _covered(len(r.low), atts)  # tokens inside some content: only cues there can be nested
    keep = []
    in_order = all(x.cue[0] <= y.cue[0] for x, y in zip(atts, atts[1:], strict=False))
    holding = _open_content_holders(atts) if in_order else _content_holders(atts)
    for att in atts:
        drop = False
        cue_a, cue_b = att.cue
        for other in holding(cue_a, cue_b) if covered[cue_a] else ():
            if other is att:
                continue
            for frag in other.contents:  # the first fragment of the other's content holding this cue
                if frag[0] <= cue_a and cue_b <= frag[1]:
                    break
            else:
                continue
            other_a, other_b = other.cue
            if any(a <= other_a and other_b <= b for a, b in att.contents):
                continue
            start = att.source[0] if att.source is not None and att.source[0] < att.cue[0] else att.cue[0]
            cut = next((k for k in range(max(frag[0] + 1, start - 2), start) if r.low[k] in _CLAUSE_BOUNDARY), None)
            last = None if cut is None else cut - 1
            if cut is None and start - 3 > frag[0] and r.low[start - 3] in _COMMENT_BOUNDARY:
                # ', a move analysts see as …' / '“…,” a move analysts see as …': a comment hung on the content
                cut = start - 3
                last = cut if r.low[cut] in _QUOTES else cut - 1
            if cut is None or last is None:
                drop = True
                break
            trimmed = r.strip_content(frag[0], last)
            kept = [f for f in other.contents if f != frag and f[0] < cut]
            other.contents = sorted([*kept, trimmed]) if trimmed is not None else kept
        if not drop:
            keep.append(att)
    return [att for att in keep if att.contents]


SKIP_QUOTED = True
_NOT_BEFORE_VERB = _DETERMINERS | _WORDS["not_before_verb"]


def _verb_like(r: _Reader, i: int, lo: int, cue: Cue) -> bool:
    """Reject noun readings of cue forms ("the states", "his remarks", "a tweet")."""
    if cue.kind == "according":
        return True
    if i - 1 < lo:
        return not r.is_cap(i) or cue.kind == "speech"
    prev = r.low[i - 1]
    if prev in _NOT_BEFORE_VERB:
        return False
    if r.low[i] in _NOUNISH_FORMS:
        k = i - 1
        while k > lo and r.low[k] in _AUX:
            k -= 1
        w = r.low[k]
        if w in _PRONOUN_SOURCES or w in _RELATIVE:
            return True
        if w in _NP_STOP or w in _BOUNDARY or w in _END_PUNCT or not w[:1].isalpha():
            return False
        if k - 1 >= lo and r.low[k - 1] in ("’s", "'s"):
            return False  # "Zelenskyy's minerals offer": a noun compound
        base = not r.low[i].endswith("s") or r.low[i].endswith("ss")
        if base:  # a bare verb needs a plural subject: "Republicans support", not "U.S. support"
            return _is_plural(w)
        if r.is_cap(k):
            return k > lo
        return k - 1 >= lo and (r.low[k - 1] in _DETERMINERS or _is_plural(w))
    return True


_POLL_WORDS = frozenset(["poll", "polls", "survey", "surveys", "study", "studies"])


def _colon_speaker(r: _Reader, i: int, lo: int, hi: int) -> _Attribution | None:
    """Interview and headline style: "Q: …", "Jane Doe: …" at the start of a paragraph."""
    si = r.sent_of[i]
    if lo != r.sent_bounds[si][0] or (si > 0 and r.para_of_sent[si - 1] == r.para_of_sent[si]):
        return None
    if i - lo > 4 or i == lo or not all(r.is_cap(k) or r.low[k] in (".", "-") for k in range(lo, i)):
        return None
    if i - lo == 1 and len(r.word(lo)) == 1:
        return None  # "Q:" / "A:" mark interview turns, not a speaker
    last = hi
    sj = si + 1
    while sj < len(r.sent_bounds) and r.para_of_sent[sj] == r.para_of_sent[si]:
        last = r.sent_bounds[sj][1]
        sj += 1
    content = r.strip_content(i + 1, last)
    if content is None:
        return None
    return _Attribution(cue=(i, i), source=(lo, i - 1), contents=[content])


def _in_poll(r: _Reader, i: int, lo: int, hi: int) -> _Attribution | None:
    """ "…, in a new CNN poll." — the poll is the source and "in" the cue (PolNeAR convention)."""
    # the scan below reads at most up to token i + 11: without a poll word there it finds nothing
    p = bisect_right(r.polls, i)
    if p == len(r.polls) or r.polls[p] > min(hi, i + 11):
        return None
    low = r.low
    k = i + 1
    while k <= hi and k - i <= 10 and low[k] not in _POLL_WORDS:
        if low[k] in (",", ";", ".") or low[k] in _QUOTES:
            return None
        k += 1
    if k > hi or low[k] not in _POLL_WORDS:
        return None
    # "in a new CNN poll" reports one poll; "in the polls", "in national polls" is standing, not a source
    if low[k].endswith("s") or not (low[i + 1] in ("a", "an") or r.is_cap(i + 1)):
        return None
    return _source_first(r, i, i, lo, hi, i + 1)


def _according(r: _Reader, i: int, lo: int, hi: int) -> _Attribution | None:
    return _source_first(r, i, i + 1, lo, hi, i + 2)


def _source_first(r: _Reader, i: int, cue_end: int, lo: int, hi: int, src_a: int) -> _Attribution | None:
    """A cue that precedes its source ("according to X", "in X poll"); the content is on either side."""
    low = r.low
    src_b = src_a
    while (
        src_b <= hi
        and low[src_b] not in (",", ";", ":", "—", "–", "--")
        and low[src_b] not in _END_PUNCT
        and low[src_b] not in _QUOTES
    ):
        src_b += 1
    src_b -= 1
    source = (src_a, src_b) if src_a <= src_b and src_b - src_a <= 15 else None
    after = src_b + 1
    contents = []
    if i == lo or (i - 1 >= lo and low[i - 1] in _QUOTES) or (i - 1 == lo):
        c = r.strip_content(after, hi)
        if c:
            contents.append(c)
    else:
        c = r.strip_content(lo, i - 1)
        if c:
            contents.append(c)
        if after <= hi and low[after] == ",":
            c2 = r.strip_content(after + 1, hi)
            if c2:
                contents.append(c2)
    if not contents:
        return None
    return _Attribution(cue=(i, cue_end), source=source, contents=contents)


def _read_cue(
    r: _Reader, cue: Cue, gstart: int, cue_end: int, lo: int, hi: int, prior: tuple[int, int] | None
) -> _Attribution | None:
    low = r.low
    word = low[cue_end]
    before = gstart - 1
    after = cue_end + 1
    # ", adding that …" / ", saying …": the source is the subject of the main clause
    if word.endswith("ing") and before >= lo and low[before] == ",":
        if cue.kind != "speech" and not SUBJECT_FOR_ALL:
            return None
        subject = prior or _clause_subject(r, lo, before)
        got = _content_right(r, cue_end, after, hi, word)
        if got is None:
            return None
        return _Attribution(cue=(gstart, got[0]), source=subject, contents=[got[1]])
    # passive with its agent — "The plan was criticized by economists", "As reported by the Times, …"
    if after <= hi and low[after] == "by" and word.endswith(("ed", "en", "wn")):
        got = _passive(r, gstart, cue_end, lo, hi)
        if got is not None:
            return got
    # CONTENT, CUE SOURCE  — '“…,” said Jane Doe.'
    if (
        before >= lo
        and (low[before] == "," or low[before] in _QUOTES)
        and cue.kind == "speech"
        and not word.endswith("ing")
        and after <= hi
        and low[after] != "that"
        and not (low[before] == "," and _appositive_subject(r, gstart, lo))
    ):
        # a post-posed source opens like a noun phrase: '…,” said the mayor', not '…, said in a statement'
        source = r.np_right(after, hi) if low[after] not in _NP_STOP and not low[after].endswith("ly") else None
        if source is not None and (
            source[1] + 1 > hi or low[source[1] + 1] in _END_PUNCT or low[source[1] + 1] in (",", ":")
        ):
            content = _content_left(r, before, lo)
            if content is not None:
                return _Attribution(cue=(gstart, cue_end), source=source, contents=[content])
    source = r.source_left(gstart, lo)
    # CONTENT, SOURCE CUE  — '“…,” she said.'  / 'The plan failed, officials say.'
    if source is not None and source[0] - 1 >= lo and source[1] - source[0] <= 12:
        pre = source[0] - 1
        if low[pre] == "," or low[pre] in _QUOTES or low[pre] in ("?", "!"):
            post, last, extra = _post_tail(r, after, hi)
            if post:
                content = _content_left(r, pre, lo)
                if content is not None:
                    return _Attribution(cue=(gstart, last), source=source, contents=[content, *extra])
    # SOURCE CUE CONTENT
    if source is None and before >= lo and low[before] == "and":
        source = prior or _clause_subject(r, lo, before)  # "Jane Doe left the hall and said …"
    if cue.kind != "speech" and source is None:
        return None
    got = _content_right(r, cue_end, after, hi, word)
    if got is None:
        return None
    return _Attribution(cue=(gstart, got[0]), source=source, contents=[got[1]])


SUBJECT_FOR_ALL = True
_PRONOUN_SUBJECTS = frozenset(["he", "she", "they", "we", "i", "it"])
_ROLE_NOUNS = _WORDS["role_nouns"]
_TITLES = _WORDS["titles"]
_SCENE_OPENERS = frozenset(["on", "in", "at", "after", "during", "earlier", "later", "last", "since", "before", "then"])


def _clause_subject(r: _Reader, lo: int, limit: int) -> tuple[int, int] | None:
    """The subject that opens the sentence ("Jane Doe left early, saying …"): a pronoun or a name (with a role
    noun: "the Sanders campaign", "Trump's aides") followed by a lower-case word, after an optional scene-setting
    opener ("On Sunday, …"). A sentence that opens inside a quotation has no subject to lend."""
    low = r.low
    a = lo
    while a < limit and low[a] in _SENTENCE_ADVERBS:
        a += 1
    if low[a] in _SCENE_OPENERS:
        comma = next((t for t in range(a + 1, min(limit, a + 9)) if low[t] == ","), None)
        if comma is None:
            return None
        a = comma + 1
    if a >= limit or r.quote_of[a] is not None:
        return None
    if low[a] in _PRONOUN_SUBJECTS:
        return (a, a)
    b = a + 1 if low[a] in ("the", "several", "two", "three", "many", "some") else a
    # a capitalised word that the article also writes in lower case is a common word ("With", "As", "State")
    if b >= limit or not r.is_cap(b) or (low[b] not in _TITLES and r.seen_as_written(low[b])):
        return None
    while b < limit and (r.is_cap(b) or low[b] in ("-", "&", _INITIAL_DOT)):
        b += 1
    if b < limit and low[b] in ("’s", "'s"):
        b += 1
        if b < limit and low[b] not in _ROLE_NOUNS:
            return None
    if b < limit and low[b] in _ROLE_NOUNS:
        b += 1
    w = low[b] if b < limit else ""
    if not w[:1].isalpha() or (w in _NP_STOP and w not in _AUX) or r.is_cap(b):
        return None
    return (a, b - 1)


_PASSIVE_AUX = frozenset(["was", "were", "is", "are", "been", "be", "being", "’s", "'s"])


def _passive(r: _Reader, gstart: int, cue_end: int, lo: int, hi: int) -> _Attribution | None:
    """The agent after "by" is the source; the passive subject (or, after "As reported by X,", the rest of the
    sentence) is the content."""
    low = r.low
    a = cue_end + 2
    b = a
    while b <= hi and b - a <= 15 and low[b] not in _BOUNDARY and low[b] not in _END_PUNCT:
        b += 1
    if b == a or b - a > 15:
        return None
    source = (a, b - 1)
    if gstart - 1 >= lo and low[gstart - 1] == "as" and b <= hi and low[b] == ",":
        content = r.strip_content(b + 1, hi)
        if content is None:
            return None
        return _Attribution(cue=(gstart - 1, cue_end), source=source, contents=[content])
    if not any(low[k] in _PASSIVE_AUX for k in range(gstart, cue_end)):
        return None
    aux = next(k for k in range(gstart, cue_end) if low[k] in _PASSIVE_AUX)
    subject = r.np_left(aux - 1, lo) if aux - 1 >= lo else None
    if subject is None:
        return None
    return _Attribution(cue=(gstart, cue_end), source=source, contents=[subject])


def _appositive_subject(r: _Reader, gstart: int, lo: int) -> bool:
    """ "Jane Doe, a spokeswoman, said the plan …": the comma before the cue closes an appositive of a subject
    that opens the sentence (or follows a quotation), so the cue is not post-posed."""
    source = r.source_left(gstart, lo)
    if source is None or r.low[source[1]] != ",":
        return False
    a = source[0]
    return a == lo or r.low[a - 1] in _QUOTES or (r.low[a - 1] == "," and a - 2 >= lo and r.low[a - 2] in _QUOTES)


def _content_left(r: _Reader, k: int, lo: int) -> tuple[int, int] | None:
    """Content ending at the boundary token ``k`` (a comma or closing quote) before a post-posed attribution."""
    low = r.low
    end = k
    if low[k] == "," and k - 1 >= lo and low[k - 1] in _QUOTES:
        end = k - 1  # '"…",' → content ends at the quote
    elif low[k] == ",":
        end = k - 1
    q = r.quote_of[end] if low[end] in _QUOTES else None
    if q is not None and q[1] == end:
        return (q[0], end)  # the whole quotation, possibly several sentences
    start = lo
    # do not run back over an earlier attribution's content in the same sentence ("…, he said, and …")
    return r.strip_content(start, end) if start <= end else None


_THAT_OR_STOP = frozenset({"that", ",", ";", "."}) | _QUOTES


def _content_right(r: _Reader, cue_end: int, a: int, hi: int, word: str) -> tuple[int, tuple[int, int]] | None:
    """(last cue token, content range) for "SOURCE CUE CONTENT"; adverbials before "that" join the cue."""
    low = r.low
    if a > hi:
        return None
    last_cue = cue_end
    addressee = word in _ADDRESSEE_CUES
    for k in range(a, min(hi, a + 10) + 1):
        if low[k] not in _THAT_OR_STOP:
            continue
        if low[k] == "that":
            if THAT_IN_CUE and not addressee and k > a and low[k - 1] != ",":
                last_cue = k - 1  # "said on Tuesday that": PolNeAR puts the adverbial in the cue
            a = k
        break  # at "that", or at a comma, semicolon, full stop or quote mark before it
    if low[a] != "that" and addressee:
        if low[a] in _OBJECT_PRONOUNS:
            a += 1
        elif (
            low[a] in ("this", "our", "the")
            and a + 1 <= hi
            and low[a + 1] in ("correspondent", "reporter", "newspaper", "paper")
        ):
            a += 2
        elif r.is_cap(a):
            while a <= hi and (r.is_cap(a) or low[a] in ("’s", "'s", "of", "-")):
                a += 1
    if a <= hi and low[a] == ":":
        a += 1
    end = hi
    # stop before a following ", adding/saying …" that starts another attribution
    k = a
    while True:
        try:
            k = low.index(",", k + 1, hi)  # the commas after a and before hi
        except ValueError:
            break
        if low[k + 1].endswith("ing") and low[k + 1] in r._cue_single:
            end = k - 1
            break
    content = r.strip_content(a, end)
    if content is None:
        return None
    return last_cue, (content[0], r.quote_extend_right(content[0], content[1]))


def _continuation_quotes(r: _Reader, att: _Attribution) -> None:
    """Quoted sentences right after an attributed quote, with no cue of their own, continue its content."""
    last = max(map(_SECOND, att.contents))
    para = r.para_of_sent[r.sent_of[last]]
    si = r.sent_of[last] + 1
    single = r._cue_single
    while si < len(r.sent_bounds) and r.para_of_sent[si] == para:
        a, b = r.sent_bounds[si]
        if a > b or last >= a and last >= b:
            si += 1
            continue
        if a <= last:
            si += 1
            continue
        q = r.quote_of[a]
        if q is None or q[0] != a or not att.contents:
            break
        close = q[1]
        after = close + 1
        if after <= b and r.low[after] not in _END_PUNCT:
            break  # the quotation carries its own attribution
        if any(w in single for w in r.low[a : close + 1] if w in ("said", "says")):
            break
        att.contents.append((a, close))
        last = close
        si = r.sent_of[close] + 1


# --- source kinds -----------------------------------------------------------------------------------------


def source_kind(r: _Reader, a: int, b: int, entity_labels: list[str]) -> str:
    low = r.low[a : b + 1]
    phrase = " ".join(low)
    if len(low) == 1 and low[0] in _PRONOUN_SOURCES:
        w = low[0]
        if w in _PERSON_PRONOUNS:
            return "named_person"
        if w in _GROUP_PRONOUNS:
            return "unnamed_group"
        return "named_organisation"
    if _ANONYMOUS.search(phrase):
        return "anonymous"
    if "PERSON" in entity_labels:
        return "named_person"
    if any(lab in ("ORG", "GPE") for lab in entity_labels):
        return "named_organisation"
    # capitalised runs, ignoring a sentence-initial common word and demonyms ("Ukrainian", "Western")
    words = [r.word(k) for k in range(a, b + 1)]
    person = org = False
    k = 0
    while k < len(words):
        if not words[k][:1].isupper() or low[k] in _DETERMINERS:
            k += 1
            continue
        run = [k]
        while k + 1 < len(words) and (words[k + 1][:1].isupper() or low[k + 1] in ("of", "’s", "'s", "-", "&")):
            k += 1
            run.append(k)
        k += 1
        run_words = [low[x] for x in run if words[x][:1].isupper()]
        first_global = a + run[0]
        if len(run_words) == 1:
            w = run_words[0]
            if w in _SOURCE_GROUP_WORDS or w in _DETERMINERS or r.seen_as_written(w):
                continue
            if run[-1] + 1 < len(words) and words[run[-1] + 1][:1].islower():
                continue  # a modifier, not a name: "Ukrainian military source", "Western officials"
            if r.sent_bounds[r.sent_of[first_global]][0] == first_global and r.seen_as_written(w):
                continue
        if any(w in _ORG_WORDS for w in run_words) or any(x.isupper() and len(x) > 1 for x in (words[y] for y in run)):
            org = True
        else:
            person = True
    if person:
        return "named_person"
    if org:
        return "named_organisation"
    head = low[-1].rstrip(",")
    if head in (",",) and len(low) > 1:
        head = low[-2]
    group = head in _SOURCE_GROUP_WORDS or _is_plural(head)
    if group and not any(w in ("a", "an", "one") for w in low[:2]):
        return "unnamed_group"
    return "anonymous"


def is_correspondent(r: _Reader, a: int, b: int, in_quote: bool) -> bool:
    phrase = " ".join(r.low[a : b + 1])
    if _CORRESPONDENT.search(phrase):
        return True
    return not in_quote and phrase in ("i", "we")


# --- the labeller -----------------------------------------------------------------------------------------


class RulesSourceLabeller(Labeller):
    layer = "sources"
    name = "rules"
    version = VERSION
    options = (
        Option(
            "cues",
            "a team's cue list replacing the packaged one: a UTF-8 file in the format of "
            "corpus/prelabel/data/sources_cues.tsv (lemma<TAB>class<TAB>forms)",
            path=True,
        ),
    )

    def __init__(self, **config: object) -> None:
        super().__init__(**config)
        path = self.config["cues"]
        self.cues = load_cues(None if path is None else read_text_option(path, "sources=rules: option cues"))

    def label(self, doc: dict, out: LayerWriter) -> None:
        if not doc.get("tokens"):
            return
        r, atts = read_attributions(doc, self.cues)
        entities = sorted([(s["start"], s["end"], s["label"]) for s in doc["spans"] if s["layer"] == "entities"])
        entity_starts = [es for es, _, _ in entities]
        longest = max([ee - es for es, ee, _ in entities], default=0)
        starts, ends = r.starts, r.ends
        for att in atts:
            cue_span = out.span("CUE", starts[att.cue[0]], ends[att.cue[1]], 0.8)
            source_span = None
            if att.source is not None:
                s, e = starts[att.source[0]], ends[att.source[1]]
                near = entities[bisect_left(entity_starts, s - longest) : bisect_left(entity_starts, e)]
                labels = [lab for _, ee, lab in near if ee > s]
                kind = source_kind(r, att.source[0], att.source[1], labels)
                correspondent = is_correspondent(r, att.source[0], att.source[1], att.in_quote)
                source_span = out.span("SOURCE", s, e, 0.7, {"kind": kind, "correspondent": correspondent})
            for a, b in att.contents:
                content = out.span("CONTENT", starts[a], ends[b], 0.6)
                out.relation("CUE", cue_span["id"], content["id"])
                if source_span is not None:
                    out.relation("ATTRIBUTION", source_span["id"], content["id"])
