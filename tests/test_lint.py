"""The code base stays `ruff` clean and `ruff format`ted (rules and line length in pyproject.toml), and no
function in `corpus/` is rated E or F by radon's cyclomatic complexity (issue 13: none above C is the rule for
new code; E/F is the line a test can hold)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["corpus", "tests", "scripts"]


def _tool(name: str, *args: str) -> subprocess.CompletedProcess:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return subprocess.run([found, *args], cwd=ROOT, capture_output=True, text=True)


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return _tool("ruff", *args, *PATHS)


def test_ruff_clean():
    result = _ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_formatted():
    result = _ruff("format", "--check")
    assert result.returncode == 0, "run `ruff format` on:\n" + result.stdout + result.stderr


def test_no_function_rated_e_or_f():
    result = _tool("radon", "cc", "--min", "E", "--show-complexity", "corpus")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", "split these functions (radon rank E/F):\n" + result.stdout
