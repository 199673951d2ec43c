#!/usr/bin/env bash
# Creates (or reuses) a virtual environment with the pinned stack.
#
#   VENV        where the environment lives (default: .venv in the repository)
#   PYTHON      the interpreter to build it from (default: python3)
#   TORCH_SPEC  the torch requirement (default: torch==2.13.0; on a GPU machine
#               use the CUDA build that matches your driver)
#   MMCV_WHEEL  a prebuilt mmcv 2.1.0 wheel, or a folder holding one; without
#               it mmcv is built from source with its compiled ops (about an
#               hour on 2 cores)
#
# A second run finds the environment complete and returns at once.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$repo/.venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
stamp=$VENV/.mmskin-installed
want="$TORCH_SPEC|${MMCV_WHEEL:-source}|$(cat "$repo/requirements.txt" "$repo/setup.cfg" | cksum)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup_env] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
py=$VENV/bin/python
pip() { "$py" -m pip install --disable-pip-version-check -q "$@"; }

# mmcv's setup.py and mmengine (resolving 'mmdet::' config bases) import
# pkg_resources, which setuptools 81 dropped; torch 2.13 asks for >= 77.
setuptools_spec="setuptools>=77,<81"
pip "$setuptools_spec" wheel
echo "[setup_env] installing $TORCH_SPEC"
pip "$TORCH_SPEC"

if ! "$py" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  if [ -n "${MMCV_WHEEL:-}" ]; then
    wheel=$MMCV_WHEEL
    if [ -d "$wheel" ]; then
      wheel=$(ls "$wheel"/mmcv-2.1.0-*.whl 2>/dev/null | head -n 1 || true)
    fi
    if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
      echo "[setup_env] error: MMCV_WHEEL=$MMCV_WHEEL names no mmcv-2.1.0 wheel file" >&2
      exit 1
    fi
    echo "[setup_env] installing mmcv from $wheel"
    pip "$wheel"
  else
    echo "[setup_env] building mmcv 2.1.0 with compiled ops from source (slow; set MMCV_WHEEL to skip)"
    pip ninja
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$py" -m pip install -q --no-build-isolation mmcv==2.1.0
  fi
fi

echo "[setup_env] installing requirements.txt and mmskin (editable, with the web app's extra)"
pip -r "$repo/requirements.txt"
# The `app` extra of setup.cfg (gradio, for tools/app.py and its tests); the
# rest of mmskin's requirements are those of requirements.txt, installed above.
pip --no-build-isolation -e "$repo[app]"
"$py" -c "import mmskin, mmcv.ops; print('[setup_env] ready: mmskin', mmskin.__version__)"
echo "$want" > "$stamp"
