"""Rules `claims` labeller: a sentence with checkable content becomes a CLAIM span scored for check-worthiness.

Not every sentence is a claim. No CLAIM span goes to a headline (the first paragraph, when it is the title or
reads like one), a question, a sentence with nothing to check (no number, quantity, factual verb, comparison or
causal statement, and no name unless it is opinion: "pure opinion"), or one the rules of
``data/claims_not_claims.tsv`` call a byline, caption, greeting or page furniture (as are the lines ``corpus
ingest`` strips, for text that did not go through it).

The score is a logistic model over two kinds of features:

* evidence features, named after what makes a statement checkable or not — ``numbers``, ``quantities``,
  ``named_entities``, ``factual_verbs``, ``comparisons``, ``causal`` (raise the score) and ``opinion``,
  ``hedging``, ``question``, ``prediction``, ``first_person``, ``short`` (lower it);
* lower-cased word features, which let the model learn the vocabulary of checkable statements.

Weights live in ``data/claims_weights.json``, fitted by ``scripts/train_claims.py`` on the CLEF CheckThat! 2024
English training set (generic per-feature weights only: no sentence of that set is stored). ``attrs.evidence``
lists the positive evidence features that fired; ``attrs.source_id`` links a claim inside an attribution's
CONTENT to that attribution's SOURCE span.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from itertools import accumulate
from operator import itemgetter

import regex

from corpus.errors import CorpusError
from corpus.ingest.normalize import boilerplate_rules
from corpus.ingest.openings import RulesByOpening
from corpus.prelabel.base import Labeller, LayerWriter, Option, read_text_option
from corpus.prelabel.lexicon import load_word_lists, lower_tokens
from corpus.segment.core import is_headline

VERSION = "2"


_WORDS = load_word_lists("claims_words.tsv")  # read once, at import

POSITIVE_EVIDENCE = ("numbers", "quantities", "named_entities", "factual_verbs", "comparisons", "causal")
NEGATIVE_EVIDENCE = ("opinion", "hedging", "question", "prediction", "first_person", "short")

_NUMBER = re.compile(r"\d")
_NUMBER_WORDS = _WORDS["number_words"]
_QUANTITY_WORDS = _WORDS["quantity_words"]
_FACTUAL_VERBS = _WORDS["factual_verbs"]
_COMPARISONS = _WORDS["comparisons"]
_CAUSAL = _WORDS["causal"]
_OPINION = _WORDS["opinion"]
_HEDGING = _WORDS["hedging"]
_PREDICTION = _WORDS["prediction"]
_FIRST_PERSON = _WORDS["first_person"]


_NUMERIC = frozenset({"CARDINAL", "PERCENT", "MONEY", "QUANTITY"})
_MEASURES = frozenset({"PERCENT", "MONEY", "QUANTITY"})
_NAMES = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "EVENT", "LAW", "FAC"})
_LEXICAL_EVIDENCE = (
    ("f=factual_verbs", _FACTUAL_VERBS),
    ("f=comparisons", _COMPARISONS),
    ("f=causal", _CAUSAL),
    ("f=opinion", _OPINION),
    ("f=hedging", _HEDGING),
    ("f=prediction", _PREDICTION),
    ("f=first_person", _FIRST_PERSON),
)


_I_FORMS = _WORDS["i_forms"]  # "I", "I'm": capitalised, yet no name


def _evidence(
    vocab: set[str], has_digit: bool, has_name: bool, n_alpha: int, last_two: list[str], entity_labels: frozenset[str]
) -> list[str]:
    """The evidence feature names (``f=…``) of one claim candidate, from facts computed by the caller."""
    feats = _entity_evidence(vocab, has_digit, has_name, entity_labels)
    feats += [name for name, lexicon in _LEXICAL_EVIDENCE if not vocab.isdisjoint(lexicon)]
    if "?" in last_two:
        feats.append("f=question")
    if n_alpha < 6:
        feats.append("f=short")
    return sorted(feats)


def _entity_evidence(vocab: set[str], has_digit: bool, has_name: bool, entity_labels: frozenset[str]) -> list[str]:
    """Numbers, quantities and names, from the words or from the entity labels inside the candidate."""
    feats = []
    if has_digit or not vocab.isdisjoint(_NUMBER_WORDS) or entity_labels & _NUMERIC:
        feats.append("f=numbers")
    if not vocab.isdisjoint(_QUANTITY_WORDS) or entity_labels & _MEASURES:
        feats.append("f=quantities")
    # a capitalised word not opening the sentence and not "I" is taken as a name when no entity layer exists
    if has_name or entity_labels & _NAMES:
        feats.append("f=named_entities")
    return feats


def claim_features(words: list[str], capitalised: list[bool], entity_labels: frozenset[str] = frozenset()) -> list[str]:
    """Feature names for one claim candidate, given its tokens (and the entity labels inside it)."""
    low = [w.lower() for w in words]
    vocab = set(low)
    has_name = any(cap and k > 0 and low[k] not in _I_FORMS for k, cap in enumerate(capitalised))
    n_alpha = sum(1 for w in low if w[:1].isalpha())
    has_digit = _NUMBER.search(" ".join(words)) is not None
    feats = {"w=" + w for w in vocab if w[:1].isalnum()}
    feats.update(_evidence(vocab, has_digit, has_name, n_alpha, low[-2:], entity_labels))
    return sorted(feats)


@lru_cache(maxsize=1)
def load_weights() -> dict:
    text = resources.files("corpus.prelabel").joinpath("data/claims_weights.json").read_text("utf-8")
    return json.loads(text)


def _weights_from(path: str) -> dict:
    """A team's weights file, checked for the fields the labeller reads."""
    what = "claims=rules: option weights"
    try:
        weights = json.loads(read_text_option(path, what))
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{what}: {path} is not JSON ({exc.msg}, line {exc.lineno})") from None
    ok = isinstance(weights, dict) and isinstance(weights.get("weights"), dict)
    if not ok or not all(isinstance(weights.get(k), (int, float)) for k in ("bias", "threshold")):
        raise CorpusError(f"{what}: {path} needs numbers 'bias' and 'threshold' and an object 'weights'")
    return weights


