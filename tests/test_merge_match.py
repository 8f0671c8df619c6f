"""`corpus annotations merge --match RULE`: one matching rule for agreement and pre-label acceptance, named in the
report, from the command line and from :func:`corpus.annotations.merge_annotations`.

The test's own article (helpers in ``conftest.py``): the entities pre-labeller marked "Acme"; two of three
annotators widen it to "Acme cut" (character Jaccard 4/8 with "Acme"), so the majority gold is "Acme cut" and
only a rule loose enough counts the pre-label as accepted, or the third annotator's "Acme" as agreeing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import answer, find, make_document, prodigy_task, write_documents
from typer.testing import CliRunner

from corpus.annotations import Policy, merge_annotations
from corpus.cli import app
from corpus.errors import CorpusError
from corpus.jsonl import write_jsonl
from corpus.report import Reporter
from corpus.scoring import MatchRule


def _annotations(tmp_path: Path) -> tuple[Path, Path]:
    """documents.jsonl and the ingested annotations.jsonl of the three annotators."""
    doc = make_document()
    text = doc["text"]
    task = prodigy_task(doc, 0, "entities")
    widened, kept = (*find(text, "Acme cut"), "ORG"), (*find(text, "Acme"), "ORG")
    export = tmp_path / "db-out.jsonl"
    write_jsonl(
        export,
        [answer(task, doc, "alice", [widened]), answer(task, doc, "bob", [widened]), answer(task, doc, "cy", [kept])],
    )
    docs_path = write_documents(tmp_path, [doc])
    annotations = tmp_path / "annotations.jsonl"
    args = ["annotations", "ingest", str(export), "-d", str(docs_path), "-o", str(annotations)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return docs_path, annotations


def _merge_cli(tmp_path: Path, *extra: str) -> tuple[int, str, dict | None]:
    docs_path, annotations = _annotations(tmp_path)
    report_path = tmp_path / "agreement.json"
    args = ["annotations", "merge", str(annotations), "-d", str(docs_path), "-o", str(tmp_path / "gold.jsonl")]
    result = CliRunner().invoke(app, [*args, "--report", str(report_path), *extra])
    report = json.loads(report_path.read_text("utf-8")) if report_path.exists() else None
    return result.exit_code, result.output, report


def _entity_matches(report: dict) -> tuple[int, int]:
    """(pre-labels accepted, matched span pairs over all annotator pairs) in the entities layer."""
    (row,) = [r for r in report["acceptance"] if r["layer"] == "entities"]
    return row["matched"], sum(pair["matches"] for pair in report["agreement"]["entities"]["pairs"])


@pytest.mark.parametrize(
    ("option", "rule", "accepted", "agreeing"),
    [
        ((), "exact", 0, 1),  # only alice-bob agree
        (("--match", "jaccard>=0.5"), "jaccard>=0.5", 1, 3),  # "Acme" ~ "Acme cut" at exactly 0.5
        (("--match", "jaccard>=0.6"), "jaccard>=0.6", 0, 1),
        (("--match", "overlap>=1"), "overlap>=1", 1, 3),  # "Acme" lies wholly inside "Acme cut"
    ],
)
def test_match_option_sets_the_rule_of_agreement_and_acceptance(tmp_path, option, rule, accepted, agreeing):
    code, output, report = _merge_cli(tmp_path, *option)
    assert code == 0, output
    assert report["match"] == rule and report["agreement"]["entities"]["match"] == rule
    assert _entity_matches(report) == (accepted, agreeing)


def test_merge_annotations_takes_the_rule_by_name_or_as_a_rule(tmp_path):
    docs_path, annotations = _annotations(tmp_path)
    reports = [
        merge_annotations(annotations, docs_path, Policy(), tmp_path / "gold.jsonl", None, Reporter(echo=None), match)
        for match in ("jaccard>=0.5", MatchRule("jaccard", 0.5))
    ]
    assert reports[0] == reports[1] and reports[0]["match"] == "jaccard>=0.5"
    assert _entity_matches(reports[0]) == (1, 3)
    default = merge_annotations(annotations, docs_path, Policy(), tmp_path / "gold.jsonl", None, Reporter(echo=None))
    assert default["match"] == "exact"


def test_a_bad_rule_is_one_line_and_writes_nothing(tmp_path):
    code, output, report = _merge_cli(tmp_path, "--match", "jaccard>=2")
    assert code != 0 and "must be in (0, 1]" in output and "Traceback" not in output
    assert report is None and not (tmp_path / "gold.jsonl").exists()
    # The library checks the rule before reading anything: these paths do not exist.
    with pytest.raises(CorpusError, match="matching rule 'fuzzy'"):
        missing = tmp_path / "missing.jsonl"
        merge_annotations(missing, missing, Policy(), missing, None, Reporter(echo=None), "fuzzy")
