"""The dataset phase keeps little in memory: a batch's rows become Arrow arrays in pieces, and a shard's rows are
unpickled one document at a time. Both must leave the parquet bytes and the rows exactly as they were."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from corpus.document import new_document
from corpus.pipeline.rows import Pickled, ShardRows, spilled_rows
from corpus.publish.arrow import column_array
from corpus.publish.dataset import ConfigWriter, config_features
from corpus.publish.features import List, Value
from corpus.segment.core import segment_document

_FEATURES = {
    "id": Value("string"),
    "text": Value("string"),
    "n": Value("int32"),
    "score": Value("float64"),
    "flag": Value("bool"),
    "words": List(Value("string")),
    "spans": List({"start": Value("int32"), "end": Value("int32"), "label": Value("string")}),
    "pair": {"a": Value("int64"), "b": Value("string")},
}


def _maybe(rng: random.Random, value: object, nulls: bool) -> object:
    return None if nulls and rng.random() < 0.2 else value


def _rows(seed: int, n: int, nulls: bool) -> list[dict]:
    """Rows with every kind of value the configs hold; ``nulls``: some values are null (others never are)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = [rng.choice(["Ann", "said", "é", "𝔘", ""]) for _ in range(rng.randrange(4))]
        spans = [(rng.randrange(9), rng.randrange(9), _maybe(rng, "PER", nulls)) for _ in range(rng.randrange(3))]
        rows.append(
            {
                "id": f"d:{i}",
                "text": _maybe(rng, " ".join(words), nulls),
                "n": _maybe(rng, rng.randrange(-5, 5), nulls),
                "score": _maybe(rng, rng.random(), nulls),
                "flag": _maybe(rng, rng.random() < 0.5, nulls),
                "words": _maybe(rng, words, nulls),
                "spans": _maybe(rng, spans, nulls),
                "pair": _maybe(rng, {"a": i, "b": _maybe(rng, "x", nulls)}, nulls),
            }
        )
    return rows


def _write(root: Path, rows: list[dict], piece_rows: int, batch_rows: int) -> dict[str, bytes]:
    writer = ConfigWriter(root, "cfg", _FEATURES, batch_rows=batch_rows, piece_rows=piece_rows)
    rng = random.Random(len(rows))
    at = 0
    while at < len(rows):  # documents' row counts vary: chunks of 0 to 6 rows, some in another split
        chunk = rows[at : at + rng.randrange(7)]
        at += len(chunk)
        if chunk:
            writer.add("train" if rng.random() < 0.8 else "test", {k: [r[k] for r in chunk] for k in chunk[0]})
    files = writer.close()
    assert sum(f.rows for f in files.values()) == len(rows)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.parquet"))} | {
        f"{split}.num_bytes": str(f.num_bytes).encode() for split, f in files.items()
    }


def test_pieces_give_the_parquet_bytes_of_one_conversion(tmp_path: Path) -> None:
    for nulls in (False, True):
        rows = _rows(7, 400, nulls)
        whole = _write(tmp_path / f"whole{nulls}", rows, piece_rows=10**9, batch_rows=97)
        for piece_rows in (1, 3, 40):
            assert _write(tmp_path / f"p{piece_rows}{nulls}", rows, piece_rows, batch_rows=97) == whole


def test_concatenated_pieces_equal_the_array_of_all_values() -> None:
    """Values, null counts, validity buffers (absent when nothing is null) and nbytes (the card's num_bytes)."""
    from corpus.publish.features import arrow_schema

    schema = arrow_schema(_FEATURES)
    for nulls in (False, True):
        rows = _rows(3, 60, nulls)
        for field in schema:
            values = [r[field.name] for r in rows]
            whole = column_array(values, field.type)
            pieces = [column_array(values[i : i + 7], field.type) for i in range(0, len(values), 7)]
            joined = pa.concat_arrays(pieces)
            assert joined.equals(whole) and joined.nbytes == whole.nbytes, field.name
            assert joined.null_count == whole.null_count
            assert (joined.buffers()[0] is None) == (whole.buffers()[0] is None), field.name


def test_a_shard_is_unpickled_one_document_at_a_time(tmp_path: Path) -> None:
    made = ShardRows()
    docs = [segment_document(new_document(f"Ann Lee said {i} things. Then more.", f"mem:{i}")) for i in range(3)]
    for doc in docs:
        made.add(doc, orjson.dumps(doc))
    entries = pickle.loads(made.dump())
    assert all(isinstance(e, Pickled) for e in entries)  # each document's rows stay bytes until they are read
    out = list(spilled_rows(iter([made.dump(), made.dump()]), tmp_path / "documents.jsonl"))
    assert [line for line, _, _ in out] == [1, 2, 3, 4, 5, 6]
    assert [stub["id"] for _, stub, _ in out] == [d["id"] for d in docs] * 2
    features = config_features()
    for (_, _, rows), doc in zip(out, docs * 2, strict=True):
        assert rows.columns["documents"]["text"] == [doc["text"]]
        assert set(rows.columns["entities"]) <= set(features["entities"])


def test_making_rows_does_not_import_pyarrow() -> None:
    """A build's workers make rows but write no parquet: pyarrow (~30 MB a process) stays out of them."""
    import subprocess
    import sys

    code = (
        "import sys, orjson\n"
        "from corpus.document import new_document\n"
        "from corpus.pipeline.rows import ShardRows\n"
        "from corpus.segment.core import segment_document\n"
        "doc = segment_document(new_document('Ann Lee said so. Then more.', 'mem:1'))\n"
        "made = ShardRows()\n"
        "made.add(doc, orjson.dumps(doc))\n"
        "made.dump()\n"
        "assert 'pyarrow' not in sys.modules, 'pyarrow imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("preset", [None, "mimalloc"])
def test_the_dataset_makes_malloc_arrows_default_allocator_unless_told(tmp_path: Path, preset: str | None) -> None:
    """Parquet's content-defined chunking allocates from Arrow's C++ default pool: malloc, unless the user chose."""
    import os
    import subprocess
    import sys

    from conftest import documents, write_documents

    path = write_documents(tmp_path, documents())
    code = (
        "import sys\n"
        "from corpus.publish import build_dataset\n"
        f"build_dataset({str(path)!r}, {str(tmp_path / 'dataset')!r}, trusted=True)\n"
        "import pyarrow as pa\n"
        "print(pa.default_memory_pool().backend_name)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert done.stdout.split() == [preset or "system"]
