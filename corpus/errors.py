"""Errors meant for people: one line naming the file, the line and the problem."""

from __future__ import annotations

from dataclasses import dataclass


class CorpusError(Exception):
    """An error the user can act on; the CLI prints ``str(err)`` and never a traceback."""


@dataclass
class InputProblem:
    """One problem with one input (file, optional line, optional field)."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None
    severity: str = "error"  # "error" (input skipped / invalid) or "warning" (processed, but noteworthy)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.message}"


class InputError(CorpusError):
    def __init__(self, problem: InputProblem):
        super().__init__(str(problem))
        self.problem = problem
