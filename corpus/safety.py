"""Guards on where `corpus` writes: output folders and names that come from inputs.

A build writes many files and replaces earlier ones, so a mistyped ``--out`` (``/``, ``~``, ``../..``) must
not land outside the project, and no name taken from an input (an archive member, an id in a JSONL record)
may climb out of the folder it is written into.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

from corpus.errors import CorpusError


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_dir(
    path: str | Path,
    allow_outside: bool = False,
    root: str | Path | None = None,
    inputs: Iterable[str | Path] = (),
    what: str = "output folder",
) -> Path:
    """Resolve an output folder, refusing one outside ``root`` (default: the working folder) unless
    ``allow_outside``, and always refusing one inside an input folder (the next run would read the outputs as
    articles). Returns the resolved path; raises :class:`CorpusError` with the fix in the message.
    """
    root = Path(root or Path.cwd()).resolve()
    out = Path(path).expanduser().resolve()
    if out == Path(out.anchor):
        raise CorpusError(f"refusing to write outputs to the filesystem root {out}")
    if not allow_outside and not _inside(out, root):
        raise CorpusError(
            f"{what} {out} is outside the project folder {root}; pass --allow-outside to write there anyway"
        )
    for raw in inputs:
        source = Path(raw).expanduser().resolve()
        if source.is_dir() and _inside(out, source):
            raise CorpusError(
                f"{what} {out} is inside the input folder {source}: the next run would read "
                "its own outputs as articles; choose another --out"
            )
    return out


def _check_member_name(folder: str | Path, name: str) -> None:
    """Refuse an empty name, a NUL, an absolute name (POSIX or Windows, with or without a drive) and ``..``."""
    if not name or "\x00" in name:
        raise CorpusError(f"unsafe name {name!r}: empty or contains a NUL byte")
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or name.startswith(("/", "\\")):
        raise CorpusError(f"unsafe name {name!r}: absolute paths are not allowed")
    if ".." in posix.parts or ".." in windows.parts:
        raise CorpusError(f"unsafe name {name!r}: '..' would leave {folder}")


def safe_member_path(folder: str | Path, name: str) -> Path:
    """``folder / name`` for a name that comes from an input (archive member, record field), refusing absolute
    names, drive letters, ``..`` components, NULs and anything that would resolve outside ``folder``."""
    _check_member_name(folder, name)
    base = Path(folder).resolve()
    target = (base / name).resolve()
    if not _inside(target, base) or target == base:
        raise CorpusError(f"unsafe name {name!r}: resolves to {target}, outside {base}")
    return target


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor)


def check_output_path(
    path: str | Path,
    kind: str = "dir",
    allow_outside: bool = False,
    root: str | Path | None = None,
    inputs: Iterable[str | Path] = (),
) -> Path:
    """The rule of :func:`check_output_dir` for any output (``kind`` ``"dir"`` or ``"file"``), plus what would
    only fail half-way through a run: a file where a folder is expected (or the reverse), a path below an
    existing file, a folder that cannot be written. Returns the resolved path; raises :class:`CorpusError`.
    """
    if kind not in ("dir", "file"):
        raise ValueError(f"kind must be 'dir' or 'file', not {kind!r}")
    what = "output folder" if kind == "dir" else "output file"
    out = check_output_dir(path, allow_outside=allow_outside, root=root, inputs=inputs, what=what)
    _check_output_kind(out, kind)
    _check_writable(out, _nearest_existing(out if kind == "dir" else out.parent))
    return out


def _check_output_kind(out: Path, kind: str) -> None:
    """Refuse a file where a folder is expected, and the reverse."""
    if kind == "dir" and out.exists() and not out.is_dir():
        raise CorpusError(f"output folder {out} is an existing file; choose a folder")
    if kind == "file" and out.is_dir():
        raise CorpusError(f"output file {out} is an existing folder; name a file")


def _check_writable(out: Path, existing: Path) -> None:
    """``existing``, the nearest existing folder above ``out``, must be a writable folder."""
    if not existing.is_dir():
        raise CorpusError(f"cannot write {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CorpusError(f"cannot write {out}: folder {existing} is not writable")
