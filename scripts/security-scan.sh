#!/usr/bin/env bash
# Runs Electronegativity (unmaintained; run once per release, results recorded in docs/SECURITY.md)
# over the built main and preload bundles, the renderer's HTML and the main/preload sources.
#  - Its Babel parser predates class private fields: the bundles are lowered to ES2019 with esbuild
#    first, or it cannot parse main and silently reports every main-process check as missing.
#  - It fetches translations and Electron release notes from the internet: offline those fetches
#    throw from timers; a preload swallows exactly those errors, and the release-notes check
#    (AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK, which only compares against upstream releases) is skipped.
# Usage: bash scripts/security-scan.sh   → .cache/security-scan/{bundles,sources}.csv
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node24.sh
work=.cache/security-scan
tool="$work/tool"
mkdir -p "$tool" "$work/bundles" "$work/sources"
[ -x "$tool/node_modules/.bin/electronegativity" ] ||
  npm install --no-audit --no-fund --prefix "$tool" @doyensec/electronegativity@1.10.3 >/dev/null
cat > "$work/offline.cjs" <<'JS'
process.on('uncaughtException', (e) => {
  if (/onCancel/.test(String(e && e.message)) || (e && e.name === 'RequestError')) return;
  throw e;
});
JS
npx electron-vite build >/dev/null
esbuild=node_modules/.bin/esbuild
"$esbuild" out/main/index.js --target=es2019 --format=cjs --outfile="$work/bundles/main.js" --log-level=error
"$esbuild" out/preload/index.cjs --target=es2019 --format=cjs --outfile="$work/bundles/preload.js" --log-level=error
cp out/renderer/index.html package.json "$work/bundles/"
rm -rf "$work/sources" && mkdir -p "$work/sources"
cp -r electron/main electron/preload package.json "$work/sources/"
find "$work/sources" -name '*.test.ts' -delete
version=$(node -p "require('./node_modules/electron/package.json').version")
for target in bundles sources; do
  node -r "./$work/offline.cjs" "$tool/node_modules/@doyensec/electronegativity/dist/index.js" \
    -i "$work/$target" -r -e "$version" -v false -x availablesecurityfixesglobalcheck -o "$work/$target.csv" >/dev/null
  echo "== $target ($work/$target.csv)"
  node -e "
    const rows = require('node:fs').readFileSync(process.argv[1], 'utf8').split(/\n(?=[A-Z_]+,)/).slice(1);
    for (const r of rows) { const f = r.match(/^([A-Z_]+),\"([A-Z]+)\",\"([A-Z]+)\",\"([^\"]*)\",\"([^\"]*)\"/); if (f) console.log(f.slice(1).join('  ')); }
  " "$work/$target.csv"
done
