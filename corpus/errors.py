"""Errors meant for people: one line naming the file, the line and the problem."""

from __future__ import annotations

import errno
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

# OSErrors the environment causes while writing: reported as one line naming the file, never a traceback.
_OS_PROBLEMS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError: what went wrong and on which file (``no space left on device while writing X``)."""
    code = exc.errno
    if code is None and "no space left on device" in str(exc).lower():  # pyarrow's IOError carries no errno
        code = errno.ENOSPC
    what = _OS_PROBLEMS.get(code) if code is not None else None
    what = what or (exc.strerror or str(exc) or type(exc).__name__).rstrip(".").lower()
    path = exc.filename
    if path is None:
        return what
    where = f"{path} -> {exc.filename2}" if exc.filename2 else f"{path}"
    return f"{what} while writing {where}" if code in WRITE_ERRNOS else f"{what}: {where}"
