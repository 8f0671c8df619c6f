"""Document-level splits that never move when the corpus grows.

A document's split depends only on its *group key* (its id, or the value of ``--group-by FIELD``): the key is
hashed (SHA-256) to a number in [0, 1) and the number falls into one of the ratio intervals. Adding other
documents changes nothing for it, and documents sharing a group key (same publisher, same story) always share a
split. A near duplicate flagged at ingest (``ingest.near_duplicate_of.id``, which always names an earlier
document) takes the group key of the document it repeats, so the pair never straddles splits. Changing the
ratios moves only the documents whose number crosses a boundary.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from corpus.errors import CorpusError

SPLIT_NAME = re.compile(r"^\w+$", re.ASCII)
DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
_POSITIONAL_NAMES = {1: ("train",), 2: ("train", "test"), 3: ("train", "validation", "test")}
# Bump only together with a note in the card: it reassigns every document.
HASH_SALT = "corpus-split-v1"


def parse_ratios(spec: str | dict[str, float] | None) -> dict[str, float]:
    """``"0.8,0.1,0.1"`` (train, validation, test), ``"0.9,0.1"`` (train, test) or ``"train=0.7,dev=0.3"``."""
    if spec is None or spec == "":
        return dict(DEFAULT_RATIOS)
    pairs = list(spec.items()) if isinstance(spec, dict) else _ratio_pairs(str(spec))
    ratios: dict[str, float] = {}
    for name, value in pairs:
        if not SPLIT_NAME.match(str(name)):
            raise CorpusError(f"split name '{name}' is not allowed: use letters, digits and underscores only")
        if name in ratios:
            raise CorpusError(f"split name '{name}' given twice")
        ratios[str(name)] = _ratio(name, value)
    total = sum(ratios.values())
    if abs(total - 1.0) > 1e-6:
        raise CorpusError(f"split ratios must add up to 1 (got {total:g} from '{spec}')")
    return {name: ratio for name, ratio in ratios.items() if ratio > 0}


def _ratio_pairs(spec: str) -> list[tuple]:
    """``(name, ratio text)`` pairs of a ratio string: all named, or all positional."""
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if items and all("=" in item for item in items):
        return [tuple(part.strip() for part in item.split("=", 1)) for item in items]
    _check_positional(spec, items)
    return list(zip(_POSITIONAL_NAMES[len(items)], items, strict=True))


def _check_positional(spec: str, items: list[str]) -> None:
    """Positional ratios: none named, and 1 to 3 of them."""
    if any("=" in item for item in items):
        raise CorpusError(f"split ratios '{spec}': give all names (train=0.8,test=0.2) or none (0.8,0.2)")
    if len(items) not in _POSITIONAL_NAMES:
        raise CorpusError(f"split ratios '{spec}': give 1 to 3 numbers (train,validation,test) or name=ratio pairs")


def _ratio(name: object, value: object) -> float:
    """One split's ratio, checked: a number in [0, 1]."""
    try:
        ratio = float(value)  # type: ignore[arg-type]
    except ValueError:
        raise CorpusError(f"split ratio '{value}' for '{name}' is not a number") from None
    if not 0.0 <= ratio <= 1.0:
        raise CorpusError(f"split ratio {ratio} for '{name}' must be between 0 and 1")
    return ratio


def unit_interval(key: str) -> float:
    """A stable pseudo-random number in [0, 1) for ``key`` (same on every machine and Python version)."""
    digest = hashlib.sha256(f"{HASH_SALT}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _lookup(doc: dict, field: str):
    """``field`` may be dotted (``ingest.story``) to reach into nested metadata."""
    value: object = doc
    for part in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@dataclass
class SplitAssigner:
    """Assigns each document to a split from its group key."""

    ratios: dict[str, float]
    group_by: str | None = None

    def __post_init__(self) -> None:
        self.names = tuple(self.ratios)
        bounds, acc = [], 0.0
        for name in self.names:
            acc += self.ratios[name]
            bounds.append(acc)
        bounds[-1] = 1.0  # float sums may land just under 1
        self._bounds = bounds
        self.ungrouped = 0  # documents whose group field was empty (they are grouped by their own id)
        self.near_duplicates = 0  # documents placed with the earlier document they nearly repeat
        self._keys: dict[str, str] = {}  # doc id -> group key, only where it is not the doc's own id

    def group_key(self, doc: dict) -> str:
        original = _lookup(doc, "ingest.near_duplicate_of.id")
        if isinstance(original, str) and original != doc["id"]:
            key = self._keys.get(original, f"id={original}")
            self.near_duplicates += 1
        elif self.group_by and _lookup(doc, self.group_by) not in (None, "", [], {}):
            key = f"{self.group_by}={_lookup(doc, self.group_by)}"
        else:
            if self.group_by:
                self.ungrouped += 1
            key = f"id={doc['id']}"
        if key != f"id={doc['id']}":
            self._keys[doc["id"]] = key
        return key

    def split_of(self, doc: dict) -> str:
        x = unit_interval(self.group_key(doc))
        for name, bound in zip(self.names, self._bounds, strict=True):
            if x < bound:
                return name
        return self.names[-1]
