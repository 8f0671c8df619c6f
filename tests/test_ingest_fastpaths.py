"""Ingest's fast paths give exactly what the plain code gives: normalisation, boilerplate, shingles, signatures.

Each reference below is the earlier, straightforward implementation (every regular expression over every text,
datasketch's own ``update_batch``); the texts are written here: ASCII and not, very short and empty.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import regex
import xxhash

from corpus.ingest import dedup
from corpus.ingest.normalize import normalize_text, strip_boilerplate, tidy_text

ALPHABET = (
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?'\"-_/()\n\t"
    "’‘“”–—…\xa0\u2009 éÉçñüßøÅæ İıſﬁK ²½Ⅻ٣ кирилица ελληνικά 漢字かな 🙂\u200d\u0301\u0331 \r\u2028\u2029\x85"
    "\x00\x07\x1f\x7f\x9b\u200b\u2060\ufeff\u200e\u202b\u2067\ufffd"
)
# Word characters only in ASCII: the words' fast path, with typographic punctuation and spaces around them.
ASCII_WORDS_ALPHABET = "abcdefghij KLMNOP 0189 .,'\"-_/\n ’‘“”–—…\xa0\u2009\u200b\ufeff🙂\x85\r ©°×"

SAMPLES = [
    "",
    "   ",
    "... !!! ???",
    "Word",
    "Two words",
    "Four words in all",
    "Exactly five words are here",
    "The mayor said the council would meet on Tuesday to discuss the harbour budget again.",
    "“Don’t,” she said — it’s the ferry’s last run… (Photo: J. Doe/Agency)",
    "Café society: the naïve résumé of a façade, coöperation and Ærø.",
    "STRASSE Straße İstanbul ıi ﬁne ſtop Kelvin K 10²m ½ Ⅻ ٣",
    "Новости: мэр сказал, что совет соберётся во вторник.",
    "Η κυβέρνηση ανακοίνωσε νέα μέτρα σήμερα το πρωί.",
    "市长说，议会将在星期二开会。かなカナ。",
    "e\u0301 a\u0331b snake_case_word x\u200dy 🙂🙂 tab\tseparated\r\nwindows\rmac\u2028ls\u2029ps\x85nel",
    "lone \ud800 surrogate and text around it for shingles here",
    "\ufeffBOM first\x00NUL\x07bell\u200bzero\u2060joiner\u202bembed\u2067isolate end.",
    "A\u030a precomposes to Å; Hangul \u1100\u1161 too; tabs\t\tand trailing   \n\n\n\nmany blanks  ",
]


def random_texts(n: int, seed: int, alphabet: str = ALPHABET) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(n)]


TEXTS = SAMPLES + random_texts(200, 15) + random_texts(100, 18, ASCII_WORDS_ALPHABET)

# --- the references --------------------------------------------------------------------------------------------
_STRAY = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_SEPARATORS = regex.compile(r"\r\n?|[\u2028\u2029\x85]")
_MANY_BLANKS = regex.compile(r"\n{3,}")
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")


def reference_normalize(raw: str) -> tuple[str, dict[str, int]]:
    changes: dict[str, int] = {}
    text, n = _LINE_SEPARATORS.subn("\n", raw)
    if n:
        changes["newlines"] = n
    text, n = _STRAY.subn("", text)
    if n:
        changes["control_characters"] = n
    return tidy_text(text, changes), changes  # the part after the substitutions is unchanged: shared


def reference_shingle_hashes(text: str, size: int = 5) -> np.ndarray:
    words = _WORD.findall(text.casefold())
    if not words:
        return np.empty(0, dtype=np.uint64)
    word_hashes = np.array([xxhash.xxh64_intdigest(w.encode("utf-8")) for w in words], dtype=np.uint64)
    n = max(len(words) - size + 1, 1)
    h = word_hashes[:n].copy()
    for j in range(1, min(size, len(words))):
        h = h * dedup._MULTIPLIER + word_hashes[j : j + n]
    h ^= h >> dedup._SHIFT33
    h *= dedup._MIX1
    h ^= h >> dedup._SHIFT33
    h *= dedup._MIX2
    h ^= h >> dedup._SHIFT33
    return h >> dedup._SHIFT32


def reference_signature(text: str, num_perm: int = 128, size: int = 5) -> list[int] | None:
    from datasketch import MinHash

    hashes = reference_shingle_hashes(text, size)
    if not len(hashes):
        return None
    m = MinHash(num_perm=num_perm, seed=1, hashfunc=int)
    for i in range(0, len(hashes), 2048):
        m.update_batch(hashes[i : i + 2048].tolist())
    return m.hashvalues.tolist()


# --- the comparisons -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", TEXTS)
def test_normalisation_equals_the_reference(text: str):
    assert normalize_text(text) == reference_normalize(text)


def test_the_samples_exercise_both_paths_of_each_fast_path():
    changed = [normalize_text(t)[1] for t in TEXTS]
    assert any("newlines" in c for c in changed) and any("newlines" not in c for c in changed)
    assert any("control_characters" in c for c in changed) and any("control_characters" not in c for c in changed)
    folded = [t.casefold() for t in TEXTS]
    ascii_words = [t for t in folded if _WORD.search(t) and all(w.isascii() for w in _WORD.findall(t))]
    assert len(ascii_words) > 50 and sum(not t.isascii() for t in ascii_words) > 50
    assert sum(_WORD.search(t) is not None for t in folded) > len(ascii_words) + 50


@pytest.mark.parametrize("text", TEXTS)
def test_words_and_shingle_hashes_equal_the_reference(text: str):
    assert dedup._word_bytes(text) == [w.encode("utf-8") for w in _WORD.findall(text.casefold())]
    for size in (1, 2, 5):
        assert dedup.shingle_hashes(text, size).tolist() == reference_shingle_hashes(text, size).tolist()


@pytest.mark.parametrize("text", SAMPLES + random_texts(30, 16) + random_texts(10, 19, ASCII_WORDS_ALPHABET))
def test_signatures_equal_datasketch(text: str):
    for num_perm in (16, 128):
        values = dedup.signature_values(text, num_perm)
        assert (None if values is None else values.tolist()) == reference_signature(text, num_perm)
        m = dedup.minhash(text, num_perm)
        assert (None if m is None else m.hashvalues.tolist()) == reference_signature(text, num_perm)


def test_a_signature_over_several_blocks_equals_datasketch():
    rng = random.Random(17)
    words = ["harbour", "ferry", "mayor", "union", "strike", "court", "bridge", "école", "señor", "straße"]
    text = " ".join(rng.choice(words) for _ in range(3 * dedup._BATCH + 7))
    assert dedup.signature_values(text).tolist() == reference_signature(text)
    assert dedup.signature_values(text.replace("é", "e").replace("ñ", "n").replace("ß", "ss")).tolist() == (
        reference_signature(text.replace("é", "e").replace("ñ", "n").replace("ß", "ss"))
    )


@pytest.mark.parametrize("text", TEXTS)
def test_boilerplate_stripping_is_unchanged_by_the_fast_normalisation(text: str):
    assert strip_boilerplate(normalize_text(text)[0]) == strip_boilerplate(reference_normalize(text)[0])


def test_a_match_older_than_the_recent_records_is_read_back_from_disk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dedup, "_RECENT", 2)
    rng = random.Random(20)
    words = [f"w{i}" for i in range(500)]
    texts = [" ".join(rng.choice(words) for _ in range(200)) for _ in range(6)]
    index = dedup.NearDuplicateIndex()
    try:
        for i, text in enumerate(texts):
            index.add(f"id{i}", f"feed.jsonl:{i + 1}", index.signature(text))
        assert len(index._recent) == 2
        assert index.query(index.signature(texts[0])) == dedup.Match("id0", "feed.jsonl:1", 1.0)  # from the file
        assert index.query(index.signature(texts[5])) == dedup.Match("id5", "feed.jsonl:6", 1.0)  # from memory
        assert index.query(index.signature(" ".join(words[:200]))) is None
    finally:
        index.close()


# --- boilerplate: the reference for any faster stripping (a per-character prefilter built on the regex module's
# partial matching was tried and missed lines such as "‘DELIVERED TO YOUR INBOX: …": this test found it) --------
KEYWORDS = [
    "advertisement", "ad", "sponsored content", "story continues below", "listen to this article", "read also",
    "see more", "also read", "related", "related stories", "share", "tweet", "email", "print", "copy link", "save",
    "facebook", "twitter", "x", "whatsapp", "follow us on", "follow", "sign up", "subscribe", "get our newsletter",
    "click here", "we use cookies", "accept all cookies", "5 min read", "skip to content", "show comments",
    "copyright", "©", "(c)", "all rights reserved", "delivered to your inbox", "enter your email",
    "thanks for signing up", "this article originally appeared", "originally published", "letters to the editor",
    "photo", "image", "pictured", "getty images", "afp", "reuters", "ap photo", "jane doe/afp", "contributed",
    "reporting by", "additional reporting by", "editing by", "updated", "published", "last updated", "posted",
    "instagram", "this is a developing story", "leave a comment", "join the conversation", "mayor", "the council",
]  # fmt: skip
PREFIXES = ["", "(", "[", "“", "‘", "• ", "— ", "1 ", "@", "ſ", "İ", "K", "É", "  "]
SUFFIXES = [
    "", ".", ":", ": Jane Doe", " / Reuters", " via Getty Images", " on Twitter @jdoe", " to this report.",
    " Jane Doe; editing by John Roe.", " for our newsletter", " 2024 Example Media", ": Mon, Jan 5, 2024 10:00 am EST",
    " (12)", " | ", " this article", " and more.", ")", "]", " — the mayor said on Tuesday.",
]  # fmt: skip
CASES = [str.lower, str.capitalize, str.upper, str.title]


def boilerplate_lines(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        word = rng.choice(CASES)(rng.choice(KEYWORDS))
        lines.append(f"{rng.choice(PREFIXES)}{word}{rng.choice(SUFFIXES)}{rng.choice(['', ' ', ' .'])}")
    return lines


def reference_strip(text: str) -> tuple[str, list[dict]]:
    from corpus.ingest.normalize import _strip_tail, boilerplate_rules

    kept, stripped = [], []
    for lineno, line in enumerate(text.split("\n"), start=1):
        candidate = line.strip()
        if candidate and len(candidate) <= 160:
            rule = next((r for r in boilerplate_rules() if r.pattern.fullmatch(candidate)), None)
            if rule is not None:
                stripped.append({"line": lineno, "text": candidate, "rule": rule.name})
                continue
        kept.append(_strip_tail(line, lineno, stripped))
    return _MANY_BLANKS.sub("\n\n", "\n".join(kept)).strip(), stripped


def test_boilerplate_stripping_equals_trying_every_rule_on_every_line():
    lines = boilerplate_lines(4000, 21)
    texts = ["\n".join(lines[i : i + 40]) for i in range(0, len(lines), 40)]
    texts += [normalize_text(t)[0] for t in TEXTS] + [normalize_text("\r\n\x85".join(lines[:300]))[0]]
    removed = 0
    for text in texts:
        expected = reference_strip(text)
        assert strip_boilerplate(text) == expected
        removed += len(expected[1])
    rules = {r["rule"] for text in texts for r in reference_strip(text)[1]}
    assert removed > 300 and len(rules) > 20  # the lines exercise most rules, not only the fast rejection
