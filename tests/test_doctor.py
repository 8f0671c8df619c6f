"""`corpus doctor`: what it finds on this installation, and what it says when something is broken."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import corpus.doctor as doctor
from corpus.cli import app

runner = CliRunner()

CORE = ["python", "core libraries", "punkt parameters", "tokenizer", "schemas", "labellers"]
OPTIONAL = ["spacy", "label-studio", "datatrove", "ray", "chromium"]


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name.split(" ")[0] if c.name.startswith("output") else c.name: c for c in checks}


@pytest.fixture
def labellers_ok(monkeypatch):
    """Isolate the CLI tests from the labeller registry (tested on its own below)."""
    monkeypatch.setattr(doctor, "check_labellers", lambda: doctor.Check("labellers", doctor.OK, "stand-in"))


def test_core_checks_pass_on_this_installation(tmp_path):
    checks = by_name(doctor.run_checks(tmp_path / "out"))
    assert list(checks) == [*CORE, "output", *OPTIONAL]
    for name in ("python", "core libraries", "punkt parameters", "tokenizer", "schemas", "output"):
        assert checks[name].status == doctor.OK, checks[name]
    assert "will be created" in checks["output"].detail
    assert all(not checks[name].core for name in OPTIONAL)
    assert all(checks[name].status in (doctor.OK, doctor.WARN) for name in OPTIONAL)


def test_default_labellers_are_registered():
    check = doctor.check_labellers()
    assert check.status == doctor.OK, check.detail
    assert "entities: " in check.detail and "rules" in check.detail


def test_cli_lists_every_check_and_exits_zero_when_the_core_is_fine(tmp_path, labellers_ok):
    result = runner.invoke(app, ["doctor", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in [*CORE, *OPTIONAL, f"output folder {tmp_path}"]:
        assert f" {name}: " in result.output
    assert "core ready" in result.output


def test_missing_core_library_fails_with_the_fix(tmp_path, monkeypatch, labellers_ok):
    monkeypatch.setitem(doctor.CORE_MODULES, "surely_not_installed_mod", "surely-not-installed")
    result = runner.invoke(app, ["doctor", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL core libraries: missing: surely-not-installed" in result.output
    assert "fix: python -m pip install -e ." in result.output
    assert "core checks failed" in result.output


def test_missing_abbreviations_fail_the_punkt_check(monkeypatch):
    import corpus.segment.core as core

    monkeypatch.setattr(core, "abbreviations", lambda: ())
    check = doctor.check_punkt()
    assert check.status == doctor.FAIL and "abbreviations.txt" in check.detail


def test_punkt_without_the_project_parameters_is_caught(monkeypatch):
    import corpus.segment.core as core

    class PlainSegmenter(core.Segmenter):  # Punkt with no abbreviation list: splits after "Gen." and "Sen."
        def __init__(self):
            from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

            self._punkt = PunktSentenceTokenizer(PunktParameters())

    monkeypatch.setattr(core, "Segmenter", PlainSegmenter)
    check = doctor.check_punkt()
    assert check.status == doctor.FAIL and "expected 2 sentences" in check.detail


def test_missing_schemas_fail(monkeypatch, tmp_path):
    import corpus.validate

    monkeypatch.setattr(corpus.validate, "SCHEMA_DIR", tmp_path)
    check = doctor.check_schemas()
    assert check.status == doctor.FAIL and "document.schema.json" in check.detail and check.fix


def test_output_folder_that_is_a_file_fails(tmp_path):
    target = tmp_path / "data"
    target.write_text("not a folder")
    check = doctor.check_output_dir(target)
    assert check.status == doctor.FAIL and "not a folder" in check.detail
    assert doctor.check_output_dir(tmp_path).status == doctor.OK
    assert doctor.check_output_dir(tmp_path / "a" / "b").status == doctor.OK


def test_a_check_that_crashes_is_reported_not_raised(tmp_path, monkeypatch):
    def boom():
        raise RuntimeError("tokenizer data corrupted")

    monkeypatch.setattr(doctor, "check_tokenizer", boom)
    checks = by_name(doctor.run_checks(tmp_path))
    assert checks["tokenizer"].status == doctor.FAIL
    assert checks["tokenizer"].detail == "RuntimeError: tokenizer data corrupted"
    assert doctor.core_broken(list(checks.values()))


def test_missing_optional_backends_warn_with_install_hints(tmp_path, monkeypatch, labellers_ok):
    real_find_spec = importlib.util.find_spec
    hidden = {"spacy", "label_studio", "datatrove", "ray"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in hidden else real_find_spec(name, *a)
    )
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    monkeypatch.setattr(doctor, "LABEL_STUDIO_VENV", tmp_path / "no-venv")
    result = runner.invoke(app, ["doctor", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "warn spacy: not installed" in out and 'pip install -e ".[spacy]"' in out
    assert "warn label-studio: not installed" in out and "scripts/labelstudio_roundtrip.sh" in out
    assert "warn datatrove: not installed" in out and 'pip install -e ".[datatrove]"' in out
    assert "warn ray: not installed" in out and 'pip install -e ".[ray]"' in out
    assert "warn chromium: no Chromium" in out
    assert "core ready; 5 optional items missing" in out


def test_spacy_pipelines_are_listed(monkeypatch):
    fake = types.ModuleType("spacy")
    fake.util = types.SimpleNamespace(get_installed_models=lambda: ["en_core_web_sm", "en_core_web_md"])
    monkeypatch.setitem(sys.modules, "spacy", fake)
    monkeypatch.setitem(sys.modules, "spacy.util", fake.util)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: object() if name == "spacy" else real_find_spec(name, *a)
    )
    check = doctor.check_spacy()
    assert check.status == doctor.OK
    assert "pipelines: en_core_web_md, en_core_web_sm" in check.detail and "spacy:en_core_web_md" in check.detail

    fake.util.get_installed_models = lambda: []
    check = doctor.check_spacy()
    assert check.status == doctor.WARN and "no pipeline" in check.detail and "en_core_web_sm" in check.fix


def test_doctor_never_downloads(monkeypatch, tmp_path):
    import nltk

    def refuse(*args, **kwargs):
        raise AssertionError("doctor must not download")

    monkeypatch.setattr(nltk, "download", refuse)
    assert all(c.status != doctor.FAIL or c.name == "labellers" for c in doctor.run_checks(Path(tmp_path)))
