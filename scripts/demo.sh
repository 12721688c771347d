#!/usr/bin/env bash
# Set up (idempotent) and run `matex extract` on the bundled samples (README command 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True
shopt -s nullglob
files=(samples/demo/*.jpg samples/demo/*.png samples/demo/*.pdf)
exec .venv/bin/matex extract --format table "${files[@]}"
