"""A real Label Studio server accepts our config and every task and prediction, and gives them back unchanged.

Slow (starts Label Studio: ~25 s on first start) and optional: skipped unless a ``label-studio`` executable is
found: ``$CORPUS_LABEL_STUDIO``, then ``label-studio`` on PATH, then the cached venv that
``scripts/labelstudio_roundtrip.sh`` creates (``~/.cache/corpus-venvs/label-studio``). Run it with
``bash scripts/labelstudio_roundtrip.sh`` or ``python -m pytest -m slow tests/test_labelstudio_server.py``.

Authentication is the one Label Studio 1.23 supports by default (legacy tokens are off): log in once with the
Django session to create a personal access token (a JWT refresh token), trade it at ``/api/token/refresh/``
for an access token, and call the API with ``Authorization: Bearer <access>`` only.
Prediction validation is switched on (``fflag_feat_utc_210_prediction_validation_15082025``), so the server
rejects any region its labeling config does not accept; what it does not check (offsets against the text,
relation ends) the test checks on what comes back.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import documents

from corpus.document import new_document
from corpus.tasks import TaskStats, write_tasks

pytestmark = pytest.mark.slow

USER, PASSWORD = "corpus-tests@example.com", "corpus-tests-password-1"
VALIDATION_FLAG = "fflag_feat_utc_210_prediction_validation_15082025"
CACHED_VENV_EXE = Path.home() / ".cache" / "corpus-venvs" / "label-studio" / "bin" / "label-studio"
START_TIMEOUT = float(os.environ.get("CORPUS_LABEL_STUDIO_START_TIMEOUT", "300"))


def label_studio_executable() -> str | None:
    for candidate in (os.environ.get("CORPUS_LABEL_STUDIO"), shutil.which("label-studio"), str(CACHED_VENV_EXE)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabelStudio:
    """A Label Studio server started for the tests, and a minimal REST client for it."""

    def __init__(self, exe: str, data_dir: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        env = {
            **os.environ,
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir / "data"),
            "LABEL_STUDIO_USERNAME": USER,
            "LABEL_STUDIO_PASSWORD": PASSWORD,
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            VALIDATION_FLAG: "true",
        }
        self.log = self.log_path.open("wb")
        # Own session: stopping the server stops exactly the processes this test started.
        self.process = subprocess.Popen(
            [exe, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self.access: str | None = None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text("utf-8", errors="replace").splitlines()[-lines:])

    def wait_until_up(self) -> float:
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT:
            if self.process.poll() is not None:
                pytest.fail(f"label-studio exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        pytest.fail(f"label-studio did not answer /health within {START_TIMEOUT:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.log.close()

    def authenticate(self) -> None:
        """Session login -> personal access token (JWT refresh token) -> access token."""
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        browser.open(f"{self.base}/user/login/", timeout=60).read()
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode({"email": USER, "password": PASSWORD, "csrfmiddlewaretoken": csrf}).encode()
        browser.open(
            urllib.request.Request(
                f"{self.base}/user/login/", data=form, headers={"Referer": f"{self.base}/user/login/"}
            ),
            timeout=60,
        ).read()
        assert any(c.name == "sessionid" for c in jar), "login failed: no session cookie"
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf, "Referer": f"{self.base}/"}
        settings = json.loads(browser.open(f"{self.base}/api/jwt/settings", timeout=60).read())
        if not settings.get("api_tokens_enabled"):  # personal access tokens are on by default in 1.23
            browser.open(
                urllib.request.Request(
                    f"{self.base}/api/jwt/settings",
                    method="POST",
                    headers=headers,
                    data=json.dumps({**settings, "api_tokens_enabled": True}).encode(),
                ),
                timeout=60,
            ).read()
        created = browser.open(
            urllib.request.Request(f"{self.base}/api/token/", data=b"{}", headers=headers, method="POST"), timeout=60
        )
        refresh = json.loads(created.read())["token"]
        status, body = self.api("POST", "/api/token/refresh/", {"refresh": refresh}, auth=False)
        assert status == 200, body
        self.access = body["access"]

    def api(self, method: str, path: str, body=None, auth: bool = True):
        """``(status, decoded JSON body)``; never raises on HTTP errors so tests can assert on them."""
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.access}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw)
            except ValueError:
                return err.code, raw.decode("utf-8", errors="replace")

    def create_project(self, title: str, config: str) -> int:
        status, body = self.api("POST", "/api/projects", {"title": title, "label_config": config})
        assert status == 201, f"project with our config.xml refused ({status}): {body}"
        return body["id"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    exe = label_studio_executable()
    if exe is None:
        pytest.skip(
            "label-studio is not installed: `bash scripts/labelstudio_roundtrip.sh` installs it in a cached "
            "venv and runs this test (or set CORPUS_LABEL_STUDIO to a label-studio executable)"
        )
    ls = LabelStudio(exe, tmp_path_factory.mktemp("label-studio"))
    try:
        ls.startup_seconds = ls.wait_until_up()
        ls.authenticate()
        yield ls
    finally:
        ls.stop()


def prelabelled_by_default_labellers() -> list[dict]:
    """The hand-built test documents plus an article pre-labelled by the project's own default labellers."""
    from corpus.pipeline import prelabel_stage, segment_stage

    article = new_document(
        "Senator Maria Lopez said on Tuesday that the plan would cost $4bn 💶, according to a budget office "
        "estimate.\n\n“It will not pass,” a senior aide told reporters in Washington. Analysts believe prices "
        "will rise by 3% next year.",
        "tests/real.txt",
    )
    return [*documents(), *prelabel_stage(segment_stage([article]))]


