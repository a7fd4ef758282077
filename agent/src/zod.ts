// The agent validates with zod's tree-shakable "mini" API: the classic `z` namespace costs the
// agent ~5 MiB of RSS at start (every schema class and method is built), mini ~0.3 MiB (measured
// in docs/agent.md, "Memory"). Mini ships no messages of its own: English ones are registered here,
// once, so every error the agent logs or returns reads as it does with classic zod.
// Import it as `import * as z from './zod.ts'`: a re-export (not a namespace object) lets the bundler
// keep only the functions the agent calls (bundle 708 → 563 KiB; V8 heap −1.1 MiB at idle, and
// 2.6 MiB less peak compiler memory at start).
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
