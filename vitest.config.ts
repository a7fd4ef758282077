import { defineConfig } from 'vitest/config';

// One test runner, three projects:
//  unit — pure logic and in-process wiring, fast, no lab (tests beside the code: *.test.ts)
//  lab  — integration tests against ../shared/lab (real containerd, real apiserver/kubelet): *.lab.test.ts
//  ui   — Playwright in Debian's Chromium against the real core in serve mode: *.ui.test.ts
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{electron,agent,renderer,scripts,bench}/**/*.test.{ts,tsx}', '*.test.ts'],
          exclude: ['**/*.lab.test.ts', '**/*.ui.test.ts', 'node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['**/*.lab.test.ts'],
          exclude: ['node_modules/**'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'ui',
          include: ['**/*.ui.test.ts'],
          exclude: ['node_modules/**'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
