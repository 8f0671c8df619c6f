"""Pushing to the Hub: a stand-in for the HfApi client at that boundary only (the Hub is not reachable here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from corpus.cli import app
from corpus.document import add_relation, add_span, new_document
from corpus.errors import CorpusError
from corpus.jsonl import write_jsonl
from corpus.publish import build_dataset, hub
from corpus.publish.hub import check_licence_gate, check_repo_id, push_folder
from corpus.segment.core import segment_document


class FakeHub:
    """Records what a push asks of the Hub; serves a README.md when the repo is meant to have one."""

    def __init__(self, remote_readme: str | None = None, tmp: Path | None = None, fail_on: str | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.remote_readme, self.tmp, self.fail_on = remote_readme, tmp, fail_on
        self.uploaded: dict[str, bytes] = {}

    def _record(self, name: str, kwargs: dict) -> None:
        self.calls.append((name, kwargs))
        if self.fail_on == name:
            raise ConnectionError("Hub unreachable\nsecond line")

    def create_repo(self, repo_id, **kwargs):
        self._record("create_repo", {"repo_id": repo_id, **kwargs})
        return f"https://huggingface.co/datasets/{repo_id}"

    def update_repo_settings(self, repo_id, **kwargs):
        self._record("update_repo_settings", {"repo_id": repo_id, **kwargs})

    def file_exists(self, repo_id, filename, **kwargs):
        self._record("file_exists", {"repo_id": repo_id, "filename": filename, **kwargs})
        return self.remote_readme is not None and filename == "README.md"

    def hf_hub_download(self, repo_id, filename, **kwargs):
        self._record("hf_hub_download", {"repo_id": repo_id, "filename": filename, **kwargs})
        path = self.tmp / "remote-README.md"
        path.write_text(self.remote_readme, "utf-8")
        return str(path)

    def upload_folder(self, **kwargs):
        self._record("upload_folder", kwargs)
        folder = Path(kwargs["folder_path"])
        self.uploaded = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

        class Info:
            commit_url = f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/abc123"

        return Info()


def article(i: int, licence: str | None) -> dict:
    text = f"Nadia Orlo said the ferry to Vessa stopped {i + 2} times.\n\nThe harbour master confirmed it."
    doc = new_document(text, f"h{i}.txt", publisher="Isle Times", licence=licence)
    segment_document(doc)
    add_span(doc, "entities", "PERSON", 0, 10, "rules@1")
    v = text.index("Vessa")
    add_span(doc, "entities", "GPE", v, v + 5, "rules@1")
    src = add_span(doc, "sources", "SOURCE", 0, 10, "rules@1", attrs={"kind": "named_person"})
    cue = add_span(doc, "sources", "CUE", 11, 15, "rules@1")
    end = text.index(" times") + len(" times")
    content = add_span(doc, "sources", "CONTENT", 16, end, "rules@1")
    add_span(doc, "claims", "CLAIM", 16, end, "rules@1", 0.7)
    add_relation(doc, "ATTRIBUTION", src["id"], content["id"], "rules@1")
    add_relation(doc, "CUE", cue["id"], content["id"], "rules@1")
    doc["labellers"] = {"entities": "rules@1", "sources": "rules@1", "claims": "rules@1"}
    return doc


@pytest.fixture()
def folder(tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [article(i, "CC BY 4.0") for i in range(6)])
    summary = build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds", repo="isle/ferries")
    return tmp_path / "ds", summary


def test_push_creates_the_repo_and_uploads_in_one_commit(folder, tmp_path):
    path, summary = folder
    api = FakeHub(tmp=tmp_path)
    result = push_folder(path, "isle/ferries", private=True, commit_message="first release", api=api)
    names = [name for name, _ in api.calls]
    assert names == ["create_repo", "update_repo_settings", "file_exists", "upload_folder"]
    create = api.calls[0][1]
    assert create == {"repo_id": "isle/ferries", "repo_type": "dataset", "private": True, "exist_ok": True}
    assert api.calls[1][1] == {"repo_id": "isle/ferries", "private": True, "repo_type": "dataset"}
    upload = api.calls[3][1]
    assert upload["repo_type"] == "dataset" and upload["commit_message"] == "first release"
    assert upload["folder_path"] == str(path)
    assert "documents/*.parquet" in upload["delete_patterns"]  # stale shards go in the same commit
    assert set(api.uploaded) == set(summary["files"])
    assert result["url"].endswith("/commit/abc123") and result["card"] == "new"


def test_existing_hand_edited_card_body_is_kept(folder, tmp_path):
    path, _summary = folder
    ours = (path / "README.md").read_text("utf-8")
    remote = ours.replace("## Glossary\n", "## Glossary\n\nHand-written note from the editors.\n")
    remote = remote.replace("Isle Times | 6 | 100.0% |", "Isle Times | 1 | 100.0% |")  # stale generated text
    remote = remote.replace("---\n", "---\nthumbnail: ferry.png\n", 1)
    api = FakeHub(remote_readme=remote, tmp=tmp_path)
    result = push_folder(path, "isle/ferries", api=api)
    assert [name for name, _ in api.calls] == ["create_repo", "file_exists", "hf_hub_download", "upload_folder"]
    pushed = api.uploaded["README.md"].decode("utf-8")
    assert "Hand-written note from the editors." in pushed
    assert "Isle Times | 6 | 100.0% |" in pushed and "Isle Times | 1 |" not in pushed
    data = DatasetCard(pushed).data.to_dict()
    assert data["thumbnail"] == "ferry.png" and [c["config_name"] for c in data["configs"] if c.get("default")] == [
        "documents"
    ]
    assert (path / "README.md").read_text("utf-8") == pushed  # the folder is what the Hub has
    assert result["card"].startswith("merged")


def test_hub_failures_are_one_line_errors(folder, tmp_path):
    path, _summary = folder
    for step in ("create_repo", "upload_folder"):
        with pytest.raises(CorpusError) as err:
            push_folder(path, "isle/ferries", api=FakeHub(tmp=tmp_path, fail_on=step))
        assert "\n" not in str(err.value) and "ConnectionError: Hub unreachable" in str(err.value)


def test_token_comes_from_the_environment(folder, monkeypatch):
    path, _summary = folder
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(CorpusError, match="HF_TOKEN"):
        push_folder(path, "isle/ferries")
    seen = {}

    class Api(FakeHub):
        def __init__(self, token=None):
            super().__init__(tmp=path.parent)
            seen["token"] = token

    import huggingface_hub

    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    monkeypatch.setattr(huggingface_hub, "HfApi", Api)
    push_folder(path, "isle/ferries")
    assert seen["token"] == "hf_test_token"


@pytest.mark.parametrize("repo", ["noslash", "a/b/c", "org/", "/name", "org/na me", "org/name.git", "-org/x"])
def test_bad_repo_ids_are_refused(repo):
    with pytest.raises(CorpusError, match="ORG/NAME"):
        check_repo_id(repo)
    assert check_repo_id("news-lab/coastal_news.v2") == "news-lab/coastal_news.v2"


def test_licence_gate(tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [article(0, "CC BY 4.0"), article(1, None), article(2, "All rights reserved")])
    summary = build_dataset(tmp_path / "docs.jsonl", tmp_path / "ds")
    with pytest.raises(CorpusError, match=r"1 non-redistributable .*1 unknown"):
        check_licence_gate(summary, allow_unknown_licence=False)
    warning = check_licence_gate(summary, allow_unknown_licence=True)
    assert warning and "pushing anyway" in warning
    card = (tmp_path / "ds" / "README.md").read_text("utf-8")
    assert "| all rights reserved | non-redistributable | 1 | 33.3% |" in card


def test_cli_publish_pushes_through_the_client_boundary(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "docs.jsonl", [article(i, "CC0-1.0") for i in range(5)])
    api = FakeHub(tmp=tmp_path)
    monkeypatch.setattr(hub, "_client", lambda token=None: api)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "publish",
            str(tmp_path / "docs.jsonl"),
            "-o",
            str(tmp_path / "ds"),
            "--repo",
            "isle/ferries",
            "--private",
            "--split-ratios",
            "0.6,0.4",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "pushed" in result.output
    assert api.calls[0][1]["private"] is True
    assert api.calls[-1][1]["commit_message"].startswith("corpus publish: 5 pre-labelled documents")
    assert set(DatasetCard.load(tmp_path / "ds" / "README.md").data.to_dict()["configs"][0]["data_files"][0]) == {
        "split",
        "path",
    }


def test_cli_refuses_push_of_unknown_licences_but_writes_the_folder(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "docs.jsonl", [article(0, None), article(1, "CC BY 4.0")])
    api = FakeHub(tmp=tmp_path)
    monkeypatch.setattr(hub, "_client", lambda token=None: api)
    runner = CliRunner()
    args = ["publish", str(tmp_path / "docs.jsonl"), "-o", str(tmp_path / "ds"), "--repo", "isle/ferries"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "refusing to push" in result.output
    assert api.calls == [] and (tmp_path / "ds" / "README.md").is_file()
    result = runner.invoke(app, [*args, "--allow-unknown-licence"])
    assert result.exit_code == 0, result.output
    assert [name for name, _ in api.calls][-1] == "upload_folder"


def test_cli_local_build_and_bad_input(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["publish", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "ds")])
    assert result.exit_code != 0 and "not found" in result.output and "Traceback" not in result.output
    write_jsonl(tmp_path / "docs.jsonl", [article(0, "CC BY 4.0")])
    result = runner.invoke(
        app, ["publish", str(tmp_path / "docs.jsonl"), "-o", str(tmp_path / "ds"), "--split-ratios", "0.5,0.6"]
    )
    assert result.exit_code != 0 and "add up to 1" in result.output
    result = runner.invoke(app, ["publish", str(tmp_path / "docs.jsonl"), "-o", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    assert "documents (default)" in result.output
