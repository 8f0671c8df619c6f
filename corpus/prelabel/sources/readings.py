"""The configurations one cue is read in: where its source and its content stand (see the package docstring)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from corpus.prelabel.sources.cues import Cue
from corpus.prelabel.sources.reader import _Reader
from corpus.prelabel.sources.words import (
    ADDRESSEE_CUES,
    AUX,
    BOUNDARY,
    CLAUSE_WORDS,
    DETERMINERS,
    END_PUNCT,
    INITIAL_DOT,
    IRREGULAR_PAST,
    NOT_BEFORE_VERB,
    NOUNISH_FORMS,
    NP_STOP,
    OBJECT_PRONOUNS,
    PASSIVE_AUX,
    POLL_WORDS,
    PRONOUN_SOURCES,
    PRONOUN_SUBJECTS,
    QUOTES,
    RELATIVE,
    ROLE_NOUNS,
    SCENE_OPENERS,
    SECOND,
    SENTENCE_ADVERBS,
    SOURCELESS_CUES,
    TAIL_WORDS,
    THAT_OR_STOP,
    TIME_OPENERS,
    TIME_WORDS,
    TITLES,
    TOGGLE_QUOTES,
    is_plural,
)

Range = tuple[int, int]  # an inclusive token range

# Words that may open a short manner or time tail after a post-posed cue ("…, she said without elaborating").
_TAIL_OPENERS = frozenset(["with", "without", "after", "before", "through", "via", "by", "to", "from", "about"])
# After "…, she said," these open something that is not more content: a cue, a clause, another attribution.
_NOT_CONTENT_AFTER_COMMA = frozenset(["and", "but", "who", "which", "according", "as", "while"])
_COMMA_TAIL_OPENERS = frozenset(["with", "without", "in", "at", "on", "before", "after", "during"])
_SUBJECT_DETERMINERS = frozenset(["the", "several", "two", "three", "many", "some"])
_CORRESPONDENT_NOUNS = frozenset(["correspondent", "reporter", "newspaper", "paper"])
# Words that cannot sit inside a source standing between a quotation and its cue.
_NOT_IN_SOURCE = (CLAUSE_WORDS | END_PUNCT | QUOTES | {",", ";", ":", "(", ")"}) - {"and"}
_BE = frozenset(["is", "are", "was", "were", "be", "been", "am", "’s", "'s", "’re", "'re"])
_PASSIVE_BE = _BE - {"’s", "'s"}
_NOT_IN_PHRASE = NP_STOP | BOUNDARY | END_PUNCT | RELATIVE  # ends a subject phrase before its verb
_SOURCE_FIRST_END = frozenset([",", ";", ":", "—", "–", "--"]) | END_PUNCT | QUOTES  # brackets stay inside


@dataclass
class _Attribution:
    cue: Range
    source: Range | None
    contents: list[Range] = field(default_factory=list)
    in_quote: bool = False


def _read_cue(
    r: _Reader, cue: Cue, head: int, gstart: int, cue_end: int, lo: int, hi: int, prior: Range | None
) -> _Attribution | None:
    """The attribution of the cue group ``gstart..cue_end`` (its verb at ``head``: "referring" in "referring
    to") in the sentence ``lo..hi``, if any. ``prior`` is the source of an earlier attribution of this sentence
    (the subject of ", adding …")."""
    word = r.low[head]
    if _sourceless(r, word, gstart, head, hi):
        return _cue_then_content(r, gstart, cue_end, hi, None, word)
    # ", adding that …" / ", saying …": the source is the subject of the main clause ("X, is saying" is not)
    if _adding_clause(r, word, gstart, head, lo):
        return _cue_then_content(r, gstart, cue_end, hi, prior or _clause_subject(r, lo, gstart - 1), word)
    got = _agent_or_postposed_source(r, cue, word, gstart, cue_end, lo, hi)
    if got is not None:
        return got
    return _source_before_cue(r, cue, word, gstart, cue_end, lo, hi, prior)


def _adding_clause(r: _Reader, word: str, gstart: int, head: int, lo: int) -> bool:
    """Whether the cue is an -ing form after a comma (", adding that …") with no form of "be" in its group."""
    before = gstart - 1
    low = r.low
    return word.endswith("ing") and before >= lo and low[before] == "," and not any(w in _BE for w in low[gstart:head])


def _agent_or_postposed_source(
    r: _Reader, cue: Cue, word: str, gstart: int, cue_end: int, lo: int, hi: int
) -> _Attribution | None:
    """The readings whose source follows the cue: a passive with its agent, then "CONTENT, CUE SOURCE"."""
    # passive with its agent — "The plan was criticized by economists", "As reported by the Times, …"
    if cue_end + 1 <= hi and r.low[cue_end + 1] == "by" and word.endswith(("ed", "en", "wn")):
        got = _passive(r, gstart, cue_end, lo, hi)
        if got is not None:
            return got
    return _postposed_source(r, cue, word, gstart, cue_end, lo, hi)


def _source_before_cue(
    r: _Reader, cue: Cue, word: str, gstart: int, cue_end: int, lo: int, hi: int, prior: Range | None
) -> _Attribution | None:
    """The readings whose source precedes the cue: "CONTENT, SOURCE CUE", then "SOURCE CUE CONTENT"."""
    source = _source_after_quote(r, r.source_left(gstart, lo), lo)
    got = _postposed_cue(r, source, gstart, cue_end, lo, hi)
    if got is not None:
        return got
    before = gstart - 1
    if source is None and before >= lo and r.low[before] == "and":
        source = prior or _clause_subject(r, lo, before)  # "Jane Doe left the hall and said …"
    if source is None and (cue.kind != "speech" or _time_subject(r, lo, gstart)):
        return None
    return _cue_then_content(r, gstart, cue_end, hi, source, word)


def _time_subject(r: _Reader, lo: int, gstart: int) -> bool:
    """ "Last Tuesday said …": only a date or a number stands where the source should be."""
    words = r.low[lo:gstart]
    return bool(words) and all(w in TIME_WORDS or w in TIME_OPENERS or w.isdigit() or w == "," for w in words)


def _sourceless(r: _Reader, word: str, gstart: int, head: int, hi: int) -> bool:
    """A raising verb ("X is expected to …", "it appears that …") or a passive without its agent ("it was
    revealed that …", "X was asked about …"): the subject is not who speaks, and PolNeAR marks no source."""
    low = r.low
    if gstart == head:  # no auxiliary: neither passive nor "is expected"
        return word in SOURCELESS_CUES and word != "expected"
    passive = any(w in _PASSIVE_BE for w in low[gstart:head])  # not "'s": "he's said" is "has said"
    if word in SOURCELESS_CUES:
        return word != "expected" or passive
    participle = word.endswith(("ed", "en", "wn")) or word in IRREGULAR_PAST
    return passive and participle and word != "quoted" and not (head + 1 <= hi and low[head + 1] == "by")


def _cue_then_content(
    r: _Reader, gstart: int, cue_end: int, hi: int, source: Range | None, word: str
) -> _Attribution | None:
    content = _content_right(r, cue_end + 1, hi, word)
    if content is None:
        return None
    return _Attribution(cue=(gstart, cue_end), source=source, contents=[content])


def _postposed_source(
    r: _Reader, cue: Cue, word: str, gstart: int, cue_end: int, lo: int, hi: int
) -> _Attribution | None:
    """CONTENT, CUE SOURCE — '“…,” said Jane Doe.', '“…,” remembers Jane Doe.' (after a quotation any cue)"""
    if not _may_postpose(r, cue, word, gstart, cue_end, lo, hi):
        return None
    source = _postposed_np(r, cue_end + 1, hi)
    if source is None or _holds_clause(r, source):
        return None  # "X, who …, said he is proud of …": what follows is the content, not a post-posed source
    content = _content_left(r, gstart - 1, lo)
    if content is None:
        return None
    return _Attribution(cue=(gstart, cue_end), source=source, contents=[content])


def _may_postpose(r: _Reader, cue: Cue, word: str, gstart: int, cue_end: int, lo: int, hi: int) -> bool:
    """Whether the cue stands where a post-posed source may follow it: after a comma or quote mark (a speech cue,
    or any cue right after a quotation), not an -ing form, not before "that", not after an appositive."""
    low = r.low
    before, after = gstart - 1, cue_end + 1
    return (
        before >= lo
        and (low[before] == "," or low[before] in QUOTES)
        and (cue.kind == "speech" or _quote_ends_at(r, before, lo))
        and not word.endswith("ing")
        and after <= hi
        and low[after] != "that"
        and not (low[before] == "," and _appositive_subject(r, gstart, lo))
    )


def _postposed_np(r: _Reader, after: int, hi: int) -> Range | None:
    """The noun phrase at ``after`` that ends the sentence or a comma/colon-delimited stretch, or None."""
    low = r.low
    # a post-posed source opens like a noun phrase: '…,” said the mayor', not '…, said in a statement'
    if low[after] in NP_STOP or low[after].endswith("ly"):
        return None
    source = r.np_right(after, hi)
    if source is None or not (
        source[1] + 1 > hi or low[source[1] + 1] in END_PUNCT or low[source[1] + 1] in (",", ":")
    ):
        return None
    return source


def _holds_clause(r: _Reader, source: Range) -> bool:
    """Whether a stretch read as a post-posed source is a clause: it opens with a subject pronoun and goes on,
    or a verb stands before its first comma or relative pronoun ("he is proud of …", "contractors eventually
    built …"; not "one source who identified …")."""
    a, b = source
    low = r.low
    if low[a] in PRONOUN_SUBJECTS and b > a:
        return True
    end = next((k for k in range(a, b + 1) if low[k] == "," or low[k] in RELATIVE), b + 1)
    return any(low[k] in CLAUSE_WORDS or _verb_form(r, k) for k in range(a + 1, end))


def _postposed_cue(
    r: _Reader, source: Range | None, gstart: int, cue_end: int, lo: int, hi: int
) -> _Attribution | None:
    """CONTENT, SOURCE CUE — '“…,” she said.' / 'The plan failed, officials say.'"""
    if not _after_content(r, source, lo):
        return None
    pre = source[0] - 1
    extra = _post_tail(r, cue_end + 1, hi)
    if extra is None and not _quote_ends_at(r, pre, lo):
        return None  # "…, officials say the plan …": the cue opens its own content
    if extra is None:
        extra = []  # '“…,” the merchant said as he poured …': after a quotation the tail is not its content
    content = _content_left(r, pre, lo)
    if content is None:
        return None
    return _Attribution(cue=(gstart, cue_end), source=source, contents=[content, *extra])


def _after_content(r: _Reader, source: Range | None, lo: int) -> bool:
    """Whether a short source (at most 13 tokens) follows a comma, quote mark, "?" or "!" in the sentence."""
    if source is None or source[0] - 1 < lo or source[1] - source[0] > 12:
        return False
    w = r.low[source[0] - 1]
    return w == "," or w in QUOTES or w in ("?", "!")


def _quote_ends_at(r: _Reader, k: int, lo: int) -> bool:
    """Whether a quotation closes at token ``k`` or right before the comma at ``k`` ('“…”' / '“…,”' / '"…",')."""
    if r.low[k] == "," and k - 1 >= lo:
        k -= 1
    q = r.quote_of[k] if r.low[k] in QUOTES else None
    return q is not None and q[1] == k


def _source_after_quote(r: _Reader, source: Range | None, lo: int) -> Range | None:
    """'“…,” chairman and chief executive Jane Doe said': a source read leftwards stops at "and"; between a
    quotation and the cue the whole short stretch is the source when it holds no clause."""
    if source is None or source[0] - 1 < lo or r.low[source[0] - 1] != "and":
        return source
    low = r.low
    p = _short_stretch_start(r, source, lo)
    if p == source[0] - 1 or p < lo or not (low[p] in QUOTES or low[p] == ","):
        return source
    return (p + 1, source[1]) if _quote_ends_at(r, p, lo) else source


def _short_stretch_start(r: _Reader, source: Range, lo: int) -> int:
    """The token before the stretch of at most 13 tokens ending the source that holds no clause word or cue."""
    low = r.low
    p = source[0] - 1
    while p >= lo and source[1] - p <= 12 and low[p] not in _NOT_IN_SOURCE and low[p] not in r._cue_single:
        p -= 1
    return p


def _clause_subject(r: _Reader, lo: int, limit: int) -> Range | None:
    """The subject that opens the sentence ("Jane Doe left early, saying …"): a pronoun or a name (with a role
    noun: "the Sanders campaign", "Trump's aides") followed by a lower-case word, after an optional scene-setting
    opener ("On Sunday, …"). A sentence that opens inside a quotation has no subject to lend."""
    a = _subject_start(r, lo, limit)
    if a is None or a >= limit or r.quote_of[a] is not None:
        return None
    low = r.low
    if low[a] in PRONOUN_SUBJECTS:
        return (a, a)
    if low[a].endswith("ing"):  # "Speaking in Salem, New Hampshire, Jane Doe went after …": after the opener
        starts = [c + 1 for c in range(a + 1, limit - 1) if low[c] == ","]
        return next(filter(None, (_name_subject(r, b, limit) for b in starts)), None)
    return _name_subject(r, a, limit) or _phrase_subject(r, a, limit)


def _name_subject(r: _Reader, a: int, limit: int) -> Range | None:
    """A name opening the clause at ``a`` ("Jane Doe", "the Sanders campaign") before a lower-case word."""
    low = r.low
    b = a + 1 if low[a] in _SUBJECT_DETERMINERS else a
    # a capitalised word that the article also writes in lower case is a common word ("With", "As", "State")
    if b >= limit or not r.is_cap(b) or (low[b] not in TITLES and r.seen_as_written(low[b])):
        return None
    b = _name_end(r, b, limit)
    if b is None or not _verb_like_next(r, b, limit):
        return None
    return (a, b - 1)


def _verb_like_next(r: _Reader, b: int, limit: int) -> bool:
    """Whether the word at ``b`` after a name can go on its clause: a lower-case word, not a stop word (an
    auxiliary is fine)."""
    w = r.low[b] if b < limit else ""
    return not (not w[:1].isalpha() or (w in NP_STOP and w not in AUX) or r.is_cap(b))


def _phrase_subject(r: _Reader, a: int, limit: int) -> Range | None:
    """A short noun phrase opening the clause and followed by a verb ("The billionaire businessman began …",
    "Hillary Clinton's right-hand woman rallied …"): no parser, so the verb is an auxiliary, a cue, an -ed form
    or a listed irregular past."""
    low = r.low
    b = a + 1 if low[a] in DETERMINERS else a
    while b < limit and b - a <= 8 and not _verb_form(r, b):
        if low[b] in _NOT_IN_PHRASE:
            return None
        b += 1
    if b >= limit or b - a > 8 or b == a or low[b - 1] in DETERMINERS:
        return None
    return (a, b - 1)


def _verb_form(r: _Reader, k: int) -> bool:
    w = r.low[k]
    if w in AUX or w in IRREGULAR_PAST or w in r._cue_single:
        return True
    return w.endswith("ed") and len(w) > 4 and not r.is_cap(k)


def _subject_start(r: _Reader, lo: int, limit: int) -> int | None:
    """Where the subject of the sentence ``lo..`` may start: past opening adverbs and a scene-setting opener."""
    low = r.low
    a = lo
    while a < limit and low[a] in SENTENCE_ADVERBS:
        a += 1
    if low[a] in SCENE_OPENERS:
        comma = next((t for t in range(a + 1, min(limit, a + 9)) if low[t] == ","), None)
        return None if comma is None else comma + 1
    return a


def _name_end(r: _Reader, b: int, limit: int) -> int | None:
    """The token after a capitalised name starting at ``b`` and its role noun ("Trump's aides"), or None."""
    low = r.low
    while b < limit and (r.is_cap(b) or low[b] in ("-", "&", INITIAL_DOT)):
        b += 1
    if b < limit and low[b] in ("’s", "'s"):
        b += 1
        if b < limit and low[b] not in ROLE_NOUNS:
            return None
    if b < limit and low[b] in ROLE_NOUNS:
        b += 1
    return b


def _passive(r: _Reader, gstart: int, cue_end: int, lo: int, hi: int) -> _Attribution | None:
    """The agent after "by" is the source; the passive subject (or, after "As reported by X,", the rest of the
    sentence) is the content."""
    low = r.low
    source = _agent(r, cue_end + 2, hi)
    if source is None:
        return None
    b = source[1] + 1
    if gstart - 1 >= lo and low[gstart - 1] == "as" and b <= hi and low[b] == ",":
        content = r.strip_content(b + 1, hi)
        if content is None:
            return None
        return _Attribution(cue=(gstart - 1, cue_end), source=source, contents=[content])
    subject = _passive_subject(r, gstart, cue_end, lo)
    if subject is None:
        return None
    return _Attribution(cue=(gstart, cue_end), source=source, contents=[subject])


def _agent(r: _Reader, a: int, hi: int) -> Range | None:
    """The agent after "by" (starting at ``a``): up to 16 tokens before a boundary or the sentence's end."""
    low = r.low
    b = a
    while b <= hi and b - a <= 15 and low[b] not in BOUNDARY and low[b] not in END_PUNCT:
        b += 1
    if b == a or b - a > 15:
        return None
    return (a, b - 1)


def _passive_subject(r: _Reader, gstart: int, cue_end: int, lo: int) -> Range | None:
    """The noun phrase before the passive auxiliary of the cue group ``gstart..cue_end``, if any."""
    aux = next((k for k in range(gstart, cue_end) if r.low[k] in PASSIVE_AUX), None)
    if aux is None:
        return None
    return r.np_left(aux - 1, lo) if aux - 1 >= lo else None


def _appositive_subject(r: _Reader, gstart: int, lo: int) -> bool:
    """ "Jane Doe, a spokeswoman, said the plan …": the comma before the cue closes an appositive of a subject
    that opens the sentence (or follows a quotation), so the cue is not post-posed."""
    source = r.source_left(gstart, lo)
    if source is None or r.low[source[1]] != ",":
        return False
    a = source[0]
    return a == lo or r.low[a - 1] in QUOTES or (r.low[a - 1] == "," and a - 2 >= lo and r.low[a - 2] in QUOTES)


def _content_left(r: _Reader, k: int, lo: int) -> Range | None:
    """Content ending at the boundary token ``k`` (a comma or closing quote) before a post-posed attribution."""
    low = r.low
    end = k - 1 if low[k] == "," else k  # '"…",' → content ends at the quote
    q = r.quote_of[end] if low[end] in QUOTES else None
    if q is not None and q[1] == end:
        return (q[0], end)  # the whole quotation, possibly several sentences
    return r.strip_content(lo, end) if lo <= end else None


def _post_tail(r: _Reader, a: int, hi: int) -> list[Range] | None:
    """Read what follows a post-posed cue ("…, she said [tail]."): None when the cue is not post-posed after
    all, else the extra content fragments. A short manner or time tail ("said Monday night", "said in a
    statement", "said, looking out at …") is neither cue nor content (PolNeAR counts it in the cue only
    sometimes; leaving it out matches more often); a tail after a comma that is a clause or quotation is the
    second half of a split content."""
    low = r.low
    b = _before_final_marks(r, a, hi)
    if a > b:
        return []
    if low[a] != ",":
        comma = next((k for k in range(a + 1, min(b, a + 8)) if low[k] == "," and _opens_quote(r, k + 1)), None)
        if comma is not None:  # '“…,” Jane Doe told the paper on Monday, “…”': the quotation goes on
            return _comma_tail(r, comma, b, hi)
        return [] if _short_tail(r, a, b) else None
    return _comma_tail(r, a, b, hi)


def _before_final_marks(r: _Reader, a: int, hi: int) -> int:
    """The last token of ``a..hi`` before its final stops and unpaired quote marks."""
    low = r.low
    b = hi
    while b >= a and (low[b] in END_PUNCT or (low[b] in QUOTES and r.quote_of[b] is None)):
        b -= 1
    return b


def _short_tail(r: _Reader, a: int, b: int) -> bool:
    """Whether ``a..b`` after a cue is a short manner or time tail, not the content of "SOURCE CUE CONTENT"."""
    low = r.low
    if b - a > 7 or "that" in low[a : b + 1] or any(w in QUOTES for w in low[a : b + 1]):
        return False
    w = low[a]
    return w in TAIL_WORDS or w in _TAIL_OPENERS or r.is_cap(a) or w.endswith("ly")


def _comma_tail(r: _Reader, a: int, b: int, hi: int) -> list[Range]:
    """The content fragments after "…, she said," (``a`` is the comma)."""
    low = r.low
    nxt = low[a + 1] if a + 1 <= b else ""
    if nxt in r._cue_single or nxt in _NOT_CONTENT_AFTER_COMMA:
        return []
    if nxt in QUOTES:
        rest = r.strip_content(a + 1, hi)
        return [(rest[0], r.quote_extend_right(rest[0], rest[1]))] if rest else []
    if (nxt.endswith("ing") or nxt in _COMMA_TAIL_OPENERS) and b - a <= 16:
        return []
    rest = r.strip_content(a + 1, hi)
    return [rest] if rest and rest[1] - rest[0] >= 1 else []


def _content_right(r: _Reader, a: int, hi: int, word: str) -> Range | None:
    """The content of "SOURCE CUE CONTENT" after the cue word ``word`` (``a`` is the token after the cue)."""
    if a > hi:
        return None
    low = r.low
    a = _that_at(r, a, hi)
    if low[a] != "that":
        a = _quote_after_comma(r, a, hi)
    if low[a] != "that" and word in ADDRESSEE_CUES:
        a = _past_addressee(r, a, hi)
    if a <= hi and low[a] == ":":
        if a == hi:
            return _quote_after_colon(r, a)  # 'Jane Doe said:' ending a paragraph, the quotation below it
        a += 1
    content = r.strip_content(a, _end_before_adding(r, a, hi))
    if content is None:
        return None
    return (content[0], r.quote_extend_right(content[0], content[1]))


def _opens_quote(r: _Reader, k: int) -> bool:
    q = r.quote_of[k] if k < len(r.quote_of) else None
    return q is not None and q[0] == k


def _quote_after_comma(r: _Reader, a: int, hi: int) -> int:
    """ "told his radio audience on Monday, “…”": the content is the quotation after a short stretch."""
    for k in range(a, min(hi, a + 9)):
        if r.low[k] == ",":
            return k + 1 if _opens_quote(r, k + 1) else a
        if r.low[k] in QUOTES or r.low[k] in END_PUNCT:
            return a
    return a


def _quote_after_colon(r: _Reader, colon: int) -> Range | None:
    """The quotation that opens the paragraph after one ending in a colon ('Jane Doe said:¶“…”')."""
    k = colon + 1
    if k >= len(r.low) or r.para_of_sent[r.sent_of[k]] == r.para_of_sent[r.sent_of[colon]]:
        return None
    q = r.quote_of[k]
    if q is not None and q[0] == k:
        return q
    return _open_quote_paragraph(r, k)


def _open_quote_paragraph(r: _Reader, k: int) -> Range | None:
    """A paragraph opening at ``k`` with a quote mark that does not close in it: news leaves the closing mark
    off every paragraph of a long quotation but the last, so the whole paragraph is quoted."""
    if r.low[k] not in QUOTES or r.quote_of[k] is not None:
        return None
    si = r.sent_of[k]
    para = r.para_of_sent[si]
    last = si
    while last + 1 < len(r.sent_bounds) and r.para_of_sent[last + 1] == para:
        last += 1
    return r.strip_content(k, r.sent_bounds[last][1])


def _that_at(r: _Reader, a: int, hi: int) -> int:
    """The "that" opening the content within ten tokens ("said on Tuesday that …"), else ``a``: the search stops
    at a comma, semicolon, full stop or quote mark."""
    low = r.low
    for k in range(a, min(hi, a + 10) + 1):
        if low[k] in THAT_OR_STOP:
            return k if low[k] == "that" else a
    return a


def _past_addressee(r: _Reader, a: int, hi: int) -> int:
    """Skip the addressee of "told reporters …", "told this correspondent …", "told Jane Doe …"."""
    low = r.low
    if low[a] in OBJECT_PRONOUNS:
        return a + 1
    if low[a] in ("this", "our", "the") and a + 1 <= hi and low[a + 1] in _CORRESPONDENT_NOUNS:
        return a + 2
    if r.is_cap(a):
        while a <= hi and (r.is_cap(a) or low[a] in ("’s", "'s", "of", "-")):
            a += 1
    return a


def _end_before_adding(r: _Reader, a: int, hi: int) -> int:
    """The content's last token: before a following ", adding/saying …" that starts another attribution."""
    low = r.low
    k = a
    while True:
        try:
            k = low.index(",", k + 1, hi)  # the commas after a and before hi
        except ValueError:
            return hi
        if low[k + 1].endswith("ing") and low[k + 1] in r._cue_single:
            return k - 1


def _continuation_quotes(r: _Reader, att: _Attribution) -> None:
    """Quoted sentences right after an attributed quote, with no cue of their own, continue its content; so do
    the paragraphs after it that open with such a quotation (news gives a long quote a paragraph each)."""
    last = max(map(SECOND, att.contents))
    para = r.para_of_sent[r.sent_of[last]]
    si = r.sent_of[last] + 1
    while si < len(r.sent_bounds):
        a, b = r.sent_bounds[si]
        if r.para_of_sent[si] != para and not _new_quote_paragraph(r, att, si, para):
            break
        para = r.para_of_sent[si]
        if a > b or a <= last:
            si += 1
            continue
        close = _continuing_quote(r, a, b)
        if close is None:
            break
        att.contents.append((a, close))
        last = close
        si = r.sent_of[close] + 1


def _new_quote_paragraph(r: _Reader, att: _Attribution, si: int, para: int) -> bool:
    """Whether sentence ``si`` opens the paragraph right after ``para`` and may continue the quotation that
    ended it (the attribution's last content is a quotation)."""
    if r.para_of_sent[si] != para + 1 or r.para_of_sent[si - 1] != para:
        return False
    end = max(map(SECOND, att.contents))
    q = r.quote_of[end]
    return q is not None and q[1] == end


def _continuing_quote(r: _Reader, a: int, b: int) -> int | None:
    """The closing mark of a quotation that opens the sentence ``a..b`` and carries no attribution of its own."""
    q = r.quote_of[a]
    if q is None or q[0] != a:
        return None
    close = q[1]
    if close + 1 <= b and r.low[close + 1] not in END_PUNCT:
        return None  # the quotation carries its own attribution
    if r.low[a] in TOGGLE_QUOTES and any(w in ("said", "says") for w in r.low[a : close + 1]):
        return None  # straight quotes may pair across an attribution ('"A," he said, "B."' miscounted)
    return close


def _verb_like(r: _Reader, i: int, lo: int, cue: Cue) -> bool:
    """Reject noun readings of cue forms ("the states", "his remarks", "a tweet")."""
    if cue.kind == "according":
        return True
    if i - 1 < lo:
        return not r.is_cap(i) or cue.kind == "speech"
    if r.low[i - 1] in NOT_BEFORE_VERB and not _contracted_subject(r, i, lo):
        return False
    return r.low[i] not in NOUNISH_FORMS or _nounish_verb_like(r, i, lo)


def _contracted_subject(r: _Reader, i: int, lo: int) -> bool:
    """ "He's said", "it's been reported": "'s" after a pronoun is "has" or "is", not a possessive."""
    return r.low[i - 1] in ("’s", "'s") and i - 2 >= lo and r.low[i - 2] in PRONOUN_SUBJECTS


def _nounish_verb_like(r: _Reader, i: int, lo: int) -> bool:
    """A form often read as a noun ("remarks", "polls show") is a cue only right after a subject-like word."""
    low = r.low
    k = _past_auxiliaries(r, i - 1, lo)
    w = low[k]
    if w in PRONOUN_SOURCES or w in RELATIVE:
        return True
    if w in NP_STOP or w in BOUNDARY or w in END_PUNCT or not w[:1].isalpha():
        return False
    if k - 1 >= lo and low[k - 1] in ("’s", "'s"):
        return False  # "Zelenskyy's minerals offer": a noun compound
    return _agreeing_subject(r, i, k, lo)


def _past_auxiliaries(r: _Reader, k: int, lo: int) -> int:
    """The first token at or before ``k`` (down to ``lo + 1``) that is not an auxiliary: the verb's subject."""
    while k > lo and r.low[k] in AUX:
        k -= 1
    return k


def _agreeing_subject(r: _Reader, i: int, k: int, lo: int) -> bool:
    """Whether the word at ``k`` can be the subject of the verb form at ``i`` (a bare form needs a plural one)."""
    low = r.low
    w = low[k]
    if not low[i].endswith("s") or low[i].endswith("ss"):  # a bare verb needs a plural subject: "Republicans
        return is_plural(w)  # support", not "U.S. support"
    if r.is_cap(k):
        return k > lo
    return k - 1 >= lo and (low[k - 1] in DETERMINERS or is_plural(w))


def _colon_speaker(r: _Reader, i: int, lo: int, hi: int) -> _Attribution | None:
    """Interview and headline style: "Q: …", "Jane Doe: …" at the start of a paragraph; inside a sentence, a
    name before a colon and a quotation ("… surprise pollster Jane Doe: “…”")."""
    si = r.sent_of[i]
    if lo != r.sent_bounds[si][0] or (si > 0 and r.para_of_sent[si - 1] == r.para_of_sent[si]):
        return _name_colon_quote(r, i, lo)
    if not _speaker_name(r, i, lo):
        return None
    content = r.strip_content(i + 1, _paragraph_end(r, si, hi))
    if content is None:
        return None
    return _Attribution(cue=(i, i), source=(lo, i - 1), contents=[content])


def _speaker_name(r: _Reader, i: int, lo: int) -> bool:
    """Whether ``lo..i-1`` before the colon at ``i`` is a short capitalised name ("Jane Doe:"), not "Q:"/"A:"."""
    if i - lo > 4 or i == lo or not all(r.is_cap(k) or r.low[k] in (".", "-") for k in range(lo, i)):
        return False
    return not (i - lo == 1 and len(r.word(lo)) == 1)  # "Q:" / "A:" mark interview turns, not a speaker


def _paragraph_end(r: _Reader, si: int, hi: int) -> int:
    """The last token of the paragraph of sentence ``si`` (``hi``, that sentence's end, when it is the last)."""
    last = hi
    sj = si + 1
    while sj < len(r.sent_bounds) and r.para_of_sent[sj] == r.para_of_sent[si]:
        last = r.sent_bounds[sj][1]
        sj += 1
    return last


def _name_colon_quote(r: _Reader, i: int, lo: int) -> _Attribution | None:
    """ "… doesn't surprise pollster Jane Doe: “…”": a capitalised name ends at the colon, a quotation opens
    after it; the colon is the cue (PolNeAR's convention)."""
    if i + 1 >= len(r.low) or not _opens_quote(r, i + 1) or i - 1 < lo or not r.is_cap(i - 1):
        return None
    source = r.np_left(i - 1, lo)
    if source is None or not r.is_cap(source[0]) and not r.is_cap(source[0] + 1):
        return None
    return _Attribution(cue=(i, i), source=source, contents=[r.quote_of[i + 1]])


def _in_poll(r: _Reader, i: int, lo: int, hi: int) -> _Attribution | None:
    """ "…, in a new CNN poll." — the poll is the source and "in" the cue (PolNeAR convention)."""
    # the scan below reads at most up to token i + 11: without a poll word there it finds nothing
    p = bisect_right(r.polls, i)
    if p == len(r.polls) or r.polls[p] > min(hi, i + 11):
        return None
    k = _poll_word(r, i, hi)
    if k is None:
        return None
    # "in a new CNN poll" reports one poll; "in the polls", "in national polls" is standing, not a source
    if r.low[k].endswith("s") or not (r.low[i + 1] in ("a", "an") or r.is_cap(i + 1)):
        return None
    return _source_first(r, i, i, lo, hi, i + 1)


def _poll_word(r: _Reader, i: int, hi: int) -> int | None:
    """The poll word within ten tokens after "in" at ``i``, before any comma, stop or quote mark."""
    low = r.low
    k = i + 1
    while k <= hi and k - i <= 10 and low[k] not in POLL_WORDS:
        if low[k] in (",", ";", ".") or low[k] in QUOTES:
            return None
        k += 1
    if k > hi or low[k] not in POLL_WORDS:
        return None
    return k


def _source_first_contents(r: _Reader, i: int, lo: int, hi: int, after: int) -> list[Range | None]:
    """The content of a cue at ``i`` that precedes its source (which ends before ``after``): what follows when
    the cue opens the sentence or a quotation, else what precedes it and, after a comma, what follows too."""
    if i == lo or i - 1 == lo or (i - 1 >= lo and _opens_quote(r, i - 1)):
        return [r.strip_content(after, hi)]
    contents = [r.strip_content(lo, i - 1)]
    if after <= hi and r.low[after] == ",":
        contents.append(r.strip_content(after + 1, hi))
    return contents


def _according(r: _Reader, i: int, lo: int, hi: int) -> _Attribution | None:
    return _source_first(r, i, i + 1, lo, hi, i + 2)


def _source_first(r: _Reader, i: int, cue_end: int, lo: int, hi: int, src_a: int) -> _Attribution | None:
    """A cue that precedes its source ("according to X", "in X poll"); the content is on either side."""
    low = r.low
    src_b = src_a
    while src_b <= hi and low[src_b] not in _SOURCE_FIRST_END:
        src_b += 1
    src_b -= 1
    source = (src_a, src_b) if src_a <= src_b and src_b - src_a <= 15 else None
    contents = [(c[0], r.quote_extend_right(*c)) for c in _source_first_contents(r, i, lo, hi, src_b + 1) if c]
    if not contents:
        return None
    return _Attribution(cue=(i, cue_end), source=source, contents=contents)
