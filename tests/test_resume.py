"""Atomic, resumable builds: a killed build leaves the old outputs, `resume` continues, reruns rewrite nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import build, output_bytes, write_articles

import corpus.cache
from corpus.cache import build_lock
from corpus.errors import CorpusError
from corpus.pipeline import SegmentStage


@pytest.fixture(autouse=True)
def small_shards(monkeypatch):
    monkeypatch.setattr("corpus.pipeline.shards.SHARD_TARGET", 3)
    monkeypatch.setattr("corpus.pipeline.shards.SHARD_MAX_DOCS", 4)


def file_identities(out: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, mtime_ns, size) of every file under OUT, the cache included."""
    return {
        p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def interrupted_build(monkeypatch, src: Path, out: Path, **options) -> None:
    """A build of ``src`` into ``out`` killed (KeyboardInterrupt) after 17 documents were processed."""
    with monkeypatch.context() as m:
        count_processed(m, kill_after=17)
        with pytest.raises(KeyboardInterrupt):
            build(src, out, **options)


def count_processed(monkeypatch, kill_after: int | None = None) -> list[str]:
    """Record each document processed; optionally die like Ctrl-C after ``kill_after`` documents."""
    seen: list[str] = []
    original = SegmentStage.run

    def run(self, docs):
        for doc in docs:
            if kill_after is not None and len(seen) >= kill_after:
                raise KeyboardInterrupt
            seen.append(doc["id"])
            yield from original(self, [doc])

    monkeypatch.setattr(SegmentStage, "run", run)
    return seen


def test_rerun_without_changes_rewrites_nothing(tmp_path):
    src = write_articles(tmp_path / "in", 10)
    out = tmp_path / "out"
    first, _ = build(src, out)
    before, before_bytes = file_identities(out), output_bytes(out)
    again, _ = build(src, out)
    assert again.up_to_date and again.stats == first.stats
    assert file_identities(out) == before
    assert output_bytes(out) == before_bytes


def test_forced_rebuild_keeps_unchanged_files(tmp_path):
    src = write_articles(tmp_path / "in", 10)
    out = tmp_path / "out"
    build(src, out)
    before = file_identities(out)
    forced, _ = build(src, out, force=True)
    assert not forced.up_to_date and forced.rewritten == []
    after = file_identities(out)
    assert {k: v for k, v in after.items() if not k.startswith(".cache")} == {
        k: v for k, v in before.items() if not k.startswith(".cache")
    }


def test_a_changed_input_rebuilds(tmp_path):
    src = write_articles(tmp_path / "in", 6)
    out = tmp_path / "out"
    build(src, out)
    (src / "article_0002.txt").write_text("A different article.\n\nMaria Keller said 12 things.\n")
    result, _ = build(src, out)
    assert not result.up_to_date and "documents.jsonl" in result.rewritten
    assert b"A different article." in (out / "documents.jsonl").read_bytes()


@pytest.mark.parametrize("where", ["processing", "tasks", "commit-journal"])
def test_a_killed_build_leaves_the_old_outputs_intact(tmp_path, monkeypatch, where):
    src = write_articles(tmp_path / "in", 12)
    out = tmp_path / "out"
    build(src, out)
    old = output_bytes(out)
    (src / "article_0005.txt").write_text("Changed text.\n\nJonas Brandt said 7 people came.\n")
    with monkeypatch.context() as m:
        if where == "processing":
            count_processed(m, kill_after=6)
        elif where == "tasks":
            m.setattr("corpus.build._TaskFiles.close", _interrupt)
        else:
            m.setattr("corpus.cache._apply_journal", _interrupt)
        with pytest.raises(KeyboardInterrupt):
            build(src, out)
    assert output_bytes(out) == old  # never a mix, never a truncated file
    if where != "commit-journal":
        assert not list(out.glob(".staging-*"))
    # The next build starts clean and produces the new outputs.
    result, reporter = build(src, out)
    assert b"Changed text." in (out / "documents.jsonl").read_bytes()
    assert not list(out.glob(".staging-*")) and not (out / ".cache" / "commit.json").exists()
    fresh, _ = build(src, tmp_path / "fresh")
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_a_commit_killed_half_way_is_finished_by_the_next_build(tmp_path, monkeypatch):
    src = write_articles(tmp_path / "in", 8)
    out = tmp_path / "out"
    build(src, out, formats=["prodigy", "doccano"])
    (src / "article_0001.txt").write_text("Changed.\n\nLena Novak said 3 buses were late.\n")
    calls = []
    real_replace = os.replace

    def dying_replace(a, b):
        # Die right after the old documents.jsonl moved aside, before the new one moved in.
        calls.append((a, b))
        if ".old" in str(b) and "documents.jsonl" in str(b):
            real_replace(a, b)
            raise KeyboardInterrupt
        return real_replace(a, b)

    with monkeypatch.context() as m:
        m.setattr(corpus.cache.os, "replace", dying_replace)
        with pytest.raises(KeyboardInterrupt):
            build(src, out, formats=["prodigy", "doccano"])
    assert (out / ".cache" / "commit.json").exists() and not (out / "documents.jsonl").exists()
    result, reporter = build(src, out, formats=["prodigy", "doccano"])
    assert any("interrupted commit" in p.message for p in reporter.problems)
    assert result.up_to_date  # the rolled-forward commit is exactly this build
    fresh, _ = build(src, tmp_path / "fresh", formats=["prodigy", "doccano"])
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")


def test_resume_continues_from_completed_shards(tmp_path, monkeypatch):
    src = write_articles(tmp_path / "in", 30)
    out = tmp_path / "out"
    interrupted_build(monkeypatch, src, out)
    assert not (out / "documents.jsonl").exists()
    done = {p.name.split(".")[0] for p in (out / ".cache" / "shards").glob("*.json")}
    assert done, "completed shards are cached as they finish"
    with monkeypatch.context() as m:
        seen = count_processed(m)
        result, _ = build(src, out, resume=True)
    assert result.cached_shards == len(done) and result.stats.documents == 30
    assert 0 < len(seen) <= 30 - 1 and len(seen) <= 30 - result.cached_shards
    fresh, _ = build(src, tmp_path / "fresh")
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")
    # Only the shards of the committed build stay in the cache.
    kept = {p.name.split(".")[0] for p in (out / ".cache" / "shards").iterdir()}
    assert kept == set(corpus.cache.read_manifest(out)["shards"])


def test_resume_after_an_edit_recomputes_only_the_changed_shard(tmp_path, monkeypatch):
    src = write_articles(tmp_path / "in", 30)
    out = tmp_path / "out"
    first, _ = build(src, out)
    (src / "article_0020.txt").write_text("Edited.\n\nAisha Okafor said 40 homes flooded.\n")
    with monkeypatch.context() as m:
        seen = count_processed(m)
        result, _ = build(src, out, resume=True)
    assert result.cached_shards == first.shards - 1 or result.cached_shards == result.shards - 1
    assert 1 <= len(seen) <= 4  # one shard (at most SHARD_MAX_DOCS documents)
    fresh, _ = build(src, tmp_path / "fresh")
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")


def test_labeller_versions_are_part_of_the_cache_key_and_task_settings_are_not(tmp_path, monkeypatch):
    from conftest import SaidCues

    src = write_articles(tmp_path / "in", 8)
    out = tmp_path / "out"
    first, _ = build(src, out)
    with monkeypatch.context() as m:
        seen = count_processed(m)
        sentence_units, _ = build(src, out, resume=True, unit="sentence")
    assert sentence_units.cached_shards == first.shards and seen == []  # only the tasks changed
    with monkeypatch.context() as m:
        m.setattr(SaidCues, "version", "2")
        seen = count_processed(m)
        relabelled, _ = build(src, out, resume=True)
    assert relabelled.cached_shards == 0 and len(seen) == 8
    assert b'"sources":"test@2"' in (out / "documents.jsonl").read_bytes()


def test_two_builds_never_write_one_folder_at_once(tmp_path):
    src = write_articles(tmp_path / "in", 2)
    out = tmp_path / "out"
    out.mkdir()
    with build_lock(out), pytest.raises(CorpusError, match="another build"):
        build(src, out)


def test_a_build_with_workers_interrupted_mid_stream_leaves_the_old_outputs(tmp_path, monkeypatch):
    src = write_articles(tmp_path / "in", 24)
    out = tmp_path / "out"
    build(src, out, workers=2)
    old = output_bytes(out)
    (src / "article_0003.txt").write_text("Changed.\n\nOskar Silva said 9 trains were cancelled.\n")
    calls = []
    real_put = corpus.cache.ShardCache.put

    def put(self, key, data, info):
        calls.append(key)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while workers and task writers are busy
        return real_put(self, key, data, info)

    with monkeypatch.context() as m:
        m.setattr(corpus.cache.ShardCache, "put", put)
        with pytest.raises(KeyboardInterrupt):
            build(src, out, workers=2)
    assert output_bytes(out) == old and not list(out.glob(".staging-*"))
    resumed, _ = build(src, out, workers=2, resume=True)
    assert resumed.cached_shards >= 2
    fresh, _ = build(src, tmp_path / "fresh")
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")


def test_a_worker_killed_from_outside_is_a_clear_error(tmp_path, monkeypatch):
    src = write_articles(tmp_path / "in", 12)
    (src / "article_0004.txt").write_text("The worker dies here.\n\nDIE now.\n")
    original = SegmentStage.run

    def run(self, docs):
        for doc in docs:
            if "DIE now" in doc["text"]:
                os._exit(9)  # like the out-of-memory killer: no exception, no cleanup
            yield from original(self, [doc])

    monkeypatch.setattr(SegmentStage, "run", run)
    with pytest.raises(CorpusError, match="worker process died"):
        build(src, tmp_path / "out", workers=2)
    assert not (tmp_path / "out" / "documents.jsonl").exists()


def test_outputs_a_build_no_longer_makes_are_removed_not_left_stale(tmp_path):
    src = write_articles(tmp_path / "in", 4)
    out = tmp_path / "out"
    (out / "notes.txt").parent.mkdir(parents=True)
    (out / "notes.txt").write_text("not ours")  # anything the build did not write is left alone
    build(src, out, formats=["prodigy", "doccano"])
    assert (out / "tasks" / "doccano").is_dir()
    build(src, out, formats=["prodigy"])
    assert not (out / "tasks" / "doccano").exists() and (out / "tasks" / "prodigy").is_dir()
    assert (out / "notes.txt").read_text() == "not ours"


def test_a_torn_cached_shard_is_not_reused(tmp_path):
    """Cached shards are not fsynced: one damaged after a crash (same size, other bytes) must be recomputed."""
    from corpus.cache import ShardCache

    cache = ShardCache(tmp_path / "shards")
    cache.put("k1", b'{"id":"a"}\n', {"stats": {}, "problems": []})
    path, info = cache.get("k1")
    assert path.read_bytes() == b'{"id":"a"}\n' and info["bytes"] == 11
    path.write_bytes(b"\x00" * 11)  # what a crash before the data reached the disk can leave
    assert cache.get("k1") is None
    cache.put("k2", b"x", {})
    (tmp_path / "shards" / "k2.json").write_bytes(b"[]")  # unreadable info: a miss, not a crash
    assert cache.get("k2") is None


def test_resume_makes_the_same_dataset_from_cached_shards(tmp_path, monkeypatch):
    """Cached shards carry no dataset rows: they are made again from the cached documents, same bytes."""
    src = write_articles(tmp_path / "in", 30)
    out = tmp_path / "out"
    interrupted_build(monkeypatch, src, out, dataset=True)
    result, _ = build(src, out, resume=True, dataset=True, workers=2)  # cached shards' rows made by the pool
    assert result.cached_shards > 0
    build(src, tmp_path / "fresh", dataset=True)
    assert any(k.startswith("dataset/") for k in output_bytes(out))
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")
