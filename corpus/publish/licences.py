"""The licence gate: may an article's text be redistributed in a public dataset?

Each article carries ``licence``: free text ("CC BY 4.0", "Creative Commons Attribution-ShareAlike",
"© 2024 Example News. All rights reserved."), an SPDX-ish id ("cc-by-sa-4.0", "CC0-1.0"), a licence URL, or
``None``. :func:`classify_licence` sorts it into one of four statuses:

- ``redistributable``: public domain / CC0 / PDDL, CC BY and CC BY-SA, open data licences (ODC-By, ODbL,
  UK Open Government Licence, Etalab), permissive software licences (MIT, Apache, BSD, ISC, Unlicense).
- ``restricted``: CC licences with NonCommercial or NoDerivatives terms, or any licence narrowed by
  non-commercial / no-derivatives wording ("CC BY 4.0, non-commercial use only"). Copying verbatim is allowed,
  but a public Hub dataset is routinely used to train commercial models (NC) and its annotations, splits and
  re-segmentation are arguably adapted material (ND). We therefore do **not** clear them for a push: the
  publisher must decide, and ``--allow-unknown-licence`` records that decision.
- ``non_redistributable``: all rights reserved, proprietary, research-only, personal use, "not for
  redistribution", used with permission, a copyright notice without a licence, or a licence that is negated
  ("Not licensed under CC-BY", "CC-BY not granted", "Public domain? No: copyright …").
- ``unknown``: missing, empty, "unknown", conditional wording ("CC BY unless otherwise stated", "except where
  noted"), vague wording ("free to use", "royalty-free"), and any text we cannot read — including
  contradictory text (an open licence and "all rights reserved", public domain and a copyright notice).

The text is read conservatively: wording that negates or conditions a licence is checked before any licence
is looked for, licence names only count in licence-like wording ("MIT License", not "MIT Press"), and text
that names no licence is never guessed into one. The wording classes are the tables ``_WORDING`` and
``_NARROWING`` below; ``tests/test_publish.py`` has one row per class.

Only ``redistributable`` passes the gate for ``corpus publish --repo``; local folder builds are always allowed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

REDISTRIBUTABLE = "redistributable"
RESTRICTED = "restricted"
NON_REDISTRIBUTABLE = "non_redistributable"
UNKNOWN = "unknown"
STATUSES = (REDISTRIBUTABLE, RESTRICTED, NON_REDISTRIBUTABLE, UNKNOWN)

STATUS_EXPLANATIONS = {
    REDISTRIBUTABLE: "open licence or public domain: may be redistributed (attribution and share-alike terms apply)",
    RESTRICTED: "NonCommercial or NoDerivatives terms (Creative Commons or other): not cleared for a public dataset",
    NON_REDISTRIBUTABLE: "all rights reserved, proprietary or research-only: may not be redistributed",
    UNKNOWN: "no licence recorded, or a licence text that could not be classified",
}


@dataclass(frozen=True)
class Licence:
    """A classified licence: ``hub_id`` is the Hugging Face licence identifier for the card."""

    status: str
    hub_id: str
    name: str


_UNKNOWN = Licence(UNKNOWN, "unknown", "unknown")

# Phrases that forbid redistribution outright (checked on the lower-cased, whitespace-folded text).
_CLOSED = re.compile(
    r"all rights reserved|proprietary|research (?:use |purposes )?only|for research purposes|"
    r"non[- ]?redistributable|not for (?:re)?distribution|no redistribution|personal use only|"
    r"internal use only|do not (?:re)?distribute|licensed to subscribers|subscribers only|paywalled|"
    r"(?:used|reproduced|reprinted|published) with (?:kind )?permission|may not be (?:re)?(?:distributed|published|"
    r"copied|reproduced)"
)
# A copyright notice anywhere: without a licence it means all rights reserved.
_COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright(?:ed)?\b")

_NEGATED_LICENCE = Licence(NON_REDISTRIBUTABLE, "other", "no licence granted")
_ALL_RIGHTS = Licence(NON_REDISTRIBUTABLE, "other", "all rights reserved")

# Wording read before any licence is looked for, in order: (class, licence it implies, pattern).
_LICENCE_WORD = r"(?:licen[cs]\w*|cc\b|creative commons|public domain|open|free|permission|rights?)"
_WORDING: tuple[tuple[str, Licence, re.Pattern], ...] = (
    # "Not licensed under CC-BY", "not in the public domain", "no licence", "CC-BY not granted", "Public domain? No"
    ("negated", _NEGATED_LICENCE, re.compile(
        r"\b(?:not|never|no longer|isn't|aren't|wasn't|nor)\b(?: \w+){0,3}? " + _LICENCE_WORD
        + r"|\b(?:not|never) (?:been |be )?(?:granted|given|applicable|permitted|allowed|licensed|released)\b"
        + r"|\b(?:no|without(?: a| any)?) (?:licen[cs]e|permission|rights? granted)\b"
        + r"|[?:]\s*no\b|\bno\s*[:,.;!-]")),
    # "CC BY unless otherwise stated", "except where noted", "some images …": the licence may not cover the text.
    ("conditional", _UNKNOWN, re.compile(
        r"\bunless\b|\bexcept\b|\botherwise (?:stated|noted|indicated|specified|marked)\b|\bwhere (?:stated|noted|"
        r"indicated)\b|\bif\b|\bprovided that\b|\bsome (?:content|images|photos|parts|articles|material)\b|"
        r"\bmay (?:be|apply|vary)\b|\bdepend|\bcase[- ]by[- ]case\b|\bon request\b|\bcontact\b|\bask\b")),
    # "free to use", "royalty-free", "copyright-free": a promise, not a licence.
    ("vague", _UNKNOWN, re.compile(
        r"copyright[- ]free|royalty[- ]free|free of (?:copyright|charge)|free to (?:use|share|republish)|"
        r"\bopen access\b|\bfair use\b")),
)  # fmt: skip

# Wording that narrows an open licence found in the same text: (class, licence when none was found, pattern).
_NARROWING: tuple[tuple[str, Licence, re.Pattern], ...] = (
    ("non-commercial", Licence(RESTRICTED, "other", "non-commercial terms"), re.compile(
        r"non[- ]?commercial|not for (?:any )?commercial|no commercial|commercial (?:use|purposes|reuse) (?:is |are )?"
        r"(?:not|prohibited|forbidden|excluded)|educational use only")),
    ("no-derivatives", Licence(RESTRICTED, "other", "no-derivatives terms"), re.compile(
        r"no[- ]?deriv|no (?:modifications|adaptations|changes)|may not be (?:modified|altered|adapted|edited)|"
        r"without (?:modification|changes)")),
)  # fmt: skip

# Creative Commons, recognised in ids ("cc-by-nc-sa-4.0"), names ("Creative Commons Attribution-NonCommercial
# 4.0") and URLs (creativecommons.org/licenses/by-nc/4.0/).
_CC_URL = re.compile(r"creativecommons\.org/(?:licenses|licences)/([a-z-]+)/(\d\.\d)")
_CC_URL_ZERO = re.compile(r"creativecommons\.org/(?:publicdomain/zero|share-your-work/public-domain/cc0)")
_CC_ID = re.compile(r"\bcc[ -]?(by(?:[ -](?:nc|nd|sa)){0,3})(?:[ -]?(\d\.\d))?\b")
_CC_NAME = re.compile(r"creative commons\b")
_VERSION = re.compile(r"\b(\d\.\d)\b")

_CC_VERSIONS = {
    # Hub identifiers that exist for each CC variant; other versions fall back to the nearest listed one.
    "by": ("2.0", "2.5", "3.0", "4.0"),
    "by-sa": ("3.0", "4.0"),
    "by-nc": ("2.0", "3.0", "4.0"),
    "by-nd": ("4.0",),
    "by-nc-sa": ("2.0", "3.0", "4.0"),
    "by-nc-nd": ("3.0", "4.0"),
}

# (pattern, Licence) for non-CC licences, tried in order on the folded text.
_OTHERS: tuple[tuple[re.Pattern, Licence], ...] = (
    (re.compile(r"\bcc ?0\b|\bcc-?zero\b|creative commons zero"), Licence(REDISTRIBUTABLE, "cc0-1.0", "CC0 1.0")),
    (re.compile(r"\bpddl\b|public domain dedication and licen[cs]e"), Licence(REDISTRIBUTABLE, "pddl", "ODC PDDL")),
    (re.compile(r"public[- ]domain"), Licence(REDISTRIBUTABLE, "cc0-1.0", "public domain")),
    (re.compile(r"\bodc[- ]?by\b|open data commons attribution"), Licence(REDISTRIBUTABLE, "odc-by", "ODC-By")),
    (re.compile(r"\bodbl\b|open database licen[cs]e"), Licence(REDISTRIBUTABLE, "odbl", "ODbL")),
    (re.compile(r"open government licen[cs]e|\bogl\b"),
     Licence(REDISTRIBUTABLE, "other", "UK Open Government Licence")),
    (re.compile(r"licen[cs]e ouverte|\betalab\b"), Licence(REDISTRIBUTABLE, "etalab-2.0", "Etalab Open Licence 2.0")),
    # Software licence names count only as licence wording: "MIT Press" or "Apache helicopters" are not licences.
    (re.compile(r"\bapache(?: software)?(?:[ -]licen[cs]e|[ -]2(?:\.0)?\b)"),
     Licence(REDISTRIBUTABLE, "apache-2.0", "Apache-2.0")),
    (re.compile(r"^mit$|\bmit(?:[ -]0)? licen[cs]e\b|\bmit-0\b"), Licence(REDISTRIBUTABLE, "mit", "MIT")),
    (re.compile(r"^bsd$|\bbsd[ -](?:[0-4][ -]clause|licen[cs]e)\b"), Licence(REDISTRIBUTABLE, "bsd", "BSD")),
    (re.compile(r"^isc$|\bisc licen[cs]e\b"), Licence(REDISTRIBUTABLE, "isc", "ISC")),
    (re.compile(r"\bunlicen[cs]e\b"), Licence(REDISTRIBUTABLE, "unlicense", "Unlicense")),
)  # fmt: skip


def _fold(text: str) -> str:
    return re.sub(r"[_\s]+", " ", text.strip().lower())


def _cc(variant: str, version: str | None) -> Licence:
    parts = [p for p in re.split(r"[ -]", variant) if p]
    # Canonical CC order: by, nc, nd, sa  ->  cc-by-nc-sa / cc-by-nc-nd / cc-by-sa / cc-by-nd.
    key = "-".join(p for p in ("by", "nc", "nd", "sa") if p in parts)
    if key not in _CC_VERSIONS:  # e.g. "by-nd-sa" does not exist
        return _UNKNOWN
    versions = _CC_VERSIONS[key]
    hub_version = version if version in versions else versions[-1]
    name = f"CC {key.upper().replace('-', ' ')}" + (f" {version}" if version else "")
    status = RESTRICTED if ("nc" in parts or "nd" in parts) else REDISTRIBUTABLE
    return Licence(status, f"cc-{key}-{hub_version}", name)


def _cc_from_name(text: str) -> Licence | None:
    """ "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International" -> cc-by-nc-sa-4.0."""
    if not _CC_NAME.search(text):
        return None
    parts = ["by"] if "attribution" in text or re.search(r"\bby\b", text) else []
    if re.search(r"non-?commercial|\bnc\b", text):
        parts.append("nc")
    if re.search(r"no-?deriv|\bnd\b", text):
        parts.append("nd")
    if re.search(r"share-?alike|\bsa\b", text):
        parts.append("sa")
    if not parts:
        return None
    version = _VERSION.search(text)
    return _cc("-".join(parts), version.group(1) if version else None)


def _first(patterns: tuple[tuple[re.Pattern, Licence], ...], text: str) -> Licence | None:
    return next((lic for pattern, lic in patterns if pattern.search(text)), None)


def _find_licence(text: str) -> Licence | None:
    """The licence ``text`` names, or ``None``: URLs first, then CC0 / PDDL / public domain (before "cc by",
    since "cc0" contains "cc"), CC ids (the most restrictive of several) and names, then other open licences."""
    if m := _CC_URL.search(text):
        return _cc(m.group(1), m.group(2))
    if _CC_URL_ZERO.search(text):
        return Licence(REDISTRIBUTABLE, "cc0-1.0", "CC0 1.0")
    found = _first(_OTHERS[:3], text)
    if found is None and (ids := [_cc(m.group(1), m.group(2)) for m in _CC_ID.finditer(text)]):
        # "text CC BY-SA, photos CC BY-NC-ND": the most restrictive licence named governs.
        found = max(ids, key=lambda lic: STATUSES.index(lic.status))
    return found or _cc_from_name(text) or _first(_OTHERS[3:], text)


def _narrowed(found: Licence | None, text: str) -> Licence | None:
    """Non-commercial or no-derivatives wording turns an open licence (or no licence) into a restricted one."""
    for _cls, implied, pattern in _NARROWING:
        if pattern.search(text) and (found is None or found.status == REDISTRIBUTABLE):
            return implied if found is None else Licence(RESTRICTED, "other", f"{found.name}, {implied.name}")
    return found


def _contradicted(found: Licence, text: str) -> bool:
    """An open licence beside "all rights reserved", or public domain beside a copyright notice."""
    if found.status != REDISTRIBUTABLE:
        return False
    return bool(_CLOSED.search(text)) or (found.hub_id in {"cc0-1.0", "pddl"} and bool(_COPYRIGHT.search(text)))


def classify_licence(licence: str | None) -> Licence:
    """Classify an article's licence text (see the module docstring for the rules)."""
    if licence is None or not str(licence).strip():
        return _UNKNOWN
    text = _fold(str(licence))
    if text in {"unknown", "none", "n/a", "na", "unspecified", "?"}:
        return _UNKNOWN
    for _cls, implied, pattern in _WORDING:
        if pattern.search(text):
            return implied
    found = _narrowed(_find_licence(text), text)
    if found is not None:
        return _UNKNOWN if _contradicted(found, text) else found
    if _CLOSED.search(text) or _COPYRIGHT.search(text):
        return _ALL_RIGHTS
    return _UNKNOWN


