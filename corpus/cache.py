"""Content-addressed build cache, staging, and the atomic commit of a build's whole output set.

A build never writes into its live outputs. Everything goes to a staging folder inside OUT; when every output
is complete, the changed top-level entries (``documents.jsonl``, ``tasks/``, ``dataset/``) are swapped in
under a commit journal, and a manifest describing the committed build is written last. A build killed before
the commit leaves the old outputs untouched (the stale staging folder is removed by the next build); a build
killed during the handful of renames of the commit is rolled forward from the journal by the next build, so a
reader never sees a truncated file, and the next build always starts from one consistent output set.

Layout under OUT::

    .cache/lock                   held (flock) while a build runs: two builds never write one OUT
    .cache/manifest.json          the committed build: fingerprint, stats, problems, output files (size, mtime)
    .cache/commit.json            commit journal; exists only while outputs are being swapped in
    .cache/shards/<key>.jsonl     processed documents of one shard, keyed by content + configuration + code
    .cache/shards/<key>.json      that shard's stats and problems; written last, so it marks the shard complete
    .staging-<token>/             the build being written (``.old/`` inside it holds replaced outputs briefly)

Unchanged output files are never rewritten: a staged file with the same bytes as its live counterpart is
dropped (or, inside a changed folder, replaced by a hard link to the live file), so reruns keep inodes and
mtimes.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import hashlib
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from corpus.errors import CorpusError
from corpus.jsonl import atomic_writer

CACHE_DIR = ".cache"
STAGING_PREFIX = ".staging-"
MANIFEST = "manifest.json"
JOURNAL = "commit.json"
CACHE_FORMAT = 1  # bump when the layout or the meaning of a cached shard changes


def digest(*parts: bytes | str) -> str:
    """A short, stable content hash (BLAKE2b, 128 bits, hex)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x00")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the installed ``corpus`` package's code and data files.

    Labeller versions are part of every cache key too, but a developer who edits a labeller without bumping
    its version must not get stale cached results: any change to the package invalidates the cache.
    """
    import corpus

    root = Path(corpus.__file__).parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".txt", ".tsv", ".json"}:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def config_fingerprint(config: dict[str, Any]) -> str:
    return digest(orjson.dumps(config, option=orjson.OPT_SORT_KEYS), code_fingerprint(), str(CACHE_FORMAT))


def hash_inputs(files: Iterable[Path]) -> tuple[str, int]:
    """Fingerprint of the input files (names and bytes) and an estimate of how many articles they hold.

    The estimate (one per file, one per non-blank line of a JSONL feed) gives the progress bar its ETA.
    """
    h = hashlib.blake2b(digest_size=16)
    estimate = 0
    for file in files:
        h.update(str(file).encode("utf-8", "surrogateescape") + b"\x00")
        is_jsonl = file.suffix.lower() in {".jsonl", ".ndjson"}
        try:
            with open(file, "rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
                    if is_jsonl:
                        estimate += block.count(b"\n")
        except OSError:
            h.update(b"<unreadable>")  # the reader reports it; an unreadable file must still change the key
        if not is_jsonl:
            estimate += 1
    return h.hexdigest(), estimate


def _checksum(data: bytes) -> str:
    import xxhash

    return xxhash.xxh3_64_hexdigest(data)


class ShardCache:
    """Processed shards on disk, addressed by a key over their input records, configuration and code."""

    def __init__(self, root: Path):
        self.root = root

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.jsonl", self.root / f"{key}.json"

    def get(self, key: str) -> tuple[Path, dict] | None:
        """The shard's data path and info, or None when it is missing, incomplete or corrupt (checksum)."""
        data, meta = self._paths(key)
        try:
            info = orjson.loads(meta.read_bytes())
            if data.stat().st_size != info.get("bytes") or _checksum(data.read_bytes()) != info.get("xxh3"):
                return None
        except (OSError, orjson.JSONDecodeError, AttributeError):
            return None
        return data, info

    def put(self, key: str, data: bytes | memoryview, info: dict) -> None:
        # Not fsynced: a shard is a cache entry, verified by its checksum when read back (a torn write after a
        # crash is recomputed), so the build does not wait for the disk once per shard.
        data_path, meta_path = self._paths(key)
        with atomic_writer(data_path, durable=False) as fh:
            fh.write(data)
        try:
            with atomic_writer(meta_path, durable=False) as fh:  # last: its presence marks the shard complete
                fh.write(orjson.dumps({**info, "bytes": len(data), "xxh3": _checksum(data)}))
        except BaseException:
            data_path.unlink(missing_ok=True)  # no info, no use: do not leave the data behind (a full disk)
            raise

    def prune(self, keep: set[str]) -> int:
        """Delete shards not in ``keep`` (the cache holds the last build's shards, so it stays bounded)."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in self.root.iterdir():
            key = path.name.split(".", 1)[0]
            if key not in keep:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed += 1
        return removed


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on OUT for the whole build: two builds into one folder would corrupt it."""
    import fcntl

    lock_path = out / CACHE_DIR / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise CorpusError(f"another build is writing to {out}; wait for it to finish") from None
            raise
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def new_staging(out: Path) -> Path:
    staging = out / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    return staging


