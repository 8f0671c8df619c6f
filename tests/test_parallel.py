"""`--workers N`: same bytes as one worker, input order kept, bounded work in flight."""

from __future__ import annotations

import pytest
from conftest import build, output_bytes, write_articles, write_feed

from corpus.pipeline import WINDOW_PER_WORKER, ProcessorConfig, ShardResult, map_shards, shard_documents
from corpus.segment.core import segment_document


@pytest.fixture
def small_shards(monkeypatch):
    """Several shards even from a few dozen articles, so the pool really interleaves work."""
    monkeypatch.setattr("corpus.pipeline.shards.SHARD_TARGET", 3)
    monkeypatch.setattr("corpus.pipeline.shards.SHARD_MAX_DOCS", 5)


def test_workers_give_byte_identical_outputs(tmp_path, small_shards):
    src = write_articles(tmp_path / "in", 40)
    write_feed(src / "feed.jsonl", 25, seed=3)
    results = {}
    for workers in (1, 2, 3):
        result, reporter = build(src, tmp_path / f"out{workers}", workers=workers)
        assert result.stats.documents == 65 and reporter.errors == 0
        assert result.shards > 6
        results[workers] = (output_bytes(tmp_path / f"out{workers}"), result.stats)
    assert results[1][0]["documents.jsonl"]
    assert results[1] == results[2] == results[3]


def test_workers_report_failures_in_input_order(tmp_path, small_shards):
    src = write_articles(tmp_path / "in", 20)
    for i in (3, 11, 17):
        (src / f"article_{i:04d}.txt").write_text(f"Item {i}.\n\nThe EXPLODE word trips the labeller.\n")
    paths = {}
    for workers in (1, 2):
        result, reporter = build(src, tmp_path / f"out{workers}", workers=workers)
        assert result.stats.failed == 3 and result.stats.documents == 17
        paths[workers] = [p.path for p in reporter.problems if p.severity == "error"]
    assert paths[1] == paths[2]
    assert [p.rsplit("_", 1)[1] for p in paths[1]] == ["0003.txt", "0011.txt", "0017.txt"]


def _docs(n: int) -> list[dict]:
    from corpus.document import new_document

    return [new_document(f"Sentence number {i} is here. Another one follows.", f"mem:{i}") for i in range(n)]


def test_map_shards_keeps_order_and_passes_ready_results_through():
    config = ProcessorConfig(stages=("segment",))
    shards = [[d] for d in _docs(10)]
    ready = ShardResult(b"cached\n", {"documents": 1}, [], cached=True)
    items = [(i, ready if i % 4 == 0 else shard) for i, shard in enumerate(shards)]
    out = list(map_shards(items, config, workers=2))
    assert [tag for tag, _ in out] == list(range(10))
    for i, result in out:
        if i % 4 == 0:
            assert result is ready
        else:
            expected = segment_document(_docs(10)[i])
            assert result.stats["documents"] == 1 and expected["id"].encode() in result.data


def test_map_shards_reads_its_input_lazily():
    """Never more than a bounded window of shards ahead of the consumer (Pool.imap would read everything)."""
    pulled = 0

    def source():
        nonlocal pulled
        for shard in shard_documents(_docs(200), target=10**9, max_docs=2):
            pulled += 1
            yield pulled, shard

    stream = map_shards(source(), ProcessorConfig(stages=("segment",)), workers=2)
    next(stream)
    assert pulled <= WINDOW_PER_WORKER * 2 + 1
    assert sum(1 for _ in stream) == 99


def test_shards_have_content_defined_boundaries():
    docs = _docs(300)
    shards = list(shard_documents(docs, target=8, max_docs=1000))
    assert sum(len(s) for s in shards) == 300 and len(shards) > 5
    # Dropping the first article changes the first shard only; the later boundaries stay where they were.
    later = list(shard_documents(docs[1:], target=8, max_docs=1000))
    assert [[d["id"] for d in s] for s in shards[1:]] == [[d["id"] for d in s] for s in later[1:]]


def test_rules_labellers_give_the_same_bytes_with_two_workers(tmp_path, small_shards):
    src = write_articles(tmp_path / "in", 24)
    one, _ = build(src, tmp_path / "one", backends=None)
    two, _ = build(src, tmp_path / "two", backends=None, workers=2)
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")
    assert one.stats == two.stats


