"""JSON Lines in and out: orjson for speed, atomic writes, line-numbered errors."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from corpus.errors import WRITE_ERRNOS, InputProblem


def dumps(obj: Any) -> bytes:
    """Compact, deterministic JSON (dict order is construction order; non-ASCII kept as UTF-8)."""
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def read_jsonl(path: str | Path, on_problem: Callable[[InputProblem], None] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for each JSON line; report malformed lines and keep going.

    Without ``on_problem`` a malformed line raises :class:`corpus.errors.InputError`.
    """
    from corpus.errors import InputError

    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                problem = InputProblem(str(path), f"malformed JSON ({exc.args[0].split(':')[0]})", line=lineno)
                if on_problem is None:
                    raise InputError(problem) from None
                on_problem(problem)


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "wb", durable: bool = True) -> Iterator[IO]:
    """Write to a temp file beside ``path`` and rename it into place only on success.

    ``durable`` flushes the file to disk before the rename (a crash then leaves the old or the new file, never a
    torn one); a cache whose readers verify a checksum can skip that wait.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        exc.filename = str(path)  # name the output, not the random temporary name
        raise
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; published files should be readable
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        name_failed_write(exc, path)
        raise


def name_failed_write(exc: BaseException, path: str | Path) -> None:
    """Give a write error without a file name (``fh.write`` on a full disk) the path being written, so the
    one-line message says which output failed."""
    if isinstance(exc, OSError) and exc.filename is None and exc.errno in WRITE_ERRNOS:
        exc.filename = str(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_jsonl(path: str | Path, records: Iterable[Any], skip_if_empty: bool = False) -> int:
    """Atomically write ``records`` as JSON Lines; return how many were written.

    With ``skip_if_empty`` and no record, nothing is written and an existing file is left as it was.
    """
    try:
        with atomic_writer(path) as fh:
            n = 0
            for rec in records:
                fh.write(dumps(rec))
                fh.write(b"\n")
                n += 1
            if n == 0 and skip_if_empty:
                raise _NothingToWrite
    except _NothingToWrite:
        return 0
    return n


class _NothingToWrite(Exception):
    """Aborts an atomic write (its temp file is removed) when there was nothing to write."""
