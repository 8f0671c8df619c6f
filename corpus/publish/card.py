"""The data card (README.md): Hub metadata in YAML plus the Hub's dataset card sections, filled from the data.

The card's fixed prose and the order of its sections are the template ``corpus/publish/data/card.md``;
``{{name}}`` and ``{{block:NAME}}`` placeholders in it take the dataset's name and the generated sections.
Every number in the card is counted from the rows that were written. Sections that depend on the data sit
between ``<!-- corpus:generated:begin NAME KEY -->`` and ``<!-- corpus:generated:end NAME KEY -->`` markers; when
a README already exists (in the output folder, or on the Hub at push time) :func:`merge_card` keeps its body and
replaces only the YAML keys we generate and the text between the markers. Remove a section's markers to take
it over by hand.

Values that come from the data (publishers, dates, annotator and labeller names, report strings, the dataset's
name) go through :func:`md`: HTML metacharacters become entities and Markdown punctuation is backslash-escaped,
so no value can open a tag, a comment, a link or a code span, start a heading, split a table cell, or write a
marker. ``KEY`` is a hash of the section's name and generated text: a pair is only recognised when begin and end
carry the same key, which text inside the section cannot know, so even a card corrupted by an older version
is repaired by the next publish (see :func:`generated_sections`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml
from huggingface_hub import DatasetCardData

from corpus import __version__
from corpus.document import CHECKWORTHY_OPTIONS, ENTITY_LABELS, SOURCE_KINDS
from corpus.errors import CorpusError
from corpus.publish.dataset import (
    BIO_NAMES,
    CLAIM_SOURCE_RULE,
    DEFAULT_CONFIG,
    PRELABEL_RULES,
    WAR_TERMS,
    SplitFiles,
    Stats,
)
from corpus.publish.features import ClassLabel, Feature, List, Value, configs_yaml, dataset_info_yaml
from corpus.publish.hub import check_repo_id
from corpus.publish.licences import STATUS_EXPLANATIONS, STATUSES
from corpus.publish.splits import HASH_SALT
from corpus.scoring import PRF, MatchRule

MARKER = "corpus:generated"
BEGIN = "<!-- corpus:generated:begin {} {} -->"
END = "<!-- corpus:generated:end {} {} -->"
# A begin marker with its key; a card written before keys existed has none (found the same way, see below).
_BEGIN = re.compile(r"<!-- corpus:generated:begin (\w+)(?: ([0-9a-f]{16}))? -->\n?")
# YAML keys the card generates; on merge these replace an existing card's values, other keys are kept.
GENERATED_KEYS = ("pretty_name", "language", "license", "license_name", "annotations_creators", "language_creators",
                  "multilinguality", "size_categories", "source_datasets", "task_categories", "task_ids", "tags",
                  "configs", "dataset_info")  # fmt: skip

ENTITY_DEFINITIONS = {
    "PERSON": 'People, including fictional characters. Names only: leave out titles and roles ("President").',
    "NORP": 'Nationalities, religious or political groups ("Ukrainian", "Republicans").',
    "FAC": "Facilities: buildings, airports, highways, bridges, power plants.",
    "ORG": "Organisations: companies, agencies, armed forces, institutions, media outlets.",
    "GPE": "Geo-political entities: countries, cities, states, regions with a government.",
    "LOC": 'Locations that are not GPEs: mountain ranges, bodies of water, regions ("Donbas" as a region).',
    "PRODUCT": "Objects, vehicles, weapons systems, foods (not services).",
    "EVENT": "Named events: battles, wars, summits, elections, storms, sports events.",
    "WORK_OF_ART": "Titles of books, songs, films, reports.",
    "LAW": "Named documents made into laws, treaties, resolutions.",
    "LANGUAGE": "Any named language.",
    "DATE": 'Absolute or relative dates or periods ("Tuesday", "last year", "the 1990s").',
    "TIME": 'Times smaller than a day ("this morning", "10 pm").',
    "PERCENT": 'Percentages, including the sign or word ("12%", "five per cent").',
    "MONEY": 'Monetary values, including the unit ("$200m", "5 billion euros").',
    "QUANTITY": 'Measurements of weight, distance, area, etc. ("30 km", "two tonnes").',
    "ORDINAL": 'Ordinals ("first", "24th").',
    "CARDINAL": 'Numerals that fall under no other type ("200 jobs": only "200").',
}
KIND_DEFINITIONS = {
    "named_person": 'a person identified by name ("Kaja Kallas", "Jane Doe, a spokeswoman,")',
    "named_organisation": 'a named organisation, government, agency or outlet ("the Ministry of Defence")',
    "unnamed_group": 'an unidentified collective ("Western officials", "analysts", "residents")',
    "anonymous": 'a single unidentified individual ("one senior official", "a military source")',
    "unnamed_person": 'one person described, not named ("the Berlin wine merchant", "a local teacher")',
    "unnamed_organisation": 'an organisation described, not named ("the company", "the ministry")',
}
_SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)


@dataclass
class CardInputs:
    stats: Stats
    configs: dict[str, dict[str, SplitFiles]]  # config -> split -> files (only non-empty ones)
    features: dict[str, dict[str, Feature]]
    licences: dict
    ratios: dict[str, float]
    group_by: str | None = None
    gold: bool = False
    quality: list[tuple[str, dict]] = field(default_factory=list)  # (file name, report)
    agreement: dict | None = None
    repo: str | None = None
    pretty_name: str | None = None
    language: str = "en"
    checkworthy_threshold: float = 0.5
    unannotated: int = 0
    not_in_documents: int = 0
    near_duplicates: int = 0
    folder: str = "dataset"
    prelabel_rules: dict[str, MatchRule] = field(default_factory=lambda: dict(PRELABEL_RULES))

    def __post_init__(self) -> None:
        if self.repo:  # written into the card's links and citation as is
            check_repo_id(self.repo)

    @property
    def name(self) -> str:
        if self.pretty_name:  # one plain line: it is also the YAML `pretty_name` and the BibTeX title
            return " ".join(_INVISIBLE.sub(" ", self.pretty_name).split())[:MAX_VALUE_CHARS] or "Dataset"
        if self.repo:
            return self.repo.split("/")[-1].replace("-", " ").replace("_", " ").strip().title()
        return "Annotated news articles: entities, claims and sources"

    @property
    def documents(self) -> int:
        return sum(self.stats.documents.values())


# --------------------------------------------------------------------------------------------- formatting
def _n(value: int | float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


class Md(str):
    """Markdown the card writes itself: inserted as is, where any other string is escaped with :func:`md`."""


# Characters that open Markdown syntax (CommonMark + GFM tables and strikethrough, HF math); escaped, they render
# as themselves. "(" and "!" are inert once "[" is escaped; "_" inside a word (NOT_CHECKWORTHY) opens nothing.
_MD_SPECIAL = re.compile(r"[\\`*\[\]#|~$]|(?<![^\W_])_|_(?![^\W_])")
# Line and paragraph breaks, C0/C1 controls, zero-width and bidi controls: a value stays on one visible line.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")
MAX_VALUE_CHARS = 200
_CODE_SAFE = re.compile(r"[\w.@:/+=-]{1,100}")


def md(value: Any) -> Md:
    """An input value as inert Markdown on one line: it renders as its own text and nothing else."""
    if isinstance(value, Md):
        return value
    text = " ".join(_INVISIBLE.sub(" ", str(value)).split())
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Md(_MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text))


def code(value: Any) -> Md:
    """``value`` as a code span when it is a plain identifier (``rules@1``), else as escaped text.

    Backslash escapes do not work inside code spans, so anything else is shown as ordinary text.
    """
    text = str(value)
    return Md(f"`{text}`") if _CODE_SAFE.fullmatch(text) else md(text)


def _py_string(value: str) -> str:
    """A Python string literal for a fenced code block: no character in it can end the fence or open HTML."""
    literal = json.dumps(value, ensure_ascii=True)
    return literal.replace("<", "\\u003c").replace(">", "\\u003e").replace("`", "\\u0060")


def _table(header: list[Any], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _n(value)
        return md(value).replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _feature_type(feature: Any) -> str:
    if isinstance(feature, ClassLabel):
        names = feature.names
        shown = ", ".join(names if len(names) <= 6 else [*names[:4], "…", names[-1]])
        return f"ClassLabel ({len(names)}: {shown})"
    if isinstance(feature, List):
        return f"list of {_feature_type(feature.feature)}"
    if isinstance(feature, dict):
        return "{" + ", ".join(f"{k}: {_feature_type(v)}" for k, v in feature.items()) + "}"
    if isinstance(feature, Value):
        return feature.dtype
    return type(feature).__name__


# pycountry's names of the commonest codes: its database costs ~12 MB and 0.05 s to load, at the dataset phase's end
# (tests/test_card_language.py checks every entry against pycountry)
COMMON_LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch"}


def _language_name(code: str) -> str:
    if code in COMMON_LANGUAGES:
        return COMMON_LANGUAGES[code]
    import pycountry

    lang = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return lang.name if lang is not None else code


def size_category(n: int) -> str:
    for bound, name in _SIZE_CATEGORIES:
        if n < bound:
            return name
    return "n>1T" if n > 10**12 else "1B<n<10B"


# --------------------------------------------------------------------------------------------- JSON reports
def numeric_tables(data: Any, skip: tuple[str, ...] = ("examples", "seconds")) -> list[tuple[str, list[str], list]]:
    """Render any JSON report as tables: each object holding numbers becomes a row, grouped by its parent path.

    A list of objects gives one row per object, named by its short string fields ("alice, bob",
    "rules@1, entities"). Booleans, strings and keys in ``skip`` are not measurements and are left out.
    """
    rows: list[tuple[tuple[str, ...], str, dict[str, float | int]]] = []

    def is_number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            numbers = {k: v for k, v in node.items() if is_number(v) and k not in skip}
            if numbers:
                rows.append((path[:-1], path[-1] if path else "all", numbers))
            for key, value in node.items():
                if key in skip:
                    continue
                if isinstance(value, dict):
                    walk(value, (*path, str(key)))
                elif isinstance(value, list) and 0 < len(value) <= 100 and all(isinstance(v, dict) for v in value):
                    for item in value:
                        label = (
                            ", ".join(
                                str(v) for k, v in item.items() if isinstance(v, str) and len(v) <= 40 and k != "text"
                            )
                            or "item"
                        )
                        walk(item, (*path, str(key), label))

    walk(data, ())
    tables: dict[tuple[str, ...], tuple[list[str], list[list]]] = {}
    for parent, label, numbers in rows:
        header, body = tables.setdefault(parent, ([], []))
        for key in numbers:
            if key not in header:
                header.append(key)
        body.append([label, numbers])
    out = []
    for parent, (header, body) in tables.items():
        table_rows = [[label, *[numbers.get(k, "–") for k in header]] for label, numbers in body]
        out.append((" / ".join(parent) or "overall", header, table_rows))
    return out


def _report_context(report: dict) -> list[str]:
    """The report's short string entries and its dicts of strings (settings, rules), one line each."""
    context = [f"{md(k)}: {md(v)}" for k, v in report.items() if isinstance(v, str) and len(v) < 200]
    context += [
        f"{md(k)}: " + ", ".join(f"{md(a)}={md(b)}" for a, b in v.items())
        for k, v in report.items()
        if isinstance(v, dict) and v and all(isinstance(b, str) for b in v.values())
    ]
    return context