def score_features(feats: list[str], weights: dict) -> float:
    w = weights["weights"]
    z = weights["bias"] + sum(w.get(f, 0.0) for f in feats)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# Evidence as bits, so a sentence's evidence is one set intersection and a few ORs; ``_evidence`` stays the
# readable definition (and what training uses) and the labeller must agree with it (tests/test_claims.py).
_FEATURE_NAMES = tuple(sorted(f"f={f}" for f in (*POSITIVE_EVIDENCE, *NEGATIVE_EVIDENCE)))
_BIT = {name: 1 << k for k, name in enumerate(_FEATURE_NAMES)}
_NUMBERS, _QUANTITIES, _NAMED = _BIT["f=numbers"], _BIT["f=quantities"], _BIT["f=named_entities"]
_QUESTION, _SHORT = _BIT["f=question"], _BIT["f=short"]
_WORD_BITS: dict[str, int] = {}
for _name, _lexicon in (("f=numbers", _NUMBER_WORDS), ("f=quantities", _QUANTITY_WORDS), *_LEXICAL_EVIDENCE):
    for _word in _lexicon:
        _WORD_BITS[_word] = _WORD_BITS.get(_word, 0) | _BIT[_name]
_EVIDENCE_WORDS = frozenset(_WORD_BITS)
_ENTITY_BITS = {
    label: (_NUMBERS if label in _NUMERIC else 0)
    | (_QUANTITIES if label in _MEASURES else 0)
    | (_NAMED if label in _NAMES else 0)
    for label in _NUMERIC | _MEASURES | _NAMES
}
_START, _END = itemgetter("start"), itemgetter("end")
# A claim needs something to check: one of these, or a name in a sentence that is not opinion.
_CHECKABLE = _NUMBERS | _QUANTITIES | _BIT["f=factual_verbs"] | _BIT["f=comparisons"] | _BIT["f=causal"]
_OPINION_BIT = _BIT["f=opinion"]


@lru_cache(maxsize=1)
def not_claim_rules() -> tuple[regex.Pattern, ...]:
    """The rules of ``data/claims_not_claims.tsv``.

    Kept apart, not joined into one alternation: alone, a rule fails fast on the literal it requires, which a
    joined pattern cannot do."""
    raw = resources.files("corpus.prelabel").joinpath("data/claims_not_claims.tsv").read_text("utf-8")
    rules = []
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            rules.append(regex.compile(line.partition("\t")[2].strip(), regex.IGNORECASE))
    return tuple(rules)


