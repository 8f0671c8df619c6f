"""`RulesByOpening` (corpus/ingest/openings.py): trying only the rules that can open with a line's first two
characters finds the same first matching rule as trying them all, for boilerplate stripping, the claims
labeller's furniture test and rules written to trip a short probe (word boundaries, look-ahead, back-references,
full case folding)."""

from __future__ import annotations

import regex

from corpus.ingest.normalize import _boilerplate_by_opening, boilerplate_rule_at, boilerplate_rules, strip_boilerplate
from corpus.ingest.openings import RulesByOpening, may_open
from corpus.prelabel.claims import _furniture_rules, is_furniture

LINES = [
    "",
    "a",
    "‘",
    "5 min read",
    "Advertisement",
    "ad",
    "Share this article",
    "Follow us on Twitter for more",
    "© 2021 Harbour Gazette. All rights reserved.",
    "‘Delivered to your inbox every morning’",
    "“Straight to your inbox: the week’s best reads",
    "(Photo: Ines Okafor)",
    "[Image credit: Harbour Gazette]",
    "Pia Lund/Getty Images",
    "Reporting by Ines Okafor; editing by Tom Berg",
    "Updated: 12 March 2021",
    "This story has been updated.",
    "— Harbour Gazette",
    "ünder the bridge, 3 barges",
    "The council voted 7-2 on the plan.",
    "Thanks for reading, see you tomorrow.",
    "| • |",
    "Sign up for our newsletter",
    "AFP via Getty Images",
    "xx",
    "x-ray images",
]

# Rules a probe of one or two characters could misjudge, and plain ones.
TRICKY = [
    r"(?:a\b.*)",  # a word boundary right after the opening
    r"(?:.\bb.*)",  # a word boundary after a non-word opening character
    r"(?:a-\bb.*)",  # a word boundary right after a two-character probe ending in a non-word character
    r"(?:\Bx.*)",
    r"(?:(?=ab).*)",
    r"(?:(?<=q)ab.*)",
    r"(?:(a)\1.*)",
    r"(?:(?P<c>b)(?P=c).*)",
    r"(?:(?f)strasse.*)",
    r"(?:\mab.*)",
    r"(?:.\Mb.*)",
    r"(?:ab.*)",
    r"(?:.*cd)",
    r"(?:x?)",
]
TRICKY_LINES = [
    *("ab", "a b", "a", "aab", "bb", "x", "xx", "zxy", "‘b", "‘ab"),
    *("STRASSE", "Straße", "abcd", "", "-b", "a-b"),
]


def _first(rules: tuple, text: str, start: int, end: int) -> object:
    return next((rule for rule in rules if rule.fullmatch(text, start, end)), None)


def test_tricky_rules_same_first_match_after_any_character() -> None:
    patterns = [regex.compile(source, regex.IGNORECASE) for source in TRICKY]
    index = RulesByOpening(patterns, lambda rule: rule)
    for before in ("", "q", " ", "‘"):
        for line in TRICKY_LINES:
            text = before + line + "\n"
            start, end = len(before), len(text) - 1
            assert _first(index.at(text, start, end), text, start, end) == _first(tuple(patterns), text, start, end)
    assert len(index.at("zz", 0, 2)) < len(patterns)  # it does skip rules


def test_may_open_keeps_rules_it_cannot_judge() -> None:
    assert may_open(regex.compile(r"(?=zz)q"), "ab")
    assert may_open(regex.compile(r"(a)\1"), "bc")
    assert may_open(regex.compile(r"(?f)ss"), "ß")
    assert may_open(regex.compile(r".\bz"), "a‘")  # a non-word character last: the boundary may hold next
    assert not may_open(regex.compile(r"ab"), "ac")


def test_boilerplate_stripping_matches_every_rule_in_order() -> None:
    rules = boilerplate_rules()
    text = "\n".join(LINES)
    _, stripped = strip_boilerplate(text)
    expected = []
    for lineno, line in enumerate(LINES, start=1):
        candidate = line.strip()
        rule = next((r for r in rules if candidate and r.pattern.fullmatch(candidate)), None)
        if rule is not None and len(candidate) <= 160:
            expected.append((lineno, rule.name))
    found = [(s["line"], s["rule"]) for s in stripped if s["text"] == LINES[s["line"] - 1].strip()]
    assert found == expected
    assert expected  # the lines do hold boilerplate
    for line in LINES:
        text = "x " + line
        want = next((r.name for r in rules if r.pattern.fullmatch(text, 2, len(text))), None)
        assert boilerplate_rule_at(text, 2, len(text)) == want, line
    assert len(_boilerplate_by_opening().at("Th", 0, 2)) < len(rules)


def test_furniture_matches_every_rule() -> None:
    rules = _furniture_rules()
    for before in ("", "x", " ", "\n", "‘"):
        for line in LINES:
            text = before + line + "\n"
            start, end = len(before), len(text) - 1
            every = end > start and any(rule.fullmatch(text, start, end) for rule in rules)
            assert is_furniture(text, start, end) == every, (before, line)


def test_past_the_limit_a_line_costs_its_first_characters_rules() -> None:
    patterns = [regex.compile(r"ab.*"), regex.compile(r"ac.*"), regex.compile(r"b.*")]
    index = RulesByOpening(patterns, lambda rule: rule)
    index.LIMIT = 1
    assert index.at("ab", 0, 2) == (patterns[0],)
    assert index.at("ac", 0, 2) == (patterns[0], patterns[1])  # not stored: the rules opening with "a"
    assert index.at("", 0, 0) == tuple(patterns)
