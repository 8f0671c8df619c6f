"""One pass over a document's cue candidates: each cue read in its configuration, in reading order."""

from __future__ import annotations

from corpus.prelabel.sources.cues import Cue
from corpus.prelabel.sources.reader import _Reader
from corpus.prelabel.sources.readings import (
    Range,
    _according,
    _Attribution,
    _colon_speaker,
    _continuation_quotes,
    _in_poll,
    _read_cue,
    _verb_like,
)
from corpus.prelabel.sources.words import CUE_DAY_TAILS, CUE_PARTICLES, MEDIUM_NOUNS, TO_PARTICLE_CUES

# Words that open reported speech: a cue in the infinitive keeps its attribution only before one of these
# (on PolNeAR train an infinitive cue is right less than two times in ten otherwise).
_REPORTED_OPENERS = frozenset(["that", "whether", "if", "what", "how", "why", "who", ":"])


class _Scan:
    """The attributions of one document, before nesting is resolved."""

    def __init__(self, r: _Reader) -> None:
        self.r = r
        self.single, self.double = r.cues.single, r.cues.double
        self.out: list[_Attribution] = []
        self.used_until = -1  # tokens before this index belong to an earlier attribution's source/cue
        self.next_i = 0  # the scan resumes here after an attribution

    def run(self) -> list[_Attribution]:
        for i in self.r.cue_candidates:
            if i >= self.next_i:
                self._at(i)
        return self.out

    def _cue_at(self, i: int, w: str) -> tuple[Cue | None, int]:
        """The cue opening at token ``i`` (two-word forms first) and its last token."""
        cue = self.single.get(w)
        if w in self.double and i + 1 < len(self.r.low):
            second = self.double[w].get(self.r.low[i + 1])
            if second is not None:
                return second, i + 1
        return cue, i

    def _at(self, i: int) -> None:
        r = self.r
        w = r.low[i]
        cue, cue_end = self._cue_at(i, w)
        if cue is None:
            # "in" opens an attribution only with a poll word close after it (see _in_poll)
            if i > self.used_until and (w == ":" or (w == "in" and r.poll_after(i))):
                self._speaker_or_poll(i, w)
            return
        if i <= self.used_until or r.quote_of[i] is not None:
            return  # a cue inside a quotation is the speaker's words, not the article's attribution
        lo, hi = r.sentence(i)
        if not _verb_like(r, i, lo, cue):
            return
        if cue.kind == "according":
            self._according_at(i, lo, hi)
        else:
            self._verb_at(i, cue, cue_end, lo, hi)

    def _speaker_or_poll(self, i: int, w: str) -> None:
        r = self.r
        lo, hi = r.sentence(i)
        att = _colon_speaker(r, i, lo, hi) if w == ":" else _in_poll(r, i, lo, hi)
        if att is not None:
            self.out.append(att)
            self.used_until = max(att.cue[1], att.source[1] if att.source else i)
            self.next_i = self.used_until + 1

    def _according_at(self, i: int, lo: int, hi: int) -> None:
        if i + 1 > hi or self.r.low[i + 1] != "to":
            return
        att = _according(self.r, i, lo, hi)
        if att:
            self.out.append(att)
            self.used_until = att.source[1] if att.source else i + 1
        self.next_i = i + 2

    def _verb_at(self, i: int, cue: Cue, cue_end: int, lo: int, hi: int) -> None:
        r = self.r
        cue_end = _cue_extent(r, i, cue, cue_end, hi)
        gstart, _ = r.cue_group(i, lo)
        att = _read_cue(r, cue, i, gstart, cue_end, lo, hi, self._prior_source(lo, gstart))
        if att is not None and _bare_infinitive(r, att, gstart, lo):
            att = None  # "would have to tell Holder", "to discuss the crisis": an infinitive says nothing yet
        if att is not None:
            self.out.append(att)
            self.used_until = max(cue_end, att.source[1] if att.source and att.source[0] > cue_end else cue_end)
            _continuation_quotes(r, att)
        self.next_i = cue_end + 1

    def _prior_source(self, lo: int, gstart: int) -> Range | None:
        """The source of the last attribution when it lies in this sentence before the cue group at ``gstart``:
        only that can be the subject of ", adding …"."""
        out = self.out
        prior = out[-1].source if out and out[-1].source is not None else None
        if prior is not None and (prior[0] < lo or prior[1] >= gstart):
            return None
        return prior


def _cue_extent(r: _Reader, i: int, cue: Cue, cue_end: int, hi: int) -> int:
    """The cue's last token once "quoted as saying", a particle of "call for" / "point out" and a tail join it."""
    low = r.low
    if low[i] == "quoted" and i + 2 <= hi and low[i + 1] == "as" and low[i + 2] in ("saying", "telling"):
        cue_end = i + 2  # "was quoted as saying"
    if cue.lemma in ("call", "point") and cue_end + 1 <= hi and low[cue_end + 1] in ("for", "on", "out"):
        cue_end += 1  # particles that belong to the cue
    return _cue_tail(r, cue_end, hi)


def _bare_infinitive(r: _Reader, att: _Attribution, gstart: int, lo: int) -> bool:
    """Whether the cue group follows "to" and its content is not reported speech."""
    return gstart > lo and r.low[gstart - 1] == "to" and not _reported(r, att)


def _reported(r: _Reader, att: _Attribution) -> bool:
    """Whether an attribution's content is reported speech: a "that" clause, a quotation or a question word."""
    first = att.contents[0][0]
    return r.low[first] in _REPORTED_OPENERS or r.quote_of[first] is not None


def _cue_tail(r: _Reader, cue_end: int, hi: int) -> int:
    """The cue's last token once a particle ("talked about"), a bare day ("said Tuesday") or the medium ("said in
    a statement") right after it joins it, as PolNeAR marks them."""
    low = r.low
    k = cue_end + 1
    if k > hi:
        return cue_end
    if (low[k] in CUE_PARTICLES and low[cue_end] not in CUE_PARTICLES) or low[k] in CUE_DAY_TAILS:
        return k
    if low[k] == "to" and low[cue_end] in TO_PARTICLE_CUES:
        return k
    if low[k] == "in":
        return _medium_end(r, k, hi) or cue_end
    return cue_end


def _medium_end(r: _Reader, k: int, hi: int) -> int | None:
    """The last token of "in a statement" / "in a written statement" opening at ``k``, if that is what opens."""
    low = r.low
    if k + 2 <= hi and low[k + 1] in ("a", "an"):
        if low[k + 2] in MEDIUM_NOUNS:
            return k + 2
        if k + 3 <= hi and low[k + 3] in MEDIUM_NOUNS:
            return k + 3  # "in a written statement"
    return None


def scan_attributions(r: _Reader) -> list[_Attribution]:
    """Every attribution the reader's cue candidates open, in reading order (nested ones included)."""
    return _Scan(r).run()
