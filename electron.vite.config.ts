// electron-vite: main (ESM) from electron/main, the preload as CommonJS (a sandboxed preload cannot
// be ESM; electron-vite would emit .mjs because package.json says "type": "module"), and the
// renderer from renderer/ with React. Output: out/{main,preload,renderer}.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const root = import.meta.dirname;

/** The core's agent client reads proto/agent.proto at run time, found relative to its source file
 * (electron/core/agents → ../../../proto). In the main bundle that path leaves the app (and the
 * asar): ship the file beside the bundle and point the path there. Fails the build if the path in
 * the source ever changes, rather than shipping an app that cannot talk to its agents. */
function agentProtoBesideBundle(): Plugin {
  const sourcePath = "'../../../proto/agent.proto'";
  const quotings = [sourcePath, sourcePath.replaceAll("'", '"')];
  let found = false;
  return {
    name: 'pulltrace-agent-proto',
    renderChunk(code) {
      const quoted = quotings.find((q) => code.includes(q));
      if (quoted === undefined) return null;
      found = true;
      return { code: code.replaceAll(quoted, '"./proto/agent.proto"'), map: null };
    },
    generateBundle() {
      // The client lands in the core worker's chunk, not in every chunk: one of them must have it.
      if (!found) this.error(`agent-client's proto path ${sourcePath} not found in the main bundle`);
      this.emitFile({ type: 'asset', fileName: 'proto/agent.proto', source: readFileSync(resolve(root, 'proto/agent.proto'), 'utf8') });
    },
  };
}

export default defineConfig({
  main: {
    plugins: [agentProtoBesideBundle()],
    build: {
      outDir: resolve(root, 'out/main'),
      // The shell, and the core's worker thread (electron/core/host), which the shell starts from
      // core-worker.js beside index.js.
      lib: {
        entry: { index: resolve(root, 'electron/main/index.ts'), 'core-worker': resolve(root, 'electron/core/host/worker-entry.ts') },
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Bundle the contract in: a sandboxed preload may require only electron and a few built-ins.
      externalizeDeps: false,
      lib: { entry: resolve(root, 'electron/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      // No inline scripts or data: modules: the CSP allows 'self' only.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