def _export(tmp_path: Path, unit: str, docs: list[dict] | None = None) -> tuple[list[dict], str]:
    stats = TaskStats()
    docs = documents() if docs is None else docs
    tasks_path, config_path = write_tasks(docs, tmp_path / unit, "labelstudio", unit, stats=stats)
    return json.loads(tasks_path.read_text("utf-8")), config_path.read_text("utf-8")


def _predictions_by_task(server: LabelStudio, project: int) -> dict[int, list[dict]]:
    status, predictions = server.api("GET", f"/api/predictions?project={project}")
    assert status == 200, predictions
    out: dict[int, list[dict]] = {}
    for prediction in predictions:
        out.setdefault(prediction["task"], []).append(prediction)
    return out


@pytest.mark.parametrize("unit", ["paragraph", "sentence"])
def test_every_task_and_prediction_round_trips(server, tmp_path, unit):
    all_docs = prelabelled_by_default_labellers()
    assert {s["layer"] for s in all_docs[-1]["spans"]} == {"entities", "sources", "claims"}
    ours, config = _export(tmp_path, unit, all_docs)
    project = server.create_project(f"corpus round trip ({unit})", config)
    status, imported = server.api("POST", f"/api/projects/{project}/import", ours)
    assert status == 201, f"import refused ({status}): {imported}"
    with_predictions = [t for t in ours if t["predictions"]]
    assert imported["task_count"] == len(ours) and imported["prediction_count"] == len(with_predictions)

    status, exported = server.api("GET", f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true")
    assert status == 200, exported
    assert len(exported) == len(ours)
    by_key = {(t["data"]["doc_id"], t["data"]["unit_index"]): t for t in exported}
    predictions = _predictions_by_task(server, project)
    docs = {d["id"]: d for d in all_docs}
    regions_checked = 0
    for task in ours:
        back = by_key[(task["data"]["doc_id"], task["data"]["unit_index"])]
        assert back["data"] == task["data"]  # text with emoji, ZWJ, flags and combining marks intact
        got = predictions.get(back["id"], [])
        assert len(got) == len(task["predictions"])
        for sent, stored in zip(task["predictions"], got, strict=True):
            assert stored["result"] == sent["result"]
            assert stored["model_version"] == sent["model_version"]
            assert stored["score"] == pytest.approx(sent["score"])
            text, offset = back["data"]["text"], back["data"]["offset"]
            doc_text = docs[back["data"]["doc_id"]]["text"]
            regions = {r["id"]: r for r in stored["result"] if r["type"] == "labels"}
            for region in regions.values():
                value = region["value"]
                assert text[value["start"] : value["end"]] == value["text"]
                assert doc_text[offset + value["start"] : offset + value["end"]] == value["text"]
                regions_checked += 1
            for item in stored["result"]:
                if item["type"] == "relation":
                    assert item["from_id"] in regions and item["to_id"] in regions
                elif item["type"] == "choices":
                    assert regions[item["id"]]["value"]["labels"] == ["CLAIM"]
    assert regions_checked == sum(len(d["spans"]) for d in all_docs)
    assert "Prediction validation failed" not in server.log_path.read_text("utf-8", errors="replace")


def test_server_really_validates_predictions(server, tmp_path):
    """The acceptance above means something: the same server refuses a region its config does not know."""
    ours, config = _export(tmp_path, "paragraph")
    project = server.create_project("corpus negative control", config)
    broken = json.loads(json.dumps(ours[:1]))
    broken[0]["predictions"][0]["result"][0]["value"]["labels"] = ["NOT_A_LABEL"]
    status, body = server.api("POST", f"/api/projects/{project}/import", broken)
    assert status == 400 and "NOT_A_LABEL" in json.dumps(body)


def test_api_requires_the_bearer_access_token(server):
    status, _ = server.api("GET", "/api/projects", auth=False)
    assert status == 401
    status, body = server.api("GET", "/api/projects")
    assert status == 200 and body["count"] >= 1


def test_annotations_exported_by_label_studio_map_back_to_the_documents(server, tmp_path):
    """The whole loop: our tasks in, an annotator accepts every pre-label, Label Studio's JSON export goes
    through `corpus annotations ingest` and lands on the documents' own offsets."""
    from typer.testing import CliRunner

    from corpus.cli import app
    from corpus.jsonl import write_jsonl

    ours, config = _export(tmp_path, "paragraph")
    project = server.create_project("corpus annotations loop", config)
    status, imported = server.api("POST", f"/api/projects/{project}/import", ours)
    assert status == 201, imported
    status, tasks = server.api("GET", f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true")
    predictions = _predictions_by_task(server, project)
    annotated = 0
    for task in tasks:
        for prediction in predictions.get(task["id"], []):
            status, body = server.api(
                "POST",
                f"/api/tasks/{task['id']}/annotations/",
                {"result": prediction["result"], "was_cancelled": False},
            )
            assert status == 201, body
            annotated += 1
    status, exported = server.api("GET", f"/api/projects/{project}/export?exportType=JSON")
    assert status == 200 and sum(len(t["annotations"]) for t in exported) == annotated
    export_path, documents_path, out = tmp_path / "export.json", tmp_path / "documents.jsonl", tmp_path / "ann.jsonl"
    export_path.write_text(json.dumps(exported, ensure_ascii=False), "utf-8")
    write_jsonl(documents_path, documents())
    result = CliRunner().invoke(
        app,
        [
            "annotations",
            "ingest",
            str(export_path),
            "-d",
            str(documents_path),
            "--tasks",
            str(tmp_path / "paragraph"),
            "-o",
            str(out),
            "--fresh",
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(records) == annotated
    docs = {d["id"]: d for d in documents()}
    for record in records:
        doc, unit = docs[record["task"]["doc_id"]], record["task"]
        expected = sorted(
            (s["label"], s["start"], s["end"])
            for s in doc["spans"]
            if unit["start"] <= s["start"] and s["end"] <= unit["end"]
        )
        assert sorted((s["label"], s["start"], s["end"]) for s in record["spans"]) == expected
        for span in record["spans"]:
            assert doc["text"][span["start"] : span["end"]] == span["text"]
        expected_relations = sum(
            1
            for r in doc["relations"]
            if any(s["id"] == r["head"] and unit["start"] <= s["start"] < unit["end"] for s in doc["spans"])
        )
        assert len(record["relations"]) == expected_relations
    choices = sorted((c["span_id"], c["label"]) for r in records for c in r["choices"])
    assert choices == [("C0", "CHECKWORTHY"), ("C1", "NOT_CHECKWORTHY")]
