"""Worker results through spill files (corpus.pipeline.transport): the same bytes as through the pipe, no file left."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from conftest import PRODIGY_ARTICLE, TEST_BACKENDS, build, make_article, output_bytes, write_articles

from corpus.build import TASK_FORMATS, _TaskFiles
from corpus.cache import STAGING_PREFIX as STAGING
from corpus.document import new_document
from corpus.pipeline import DocumentProcessor, ProcessorConfig, ShardResult, map_shards, shard_documents
from corpus.pipeline.transport import Spilled, restore, spill
from corpus.tasks import RenderedDocument

RENDER = (TASK_FORMATS, "paragraph", True, True)  # what a build's workers make: tasks, checks, dataset rows


def _processed() -> ShardResult:
    processor = DocumentProcessor(ProcessorConfig(backends=tuple(TEST_BACKENDS.items())))
    docs = [new_document(make_article(i, seed=5), f"mem:{i}") for i in range(5)]
    docs.append(new_document(PRODIGY_ARTICLE, "mem:astral"))
    return processor.process_shard(docs, RENDER)


def _tasks_written(result: ShardResult, out: Path) -> dict[str, bytes]:
    files = _TaskFiles(out, TASK_FORMATS)
    files.add(result.tasks)
    files.close()
    return output_bytes(out)


def test_a_spilled_result_writes_the_same_bytes_and_leaves_no_file(tmp_path):
    direct, sent = _processed(), _processed()
    folder = tmp_path / "spill"
    folder.mkdir()
    spilled = pickle.loads(pickle.dumps(spill(sent, folder)))  # what the pool carries
    assert len(list(folder.iterdir())) == 1
    assert len(pickle.dumps(spilled)) * 4 < len(direct.data) + len(pickle.dumps(direct.tasks))
    restored = restore(spilled)
    assert list(folder.iterdir()) == []  # unlinked once mapped
    assert isinstance(restored.data, memoryview) and restored.data == direct.data
    assert restored.rows == direct.rows and restored.stats == direct.stats and restored.checks == direct.checks
    assert isinstance(restored.tasks["prodigy"][0].items.pieces, memoryview)
    assert isinstance(restored.tasks["labelstudio"][0].items[0][1], memoryview)
    written = _tasks_written(restored, tmp_path / "spilled")
    assert written and written == _tasks_written(direct, tmp_path / "direct")


def test_what_is_not_task_bytes_stays_in_the_pickle(tmp_path):
    odd = [RenderedDocument({"not": "lines"}), RenderedDocument([(0, "text, not bytes")]), RenderedDocument([])]
    result = ShardResult(b"", {"documents": 0}, [], tasks={"other": odd})
    spilled = spill(result, tmp_path)
    assert isinstance(spilled, Spilled) and list(spilled.sizes) == [0]  # an empty shard: an empty file
    restored = restore(pickle.loads(pickle.dumps(spilled)))
    assert bytes(restored.data) == b"" and restored.rows is None
    assert [r.items for r in restored.tasks["other"]] == [{"not": "lines"}, [(0, "text, not bytes")], []]
    assert list(tmp_path.iterdir()) == []


def _docs(n: int) -> list[dict]:
    return [new_document(f"Sentence number {i} is here. Another one follows.", f"mem:{i}") for i in range(n)]


def test_map_shards_through_a_spill_folder_gives_the_serial_results_and_removes_it(tmp_path):
    config = ProcessorConfig(stages=("segment",))
    render = (("prodigy", "labelstudio"), "paragraph")
    serial = [r.data for _, r in map_shards(enumerate(shard_documents(_docs(30), max_docs=4)), config, 1)]
    folder = tmp_path / "spill"
    pooled = map_shards(enumerate(shard_documents(_docs(30), max_docs=4)), config, 2, render=render, spill_to=folder)
    first = next(pooled)
    assert folder.is_dir() and isinstance(first[1].data, memoryview)
    rest = [bytes(r.data) for _, r in pooled]
    assert [bytes(first[1].data), *rest] == serial
    assert not folder.exists()
    stopped = map_shards(enumerate(shard_documents(_docs(30), max_docs=2)), config, 2, spill_to=folder)
    next(stopped)
    stopped.close()  # the consumer stops early: results in flight are never collected
    assert not folder.exists()


def test_a_build_with_workers_leaves_no_spill_files_on_success_or_interruption(tmp_path, monkeypatch):
    import corpus.build
    import corpus.pipeline.workers as workers

    monkeypatch.setattr("corpus.pipeline.shards.SHARD_MAX_DOCS", 3)
    src = write_articles(tmp_path / "in", 14)
    restored = []
    monkeypatch.setattr(workers, "restore", lambda s: restored.append(s.path) or restore(s))
    one, _ = build(src, tmp_path / "one", formats=list(TASK_FORMATS), dataset=True)
    two, _ = build(src, tmp_path / "two", workers=2, formats=list(TASK_FORMATS), dataset=True)
    assert len(restored) == two.shards > 3  # every shard came back through a file
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")
    assert not [p for p in (tmp_path / "two").rglob("*") if ".spill" in p.parts]

    def interrupted(self, key, shard, fh):
        raise KeyboardInterrupt  # Ctrl-C while the workers' next results wait in the spill folder

    monkeypatch.setattr(corpus.build._Build, "_write_shard", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(src, tmp_path / "three", workers=2, formats=list(TASK_FORMATS), dataset=True)
    assert not [p for p in (tmp_path / "three").rglob("*") if ".spill" in p.parts or p.name.startswith(STAGING)]


def test_a_file_system_that_cannot_map_files_gets_the_file_read(tmp_path, monkeypatch):
    import mmap

    def unmappable(*args, **kwargs):
        raise OSError(19, "No such device")

    result = ShardResult(b'{"id": 1}\n', {"documents": 1}, [], rows=b"rows")
    spilled = spill(result, tmp_path)
    monkeypatch.setattr(mmap, "mmap", unmappable)
    restored = restore(spilled)
    assert bytes(restored.data) == b'{"id": 1}\n' and restored.rows == b"rows"
    assert list(tmp_path.iterdir()) == []


def test_where_spilling_is_unsupported_results_come_through_the_pipe(tmp_path, monkeypatch):
    import corpus.build
    import corpus.pipeline.workers as workers

    monkeypatch.setattr("corpus.pipeline.shards.SHARD_MAX_DOCS", 3)
    monkeypatch.setattr(corpus.build, "transport_supported", lambda: False)  # e.g. Windows: no os.writev
    monkeypatch.setattr(workers, "restore", lambda s: pytest.fail("a result was spilled"))
    src = write_articles(tmp_path / "in", 8)
    build(src, tmp_path / "one", formats=list(TASK_FORMATS), dataset=True)
    build(src, tmp_path / "two", workers=2, formats=list(TASK_FORMATS), dataset=True)
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")


def test_more_parts_than_one_writev_takes_and_a_short_write_come_back_whole(tmp_path, monkeypatch):
    import os

    import corpus.pipeline.transport as transport

    lines = [(i % 3, b"line %d\n" % i) for i in range(2500)]  # more than _IOV_MAX buffers
    result = ShardResult(b"docs\n", {"documents": 1}, [], tasks={"labelstudio": [RenderedDocument(lines)]})
    real_writev, calls = os.writev, []

    def short_writev(fd, buffers):  # the first call writes only part of what it is given
        calls.append(len(buffers))
        if len(calls) == 1:
            return os.write(fd, b"".join(buffers)[:100])
        return real_writev(fd, buffers)

    monkeypatch.setattr(transport.os, "writev", short_writev)
    restored = restore(spill(result, tmp_path))
    assert len(calls) >= 3 and max(calls) <= transport._IOV_MAX
    assert [(i, bytes(line)) for i, line in restored.tasks["labelstudio"][0].items] == lines
    assert bytes(restored.data) == b"docs\n" and list(tmp_path.iterdir()) == []


def test_a_spill_file_that_cannot_be_opened_reports_that_error(tmp_path):
    spilled = spill(ShardResult(b"x\n", {"documents": 1}, []), tmp_path)
    Path(spilled.path).unlink()
    with pytest.raises(FileNotFoundError, match=Path(spilled.path).name) as raised:
        restore(spilled)
    assert raised.value.__context__ is None  # the open's own error, not a second one from unlinking