def _render_report(report: dict) -> str:
    parts = []
    context = _report_context(report)
    if context:
        parts.append("\n".join(f"- {line}" for line in context))
    for title, header, rows in numeric_tables(report):
        parts.append(f"**{md(title)}**\n\n" + _table(["", *header], rows))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------------------------- YAML
def card_data(inp: CardInputs) -> DatasetCardData:
    """The card's YAML metadata, as the Hub expects it."""
    data: dict[str, Any] = {"pretty_name": inp.name, "language": [inp.language]} | _licence_yaml(inp)
    data |= {
        "annotations_creators": ["expert-generated"] if inp.gold else ["machine-generated"],
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "size_categories": [size_category(max(sum(f.rows for f in s.values()) for s in inp.configs.values()))],
        "source_datasets": ["original"],
    }
    data |= _tasks_yaml(inp)
    data["tags"] = [
        "news",
        "named-entity-recognition",
        "ontonotes",
        "check-worthiness",
        "claim-detection",
        "source-attribution",
        "quotation-attribution",
        "journalism",
    ]
    card = DatasetCardData(**data)
    # The `configs` and `dataset_info` entries as `datasets` writes them (MetadataConfigs, DatasetInfosDict).
    card["configs"] = configs_yaml(
        {
            name: ({"default": True} if name == DEFAULT_CONFIG else {}) | {"data_files": _data_files(name, splits)}
            for name, splits in inp.configs.items()
        }
    )
    infos = dataset_info_yaml(inp.features, inp.configs)
    card["dataset_info"] = infos[0] if len(infos) == 1 else infos
    return card


