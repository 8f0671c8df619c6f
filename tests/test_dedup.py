"""Near-duplicate detection (MinHash LSH over word shingles)."""

from __future__ import annotations

import random

import pytest

from corpus.errors import InputProblem
from corpus.ingest.dedup import NearDuplicateIndex, flag_near_duplicates, lsh_params, minhash, shingles

WORDS = [
    "council",
    "budget",
    "harbour",
    "ferry",
    "mayor",
    "union",
    "strike",
    "court",
    "minister",
    "election",
    "hospital",
    "school",
    "river",
    "bridge",
    "police",
    "report",
    "farmers",
    "prices",
    "energy",
    "water",
    "tax",
    "housing",
    "transport",
    "museum",
    "festival",
]


def article(seed: int, n_words: int = 400) -> str:
    rng = random.Random(seed)
    sentences, count = [], 0
    while count < n_words:
        length = rng.randint(8, 16)
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(length)).capitalize() + ".")
        count += length
    return " ".join(sentences)


def edit(text: str, every: int) -> str:
    """Replace every ``every``-th word: a light (large ``every``) or heavy (small ``every``) edit."""
    words = text.split(" ")
    return " ".join("EDITED" if i % every == every - 1 else w for i, w in enumerate(words))


def doc(i: int, text: str) -> dict:
    return {"id": f"{i:016x}", "origin": f"articles/{i}.txt", "text": text, "ingest": {}}


def run(docs: list[dict], **kwargs) -> tuple[list[dict], list[InputProblem]]:
    problems: list[InputProblem] = []
    return list(flag_near_duplicates(docs, problems.append, **kwargs)), problems


def test_shingles_are_case_insensitive_word_ngrams():
    assert shingles("The Mayor said, the MAYOR said.", 2) == {b"the mayor", b"mayor said", b"said the"}
    assert shingles("Two words", 5) == {b"two words"}
    assert shingles("  ... !!! ") == set()
    assert minhash("...") is None


def test_lightly_edited_copy_is_flagged_and_kept_with_a_pointer():
    original = article(1)
    docs = [doc(0, original), doc(1, article(2)), doc(2, edit(original, 200)), doc(3, article(3))]
    out, problems = run(docs)
    assert [d["id"] for d in out] == [d["id"] for d in docs]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.path == "articles/2.txt" and problem.severity == "warning"
    assert problem.message.startswith("near duplicate of articles/0.txt (id 0000000000000000, estimated similarity")
    assert problem.message.endswith("; kept")
    pointer = out[2]["ingest"]["near_duplicate_of"]
    assert pointer["id"] == "0000000000000000" and pointer["origin"] == "articles/0.txt"
    assert 0.9 <= pointer["similarity"] <= 1.0
    assert all("near_duplicate_of" not in d["ingest"] for i, d in enumerate(out) if i != 2)


def test_drop_skips_near_duplicates_and_calls_back():
    original = article(5)
    dropped = []
    out, problems = run(
        [doc(0, original), doc(1, edit(original, 150)), doc(2, article(6))], drop=True, on_drop=dropped.append
    )
    assert [d["id"] for d in out] == ["0000000000000000", "0000000000000002"]
    assert [d["origin"] for d in dropped] == ["articles/1.txt"]
    assert problems[0].message.endswith("; skipped")


def test_heavily_edited_and_unrelated_articles_are_not_flagged():
    original = article(7)
    out, problems = run([doc(0, original), doc(1, edit(original, 4)), *(doc(i, article(i)) for i in range(10, 40))])
    assert problems == []
    assert len(out) == 32


def test_threshold_decides():
    original = article(8)
    variant = edit(original, 25)  # roughly 80% of the 5-shingles survive
    assert run([doc(0, original), doc(1, variant)], threshold=0.9)[1] == []
    assert len(run([doc(0, original), doc(1, variant)], threshold=0.6)[1]) == 1
    with pytest.raises(ValueError):
        NearDuplicateIndex(threshold=0)


def test_best_match_is_reported_and_results_are_deterministic():
    base = article(9)
    closer = edit(base, 300)
    docs = [doc(0, base), doc(1, edit(base, 60)), doc(2, closer)]
    first = run([dict(d, ingest={}) for d in docs])
    second = run([dict(d, ingest={}) for d in docs])
    assert [str(p) for p in first[1]] == [str(p) for p in second[1]]
    # Document 2 is closest to 0 (fewer edits) even though 1 is also above the threshold.
    assert first[1][-1].path == "articles/2.txt" and "near duplicate of articles/0.txt" in first[1][-1].message


def test_documents_without_words_pass_through():
    out, problems = run([doc(0, "!!! ??? ..."), doc(1, "!!! ??? ...")])
    assert len(out) == 2 and problems == []


