#!/usr/bin/env bash
# Install Label Studio (PyPI `label-studio`) into a cached venv of its own, then run the real-server round trip:
# start a server on 127.0.0.1 with a temporary data dir, create a project from our config.xml, import our
# tasks.json, read every task and prediction back (tests/test_labelstudio_server.py).
#
# Label Studio pins its own Django/DRF stack, so it lives in a separate venv rather than in corpus's environment;
# the test only needs its `label-studio` executable. Measured on the shared 2-core machine: install 41-89 s
# (~1 GB venv, PyPI), test 40-70 s (server start ~25 s, 5 tests).
#
#   bash scripts/labelstudio_roundtrip.sh            # install if missing, then run the test
#   CORPUS_LS_VENV=/path/to/venv bash scripts/labelstudio_roundtrip.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${CORPUS_LS_VENV:-$HOME/.cache/corpus-venvs/label-studio}"
SPEC="${CORPUS_LS_SPEC:-label-studio>=1.23,<2}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/label-studio" ]; then
    echo "installing $SPEC into $VENV (first run only)" >&2
    started=$(date +%s)
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "$SPEC"
    version=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"))')
    echo "installed label-studio $version in $(( $(date +%s) - started ))s" >&2
fi

export CORPUS_LABEL_STUDIO="$VENV/bin/label-studio"
exec python -m pytest -m slow -p no:cacheprovider -q tests/test_labelstudio_server.py "$@"