def _licence_yaml(inp: CardInputs) -> dict[str, Any]:
    """``license`` (one id, or the list most articles first) and, with per-article licences, ``license_name``."""
    ids = [i for i in _licence_ids(inp)]
    data: dict[str, Any] = {"license": ids[0] if len(ids) == 1 else ids}
    if "other" in ids:
        data["license_name"] = "per-article-licences"
    return data


def _tasks_yaml(inp: CardInputs) -> dict[str, Any]:
    """``task_categories`` and ``task_ids`` of the configs in this build."""
    task_categories, task_ids = [], []
    if "entities" in inp.configs:
        task_categories.append("token-classification")
        task_ids.append("named-entity-recognition")
    if "claims" in inp.configs:
        task_categories.append("text-classification")
        task_ids.append("fact-checking")
    data: dict[str, Any] = {"task_categories": task_categories or ["text-classification"]}
    if task_ids:
        data["task_ids"] = task_ids
    return data


def _data_files(name: str, splits) -> list[dict]:
    return [{"split": split, "path": f"{name}/{split}-*.parquet"} for split in splits]


def _licence_ids(inp: CardInputs) -> list[str]:
    counts: Counter = Counter()
    for row in inp.licences["by_licence"]:
        counts[row["hub_id"]] += row["articles"]
    return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))] or ["unknown"]


# --------------------------------------------------------------------------------------------- sections
def _block(name: str, text: str) -> str:
    # Belt and braces: values are escaped already, but nothing inside a section may ever spell a marker.
    body = text.strip().replace(MARKER, "corpus&#58;generated")
    key = hashlib.sha256(f"{name}\n{body}".encode()).hexdigest()[:16]
    return f"{BEGIN.format(name, key)}\n{body}\n{END.format(name, key)}"


def _summary(inp: CardInputs) -> str:
    st = inp.stats
    rows = {name: sum(f.rows for f in splits.values()) for name, splits in inp.configs.items()}
    how = (
        "annotated by people (merged gold annotations) with the machine pre-labels kept beside them"
        if inp.gold
        else "pre-labelled by machine (not yet reviewed by people)"
    )
    return (
        f"{_n(inp.documents)} news articles ({_n(sum(st.characters.values()))} characters, "
        f"{_n(sum(st.tokens.values()))} tokens) in {md(_language_name(inp.language))}, {how}: "
        f"{_n(sum(sum(c.values()) for c in st.entity_labels.values()))} named entities (OntoNotes types) over "
        f"{_n(rows.get('entities', 0))} sentences, {_n(rows.get('claims', 0))} claims with a check-worthiness "
        f"label, and {_n(rows.get('sources', 0))} attributions (who said what: source, cue, content). "
        "Four configs share stable string ids: `documents` (default), `entities`, `claims`, `sources`.\n\n"
        "```python\nfrom datasets import load_dataset\n\n"
        + (
            f'docs = load_dataset({_py_string(inp.repo)}, "documents")\n'
            f'ner = load_dataset({_py_string(inp.repo)}, "entities")\n'
            if inp.repo
            else f'docs = load_dataset({_py_string(inp.folder)}, "documents")  # the folder holding this card\n'
            f'ner = load_dataset({_py_string(inp.folder)}, "entities")\n'
        )
        + "```"
    )


def _description(inp: CardInputs) -> str:
    mix = inp.licences["by_status"]
    lines = [
        "This dataset turns news articles into training and evaluation data for three tasks that fact-checkers "
        "and media researchers need together: finding named entities, finding claims worth checking, and "
        "finding who is quoted or cited for what (attribution).",
        "",
    ]
    if inp.repo:
        lines.append(f"- **Curated by:** {md(inp.repo.split('/')[0])}")
    lines += [
        f"- **Language(s) (NLP):** {md(inp.language)}",
        "- **License:** each article keeps its own licence (column `licence` of the `documents` config): "
        + ", ".join(f"{_n(mix[s])} {s.replace('_', '-')}" for s in STATUSES if mix[s])
        + ". See *Who are the source data producers?* for the mix.",
    ]
    return "\n".join(lines)


def _sources_section(inp: CardInputs) -> str:
    lines = []
    if inp.repo:
        lines.append(f"- **Repository:** https://huggingface.co/datasets/{inp.repo}")
    lines.append(
        f"- **Built with:** `corpus` {__version__} (`corpus publish`), from {_n(inp.documents)} "
        f"articles of {_n(len(inp.stats.publishers))} publishers"
    )
    return "\n".join(lines)