def _dataset_from_documents(out, tmp_path) -> dict[str, bytes]:
    """The dataset `corpus publish` builds from the build's own documents.jsonl (rows made in this process)."""
    from corpus.publish import build_dataset

    build_dataset(out / "documents.jsonl", tmp_path / "published" / "dataset", trusted=True)  # the card names it
    return output_bytes(tmp_path / "published" / "dataset")


def test_dataset_rows_made_in_the_workers_give_the_same_dataset(tmp_path, small_shards, monkeypatch):
    src = write_articles(tmp_path / "in", 30)
    write_feed(src / "feed.jsonl", 12, seed=5)
    made = []
    from corpus.pipeline import rows as rows_mod

    original = rows_mod.ShardRows.dump
    monkeypatch.setattr(rows_mod.ShardRows, "dump", lambda self: made.append(len(self.entries)) or original(self))
    outputs = {}
    for workers in (1, 2):
        result, reporter = build(src, tmp_path / f"out{workers}", workers=workers, dataset=True)
        assert reporter.errors == 0 and result.shards > 4
        outputs[workers] = output_bytes(tmp_path / f"out{workers}")
    assert sum(made) == 42  # the serial build's shards: every document's rows were made beside its tasks
    dataset = {k: v for k, v in outputs[1].items() if k.startswith("dataset/")}
    assert any(k.endswith(".parquet") for k in dataset)
    assert outputs[1] == outputs[2]
    assert {k.removeprefix("dataset/"): v for k, v in dataset.items()} == _dataset_from_documents(
        tmp_path / "out1", tmp_path
    )


def test_a_record_the_workers_cannot_row_is_read_back_as_before(tmp_path):
    """A record without an origin travels as its line and gets the parent's origin (its documents.jsonl line)."""
    import pickle

    import orjson

    from corpus.document import new_document
    from corpus.pipeline.rows import ShardRows, spilled_rows

    made = ShardRows()
    kept, bare = (segment_document(new_document(f"Text {i} is here. Then more.", f"mem:{i}")) for i in range(2))
    del bare["origin"]
    for doc in (kept, bare):
        made.add(doc, orjson.dumps(doc))
    entries = pickle.loads(made.dump())
    assert isinstance(entries[1], bytes) and not isinstance(entries[0], bytes)
    (line1, stub, done), (line2, record, none) = spilled_rows(iter([made.dump()]), tmp_path / "documents.jsonl")
    assert (line1, line2, none) == (1, 2, None) and stub["id"] == kept["id"] and done.columns["documents"]
    assert record["origin"] == f"{tmp_path / 'documents.jsonl'}:2"


def test_an_interrupted_build_stops_its_dataset_thread(tmp_path, small_shards, monkeypatch):
    """With workers the dataset is built alongside in a thread: a build stopped mid-stream ends it, writes no
    dataset, and leaves no thread behind."""
    import threading

    from corpus import build as build_mod

    src = write_articles(tmp_path / "in", 30)
    written = []
    original = build_mod._Build._write_shard

    def write_then_stop(self, key, shard, fh):
        if len(written) == 3:
            raise KeyboardInterrupt
        written.append(key)
        original(self, key, shard, fh)

    monkeypatch.setattr(build_mod._Build, "_write_shard", write_then_stop)
    with pytest.raises(KeyboardInterrupt):
        build(src, tmp_path / "out", workers=2, dataset=True)
    assert len(written) == 3
    assert not [t for t in threading.enumerate() if t.name == "corpus-dataset"]
    assert not (tmp_path / "out" / "dataset").exists()
    assert not [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".cache")]


def test_a_dataset_error_in_the_thread_fails_the_build(tmp_path, small_shards, monkeypatch):
    src = write_articles(tmp_path / "in", 12)

    def broken(*args, **kwargs):
        raise RuntimeError("dataset writer broke")

    monkeypatch.setattr("corpus.publish.build_dataset", broken)
    with pytest.raises(RuntimeError, match="dataset writer broke"):
        build(src, tmp_path / "out", workers=2, dataset=True)
    assert not (tmp_path / "out" / "documents.jsonl").exists()