@dataclass
class LicenceMix:
    """Counts of articles per licence status and per licence name, collected while the dataset is written."""

    by_status: Counter
    by_name: Counter  # (status, name, hub_id) -> articles
    examples: dict  # status -> first few (doc id, raw licence) for error messages

    def __init__(self) -> None:
        self.by_status = Counter()
        self.by_name = Counter()
        self.examples = {}

    def add(self, doc_id: str, raw: str | None) -> Licence:
        lic = classify_licence(raw)
        self.by_status[lic.status] += 1
        self.by_name[(lic.status, lic.name, lic.hub_id)] += 1
        shown = self.examples.setdefault(lic.status, [])
        if len(shown) < 3:
            shown.append((doc_id, raw))
        return lic

    @property
    def blocking(self) -> dict[str, int]:
        """Statuses that stop a push, with their article counts."""
        return {s: self.by_status[s] for s in STATUSES if s != REDISTRIBUTABLE and self.by_status[s]}

    def hub_ids(self) -> list[str]:
        """Licence identifiers for the card's ``license`` field, most frequent first (ties by name)."""
        counts: Counter = Counter()
        for (_status, _name, hub_id), n in self.by_name.items():
            counts[hub_id] += n
        return [hub_id for hub_id, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def to_dict(self) -> dict:
        return {
            "by_status": {s: self.by_status[s] for s in STATUSES},
            "by_licence": [
                {"status": status, "licence": name, "hub_id": hub_id, "articles": n}
                for (status, name, hub_id), n in sorted(self.by_name.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "blocking": self.blocking,
            "examples": {s: [list(e) for e in ex] for s, ex in sorted(self.examples.items())},
        }


def gate_message(mix: dict) -> str | None:
    """One line explaining why a push is refused, or ``None`` when every article is redistributable."""
    blocking = mix.get("blocking") or {}
    if not blocking:
        return None
    parts = []
    for status, n in blocking.items():
        examples = mix.get("examples", {}).get(status, [])
        shown = ", ".join(f"{doc_id} ({raw!r})" for doc_id, raw in examples[:2])
        parts.append(f"{n} {status.replace('_', '-')} (e.g. {shown})")
    return (
        "refusing to push: article licences not cleared for redistribution: "
        + "; ".join(parts)
        + ". Fix the articles' `licence`, leave them out, or pass --allow-unknown-licence after checking "
        "their terms yourself"
    )
