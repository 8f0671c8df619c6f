"""The code base stays `ruff` clean and `ruff format`ted (rules and line length in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["corpus", "tests", "scripts"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    return subprocess.run([ruff, *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


def test_ruff_clean():
    result = _ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_formatted():
    result = _ruff("format", "--check")
    assert result.returncode == 0, "run `ruff format` on:\n" + result.stdout + result.stderr
