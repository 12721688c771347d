#!/usr/bin/env bash
# Set up a fresh machine for matex: Debian fonts (CJK, OCR-B) for the sample generator,
# a Python 3.11 virtual environment in .venv with every dependency, resolved with one
# OpenCV provider (scripts/overrides.txt). Idempotent: rerunning only fills what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

FONTS=(libgl1 libglib2.0-0 fonts-noto-cjk fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-ukai fonts-arphic-uming fonts-ocr-b)
missing=()
for p in "${FONTS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $PY"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check "uv>=0.5" >/dev/null
stamp=.venv/.matex-deps
want=$(cat pyproject.toml scripts/overrides.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing Python dependencies (uv, with scripts/overrides.txt)"
  VIRTUAL_ENV=$PWD/.venv .venv/bin/uv pip install -q --python .venv/bin/python \
    --override scripts/overrides.txt -e ".[test]"
  echo "$want" > "$stamp"
fi
# exactly one cv2 provider must be installed
n=$(.venv/bin/python -m pip list 2>/dev/null | grep -ciE '^opencv-' || true)
if [ "$n" != "1" ]; then
  echo "[setup] expected exactly one OpenCV distribution, found $n:" >&2
  .venv/bin/python -m pip list | grep -iE '^opencv-' >&2
  exit 1
fi
.venv/bin/python -m matex.cli doctor
