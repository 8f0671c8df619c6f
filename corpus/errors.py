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


# Exit codes, one meaning each across every command (shown in `corpus --help` and the README).
EXIT_OK = 0  # every input was used
EXIT_FAILED = 1  # nothing usable was written, or validation found errors
EXIT_USAGE = 2  # usage error or fatal error (bad option, refused output path, disk full, ...)
EXIT_PARTIAL = 3  # finished and wrote outputs, but some inputs were skipped or items rejected
EXIT_INTERNAL = 70  # unexpected crash (a bug): rerun with CORPUS_DEBUG=1 for the traceback

EXIT_CODES_HELP = (
    "Exit codes: 0 every input used; 1 nothing usable written or validation failed; "
    "2 usage or fatal error; 3 outputs written but some inputs skipped or items rejected; "
    "70 internal error (rerun with CORPUS_DEBUG=1 for the traceback)."
)