def test_a_long_article_is_hashed_in_bounded_batches():
    long_text = article(11, n_words=120_000)
    m = minhash(long_text)
    assert m is not None and m.jaccard(minhash(edit(long_text, 1000))) > 0.95


def test_recall_on_many_lightly_edited_copies():
    """Every copy with a few edits (true similarity ~0.93-0.96) is found, not just the lucky ones."""
    originals = [doc(i, article(100 + i)) for i in range(25)]
    copies = [doc(100 + i, edit(d["text"], 150 + 10 * i)) for i, d in enumerate(originals)]
    _, problems = run(originals + copies)
    assert sorted(p.path for p in problems) == sorted(d["origin"] for d in copies)
    assert all(f"near duplicate of articles/{int(p.path.split('/')[1][:-4]) - 100}.txt" in p.message for p in problems)


def test_lsh_parameters_favour_recall_at_the_threshold():
    for threshold in (0.5, 0.8, 0.9, 0.95):
        bands, rows = lsh_params(threshold, 128)
        assert bands * rows <= 128
        assert 1 - (1 - threshold**rows) ** bands >= 0.99


def test_bulk_shingle_hashes_match_the_shingles():
    from corpus.ingest.dedup import shingle_hashes

    text = article(12, n_words=2000)
    hashes = shingle_hashes(text)
    assert len(hashes) == len(_words := text.split()) - 4 and len(_words) > 0
    assert len(set(hashes.tolist())) == len(shingles(text))  # one distinct hash per distinct shingle
    assert int(hashes.max()) < 2**32
    assert shingle_hashes("Two words").shape == (1,) and shingle_hashes("...").shape == (0,)
    # Case and punctuation do not matter; word order does.
    assert shingle_hashes("The MAYOR, said: the").tolist() == shingle_hashes("the mayor said the").tolist()
    assert shingle_hashes("a b c d e").tolist() != shingle_hashes("b a c d e").tolist()


def test_signatures_do_not_depend_on_the_process():
    """No salted Python hash(): another interpreter with another PYTHONHASHSEED gets the same signature."""
    import os
    import subprocess
    import sys

    text = article(13)
    code = (
        "import sys; from corpus.ingest.dedup import minhash; "
        "print(','.join(map(str, minhash(sys.stdin.read()).hashvalues.tolist())))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {",".join(map(str, minhash(text).hashvalues.tolist())) + "\n"}


def test_many_near_duplicates_are_listed_first_few_then_counted():
    """A syndicated story copied twelve times: five lines name a pair, one more line gives the count; every copy
    still carries its pointer (or is dropped and counted), and without a limit every pair is listed."""
    original = article(40)
    docs = [doc(0, original)] + [doc(i, edit(original, 150 + i)) for i in range(1, 13)]
    for drop, action in ((False, "kept, each with ingest.near_duplicate_of"), (True, "skipped")):
        dropped: list[dict] = []
        out, problems = run([dict(d, ingest={}) for d in docs], drop=drop, max_listed=5, on_drop=dropped.append)
        assert [p.path for p in problems[:5]] == [f"articles/{i}.txt" for i in range(1, 6)]
        assert all(p.message.startswith("near duplicate of articles/0.txt") for p in problems[:5])
        assert len(problems) == 6 and problems[5].severity == "warning"
        assert str(problems[5]).startswith("near duplicates: 7 more not listed above (12 in all); " + action)
        if drop:
            assert len(out) == 1 and len(dropped) == 12
        else:
            assert all(d["ingest"]["near_duplicate_of"]["id"] == "0000000000000000" for d in out[1:])
    _, problems = run([dict(d, ingest={}) for d in docs], max_listed=12)
    assert len(problems) == 12  # exactly the limit: no summary line
    _, problems = run([dict(d, ingest={}) for d in docs])
    assert len(problems) == 12


def test_commands_summarise_near_duplicates(tmp_path):
    """`corpus ingest` (through the pipeline stage every command uses) lists the first few pairs, then a count."""
    from typer.testing import CliRunner

    from corpus.cli import app
    from corpus.ingest.dedup import NEAR_DUPLICATES_LISTED

    folder = tmp_path / "in"
    folder.mkdir()
    original = article(41)
    (folder / "a00.txt").write_text(original)
    for i in range(1, 10):
        (folder / f"a{i:02d}.txt").write_text(edit(original, 150 + i))
    result = CliRunner().invoke(app, ["ingest", str(folder), "-o", str(tmp_path / "out.jsonl")])
    lines = [line for line in result.output.splitlines() if "near duplicate" in line]
    assert len(lines) == NEAR_DUPLICATES_LISTED + 1, result.output
    assert (
        lines[-1] == f"warning: near duplicates: {9 - NEAR_DUPLICATES_LISTED} more not listed above (9 in all); "
        "kept, each with ingest.near_duplicate_of naming the article it repeats"
    )
