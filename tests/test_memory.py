"""corpus.memory: free allocator pages go back to the system (glibc), and nothing happens elsewhere."""

from __future__ import annotations

import ctypes.util
import sys

import pytest

from corpus import memory


def _rss_anon_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/self/status")


def _glibc() -> bool:
    return sys.platform.startswith("linux") and memory._glibc() is not None


def test_no_trim_is_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert memory.release_free_memory() is False


@pytest.mark.skipif(not _glibc(), reason="malloc_trim is glibc's")
def test_freed_pages_in_the_middle_of_the_heap_are_released():
    # Blocks below glibc's mmap threshold come from the heap; the last one stays alive, so the freed ones sit
    # below the top of the heap, where free() alone does not give them back.
    assert ctypes.util.find_library("c")
    memory.release_free_memory()
    blocks = [bytearray(64 << 10) for _ in range(640)]  # 40 MB, every page written
    keep = bytearray(64 << 10)
    del blocks
    before = _rss_anon_kb()
    assert memory.release_free_memory() is True
    after = _rss_anon_kb()
    assert before - after > 20 << 10, (before, after)
    del keep


@pytest.mark.skipif(not _glibc(), reason="malloc_trim is glibc's")
def test_min_free_skips_a_trim_that_would_release_little(monkeypatch):
    trims = []
    trim, info = memory._glibc()
    if info is None:
        pytest.skip("glibc < 2.33 has no mallinfo2: every call trims")
    monkeypatch.setattr(memory, "_glibc", lambda: (trims.append, info))
    free = info().fordblks
    assert memory.release_free_memory(min_free=free + (1 << 30)) is False
    assert memory.release_free_memory(min_free=1) is True
    assert memory.release_free_memory() is True
    assert trims == [0, 0]


def test_one_malloc_arena_is_a_no_op_off_glibc(monkeypatch):
    monkeypatch.setattr(memory, "_libc", lambda: None)
    memory.one_malloc_arena()  # nothing to call: must not raise
    assert memory._glibc.__wrapped__() is None  # the trim is off too, from the same test of the C library
