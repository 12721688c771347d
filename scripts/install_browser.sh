#!/usr/bin/env bash
# Install Debian's chromium for the reviewer-workbench browser test (tests/e2e/).
# Idempotent: does nothing when /usr/bin/chromium is already there. Playwright drives this
# browser through executable_path; `playwright install` (a browser download) is never used.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser.sh: no apt-get; the browser test will be skipped" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_browser.sh: not root and no sudo; the browser test will be skipped" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null \
  || $SUDO apt-get install -y -qq chromium
[ -x /usr/bin/chromium ] && /usr/bin/chromium --version || true
