#!/usr/bin/env bash
# Set up (idempotent) and run the test suite. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_browser.sh
# PostgreSQL for the golden-record tests: start the local cluster if it is not running
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  v=$(ls /etc/postgresql 2>/dev/null | head -1)
  [ -n "$v" ] && pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
export PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