def read_manifest(out: Path) -> dict | None:
    try:
        return orjson.loads((out / CACHE_DIR / MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def _file_signatures(out: Path, entries: Iterable[str]) -> dict[str, list[int]]:
    """``{relative path: [size, mtime_ns, inode]}`` for every file under the given top-level entries."""
    sigs: dict[str, list[int]] = {}
    for entry in entries:
        root = out / entry
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for file in files:
            st = file.stat()
            sigs[file.relative_to(out).as_posix()] = [st.st_size, st.st_mtime_ns, st.st_ino]
    return sigs


def outputs_intact(out: Path, manifest: dict) -> bool:
    """True when every output the manifest lists is on disk, untouched since the build that wrote it."""
    entries = manifest.get("entries", [])
    if not all((out / e).exists() for e in entries):
        return False
    return _file_signatures(out, entries) == manifest.get("files")


def _same_file(a: Path, b: Path) -> bool:
    return a.is_file() and b.is_file() and a.stat().st_size == b.stat().st_size and filecmp.cmp(a, b, shallow=False)


def _same_tree(staged: Path, live: Path) -> bool:
    """Same file names and bytes under both folders (file vs file compares bytes)."""
    if staged.is_file() or live.is_file():
        return _same_file(staged, live)
    if not live.is_dir():
        return False
    a = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*"))
    b = sorted(p.relative_to(live).as_posix() for p in live.rglob("*"))
    return a == b and all(_same_file(staged / rel, live / rel) for rel in a if (staged / rel).is_file())


def _link_unchanged(staged: Path, live: Path) -> None:
    """Inside a changed folder, keep each unchanged file's inode (and mtime) by hard-linking the live one."""
    if not live.is_dir() or not staged.is_dir():
        return
    for file in staged.rglob("*"):
        old = live / file.relative_to(staged)
        if file.is_file() and _same_file(file, old):
            tmp = file.with_name(f".{file.name}.link")
            try:
                os.link(old, tmp)
                os.replace(tmp, file)
            except OSError:  # a filesystem without hard links: the new copy is fine, just a new inode
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C / SIGTERM for the few renames of a commit (delivered right after)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def commit(out: Path, staging: Path, entries: list[str], manifest: dict) -> list[str]:
    """Swap the staged ``entries`` into OUT as one unit, write the manifest, return the entries replaced.

    Entries the previous build published but this one does not (e.g. ``dataset/`` after ``--no-dataset``)
    are removed, so OUT never mixes two builds. Files identical to the live ones are not rewritten.
    """
    previous = read_manifest(out) or {}
    changed = []
    for entry in entries:
        staged, live = staging / entry, out / entry
        if live.exists() and _same_tree(staged, live):
            continue
        _link_unchanged(staged, live)
        changed.append(entry)
    stale = [e for e in previous.get("entries", []) if e not in entries and (out / e).exists()]
    journal = {"staging": staging.name, "swap": changed, "remove": stale, "manifest": manifest}
    cache = out / CACHE_DIR
    with _signals_deferred():
        with atomic_writer(cache / JOURNAL) as fh:
            fh.write(orjson.dumps(journal))
        _apply_journal(out, journal)
    return changed


def _apply_journal(out: Path, journal: dict) -> None:
    """Perform (or finish) a commit; every step is idempotent, so it can be replayed after a crash."""
    staging = out / journal["staging"]
    old = staging / ".old"
    old.mkdir(parents=True, exist_ok=True)
    for entry in journal["swap"]:
        new, live = staging / entry, out / entry
        if new.exists():
            if live.exists():
                _move_aside(live, old / entry)
            live.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new, live)
    for entry in journal["remove"]:
        if (out / entry).exists():
            _move_aside(out / entry, old / entry)
    manifest = dict(journal["manifest"])
    manifest["files"] = _file_signatures(out, manifest.get("entries", []))
    with atomic_writer(out / CACHE_DIR / MANIFEST) as fh:
        fh.write(orjson.dumps(manifest))
    (out / CACHE_DIR / JOURNAL).unlink()
    _remove(staging)


def _move_aside(live: Path, old: Path) -> None:
    if old.exists():  # replayed after a crash: the previous output is already aside
        _remove(live)
    else:
        old.parent.mkdir(parents=True, exist_ok=True)
        os.replace(live, old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def recover(out: Path) -> str | None:
    """Finish a commit interrupted by a crash, then drop staging folders of builds that never committed.

    Returns a note for the user when something was repaired.
    """
    note = None
    journal_path = out / CACHE_DIR / JOURNAL
    if journal_path.exists():
        try:
            journal = orjson.loads(journal_path.read_bytes())
        except orjson.JSONDecodeError:
            journal = None  # the journal itself was never completed: the commit had not started
            journal_path.unlink()
        if journal is not None:
            _apply_journal(out, journal)
            note = f"finished the interrupted commit of the previous build in {out}"
    if out.is_dir():
        for stale in out.glob(f"{STAGING_PREFIX}*"):
            _remove(stale)
            note = note or f"removed the unfinished output of an interrupted build in {out}"
    return note
