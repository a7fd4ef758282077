#!/usr/bin/env bash
# Puts Node 24 (the Node that Electron's main process runs) first on PATH, installing it from the
# npm registry's `node` package into .tools/ on first use, so a fresh machine needs no manual step.
# Source it (`. scripts/node24.sh`) or run `scripts/node24.sh CMD...` to run CMD under Node 24.
set -euo pipefail
NODE24_VERSION=24.21.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.tools/node24"
if [ "$(node --version 2>/dev/null | cut -d. -f1)" != "v24" ]; then
  if [ ! -x "$prefix/node_modules/.bin/node" ] || [ "$("$prefix/node_modules/.bin/node" --version)" != "v$NODE24_VERSION" ]; then
    echo "[pulltrace] installing Node $NODE24_VERSION into .tools/node24 (once)" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION" >&2
  fi
  export PATH="$prefix/node_modules/.bin:$PATH"
fi
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then exec "$@"; fi
