"""Model folders: ``meta.json`` + ``pipeline/`` (a spaCy pipeline), hashed as a whole for the labeller version."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.jsonl import loads

META = "meta.json"
PIPELINE = "pipeline"
FORMAT = 1  # bumped when the folder layout or the meaning of meta.json changes


def folder_hash(path: str | Path) -> str:
    """SHA-256 over every file's relative path and bytes, in sorted order: any change to the model changes it."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(file.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def read_meta(path: str | Path) -> dict[str, Any]:
    """The model folder's ``meta.json``; a folder that is not a corpus model gets one clear line."""
    root = Path(path)
    meta_path = root / META
    if not root.is_dir():
        raise CorpusError(f"{root}: model folder not found (train one with `corpus train LAYER GOLD -o {root}`)")
    if not meta_path.is_file() or not (root / PIPELINE).is_dir():
        raise CorpusError(f"{root}: not a corpus model folder (needs {META} and {PIPELINE}/ from `corpus train`)")
    try:
        meta = loads(meta_path.read_bytes())
    except ValueError as exc:
        raise CorpusError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("layer"), str):
        raise CorpusError(f"{meta_path}: no 'layer' field; not written by `corpus train`")
    return meta


def check_output(out: Path) -> None:
    """Refuse to replace a folder that is not a model folder (it may hold anything)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / META).is_file())):
        raise CorpusError(f"{out} exists and is not a corpus model folder; choose another -o or remove it")


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out``, swapped into place when the block succeeds (removed when it fails)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield stage
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(stage, out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    import orjson

    (folder / META).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
