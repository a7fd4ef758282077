#!/usr/bin/env bash
# `npm start` (after scripts/ensure.sh): build main, preload, renderer and the agent bundle, then run the Electron app
# when its binary is installed; otherwise say so and run serve mode (same core and renderer in a
# browser). With no kubeconfig context, the app starts the replay demo.
set -euo pipefail
cd "$(dirname "$0")/.."
npx electron-vite build
# the agent bundle the app installs into clusters (out/agent, shipped as an extra resource when packaged)
node scripts/build-agent.ts
if [ -x node_modules/electron/dist/electron ] || [ -d node_modules/electron/dist/Electron.app ] || [ -f node_modules/electron/dist/electron.exe ]; then
  exec npx electron-vite preview
fi
cat >&2 <<'MSG'

  The Electron binary is not installed on this machine (node_modules/electron/dist is missing:
  it is downloaded by `npm install` only where the download is allowed).
  Starting serve mode instead: the same app in your browser, on a loopback address.

MSG
exec node scripts/serve.ts "$@"
