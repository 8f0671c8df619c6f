"""Packaging: a wheel carries everything a build needs (schemas included) and works outside the source checkout.

The wheel is built from a copy of the project files, so the checkout gets no ``build/`` folder. The fast tests
run the wheel's own code (unpacked, on ``PYTHONPATH``) in an empty folder; the slow one installs it into a fresh
venv the way a user would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
ARTICLE = """---
title: Harbour reopens after the storm
publisher: Test Gazette
licence: CC BY 4.0
---
The port of Tamsin reopened on Monday, officials said.

"We expect 40 ships this week," harbour master Ilse Varga told reporters.
"""


def _project_copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "corpus", dest / "corpus", ignore=ignore)
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    for name in PROJECT_FILES:
        shutil.copyfile(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _project_copy(tmp / "src")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = (tmp / "dist").glob("corpus-*.whl")
    return built


def _seeded_folder(path: Path) -> Path:
    (path / "seeds").mkdir(parents=True)
    (path / "seeds" / "harbour.md").write_text(ARTICLE, "utf-8")
    return path


def test_wheel_ships_the_schemas_and_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in sorted((ROOT / "schemas").glob("*.json")):
        assert f"corpus/schemas/{schema.name}" in names
        assert zipfile.ZipFile(wheel).read(f"corpus/schemas/{schema.name}") == schema.read_bytes()
    # Any file the package reads at run time (word lists, weights, Punkt parameters) must be in the wheel too.
    package_files = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "corpus").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert package_files - names == set()


def test_build_and_validate_run_from_the_wheel_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = _seeded_folder(tmp_path / "work")
    env = {**os.environ, "PYTHONPATH": str(site)}
    cli = [sys.executable, "-c", "import sys; from corpus.cli import main; sys.argv[0] = 'corpus'; main()"]
    where = subprocess.run(
        [*cli[:2], "import corpus.validate as v; print(v.corpus.__file__, v.SCHEMA_DIR)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where == [str(site / "corpus" / "__init__.py"), str(site / "corpus" / "schemas")]
    build = subprocess.run([*cli, "build"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    check = subprocess.run([*cli, "validate", "data"], cwd=work, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (work / "data" / "dataset" / "README.md").is_file()


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_builds(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True, timeout=1200
    )
    work = _seeded_folder(tmp_path / "work")
    corpus = str(venv / "bin" / "corpus")
    build = subprocess.run([corpus, "build"], cwd=work, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    check = subprocess.run([corpus, "validate", "data"], cwd=work, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
