"""JSON Lines in and out: orjson for speed, atomic writes, line-numbered errors; JSON arrays read element by
element with their line numbers (Label Studio task and export files)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from corpus.errors import WRITE_ERRNOS, InputError, InputProblem


def dumps(obj: Any) -> bytes:
    """Compact, deterministic JSON (dict order is construction order; non-ASCII kept as UTF-8)."""
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def read_jsonl(path: str | Path, on_problem: Callable[[InputProblem], None] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, object)`` for each JSON line; report malformed lines and keep going.

    Without ``on_problem`` a malformed line raises :class:`corpus.errors.InputError`.
    """
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


def iter_json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, element)`` for each element of a top-level JSON array, so errors can name lines.

    A file that is not UTF-8, not a JSON array, or broken part way raises :class:`InputError` (after the
    elements before the break).
    """
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(InputProblem(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")) from None
    pos = text.find("[")
    if pos < 0 or text[:pos].strip():
        raise InputError(InputProblem(str(path), "not a JSON array (expected '[' at the start)", line=1))
    yield from _array_elements(path, text, pos + 1)


def _array_elements(path: Path, text: str, pos: int) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    n = len(text)

    def skip_ws(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    pos = skip_ws(pos)
    if pos < n and text[pos] == "]":
        return
    line, counted_to = 1, 0  # lines counted incrementally: a count from 0 per element is quadratic

    def line_at(i: int) -> int:
        nonlocal line, counted_to
        line += text.count("\n", counted_to, i)
        counted_to = i
        return line

    while pos < n:
        line = line_at(pos)
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:  # named by the line its element starts on: the rest is unread from there
            where = f" at line {exc.lineno}" if exc.lineno != line else ""
            raise InputError(InputProblem(str(path), f"malformed JSON ({exc.msg}{where})", line=line)) from None
        yield line, obj
        pos = skip_ws(pos)
        if pos < n and text[pos] == ",":
            pos = skip_ws(pos + 1)
        elif pos < n and text[pos] == "]":
            return
        else:
            raise InputError(InputProblem(str(path), "malformed JSON array (expected ',' or ']')", line=line_at(pos)))
    raise InputError(InputProblem(str(path), "malformed JSON array (no closing ']': truncated?)", line=line_at(n)))
