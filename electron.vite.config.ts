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
  return {
    name: 'pulltrace-agent-proto',
    renderChunk(code) {
      const quoted = [sourcePath, sourcePath.replaceAll("'", '"')].find((q) => code.includes(q));
      if (quoted === undefined) this.error(`agent-client's proto path ${sourcePath} not found in the main bundle`);
      return { code: code.replaceAll(quoted, '"./proto/agent.proto"'), map: null };
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'proto/agent.proto', source: readFileSync(resolve(root, 'proto/agent.proto'), 'utf8') });
    },
  };
}

export default defineConfig({
  main: {
    plugins: [agentProtoBesideBundle()],
    build: {
      outDir: resolve(root, 'out/main'),
      lib: { entry: resolve(root, 'electron/main/index.ts'), formats: ['es'], fileName: () => 'index.js' },
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
