// The agent validates with zod's tree-shakable "mini" API: the classic `z` namespace costs the
// agent ~5 MiB of RSS at start (every schema class and method is built), mini ~0.3 MiB (measured
// in docs/agent.md, "Memory"). Mini ships no messages of its own: English ones are registered here,
// once, so every error the agent logs or returns reads as it does with classic zod.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export { z };
