"""The data card: Hub metadata parsed by huggingface_hub, sections filled from real numbers, merge keeps edits."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from corpus.document import CHECKWORTHY_OPTIONS, ENTITY_LABELS, SOURCE_KINDS, add_relation, add_span, new_document
from corpus.jsonl import write_jsonl
from corpus.publish import build_dataset
from corpus.publish.card import merge_card, numeric_tables
from corpus.publish.dataset import BIO_NAMES
from corpus.segment.core import segment_document

HUB_TASK_CATEGORIES = {"token-classification", "text-classification"}
HUB_TASK_IDS = {"named-entity-recognition", "fact-checking"}
HUB_SIZES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M"}
HUB_ANNOTATIONS_CREATORS = {"found", "crowdsourced", "expert-generated", "machine-generated", "no-annotation", "other"}
TEMPLATE_SECTIONS = [
    "## Dataset Details",
    "### Dataset Description",
    "### Dataset Sources",
    "## Uses",
    "### Direct Use",
    "### Out-of-Scope Use",
    "## Dataset Structure",
    "## Dataset Creation",
    "### Curation Rationale",
    "### Source Data",
    "#### Data Collection and Processing",
    "#### Who are the source data producers?",
    "### Annotations",
    "#### Annotation process",
    "#### Who are the annotators?",
    "#### Personal and Sensitive Information",
    "## Bias, Risks, and Limitations",
    "### Recommendations",
    "## Citation",
    "## Glossary",
    "## More Information",
    "## Dataset Card Authors",
    "## Dataset Card Contact",
]
PLACEHOLDERS = [
    "[More Information Needed]",
    "{{ ",
    "| default(",
    "TODO",
    "TBD",
    "XXX",
    "Lorem",
    "ORG/NAME",
    "path/to",
    "Dataset Name",
]


def article(i: int, licence: str | None) -> dict:
    text = (
        f"Ilse Varga told the Coastal Courier that the port of Tamsin lost {i + 3} ships in storm {i}.\n\n"
        "Two fishermen said the warning came too late. Officials believe the war at sea is over."
    )
    doc = new_document(
        text,
        f"a{i}.txt",
        publisher="Coastal Courier" if i % 3 else "Bay Herald",
        licence=licence,
        published=f"2023-11-{10 + i:02d}",
    )
    segment_document(doc)

    def span(layer, label, phrase, **kw):
        start = text.index(phrase)
        return add_span(doc, layer, label, start, start + len(phrase), "rules@1", kw.get("score", 0.9), kw.get("attrs"))

    span("entities", "PERSON", "Ilse Varga")
    span("entities", "ORG", "Coastal Courier")
    span("entities", "GPE", "Tamsin")
    span("entities", "CARDINAL", f"{i + 3}")
    span("entities", "CARDINAL", "Two")
    span("claims", "CLAIM", f"the port of Tamsin lost {i + 3} ships in storm {i}", score=0.85)
    span("claims", "CLAIM", "the war at sea is over", score=0.3)
    src = span("sources", "SOURCE", "Ilse Varga", attrs={"kind": "named_person"})
    cue = span("sources", "CUE", "told")
    content = span("sources", "CONTENT", f"that the port of Tamsin lost {i + 3} ships in storm {i}")
    add_relation(doc, "ATTRIBUTION", src["id"], content["id"], "rules@1")
    add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    src = span("sources", "SOURCE", "Officials", attrs={"kind": "unnamed_group"})
    cue = span("sources", "CUE", "believe")
    content = span("sources", "CONTENT", "the war at sea is over")
    add_relation(doc, "ATTRIBUTION", src["id"], content["id"], "rules@1")
    add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    doc["ingest"] = {"stripped": [{"line": 1, "text": "Advertisement", "rule": "advert"}]} if i % 2 else {}
    doc["labellers"] = {"entities": "rules@1", "sources": "rules@1", "claims": "rules@2"}
    return doc


QUALITY = {
    "gold": "eval/some-gold.jsonl",
    "documents": 50,
    "labellers": {"entities": "rules@1"},
    "scores": {
        "entities": {
            "typed": {"precision": 0.81, "recall": 0.74, "f1": 0.7734, "tp": 74, "fp": 17, "fn": 26},
            "per_label": {"PERSON": {"precision": 0.9, "recall": 0.8, "f1": 0.8471}},
        }
    },
    "seconds": 1.234,
}


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    root = tmp_path_factory.mktemp("card")
    docs = [article(i, ["CC BY 4.0", "CC BY-SA 4.0", None][i % 3]) for i in range(15)]
    write_jsonl(root / "docs.jsonl", docs)
    (root / "quality.json").write_text(json.dumps(QUALITY))
    summary = build_dataset(
        root / "docs.jsonl", root / "ds", repo="newsroom-lab/coastal-news", quality=[root / "quality.json"]
    )
    text = (root / "ds" / "README.md").read_text("utf-8")
    return {
        "root": root,
        "summary": summary,
        "card": DatasetCard.load(root / "ds" / "README.md"),
        "text": text,
        "docs": docs,
    }


def test_yaml_metadata_has_every_hub_field(card):
    data = card["card"].data.to_dict()
    assert data["pretty_name"] == "Coastal News"
    assert data["language"] == ["en"]
    assert set(data["license"]) == {"cc-by-4.0", "cc-by-sa-4.0", "unknown"}
    assert set(data["task_categories"]) == HUB_TASK_CATEGORIES and set(data["task_ids"]) == HUB_TASK_IDS
    assert data["size_categories"][0] in HUB_SIZES
    assert set(data["annotations_creators"]) <= HUB_ANNOTATIONS_CREATORS
    assert data["annotations_creators"] == ["machine-generated"]
    assert data["multilinguality"] == ["monolingual"] and data["source_datasets"] == ["original"]
    assert "source-attribution" in data["tags"] and "check-worthiness" in data["tags"]


def test_configs_have_exactly_one_default_and_valid_splits(card):
    configs = card["card"].data.to_dict()["configs"]
    assert {c["config_name"] for c in configs} == {"documents", "entities", "claims", "sources"}
    assert [c["config_name"] for c in configs if c.get("default")] == ["documents"]
    for config in configs:
        for data_file in config["data_files"]:
            assert re.fullmatch(r"\w+", data_file["split"])
            assert list((card["root"] / "ds").glob(data_file["path"]))


def test_dataset_info_features_and_counts_match_the_files(card):
    infos = {i["config_name"]: i for i in card["card"].data.to_dict()["dataset_info"]}
    ner = next(f for f in infos["entities"]["features"] if f["name"] == "ner_tags")
    names = ner["list"]["class_label"]["names"]
    assert [names[str(i)] if str(i) in names else names[i] for i in range(len(names))] == list(BIO_NAMES)
    cw = next(f for f in infos["claims"]["features"] if f["name"] == "checkworthy")
    # The positive class is 1 (issue 14), whatever order annotation tools show the options in.
    assert list(cw["dtype"]["class_label"]["names"].values()) == ["NOT_CHECKWORTHY", "CHECKWORTHY"]
    assert set(CHECKWORTHY_OPTIONS) == {"NOT_CHECKWORTHY", "CHECKWORTHY"}
    kind = next(f for f in infos["sources"]["features"] if f["name"] == "source_kind")
    assert list(kind["dtype"]["class_label"]["names"].values()) == list(SOURCE_KINDS)
    for name, info in infos.items():
        for split in info["splits"]:
            files = (card["root"] / "ds" / name).glob(f"{split['name']}-*.parquet")
            assert split["num_examples"] == sum(pq.ParquetFile(f).metadata.num_rows for f in files)
            assert split["num_examples"] == card["summary"]["configs"][name][split["name"]]


def test_body_has_the_template_sections_and_no_placeholders(card):
    text = card["text"]
    positions = [text.index(section + "\n") for section in TEMPLATE_SECTIONS]
    assert positions == sorted(positions)
    for placeholder in PLACEHOLDERS:
        assert placeholder not in text, placeholder
    body = card["card"].text
    assert body.count("<!-- corpus:generated:begin") == body.count("<!-- corpus:generated:end") >= 10


def test_numbers_in_the_card_are_counted_from_the_data(card):
    text, summary, docs = card["text"], card["summary"], card["docs"]
    splits = list(summary["splits"])
    row = next(line for line in text.splitlines() if line.startswith("| entities | one row per sentence"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:] == [f"{summary['configs']['entities'].get(s, 0):,}" for s in splits] + [
        f"{sum(summary['configs']['entities'].values()):,}"
    ]
    labels = Counter(s["label"] for d in docs for s in d["spans"] if s["layer"] == "entities")
    for label in ENTITY_LABELS:
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| {label} |")), None)
        assert (line is None) == (labels[label] == 0)
        if line:
            assert line.rstrip(" |").endswith(f"{labels[label]:,}")
    assert "| CHECKWORTHY |" in text and "| NOT_CHECKWORTHY |" in text
    assert "| named_person |" in text and "| unnamed_group |" in text
    assert "| Coastal Courier | 10 | 66.7% |" in text and "| Bay Herald | 5 | 33.3% |" in text
    assert "2023-11-10 to 2023-11-24" in text
    assert "Boilerplate lines stripped: 7 (advert: 7)" in text
    assert "| claims | `rules@2` | 15 |" in text
    assert f"{15 * 1} PERSON entity mentions, 1 distinct name strings" in text
    assert "15 of 15 articles (100.0%) contain war or violence vocabulary" in text


def test_licence_mix_and_measured_quality_are_stated(card):
    text = card["text"]
    assert "| CC BY 4.0 | redistributable | 5 | 33.3% |" in text
    assert "| unknown | unknown | 5 | 33.3% |" in text
    assert "a push to the Hub is refused" in text
    assert "| typed | 0.810 | 0.740 | 0.773 | 74 | 17 | 26 |" in text
    assert "| PERSON | 0.900 | 0.800 | 0.847 |" in text
    assert "- gold: eval/some-gold.jsonl" in text and "seconds" not in text.split("From `quality.json`")[1][:2000]


def test_label_definitions_and_guidelines_for_annotators(card):
    text = card["text"]
    for label in ENTITY_LABELS:
        assert f"| `{label}` |" in text
    for name in (
        "`SOURCE`",
        "`CUE`",
        "`CONTENT`",
        "`ATTRIBUTION`",
        "`CHECKWORTHY`",
        "`NOT_CHECKWORTHY`",
        *(f"`{k}`" for k in SOURCE_KINDS),
        "`correspondent`",
    ):
        assert name in text, name
    assert "code-point offsets" in text and "half-open" in text


def test_citation_and_contact_name_the_repo(card):
    text = card["text"]
    assert "@misc{newsroom_lab_coastal_news," in text
    assert "https://huggingface.co/datasets/newsroom-lab/coastal-news/discussions" in text
    assert 'load_dataset("newsroom-lab/coastal-news", "entities")' in text


def test_merge_keeps_hand_edits_and_replaces_generated_blocks(card):
    generated = card["text"]
    edited = generated.replace("### Curation Rationale\n\n", "### Curation Rationale\n\nWritten by our editors.\n\n")
    assert "15 PERSON" in edited
    edited = edited.replace("15 PERSON", "999 PERSON")  # a stale number inside a generated block
    edited = re.sub(r"^---\n", "---\nthumbnail: cover.png\nlicense: mit\n", edited, count=1)
    newer = generated.replace("Coastal Courier | 10 |", "Coastal Courier | 11 |")
    merged = merge_card(newer, edited)
    assert "Written by our editors." in merged
    assert "Coastal Courier | 11 |" in merged and "999 PERSON" not in merged and "15 PERSON" in merged
    meta = DatasetCard(merged).data.to_dict()
    assert meta["thumbnail"] == "cover.png"  # a key we do not generate survives
    assert set(meta["license"]) == {"cc-by-4.0", "cc-by-sa-4.0", "unknown"}  # ours wins
    assert merge_card(generated, generated) == generated
    hand_written = "---\nlicense: mit\n---\n# Our dataset\n\nAll prose, no markers.\n"
    merged = merge_card(generated, hand_written)
    assert merged.endswith("# Our dataset\n\nAll prose, no markers.\n")
    assert DatasetCard(merged).data.to_dict()["configs"]


def test_rebuild_over_an_edited_card_keeps_the_edits(card, tmp_path):
    folder = tmp_path / "ds"
    build_dataset(card["root"] / "docs.jsonl", folder, repo="newsroom-lab/coastal-news")
    readme = folder / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("## Glossary\n", "## Glossary\n\nOur own note.\n"))
    build_dataset(card["root"] / "docs.jsonl", folder, repo="newsroom-lab/coastal-news")
    assert "Our own note." in readme.read_text("utf-8")


def test_gold_card_reports_agreement_and_annotators(tmp_path):
    docs = [article(i, "CC BY 4.0") for i in range(4)]
    gold = []
    for doc in docs:
        g = json.loads(json.dumps(doc))
        g["prelabel_spans"], g["prelabel_relations"] = doc["spans"], doc["relations"]
        g["spans"] = [s for s in g["spans"] if s["text"] != "Two"]
        g["annotation"] = {"annotators": ["kim", "lee"], "policy": "adjudicator:kim"}
        gold.append(g)
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "gold.jsonl", gold)
    agreement = {
        "policy": "majority",
        "match": "exact",
        "agreement": {
            "entities": {"pairs": [{"a": "kim", "b": "lee", "documents": 4, "f1": 0.875}], "micro_f1": 0.875},
            "checkworthy": {"items": 8, "cohen_kappa": 0.6, "krippendorff_alpha": 0.61},
        },
        "acceptance": [
            {
                "labeller": "rules@1",
                "layer": "entities",
                "prelabels": 20,
                "matched": 16,
                "precision": 0.8,
                "recall": 1.0,
                "f1": 0.8889,
            }
        ],
    }
    (tmp_path / "agreement.json").write_text(json.dumps(agreement))
    build_dataset(
        tmp_path / "docs.jsonl", tmp_path / "ds", gold=tmp_path / "gold.jsonl", agreement=tmp_path / "agreement.json"
    )
    text = (tmp_path / "ds" / "README.md").read_text("utf-8")
    assert DatasetCard(text).data.to_dict()["annotations_creators"] == ["expert-generated"]
    assert "| kim, lee | 4 | 0.875 |" in text
    assert "| checkworthy | – | 8 | 0.600 | 0.610 |" in text
    assert "| rules@1, entities | 20 | 16 | 0.800 | 1.000 | 0.889 |" in text
    assert "2 annotators contributed" in text and "`adjudicator:kim`" in text
    # Pre-label quality measured against the gold: every "Two" CARDINAL pre-label was removed.
    assert "| entities | `exact` | 0.800 | 1.000 | 0.889 | 20 | 16 |" in text
    # The card names the matching rule of every layer (the same names `corpus eval` and agreement.json use).
    assert "entities `exact` (identical offsets); claims `jaccard>=0.5` (character Jaccard ≥ 0.5)" in text
    assert "annotators accepted, spans matched under the rule `exact` (identical offsets)." in text
    for placeholder in PLACEHOLDERS:
        assert placeholder not in text


def test_numeric_tables_render_any_report():
    report = {
        "name": "run",
        "flag": True,
        "overall": {"f1": 0.5, "n": 3},
        "rows": [{"who": "a", "score": 1}, {"who": "b", "score": 2, "extra": 0.25}],
        "examples": [{"doc": "x", "n": 1}],
    }
    tables = {title: (header, rows) for title, header, rows in numeric_tables(report)}
    assert tables["overall"] == (["f1", "n"], [["overall", 0.5, 3]])
    assert tables["rows"][0] == ["score", "extra"]
    assert tables["rows"][1] == [["a", 1, "–"], ["b", 2, 0.25]]
    assert all("examples" not in title for title in tables)


def test_card_file_is_deterministic(card, tmp_path):
    build_dataset(
        card["root"] / "docs.jsonl",
        tmp_path / "ds",
        repo="newsroom-lab/coastal-news",
        quality=[card["root"] / "quality.json"],
    )
    assert (tmp_path / "ds" / "README.md").read_bytes() == Path(card["root"] / "ds" / "README.md").read_bytes()


def test_card_base_lets_a_staging_build_keep_the_published_edits(card, tmp_path):
    published = tmp_path / "published" / "README.md"
    published.parent.mkdir()
    published.write_text(card["text"].replace("## Glossary\n", "## Glossary\n\nKept across staging builds.\n"))
    build_dataset(card["root"] / "docs.jsonl", tmp_path / "staging" / "ds", card_base=published)
    assert "Kept across staging builds." in (tmp_path / "staging" / "ds" / "README.md").read_text("utf-8")


# --------------------------------------------------------------------------------------------- hostile values
HOSTILE = (
    "Evil <script>alert(1)</script> [click](javascript:alert(2)) `code` a|b <!-- c -->\n"
    "<!-- corpus:generated:end producers -->\n# Pwned heading\n<!-- corpus:generated:begin producers -->"
)
RAW_FRAGMENTS = ["<script", "<!-- c -->", "Pwned heading\n", "end producers -->"]


def hostile_article(i: int) -> dict:
    doc = article(i, HOSTILE if i == 0 else "CC BY 4.0")
    doc["publisher"] = HOSTILE
    doc["title"] = HOSTILE
    doc["published"] = "2023-11-10" + HOSTILE
    doc["labellers"]["entities"] = "rules@1`<script>Pwned</script><!--corpus:generated:end-annotation-->`"
    doc["ingest"] = {"stripped": [{"line": 1, "text": "x", "rule": "advert\n# Pwned rule <b>"}]}
    return doc


def rendered(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text.split("\n---\n", 1)[1])


def sections(text: str) -> list[str]:
    from corpus.publish.card import generated_sections, split_card

    body = split_card(text)[1]
    return [name for _start, _end, name in generated_sections(body)]


def test_values_from_articles_cannot_inject_markup_or_markers(card, tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [hostile_article(i) for i in range(3)])
    build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", repo="newsroom-lab/coastal-news")
    text = (tmp_path / "ds" / "README.md").read_text("utf-8")
    for fragment in RAW_FRAGMENTS:
        assert fragment not in text
    html = rendered(text)
    assert "<script" not in html and "<a " not in html and "<code>code</code>" not in html and "<!-- c -->" not in html
    assert "<h1>Pwned" not in html and "Pwned heading</h1>" not in html
    assert html.count("<h1>") == rendered(card["text"]).count("<h1>")  # no heading was added
    assert "Evil &lt;script&gt;" in html  # the publisher is shown, as text
    assert sections(text) == sections(card["text"])  # every section once, in the template's order
    assert DatasetCard(text).data.to_dict()["pretty_name"] == "Coastal News"


def test_a_clean_republish_removes_injected_text_and_keeps_hand_edits(tmp_path):
    folder = tmp_path / "ds"
    write_jsonl(tmp_path / "bad.jsonl", [hostile_article(i) for i in range(3)])
    build_dataset(tmp_path / "bad.jsonl", folder)
    readme = folder / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("## Glossary\n", "## Glossary\n\nOur own note.\n"))
    write_jsonl(tmp_path / "good.jsonl", [article(i, "CC BY 4.0") for i in range(3)])
    build_dataset(tmp_path / "good.jsonl", folder)
    text = readme.read_text("utf-8")
    assert "Our own note." in text
    assert "Evil" not in text and "Pwned" not in text and "Coastal Courier" in text


def test_a_card_corrupted_by_unescaped_values_is_repaired(card, tmp_path):
    """A card written before values were escaped and markers keyed: forged markers, an injected heading."""
    legacy = re.sub(r"(<!-- corpus:generated:(?:begin|end) \w+) [0-9a-f]{16} -->", r"\1 -->", card["text"])
    injected = (
        "Bay Herald <!-- corpus:generated:end producers -->\n\n# Injected heading\n\n"
        "<!-- corpus:generated:begin producers -->\n"
    )
    corrupted = legacy.replace("Bay Herald", injected, 1)
    corrupted = corrupted.replace("- **Coverage.**", "<!-- corpus:generated:end limitations -->\n# Also injected\n", 1)
    corrupted = corrupted.replace("### Curation Rationale\n", "### Curation Rationale\n\nWritten by our editors.\n")
    assert "# Injected heading" in corrupted and "# Also injected" in corrupted
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "README.md").write_text(corrupted, "utf-8")
    build_dataset(
        card["root"] / "docs.jsonl", folder, repo="newsroom-lab/coastal-news", quality=[card["root"] / "quality.json"]
    )
    text = (folder / "README.md").read_text("utf-8")
    assert "Injected" not in text and "Also injected" not in text
    assert "Written by our editors." in text
    assert sections(text) == sections(card["text"])
    assert text == card["text"].replace(
        "### Curation Rationale\n", "### Curation Rationale\n\nWritten by our editors.\n"
    )


def test_markers_pair_only_with_their_own_key(card):
    from corpus.publish.card import generated_sections, split_card

    body = split_card(card["text"])[1]
    spans = generated_sections(body)
    start, end, name = spans[0]
    block = body[start:end]
    # A forged end marker with a guessed key inside the block does not end it early.
    forged = block.replace("\n", "\n<!-- corpus:generated:end summary 0000000000000000 -->\n", 1)
    assert generated_sections(forged)[0] == (0, len(forged), name)
    # An unclosed begin marker is hand-written text, not a section.
    assert generated_sections(block.rsplit("<!--", 1)[0]) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("[a](javascript:x)", "\\[a\\](javascript:x)"),
        ("a|b", "a\\|b"),
        ("line\n# heading", "line \\# heading"),
        ("`tick`", "\\`tick\\`"),
        ("<!-- corpus:generated:end x -->", "&lt;!-- corpus:generated:end x --&gt;"),
        ("*bold* _em_ ~~s~~ $x$", "\\*bold\\* \\_em\\_ \\~\\~s\\~\\~ \\$x\\$"),
        ("NOT_CHECKWORTHY & co", "NOT_CHECKWORTHY &amp; co"),
        ("bidi\u202eevil\u2028x", "bidi evil x"),
    ],
)
def test_md_escapes_each_class_of_markup(value, shown):
    from corpus.publish.card import md

    assert md(value) == shown


def test_card_metadata_stays_yaml_and_repo_ids_are_checked(card, tmp_path):
    from corpus.errors import CorpusError

    name = "Ours\n---\nlicense: mit\n<!-- corpus:generated:begin summary -->"
    build_dataset(card["root"] / "docs.jsonl", tmp_path / "ds", pretty_name=name)
    loaded = DatasetCard.load(tmp_path / "ds" / "README.md")
    assert loaded.data.to_dict()["pretty_name"] == " ".join(name.split())
    assert set(loaded.data.to_dict()["license"]) == {"cc-by-4.0", "cc-by-sa-4.0", "unknown"}
    with pytest.raises(CorpusError, match="ORG/NAME"):
        build_dataset(card["root"] / "docs.jsonl", tmp_path / "ds2", repo="org/name\n# injected")


def test_card_states_the_checkworthy_rule_the_data_follows(tmp_path: Path):
    """Issue 14: claims the labeller decided keep its decision whatever the build threshold; only undecided
    claims are labelled from their score, and the card says so with the scores where the decisions change."""
    text = "Prices rose 3 percent. The mayor resigned. It was a sad day. Nobody knows why."
    doc = new_document(text, "cw.txt", licence="CC0")
    segment_document(doc)
    for phrase, score, decision in (
        ("Prices rose 3 percent.", 0.31, True),  # below 0.5, yet check-worthy: the labeller's threshold is lower
        ("The mayor resigned.", 0.29, True),
        ("It was a sad day.", 0.12, False),
        ("Nobody knows why.", 0.7, None),  # no decision recorded: the build's threshold decides
    ):
        start = text.index(phrase)
        attrs = {} if decision is None else {"checkworthy": decision}
        add_span(doc, "claims", "CLAIM", start, start + len(phrase), "rules@1", score, attrs)
    write_jsonl(tmp_path / "docs.jsonl", [doc])
    build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", split_ratios="1")
    card = (tmp_path / "ds" / "README.md").read_text("utf-8")
    rows = pq.read_table(tmp_path / "ds" / "claims").to_pylist()
    assert [r["checkworthy"] for r in sorted(rows, key=lambda r: r["start"])] == [1, 1, 0, 1]  # positive class 1
    assert "positive class at 1: 0 `NOT_CHECKWORTHY`, 1 `CHECKWORTHY`" in card
    assert "not 0.5. Only a claim without a recorded decision is labelled here from its score" in card
    assert "| `rules@1` | 3 | 1 | 0 | 0.2900 | 0.1200 |" in card
    assert "a score ≥ 0.5 counts as" not in card  # the old statement the data did not follow


def test_card_prose_comes_from_the_template_and_values_are_not_placeholders(tmp_path: Path):
    from corpus.publish.card import _PLACEHOLDER, SECTIONS, card_template

    template = card_template()
    named = [m.group(2) for m in _PLACEHOLDER.finditer(template) if m.group(2)]
    assert sorted(named) == sorted(SECTIONS) and len(named) == len(set(named))  # every section once
    assert "## Glossary" in template and "### Out-of-Scope Use" in template
    write_jsonl(tmp_path / "docs.jsonl", [article(0, "CC-BY-4.0")])
    build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", pretty_name="News {{block:summary}} set")
    card = (tmp_path / "ds" / "README.md").read_text("utf-8")
    assert "# Dataset Card for News {{block:summary}} set" in card  # put in once, never expanded
    assert card.count("corpus:generated:begin summary") == 1


def test_war_terms_are_a_data_file_in_order():
    from corpus.publish.dataset import WAR_TERMS, load_terms

    assert WAR_TERMS[:3] == ("war", "wars", "warfare") and "front line" in WAR_TERMS
    assert load_terms("war_terms.tsv", "no such class") == ()
