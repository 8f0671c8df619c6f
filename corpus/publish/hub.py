"""Push a built dataset folder to the Hugging Face Hub with ``huggingface_hub``.

One commit: ``create_repo(repo_type="dataset", exist_ok=True)`` (and ``update_repo_settings(private=True)`` with
``--private``, since ``create_repo`` does not change an existing repo) then ``upload_folder``. When the repo already has
a README.md, its hand-edited body is kept: only our YAML keys and the text between the card's generated
markers are replaced (:func:`corpus.publish.card.merge_card`), and the merged card is written back to the local
folder so that the folder is exactly what is on the Hub. Parquet shards of our configs that the new build no
longer has are deleted in the same commit (``delete_patterns``), so a shrinking dataset leaves no stale shard.

The client is created here only when none is passed in: tests inject a stand-in at this boundary.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol

from corpus.errors import CorpusError

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


class HubClient(Protocol):
    """The part of ``huggingface_hub.HfApi`` that a push uses."""

    def create_repo(self, repo_id: str, **kwargs: Any) -> Any: ...
    def update_repo_settings(self, repo_id: str, **kwargs: Any) -> None: ...
    def file_exists(self, repo_id: str, filename: str, **kwargs: Any) -> bool: ...
    def hf_hub_download(self, repo_id: str, filename: str, **kwargs: Any) -> str: ...
    def upload_folder(self, **kwargs: Any) -> Any: ...


def check_repo_id(repo_id: str) -> str:
    if not REPO_ID.fullmatch(repo_id or "") or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise CorpusError(f"'{repo_id}' is not a Hub repository id: use ORG/NAME (letters, digits, '-', '_', '.')")
    return repo_id


def check_licence_gate(summary: dict, allow_unknown_licence: bool) -> str | None:
    """Raise when an article's licence is unknown or not redistributable; return a warning when overridden."""
    from corpus.publish.licences import gate_message

    message = gate_message(summary["licences"])
    if message is None:
        return None
    if not allow_unknown_licence:
        raise CorpusError(message)
    return message.replace("refusing to push", "pushing anyway (--allow-unknown-licence)").split(". Fix")[0]


def default_commit_message(summary: dict) -> str:
    configs = ", ".join(f"{name} {sum(splits.values()):,}" for name, splits in summary["configs"].items())
    kind = "gold" if summary.get("gold") else "pre-labelled"
    return f"corpus publish: {summary['documents']:,} {kind} documents ({configs} rows)"


def _client(token: str | None) -> HubClient:
    token = token or os.environ.get("HF_TOKEN")
    if not token:
        raise CorpusError("no Hub token: set HF_TOKEN (a write token from https://huggingface.co/settings/tokens)")
    from huggingface_hub import HfApi

    return HfApi(token=token)


def _hub_error(action: str, repo_id: str, exc: Exception) -> CorpusError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return CorpusError(f"{action} {repo_id} failed: {type(exc).__name__}{': ' + detail if detail else ''}")


def _create_repo(api: HubClient, repo_id: str, private: bool):
    """Create the dataset repo if needed (made private when asked); its URL."""
    try:
        repo_url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if private:  # create_repo leaves an existing public repo public: --private must not be silently ignored
            api.update_repo_settings(repo_id, private=True, repo_type="dataset")
    except Exception as exc:  # the Hub client raises many kinds (HTTP, offline mode, connection)
        raise _hub_error("creating", repo_id, exc) from None
    return repo_url


def _remote_readme(api: HubClient, repo_id: str) -> str | None:
    """The README.md on the Hub, None when the repo has none."""
    try:
        remote = None
        if api.file_exists(repo_id, "README.md", repo_type="dataset"):
            remote = Path(api.hf_hub_download(repo_id, "README.md", repo_type="dataset")).read_text("utf-8")
    except Exception as exc:
        raise _hub_error("reading README.md of", repo_id, exc) from None
    return remote


def push_folder(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    commit_message: str | None = None,
    api: HubClient | None = None,
    token: str | None = None,
) -> dict:
    """Upload ``folder`` (built by :func:`corpus.publish.build_dataset`) to the dataset repo ``repo_id``."""
    from corpus.jsonl import atomic_writer
    from corpus.publish.card import merge_card
    from corpus.publish.dataset import CONFIGS

    folder = Path(folder)
    check_repo_id(repo_id)
    readme = folder / "README.md"
    if not readme.is_file():
        raise CorpusError(f"{folder}: no README.md; build the dataset first (corpus publish DOCUMENTS -o {folder})")
    api = api or _client(token)
    repo_url = _create_repo(api, repo_id, private)

    card = "new"
    remote = _remote_readme(api, repo_id)
    if remote is not None:
        merged = merge_card(readme.read_text("utf-8"), remote)
        with atomic_writer(readme) as fh:
            fh.write(merged.encode("utf-8"))
        card = "merged with the README.md on the Hub"

    try:
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type="dataset",
            commit_message=commit_message or f"corpus publish to {repo_id}",
            delete_patterns=[f"{config}/*.parquet" for config in CONFIGS],
        )
    except Exception as exc:
        raise _hub_error("uploading to", repo_id, exc) from None
    url = getattr(info, "commit_url", None) or str(repo_url)
    return {"repo": repo_id, "url": url, "private": private, "card": card}