FIELD_DOCS = {
    "documents": {
        "id": "document id (first 16 hex digits of the SHA-256 of the normalised text); joins `doc_id` elsewhere",
        "title": "headline, when the source had one",
        "text": "normalised article text; every offset points into it",
        "source_url": "where the article was published",
        "publisher": "publishing outlet",
        "published": "publication date as given by the source (ISO 8601 when known)",
        "licence": "the article's licence as recorded at ingest",
        "licence_status": "licence gate classification",
        "origin": "input file (and line) the article came from",
        "paragraphs": "paragraph offsets",
        "sentences": "sentence offsets (NLTK Punkt with the project's abbreviation list)",
        "labellers": "pre-labeller `name@version` per layer",
        "prelabel_spans": "every machine pre-label span (all layers), for comparison with the gold",
        "prelabel_relations": "the pre-label relations (ids as in `prelabel_spans`)",
    },
    "entities": {
        "id": "`{doc_id}:sent{n}`",
        "doc_id": "joins `documents.id`",
        "sentence": "sentence index in the document",
        "start": "sentence start offset",
        "end": "sentence end offset",
        "text": "the sentence text",
        "tokens": "the sentence's tokens",
        "token_starts": "token start offsets",
        "token_ends": "token end offsets",
        "ner_tags": "BIO tag per token",
        "spans": "entity spans starting in this sentence (ids `{doc_id}:E{n}`), nested ones included; "
        "`tokens[token_start:token_end]` covers the span",
        "prelabel_ner_tags": "BIO tags of the machine pre-labels",
        "prelabel_spans": "machine pre-label spans",
    },
    "claims": {
        "id": "`{doc_id}:C{n}`",
        "doc_id": "joins `documents.id`",
        "text": "claim text",
        "start": "start offset",
        "end": "end offset",
        "checkworthy": "check-worthiness label: 1 `CHECKWORTHY`, 0 `NOT_CHECKWORTHY`, -1 none given",
        "score": "pre-labeller's check-worthiness score in [0, 1] (gold: share of annotators who marked the span)",
        "source_ids": "`sources.id` of the attributions whose content contains the claim",
        "entity_ids": "entity span ids inside the claim (see `entities.spans.id`)",
        "evidence": "what drove the pre-labeller's score (numbers, entities, factual verbs, hedges…)",
        "labeller": "who made the span (`name@version`, or `gold@policy`)",
        "prelabel_id": "matching pre-label claim ({claims_rule}), if any",
        "prelabel_checkworthy": "the pre-label's check-worthiness (1 `CHECKWORTHY`, 0 `NOT_CHECKWORTHY`, -1 none)",
        "prelabel_score": "the pre-label's score",
    },
    "sources": {
        "id": "`{doc_id}:{first CONTENT span id}`",
        "doc_id": "joins `documents.id`",
        "source": "SOURCE fragments (empty when the source is not stated)",
        "cue": "CUE fragments",
        "content": 'CONTENT fragments (a quote interrupted by "she said" has two)',
        "source_kind": "kind of source (-1: unknown)",
        "correspondent": "the article's own reporter is the source",
        "claim_ids": "`claims.id` of the claims inside the content",
        "labeller": "who made the content span",
        "prelabel_id": "matching pre-label attribution ({sources_rule} on the content extent), if any",
        "prelabel_source": "its SOURCE fragments",
        "prelabel_cue": "its CUE fragments",
        "prelabel_content": "its CONTENT fragments",
        "prelabel_source_kind": "its source kind",
    },
}
CONFIG_UNITS = {
    "documents": "one row per article",
    "entities": "one row per sentence (the usual unit for token classification)",
    "claims": "one row per claim span",
    "sources": "one row per attribution (a CONTENT span with its SOURCE and CUE spans)",
}


def _structure(inp: CardInputs) -> str:
    splits = [s for s in inp.ratios if inp.stats.documents[s]]
    parts = [
        "All offsets (`start`, `end`, `token_starts`, `token_ends`, span offsets) are **Python code-point "
        "offsets, half-open, into the `text` of the article in the `documents` config**: "
        "`documents.text[start:end] == text` for every span (not UTF-8 bytes, not UTF-16 units). Token ranges "
        "inside a row are half-open too. Every row carries a stable string `id`; `doc_id` joins `documents.id`, "
        "`claims.source_ids` joins `sources.id`, `sources.claim_ids` joins `claims.id`, and span ids have the "
        "form `{doc_id}:{span id}`.",
    ]
    parts += _configs_part(inp, splits) + _splits_part(inp, splits) + _label_counts_part(inp, splits)
    return "\n".join(parts)


def _field_doc(inp: CardInputs, config: str, name: str) -> str:
    """A column's meaning; the ``prelabel_id`` ones name the build's matching rule."""
    doc = FIELD_DOCS[config].get(name, "")
    if name != "prelabel_id":
        return doc
    return doc.format(**{f"{layer}_rule": f"`{r}`: {r.describe()}" for layer, r in inp.prelabel_rules.items()})


def _config_counts_row(inp: CardInputs, name: str, splits: list[str]) -> list:
    """A config's unit, rows per split (0 when the split has none) and total."""
    files = inp.configs[name]
    return [
        name,
        CONFIG_UNITS[name],
        *[files[s].rows if s in files else 0 for s in splits],
        sum(f.rows for f in files.values()),
    ]


def _configs_part(inp: CardInputs, splits: list[str]) -> list[str]:
    parts = [
        "",
        "### Configs",
        "",
        _table(["config", "unit", *splits, "total"], [_config_counts_row(inp, name, splits) for name in inp.configs]),
    ]
    parts += _left_out_notes(inp, splits)
    for name in inp.configs:
        feats = inp.features[name]
        parts += [
            "",
            f"#### `{name}`",
            "",
            _table(
                ["field", "type", "meaning"],
                [[code(k), _feature_type(v), Md(_field_doc(inp, name, k))] for k, v in feats.items()],
            ),
        ]
    return parts


def _left_out_notes(inp: CardInputs, splits: list[str]) -> list[str]:
    """Notes on the configs and the splits of a config that have no rows, so are not in the dataset."""
    parts: list[str] = []
    missing = [name for name in FIELD_DOCS if name not in inp.configs]
    if missing:
        parts += ["", "Left out because they have no rows in this build: " + ", ".join(f"`{m}`" for m in missing) + "."]
    empty = [(name, s) for name in inp.configs for s in splits if s not in inp.configs[name]]
    if empty:
        parts += [
            "",
            "Splits without rows are left out of a config (`datasets` cannot load an empty split): "
            + ", ".join(f"`{n}`/`{s}`" for n, s in empty)
            + ".",
        ]
    return parts


def _splits_part(inp: CardInputs, splits: list[str]) -> list[str]:
    st = inp.stats
    ratio_text = ", ".join(f"{s} {r:g}" for s, r in inp.ratios.items())
    grouping = (
        f"the value of the document field {code(inp.group_by)} (documents without it: their own id)"
        if inp.group_by
        else "the document id"
    )
    parts = [
        "",
        "### Splits",
        "",
        f"Splits are by document, never by sentence: every row of an article is in the article's split. A "
        f"document's split comes from the SHA-256 of {grouping} (salt `{HASH_SALT}`) mapped to [0, 1) and cut at "
        f"the ratios ({ratio_text}); a near duplicate flagged at ingest goes with the article it repeats. "
        "The split of an article depends on nothing else, so it never changes when articles are added. "
        "With few documents or groups the realised shares differ from the ratios:",
        "",
        _table(
            ["split", "documents", "share", "characters", "tokens"],
            [
                [s, st.documents[s], _pct(st.documents[s], inp.documents), st.characters[s], st.tokens[s]]
                for s in splits
            ],
        ),
    ]
    if inp.near_duplicates:
        parts += ["", f"{_n(inp.near_duplicates)} near-duplicate articles were placed with the article they repeat."]
    return parts


