"""Build hook: ship the top-level ``schemas/`` inside the package as ``corpus/schemas``.

Everything else is declared in pyproject.toml. The schemas stay at the repository's top level (other tools and
people read them there), so a wheel or a non-editable ``pip install .`` copies them in at build time. An editable
install needs no copy: ``corpus.validate`` falls back to the checkout's ``schemas/`` when the package has none.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SCHEMAS = Path(__file__).resolve().parent / "schemas"


class BuildPyWithSchemas(build_py):
    """``build_py`` that also copies ``schemas/*.json`` into ``<build>/corpus/schemas``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's schemas/ is found directly
        target = Path(self.build_lib) / "corpus" / "schemas"
        target.mkdir(parents=True, exist_ok=True)
        for schema in sorted(SCHEMAS.glob("*.json")):
            shutil.copyfile(schema, target / schema.name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        target = Path(self.build_lib) / "corpus" / "schemas"
        return [*super().get_outputs(include_bytecode), *(str(target / s.name) for s in sorted(SCHEMAS.glob("*.json")))]


setup(cmdclass={"build_py": BuildPyWithSchemas})
