// Lint rules, including the layer rules of docs/ARCHITECTURE.md: a wrong import between folders
// fails `npm run lint` (the way VS Code enforces its layers).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = '^(node:.*|fs|fs/promises|net|http|https|http2|child_process|os|path|tls|dgram|dns|worker_threads|cluster|readline|stream|zlib|crypto)$';

const layer = (files, patterns) => ({
  files,
  ignores: ['**/*.test.ts', '**/*.test.tsx'],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', '.tools/', 'charts/', 'bench/results/', 'docs/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  { files: ['renderer/**/*.{ts,tsx}'], languageOptions: { globals: { ...globals.browser } } },
  // electron/core runs under plain Node (tests, serve mode, CLI, benchmarks): never Electron, never the UI.
  layer(['electron/core/**/*.ts'], [
    { regex: '^electron(/.*)?$', message: 'electron/core must run under plain Node: do not import electron.' },
    { regex: '(^|/)(main|preload)/', message: 'electron/core must not depend on electron/main or electron/preload.' },
    { regex: '(^|/)renderer/', message: 'electron/core must not import the renderer.' },
    { regex: '(^|/)agent/', message: 'The agent is another process: talk to it through proto/, not imports.' },
  ]),
  // The engine is pure: time and data come in as inputs, nothing goes out but return values.
  layer(['electron/core/engine/**/*.ts'], [
    { regex: nodeBuiltins, message: 'The engine does no I/O: no Node built-ins.' },
    { regex: '^(@kubernetes/|@grpc/|ws$|prom-client$|csv-)', message: 'The engine does no I/O: no clients or exporters.' },
    { regex: '\\.\\./(kube|agents|history|bridge|replay|serve|cli)/', message: 'The engine sits left of kube/agents/history/bridge: they import it, not the reverse.' },
  ]),
  // The renderer reaches the core only through the bridge contract.
  layer(['renderer/**/*.{ts,tsx}'], [
    { regex: '^electron(/.*)?$', message: 'The renderer never touches Electron: use the bridge.' },
    { regex: nodeBuiltins, message: 'The renderer runs in a sandboxed browser context: no Node built-ins.' },
    { regex: '(^|/)electron/(main|preload)/', message: 'The renderer reaches the core only through electron/core/bridge/contract.ts.' },
    { regex: '(^|/)electron/core/(?!bridge/contract\\.ts$)', message: 'The renderer reaches the core only through electron/core/bridge/contract.ts.' },
    { regex: '(^|/)agent/', message: 'The renderer reaches the core only through electron/core/bridge/contract.ts.' },
  ]),
  // The preload is a thin sandboxed bridge: Electron's contextBridge/ipcRenderer and the contract only.
  layer(['electron/preload/**/*.ts'], [
    { regex: nodeBuiltins, message: 'A sandboxed preload has no Node built-ins.' },
    { regex: '(^|/)electron/core/(?!bridge/contract\\.ts$)|(^|/)core/(?!bridge/contract\\.ts$)', message: 'The preload may import only the bridge contract from the core.' },
  ]),
  // The agent runs alone in a pod: it shares only proto/ with the desktop.
  layer(['agent/**/*.ts'], [
    { regex: '^electron(/.*)?$|(^|/)electron/|(^|/)renderer/', message: 'The agent shares nothing with the desktop but proto/.' },
  ]),
);