def _count_table(first: str, names: list[str], per_split: dict, splits: list[str], none: str) -> str:
    """Counts per name and split with a total column; names with no count are left out."""
    rows = [[name, *[per_split.get(s, Counter())[name] for s in splits]] for name in names]
    rows = [[*row, sum(row[1:])] for row in rows]
    rows = [row for row in rows if row[-1]]
    return _table([first, *splits, "total"], rows) if rows else none


def _label_counts_part(inp: CardInputs, splits: list[str]) -> list[str]:
    st = inp.stats
    parts = [
        "",
        "### Label counts",
        "",
        "Entity spans per type and split (`entities.spans`; BIO tags in "
        "`ner_tags` over "
        f"{len(BIO_NAMES)} classes: `O` and `B-`/`I-` for each type):",
        "",
        _count_table("type", list(ENTITY_LABELS), st.entity_labels, splits, "No entity spans in this build."),
        "",
        "Claims per check-worthiness label and split:",
        "",
        _count_table(
            "checkworthy", [*CHECKWORTHY_OPTIONS, "unlabelled"], st.checkworthy, splits, "No claims in this build."
        ),
        *_checkworthy_rule_part(inp),
        "",
        "Attributions per source kind and split:",
        "",
        _count_table(
            "source kind", [*SOURCE_KINDS, "unknown"], st.source_kinds, splits, "No attributions in this build."
        ),
    ]
    n_claims = sum(f.rows for f in inp.configs.get("claims", {}).values())
    if n_claims:
        parts += [
            "",
            f"{_n(st.claims_linked)} of {_n(n_claims)} claims ({_pct(st.claims_linked, n_claims)}) lie "
            f"inside an attribution's content ({CLAIM_SOURCE_RULE.describe()}) and link to it; "
            f"{_n(st.correspondent)} attributions have the correspondent as source.",
        ]
    return parts


def _score_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _checkworthy_rule_part(inp: CardInputs) -> list[str]:
    """What "check-worthy" means in this build's data: who decided each claim's label, and by which rule."""
    rules = inp.stats.checkworthy_rules
    if not rules:
        return []
    threshold = f"{inp.checkworthy_threshold:g}"
    return [
        "",
        "The `checkworthy` label (a `ClassLabel` with the positive class at 1: 0 `NOT_CHECKWORTHY`, "
        "1 `CHECKWORTHY`, -1 none) is the decision recorded on the claim span (`attrs.checkworthy`) by its "
        "labeller or, in a gold build, by the annotators. The rules pre-labeller records `CHECKWORTHY` when its "
        "score reaches its own threshold, the one fitted with its weights (`--backend claims=rules:threshold=…` "
        f"changes it), not {threshold}. Only a claim without a recorded decision is labelled here from its score: "
        f"`CHECKWORTHY` when the score is ≥ {threshold} (the build's `checkworthy_threshold`). Per labeller, how "
        "the labels were decided and the scores where recorded decisions change (the labeller's threshold lies "
        "between them):",
        "",
        _table(
            [
                "labeller",
                "recorded decision",
                f"score ≥ {threshold}",
                "unlabelled",
                "lowest CHECKWORTHY score",
                "highest NOT_CHECKWORTHY score",
            ],  # fmt: skip
            [
                [code(name), r.recorded, r.by_score, r.unlabelled, _score_text(r.lowest_yes), _score_text(r.highest_no)]
                for name, r in sorted(rules.items())
            ],
        ),
    ]


