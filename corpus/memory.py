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

__all__ = ["one_malloc_arena", "release_free_memory"]


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc >= 2.33): ``fordblks`` is the bytes free inside the heap."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


@cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or ``None`` elsewhere (macOS, musl, Windows: their allocators need none of this)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "malloc_trim") else None


@cache
def _glibc() -> tuple | None:
    """glibc's ``(malloc_trim, mallinfo2 or None)``, or ``None`` off glibc."""
    libc = _libc()
    if libc is None:
        return None
    trim = libc.malloc_trim
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    info = getattr(libc, "mallinfo2", None)  # glibc < 2.33: trim unconditionally
    if info is not None:
        info.argtypes, info.restype = [], _MallInfo2
    return trim, info


_M_ARENA_MAX = -8  # glibc's mallopt parameter


def one_malloc_arena() -> None:
    """Make this process's threads allocate from the main thread's glibc arena, not one each.

    The pool's result thread unpickles every shard's tasks and the build's dataset thread makes row lists, both
    while the main thread writes: in arenas of their own, freed pages stayed with them (-w 2 on the 4x feed,
    MALLOC_ARENA_MAX=1: the parent's peak 306 -> 284 MB). The GIL serialises these allocations anyway. glibc
    fixes the arena limit when a second thread first allocates, so this runs before the pool starts a thread;
    no-op off glibc."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)


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
