#!/usr/bin/env bash
# Makes a checkout runnable: Node 24 on PATH (scripts/node24.sh) and node_modules matching
# package-lock.json (npm ci when the lock changed since the last install). Then runs "$@".
# `npm start` and `npm test` go through here, so they are the only set-up commands needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/node24.sh
stamp=node_modules/.pulltrace-lock.sha
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[pulltrace] installing npm dependencies (package-lock.json changed)" >&2
  # The Electron binary cannot be downloaded on every machine; the app falls back to serve mode.
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
if [ $# -gt 0 ]; then exec "$@"; fi
