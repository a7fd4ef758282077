#!/usr/bin/env bash
# Puts Node 24 (the Node that Electron's main process runs) first on PATH, installing it from the
# npm registry's `node` package into .tools/ on first use, so a fresh machine needs no manual step.
# Source it (`. scripts/node24.sh`) or run `scripts/node24.sh CMD...` to run CMD under Node 24.
# No `set -e` here: when sourced, it would leak into the caller's shell and end it on any later
# failing command.
NODE24_VERSION=24.21.0
_pt_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pt_prefix="$_pt_root/.tools/node24"
if [ "$(node --version 2>/dev/null | cut -d. -f1)" != "v24" ]; then
  if [ ! -x "$_pt_prefix/node_modules/.bin/node" ] || [ "$("$_pt_prefix/node_modules/.bin/node" --version)" != "v$NODE24_VERSION" ]; then
    echo "[pulltrace] installing Node $NODE24_VERSION into .tools/node24 (once)" >&2
    mkdir -p "$_pt_prefix" &&
      npm install --prefix "$_pt_prefix" --no-save --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION" >&2 ||
      { echo "[pulltrace] could not install Node $NODE24_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_pt_prefix/node_modules/.bin:$PATH"
fi
unset _pt_root _pt_prefix
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then exec "$@"; fi