def _collection(inp: CardInputs) -> str:
    st = inp.stats
    stripped = sum(st.stripped.values())
    lines = [
        "Articles were read from text, Markdown, JSON Lines or HTML (article text extracted with trafilatura), "
        "normalised to Unicode NFC with `\\n` newlines and without stray control characters, and stripped of "
        "page boilerplate lines (a data-driven rule list). Exact duplicates (same normalised text, hence the same "
        f"id) were dropped; {_n(inp.near_duplicates)} near duplicates flagged at ingest (MinHash) were kept in the "
        "split of the article they repeat. Text was then segmented into paragraphs (blank lines), sentences "
        "(NLTK Punkt with the project's abbreviation list, never crossing a paragraph) and tokens (rule "
        'tokenizer: clitics such as "’s" and hyphens split, grapheme clusters kept whole, tokens never cross a '
        "sentence).",
        "",
        f"- Boilerplate lines stripped: {_n(stripped)}"
        + (
            " ("
            + ", ".join(
                f"{md(rule)}: {_n(n)}" for rule, n in sorted(st.stripped.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            )
            + ")"
            if stripped
            else ""
        ),
        f"- Documents segmented at publish time (they had no tokens): {_n(st.segmented_now)}",
        f"- Repeated document ids skipped at publish time: {_n(st.duplicates)}",
    ]
    if inp.gold:
        lines.append(f"- Documents without gold annotations, left out: {_n(inp.unannotated)}")
        lines.append(f"- Gold documents not found in the pre-labelled documents file: {_n(inp.not_in_documents)}")
    return "\n".join(lines)


def _producers(inp: CardInputs) -> str:
    st = inp.stats
    n = inp.documents
    lines = [
        "The articles were written and published by the news outlets below (journalists and editors); "
        "`corpus` did not change their wording beyond the normalisation described above.",
        "",
    ]
    if st.publishers:
        top = sorted(st.publishers.items(), key=lambda kv: (-kv[1], kv[0]))
        rows = [[p, c, _pct(c, n)] for p, c in top[:15]]
        rest = sum(c for _p, c in top[15:])
        if rest:
            rows.append([f"{len(top) - 15} other publishers", rest, _pct(rest, n)])
        unknown = n - sum(st.publishers.values())
        if unknown:
            rows.append(["(publisher not recorded)", unknown, _pct(unknown, n)])
        lines.append(_table(["publisher", "articles", "share"], rows))
    else:
        lines.append("No article records its publisher.")
    if st.published_min:
        lines += ["", f"Publication dates range from {md(st.published_min)} to {md(st.published_max)}."]
    lines += [
        "",
        "#### Licences",
        "",
        "Each article keeps its licence; the licence gate of `corpus publish` "
        "classifies it (a push to the Hub is refused unless every article is redistributable, or the "
        "publisher overrides the check with `--allow-unknown-licence`):",
        "",
        _table(
            ["licence", "status", "articles", "share"],
            [
                [r["licence"], r["status"].replace("_", "-"), r["articles"], _pct(r["articles"], n)]
                for r in inp.licences["by_licence"]
            ],
        ),
        "",
        _table(
            ["status", "meaning", "articles"],
            [[s.replace("_", "-"), STATUS_EXPLANATIONS[s], inp.licences["by_status"][s]] for s in STATUSES],
        ),
    ]
    return "\n".join(lines)


def _guidelines(inp: CardInputs) -> str:
    ent_rows = [[code(lab), Md(ENTITY_DEFINITIONS[lab])] for lab in ENTITY_LABELS]
    return "\n".join(
        [
            "These are the instructions annotators follow; the pre-labellers aim at the same conventions.",
            "",
            "**Entities** (OntoNotes 5.0 types; layer `entities`). Mark every mention of a named entity or a "
            'numeric expression of the types below. Mark the whole name and nothing else: no determiner ("the") '
            'unless part of the name, no possessive "’s" (it is its own token), no title or role ("Defence '
            'Minister" stays outside a PERSON). Spans sit on token boundaries and do not cross sentences. One '
            'label per span; when names nest ("the University of Kyiv"), mark the outermost name only.',
            "",
            _table(["label", "definition"], ent_rows),
            "",
            "**Claims** (layer `claims`, label `CLAIM`). A claim is a sentence or clause that asserts something "
            "about the world. Decide for each claim:",
            "",
            "- `CHECKWORTHY`: a factual assertion that could be verified against evidence and that the public would "
            "care about: numbers and quantities (casualties, money, percentages), events said to have happened or "
            "not, named people or organisations doing or saying something, comparisons and causal statements "
            '("X caused Y", "the highest since 2014").',
            "- `NOT_CHECKWORTHY`: opinions and value judgements, predictions and plans, questions, hedged "
            'speculation ("may", "could"), common knowledge, and statements that cannot be verified.',
            "",
            "The pre-labeller's `score` is its confidence that a claim is check-worthy; how each claim's "
            "`checkworthy` label was decided is stated under *Label counts*.",
            "",
            "**Sources** (layer `sources`; PolNeAR conventions). For every statement the article attributes to "
            "someone, mark three roles and link them:",
            "",
            '- `SOURCE`: who the statement is attributed to, as written: a name ("Kaja Kallas"), a description '
            '("Western officials", "one senior official, briefed on the talks," — appositions stay inside), or a '
            'pronoun. Leave it out when the text does not say who ("it was reported that …").',
            '- `CUE`: the words that signal the attribution: the reporting verb group with its auxiliaries ("has '
            'stated", "was quoted as saying", "told"), "according to", or an internal-state verb ("believes", '
            '"warned"). An addressee ("this correspondent") belongs to no role.',
            "- `CONTENT`: what is attributed: the quote with its quotation marks, or the reported clause from "
            '"that" to its end without the final full stop. A quote interrupted by "she said" is two CONTENT '
            "fragments of one attribution.",
            "- Relations: `ATTRIBUTION` from SOURCE to CONTENT, `CUE` from CUE to CONTENT.",
            "- Source kind: " + "; ".join(f"`{k}` — {v}" for k, v in KIND_DEFINITIONS.items()) + ".",
            '- `correspondent`: the article\'s own reporter is the source ("this correspondent has seen …").',
        ]
    )


def _agreement_rule(agreement: dict) -> str:
    """Which matching rule the agreement report used, in words (reports written before rules were named: none)."""
    if not isinstance(agreement.get("match"), str):
        return ""
    try:
        rule = MatchRule.parse(agreement["match"])
    except CorpusError:
        return ""
    return f", spans matched under the rule `{rule}` ({rule.describe()})"


def _prf_cells(counts: PRF) -> list[float | int]:
    return [round(counts.precision, 4), round(counts.recall, 4), round(counts.f1, 4), counts.predicted, counts.gold]


def _annotation(inp: CardInputs) -> str:
    lines = [_annotation_intro(inp)]
    lines += ["", "Pre-labellers (layer, `name@version`, documents):", "", _labellers_table(inp.stats)]
    if inp.gold and inp.stats.prelabel_quality:
        lines += _build_quality_part(inp)
    lines += _eval_quality_part(inp)
    lines += _agreement_part(inp)
    return "\n".join(lines)


def _annotation_intro(inp: CardInputs) -> str:
    """Where the annotations come from: gold merged from annotators, or machine pre-labels only."""
    st = inp.stats
    if inp.gold:
        policies = ", ".join(code(p) for p in sorted(st.policies)) or "not recorded"
        return (
            "Pre-labels were produced by machine, turned into annotation tasks (Prodigy, Label Studio or doccano), "
            "corrected by annotators and merged into gold annotations "
            f"(merge policy: {policies}). The dataset's spans, labels and relations are the gold; the pre-labels "
            "are kept in `prelabel_*` columns for comparison."
        )
    return (
        "All annotations in this build are machine pre-labels, produced offline (no model downloads) by the "
        "labellers below; nobody has reviewed them yet. They are meant as a starting point for annotators and "
        "as silver training data."
    )


def _labellers_table(st: Stats) -> str:
    rows = [
        [layer, code(name), n]
        for layer in sorted(st.labellers)
        for name, n in sorted(st.labellers[layer].items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return _table(["layer", "labeller", "documents"], rows) if rows else "No labeller is recorded."


def _build_quality_part(inp: CardInputs) -> list[str]:
    """Gold builds: how the pre-labels kept in the records match the gold, measured while building."""
    st = inp.stats
    return [
        "",
        "#### Pre-label quality against this dataset's gold",
        "",
        "Measured while building: each pre-label is matched one-to-one to a gold span of the same label "
        "under the layer's matching rule (`corpus.scoring`): "
        + "; ".join(f"{layer} `{rule}` ({rule.describe()})" for layer, rule in inp.prelabel_rules.items())
        + ".",
        "",
        _table(
            ["layer", "rule", "precision", "recall", "F1", "pre-labels", "gold"],
            [
                [layer, Md(f"`{inp.prelabel_rules[layer.split()[0]]}`"), *_prf_cells(pr)]
                for layer, pr in sorted(st.prelabel_quality.items())
            ],
        ),
    ]


def _eval_quality_part(inp: CardInputs) -> list[str]:
    """The `corpus eval` reports supplied with the build, or (pre-label builds) a note that there is none."""
    lines: list[str] = []
    if inp.quality:
        lines += [
            "",
            "#### Measured pre-label quality (`corpus eval`)",
            "",
            "Scores of the pre-labellers on gold-annotated evaluation sets, from `corpus eval --json`:",
        ]
        for name, report in inp.quality:
            lines += ["", f"From {code(name)}:", "", _render_report(report)]
    elif not inp.gold:
        lines += [
            "",
            "No measured quality report was supplied with this build (`corpus publish --quality "
            "report.json`, from `corpus eval --json`); treat the pre-labels as unverified.",
        ]
    return lines


def _agreement_part(inp: CardInputs) -> list[str]:
    lines: list[str] = []
    if inp.agreement:
        lines += [
            "",
            "#### Inter-annotator agreement and pre-label acceptance",
            "",
            "From the annotation round (`corpus annotations`): pairwise span F1 per layer, Cohen's kappa / "
            "Krippendorff's alpha for check-worthiness, and how many pre-labels annotators accepted"
            + _agreement_rule(inp.agreement)
            + ".",
            "",
            _render_report(inp.agreement),
        ]
    elif inp.gold:
        lines += ["", "No agreement report was supplied with this build (`--agreement agreement.json`)."]
    return lines


def _annotators(inp: CardInputs) -> str:
    st = inp.stats
    if inp.gold:
        if st.annotators:
            return (
                f"{_n(len(st.annotators))} annotators contributed to the gold documents "
                "(identified by their annotation-tool ids; no demographic information was collected): "
                + ", ".join(
                    f"{md(a)} ({_n(n)} documents)"
                    for a, n in sorted(st.annotators.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
                )
                + "."
            )
        return "The gold records do not name their annotators; no demographic information was collected."
    return (
        "No person annotated this build: every span comes from the rule-based or statistical pre-labellers "
        "listed above."
    )


def _personal(inp: CardInputs) -> str:
    st = inp.stats
    kinds = Counter()
    for counts in st.source_kinds.values():
        kinds.update(counts)
    n = inp.documents
    return "\n".join(
        [
            "The articles are published journalism and name real people. The dataset does not separate public "
            "figures from private persons (witnesses, victims, relatives, residents quoted by name):",
            "",
            f"- {_n(st.person_mentions)} PERSON entity mentions, {_n(len(st.person_names))} distinct name strings.",
            f"- {_n(kinds['named_person'])} attributions to a named person, {_n(kinds['anonymous'])} to an "
            f"anonymous individual and {_n(kinds['unnamed_group'])} to an unnamed group: anonymous sources were "
            "protected by the publisher; do not try to identify them.",
            f"- {_n(st.war_documents)} of {_n(n)} articles ({_pct(st.war_documents, n)}) contain war or violence "
            "vocabulary (" + ", ".join(WAR_TERMS[:8]) + ", …): war reporting can describe death, injury and "
            "military operations, and names people in danger.",
            "",
            "Nothing was anonymised: the text is as published. Requests to remove an article or a name go to the "
            "dataset's maintainers (see Dataset Card Contact); removed articles leave the dataset and the others "
            "keep their splits.",
        ]
    )


def _limitations(inp: CardInputs) -> str:
    st = inp.stats
    n = inp.documents
    lines = []
    if st.publishers:
        pub, count = sorted(st.publishers.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        lines.append(
            f"- **Coverage.** {_n(len(st.publishers))} publishers; the largest, {md(pub)}, wrote "
            f"{_pct(count, n)} of the articles"
            + (f", published {md(st.published_min)} to {md(st.published_max)}" if st.published_min else "")
            + ". Topics, regions and viewpoints follow these outlets' editorial choices; a model trained "
            "here learns their style and their framing of events."
        )
    else:
        lines.append(
            "- **Coverage.** Publishers are not recorded; topics and viewpoints follow the outlets the "
            "articles were taken from."
        )
    lines.append(
        f"- **Language.** Only {md(_language_name(inp.language))} text ({code(inp.language)}); names "
        "transliterated from other scripts are spelled as each publisher spells them."
    )
    if not inp.gold:
        lines.append(
            "- **Machine labels.** Every label is a pre-label: expect missed and wrong entities, "
            "attributions and check-worthiness decisions (see *Annotation process* for measured "
            "quality). Do not report results on these labels as if they were human gold."
        )
    lines.append(
        f"- **BIO flattening.** {_n(st.entities_not_in_bio)} nested or overlapping entity spans are in "
        f"`spans` but not in `ner_tags`; {_n(st.entities_crossing)} cross a sentence boundary (their BIO "
        f"tags and token range stop at the sentence end); {_n(st.entities_unplaced)} cover no token of a "
        f"sentence and appear only in the counts; {_n(st.entities_snapped)} were widened to whole tokens."
    )
    lines.append(
        f"- **Attributions.** {_n(st.orphan_source_spans)} SOURCE or CUE spans not related to any "
        "CONTENT are not in the `sources` config. Source kinds come from the labeller's attributes; "
        "`-1` means none was given."
    )
    if st.spans_dropped:
        lines.append(
            f"- **Dropped spans.** {_n(st.spans_dropped)} spans with offsets outside the text, text "
            "that does not match the offsets, or labels outside the label set were left out."
        )
    lines.append(
        "- **Splits.** Splits are by document (or group) hash, so label shares differ between splits, "
        "and the smaller splits of a small corpus are noisy estimates."
    )
    return "\n".join(lines)


def _bibtex(value: str) -> str:
    """A BibTeX field value inside a fenced block: no braces or backslashes (they would end the field), no
    backticks or angle brackets (they could end the fence or open HTML), one line."""
    return " ".join(re.sub(r"[{}\\`<>]", " ", _INVISIBLE.sub(" ", value)).split())[:MAX_VALUE_CHARS]


def _citation(inp: CardInputs) -> str:
    author = inp.repo.split("/")[0] if inp.repo else "The corpus contributors"
    key = re.sub(r"\W+", "_", (inp.repo or inp.name).lower()).strip("_")
    where = f"https://huggingface.co/datasets/{inp.repo}" if inp.repo else None
    bib = [
        "@misc{" + key + ",",
        f"  title        = {{{_bibtex(inp.name)}}},",
        f"  author       = {{{_bibtex(author)}}},",
    ]
    if where:
        bib.append(f"  howpublished = {{\\url{{{where}}}}},")
    bib.append(
        f"  note         = {{{_n(inp.documents)} news articles annotated with entities, claims and "
        f"sources; built with corpus {__version__}}}"
    )
    bib.append("}")
    apa = f"{md(author)}. *{md(inp.name)}* [Data set]." + (f" Hugging Face. {where}" if where else "")
    return "**BibTeX:**\n\n```bibtex\n" + "\n".join(bib) + "\n```\n\n**APA:**\n\n" + apa


def _more(inp: CardInputs) -> str:
    lines = [
        f"- Built by `corpus publish` ({__version__}) with split ratios "
        + ", ".join(f"{s}={r:g}" for s, r in inp.ratios.items())
        + (f", grouped by {code(inp.group_by)}" if inp.group_by else "")
        + f", score threshold {inp.checkworthy_threshold:g} for claims without a recorded check-worthiness decision"
        + (", from gold annotations" if inp.gold else ", from machine pre-labels")
        + ".",
        "- Parquet files carry the `datasets` features in their schema metadata and the YAML above "
        "declares them, so `ClassLabel` names survive any reader; `load_dataset` works offline on the "
        "folder.",
    ]
    return "\n".join(lines)


def _contact(inp: CardInputs) -> str:
    if inp.repo:
        return (
            f"Open a discussion at https://huggingface.co/datasets/{inp.repo}/discussions "
            f"(maintainers: {md(inp.repo.split('/')[0])})."
        )
    return (
        "This folder was built without a Hub repository: questions and removal requests go to whoever shared "
        "it with you. When the folder is pushed with `corpus publish --repo`, this section names the "
        "repository's discussions page."
    )


def _authors(inp: CardInputs) -> str:
    who = f" for {md(inp.repo.split('/')[0])}" if inp.repo else ""
    return f"Generated by `corpus publish` {__version__}{who} from the data it describes."


# The card's fixed prose and section order live in the template (data/card.md): ``{{name}}`` is the dataset's
# name, ``{{block:NAME}}`` the generated section NAME (between its markers), written by SECTIONS[NAME].
SECTIONS: dict[str, Callable[[CardInputs], str]] = {
    "summary": _summary,
    "description": _description,
    "sources": _sources_section,
    "structure": _structure,
    "collection": _collection,
    "producers": _producers,
    "guidelines": _guidelines,
    "annotation": _annotation,
    "annotators": _annotators,
    "personal": _personal,
    "limitations": _limitations,
    "citation": _citation,
    "more": _more,
    "authors": _authors,
    "contact": _contact,
}
_PLACEHOLDER = re.compile(r"\{\{(name|block:(\w+))\}\}")


def card_template() -> str:
    """The card body's template, shipped as ``corpus/publish/data/card.md``."""
    return resources.files("corpus.publish").joinpath("data/card.md").read_text("utf-8")


def render_card(inp: CardInputs) -> str:
    """The whole README.md: YAML front matter and the template with its name and generated sections filled in."""
    yaml_text = card_data(inp).to_yaml()

    def fill(m: re.Match) -> str:
        # One pass over the template: text put in is never scanned for placeholders again.
        return md(inp.name) if m.group(1) == "name" else _block(m.group(2), SECTIONS[m.group(2)](inp))

    body = _PLACEHOLDER.sub(fill, card_template()).removesuffix("\n")
    return f"---\n{yaml_text}\n---\n\n{body}\n"


# --------------------------------------------------------------------------------------------- merge
def split_card(text: str) -> tuple[dict, str]:
    """``(yaml metadata, body)`` of a README; a README without front matter has empty metadata."""
    text = text.replace("\r\n", "\n")
    m = re.match(r"^---\n(.*?)\n---\n?", text, re.DOTALL)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        meta = {}
    return (meta if isinstance(meta, dict) else {}), text[m.end() :]


def _section_end(body: str, begin: re.Match) -> int | None:
    """Where the section opened by ``begin`` ends (after its end marker), or ``None`` when it is not closed.

    A keyed section ends at the end marker with the same name and key. A card written before keys existed
    (and possibly corrupted through unescaped values) has plain markers: its section runs to the *last* end
    marker of that name, so forged markers inside it are swallowed and replaced with it.
    """
    name, key = begin.group(1), begin.group(2)
    if key:
        end_marker = END.format(name, key)
        at = body.find(end_marker, begin.end())
    else:
        end_marker = f"<!-- {MARKER}:end {name} -->"
        at = body.rfind(end_marker, begin.end())
    return None if at < 0 else at + len(end_marker)


def generated_sections(body: str) -> list[tuple[int, int, str]]:
    """``(start, end, name)`` of each generated section in a card body, in order, never overlapping."""
    sections: list[tuple[int, int, str]] = []
    pos = 0
    while begin := _BEGIN.search(body, pos):
        end = _section_end(body, begin)
        if end is None:  # an unclosed marker: hand-edited text from here on
            pos = begin.end()
            continue
        sections.append((begin.start(), end, begin.group(1)))
        pos = end
    return sections


def _merged_body(new_body: str, old_body: str) -> str:
    """``old_body`` with each generated block replaced by ``new_body``'s (kept when ``new_body`` has none),
    a repeated block kept once."""
    blocks = {name: new_body[start:end] for start, end, name in generated_sections(new_body)}
    pieces, pos, seen = [], 0, set()
    for start, end, name in generated_sections(old_body):
        pieces.append(old_body[pos:start])
        if name not in seen:
            pieces.append(blocks.get(name, old_body[start:end]))
        seen.add(name)
        pos = end
    return "".join([*pieces, old_body[pos:]])


def _merged_meta(new_meta: dict, old_meta: dict) -> dict:
    """Our YAML keys, then ``old_meta``'s keys we neither have nor generate (hand-added ones)."""
    meta = dict(new_meta)
    for key, value in old_meta.items():
        if key not in meta and key not in GENERATED_KEYS:
            meta[key] = value
    return meta


def merge_card(generated: str, existing: str) -> str:
    """Keep ``existing``'s body and extra YAML keys; take our YAML keys and generated blocks from ``generated``.

    A block whose markers were removed from ``existing`` stays as the hand-edited text; a block ``existing``
    never had is not added back (it may have been deleted on purpose); a block that appears twice (a corrupted
    card) is kept once.
    """
    new_meta, new_body = split_card(generated)
    old_meta, old_body = split_card(existing)
    if not old_meta and not old_body.strip():
        return generated
    body = _merged_body(new_body, old_body)
    meta = _merged_meta(new_meta, old_meta)
    yaml_text = DatasetCardData(**meta).to_yaml() if meta else ""
    return f"---\n{yaml_text}\n---\n{body if body.startswith(chr(10)) else chr(10) + body}"
