"""Hand the C allocator's free pages back to the operating system at the points where a build has just let go
of a lot of memory (issue 15).

glibc's ``malloc`` returns freed memory to the system only from the top of its heap; pages freed in the middle
stay in the process's resident set until ``malloc`` reuses them. A build's phases leave such pages behind (the
documents phase's shards, the dataset's batches once written as a row group), so the peak grew with the corpus
although the live data did not. ``malloc_trim(0)`` releases every whole free page (``madvise``), wherever it is.
Elsewhere (macOS, musl, Windows) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

__all__ = ["release_free_memory"]


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc >= 2.33): ``fordblks`` is the bytes free inside the heap."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


@cache
def _glibc() -> tuple | None:
    """glibc's ``(malloc_trim, mallinfo2 or None)``, or ``None`` where there is no ``malloc_trim``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    info = getattr(libc, "mallinfo2", None)  # glibc < 2.33: trim unconditionally
    if info is not None:
        info.argtypes, info.restype = [], _MallInfo2
    return trim, info


def release_free_memory(min_free: int = 0) -> bool:
    """Give the allocator's free pages back to the system when at least ``min_free`` bytes sit free in its heap
    (a released page that is soon needed again costs a page fault: trimming after every parquet batch of a 10x
    build cost ~3 s of system time); whether it trimmed (glibc only)."""
    found = _glibc()
    if found is None:
        return False
    trim, info = found
    if min_free and info is not None and info().fordblks < min_free:
        return False
    trim(0)
    return True