_MAX_FURNITURE_CHARS = 300  # furniture is short; longer sentences are not matched against the rules at all


_LINE_END = regex.compile(r"[ \t]*(?:\n|\Z)")


def is_furniture(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a byline, caption, greeting or page furniture: a rule of
    ``data/claims_not_claims.tsv``, or a line ``corpus ingest`` strips (for text that did not go through it).
    Furniture ends its line (a caption's credit too), so only sentences that end one are matched: the rules are
    many and most sentences are not the last of their line. Only the rules whose match can open with the
    sentence's first two characters are tried (``RulesByOpening``: 17 in 16,678 line-ending sentences of PolNeAR
    are furniture, and per-call overhead was most of the claims labeller's furniture time)."""
    if end - start > _MAX_FURNITURE_CHARS or end <= start or _LINE_END.match(text, end) is None:
        return False
    return any(rule.fullmatch(text, start, end) for rule in _furniture_by_opening().at(text, start, end))


@lru_cache(maxsize=1)
def _furniture_rules() -> tuple[regex.Pattern, ...]:
    """The not-claim rules, then the whole-line rules ``corpus ingest`` strips (``boilerplate_rule_at``'s)."""
    return (*not_claim_rules(), *(rule.pattern for rule in boilerplate_rules()))


@lru_cache(maxsize=1)
def _furniture_by_opening() -> RulesByOpening[regex.Pattern]:
    return RulesByOpening(_furniture_rules(), _itself)


def _itself(rule: regex.Pattern) -> regex.Pattern:
    return rule


def not_a_claim(mask: int) -> bool:
    """Whether evidence bits say "no claim": a question, or nothing checkable (pure opinion, chat)."""
    if mask & _QUESTION:
        return True
    return not mask & _CHECKABLE and (not mask & _NAMED or bool(mask & _OPINION_BIT))


class RulesClaimLabeller(Labeller):
    layer = "claims"
    name = "rules"
    version = VERSION
    options = (
        Option(
            "threshold", "check-worthy at or above this score (default: the one fitted with the weights)", parse=float
        ),
        Option(
            "weights",
            "a team's weights replacing the packaged ones: a JSON file as scripts/train_claims.py "
            "writes (bias, threshold, weights)",
            path=True,
        ),
    )

    def __init__(self, **config: object) -> None:
        super().__init__(**config)
        path, threshold = self.config["weights"], self.config["threshold"]
        self.weights = load_weights() if path is None else _weights_from(path)
        self.threshold = float(self.weights["threshold"] if threshold is None else threshold)
        # word features by bare word: a sentence's word score is one set intersection away
        self.word_weights = {
            k[2:]: v for k, v in self.weights["weights"].items() if k.startswith("w=") and k[2:3].isalnum()
        }
        self.word_keys = frozenset(self.word_weights)
        self._by_mask: dict[int, tuple[float, tuple[str, ...]]] = {}

    def _mask_facts(self, mask: int) -> tuple[float, tuple[str, ...]]:
        """(summed evidence weight, positive evidence attr) of one evidence bit set, summed in ``_evidence``'s
        sorted order so the score is the same float."""
        weights = self.weights["weights"]
        evidence = [name for name in _FEATURE_NAMES if mask & _BIT[name]]
        facts = (
            sum(weights.get(f, 0.0) for f in evidence),
            tuple(f[2:] for f in evidence if f[2:] in POSITIVE_EVIDENCE and weights.get(f, 0.0) > 0),
        )
        self._by_mask[mask] = facts
        return facts

    def _score(self, mask: int, vocab: set[str]) -> tuple[float, tuple[str, ...]]:
        """The logistic score of a sentence's evidence bits and words, and its positive evidence."""
        evidence_weight, positive = self._by_mask.get(mask) or self._mask_facts(mask)
        z = self.weights["bias"] + evidence_weight
        # summed in sorted order: a set's order follows the process's string hash seed, and float addition is
        # not associative, so set order could change a score's last bits (and a tie with the threshold) per run
        z += sum(map(self.word_weights.__getitem__, sorted(vocab & self.word_keys)))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), positive

    def label(self, doc: dict, out: LayerWriter) -> None:
        text = doc["text"]
        words = _TokenFacts(text, doc.get("tokens") or [])
        spans = doc.get("spans", ())
        entities = _EntityBits(spans)
        attributions = _Attributions(spans, doc.get("relations", ()))
        starts, ends, n = words.starts, words.ends, len(words.starts)
        headline_end = _headline_end(doc)
        for start, end in doc.get("sentences") or []:
            first = bisect_left(starts, start)  # the whole tokens inside the sentence
            last = bisect_right(ends, end) - 1
            if first >= n or last < first or end <= headline_end or words.alnum_count(first, last) < 3:
                continue
            vocab = set(words.lows[first : last + 1])
            mask = words.mask(vocab, first, last) | entities.between(start, end)
            span_start, span_end = starts[first], ends[last]
            if not_a_claim(mask) or is_furniture(text, span_start, span_end):
                continue
            score, positive = self._score(mask, vocab)
            attrs = {
                "checkworthy": score >= self.threshold,
                "evidence": list(positive),
                "source_id": attributions.source_of(span_start, span_end),
            }
            out.span("CLAIM", span_start, span_end, score, attrs)


def _headline_end(doc: dict) -> int:
    """Where the document's headline ends (0 without one): its first paragraph, when more follow and it is the
    title, shaped like a headline or in title case (one sentence), or headline-short: every line of at most
    ``_HEADLINE_WORDS`` words, at most two lines (a headline and its subheading) — a lead paragraph is longer."""
    paragraphs, sentences = doc.get("paragraphs") or [], doc.get("sentences") or []
    if len(paragraphs) < 2 or not sentences:
        return 0
    text, (start, end) = doc["text"], paragraphs[0]
    if end - start > _MAX_HEADLINE_CHARS:
        return 0  # a headline is short; never split a long first paragraph (a scraped article on one line)
    if _headline_short(text[start:end]):
        return end
    return end if _one_sentence_headline(doc, sentences, start, end) else 0


def _one_sentence_headline(doc: dict, sentences: list, start: int, end: int) -> bool:
    """The first paragraph is one sentence and the title, shaped like a headline, or in title case."""
    if sentences[0][1] < end:
        return False
    text = doc["text"]
    title = " ".join((doc.get("title") or "").split())
    return is_headline(text, start, end, title) or _title_case(text[start:end])


def _headline_short(paragraph: str) -> bool:
    lines = paragraph.split("\n")
    return len(lines) <= 2 and all(len(line.split()) <= _HEADLINE_WORDS for line in lines)


_HEADLINE_WORDS = 15
_MAX_HEADLINE_CHARS = 300


_LONG_WORD = regex.compile(r"\p{L}{4,}")


def _title_case(line: str) -> bool:
    """Most words of four letters or more after the first are capitalised ("Port Reopens After Floods")."""
    words = _LONG_WORD.findall(line)[1:]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


# What a token's first character says, one byte per token (``_TokenFacts.classes``): each sentence then asks
# its tokens' bytes with one C call (a count or a search) instead of per-token prefix lists built in Python.
_ALPHA, _ALNUM, _UPPER, _I_OPENING = 1, 2, 4, 8  # _I_OPENING: upper case, and may open an "I" form
_I_FIRST = frozenset(w[:1] for w in _I_FORMS)
_NOT_ALNUM = bytes(v for v in range(16) if not v & _ALNUM)  # the class bytes a count of alnum tokens deletes
_NOT_ALPHA = bytes(v for v in range(16) if not v & _ALPHA)
_NAME_LIKE = re.compile(rb"[\x04-\x07\x0c-\x0f]")  # the bytes with _UPPER set
_MAY_BE_I = re.compile(rb"[\x08-\x0f]")


class _CharClasses(dict):
    """Character code -> class bits, filled as characters are met (``str.translate``'s table)."""

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        bits = (_ALPHA if ch.isalpha() else 0) | (_ALNUM if ch.isalnum() else 0)
        if ch.isupper():
            bits |= _UPPER | (_I_OPENING if ch.lower()[:1] in _I_FIRST else 0)
        self[code] = bits
        return bits


_CHAR_CLASSES = _CharClasses()


class _TokenFacts:
    """Per-token facts of one document, computed once, so each sentence costs a few slices and set operations."""

    def __init__(self, text: str, tokens: list[dict]) -> None:
        self.text = text
        self.starts = starts = list(map(_START, tokens))
        self.ends = ends = list(map(_END, tokens))
        self.lows = lows = lower_tokens(text, starts, ends)
        initials = "".join(map(text.__getitem__, starts))  # tokens are never empty
        classes = bytearray(initials.translate(_CHAR_CLASSES), "latin-1")
        for found in _MAY_BE_I.finditer(classes):
            if lows[found.start()] in _I_FORMS:
                classes[found.start()] &= ~_UPPER  # "I", "I'm" open with a capital but name nobody
        self.classes = bytes(classes)

    def alnum_count(self, first: int, last: int) -> int:
        """How many of tokens ``first..last`` open with a letter or digit."""
        return len(self.classes[first : last + 1].translate(None, _NOT_ALNUM))

    def mask(self, vocab: set[str], first: int, last: int) -> int:
        """The evidence bits of tokens ``first..last`` read from their words (entities aside)."""
        mask = 0
        for word in vocab & _EVIDENCE_WORDS:
            mask |= _WORD_BITS[word]
        if not mask & _NUMBERS and _NUMBER.search(self.text, self.starts[first], self.ends[last]) is not None:
            mask |= _NUMBERS
        if _NAME_LIKE.search(self.classes, first + 1, last + 1) is not None:  # a name-like token after the first
            mask |= _NAMED
        lows = self.lows
        if lows[last] == "?" or (last > first and lows[last - 1] == "?"):
            mask |= _QUESTION
        if len(self.classes[first : last + 1].translate(None, _NOT_ALPHA)) < 6:
            mask |= _SHORT
        return mask


class _EntityBits:
    """The evidence bits of the entities met by successive sentences (a cursor over the sorted entities)."""

    def __init__(self, spans: Iterable[dict]) -> None:
        entities = sorted([(s["start"], s["end"], s["label"]) for s in spans if s["layer"] == "entities"])
        self.starts = [es for es, _, _ in entities]
        self.ends = [ee for _, ee, _ in entities]
        self.bits = [_ENTITY_BITS.get(lab, 0) for _, _, lab in entities]
        self.next = 0

    def between(self, start: int, end: int) -> int:
        """Bits of the entities overlapping ``[start, end)``; sentences come in order."""
        ends, n = self.ends, len(self.ends)
        i = self.next
        while i < n and ends[i] <= start:
            i += 1
        self.next = i
        mask = 0
        # the entities that start before the sentence ends, among the next 64
        for k in range(i, bisect_left(self.starts, end, i, min(i + 64, n))):
            if ends[k] > start:
                mask |= self.bits[k]
        return mask


class _Attributions:
    """Attributed CONTENT spans with their SOURCE ids, so claims inside reported speech point at who said them."""

    def __init__(self, spans: Iterable[dict], relations: Iterable[dict]) -> None:
        contents = {s["id"]: s for s in spans if s["layer"] == "sources" and s["label"] == "CONTENT"}
        source_of = {r["child"]: r["head"] for r in relations if r["label"] == "ATTRIBUTION"}
        self.attributed = sorted(
            [(c["start"], c["end"], source_of[cid]) for cid, c in contents.items() if cid in source_of]
        )
        self.reach = list(accumulate([ce for _, ce, _ in self.attributed], max))  # furthest content end so far
        self.next = 0

    def source_of(self, start: int, end: int) -> str | None:
        """The source of the content covering most of ``[start, end)``; spans come in order."""
        i, n = self.next, len(self.attributed)
        while i < n and self.reach[i] <= start:
            i += 1  # every content up to here ended before this span
        self.next = i
        return _source_for(self.attributed, i, start, end) if i < n else None


def _source_for(attributed: list[tuple[int, int, str]], first: int, start: int, end: int) -> str | None:
    """The SOURCE id of the attribution whose content covers most of ``[start, end)`` (at least half)."""
    best, best_overlap = None, 0
    for k in range(first, len(attributed)):  # not a slice: copying the rest of the list per span is quadratic
        cs, ce, source_id = attributed[k]
        if cs >= end:
            break
        overlap = min(ce, end) - max(cs, start)
        if overlap > best_overlap:
            best, best_overlap = source_id, overlap
    return best if best_overlap * 2 >= end - start else None
