// The V8 settings the agent runs with, applied by the agent itself: however it is started (the
// DaemonSet's `node -e <launcher>`, the baked image, `node pulltrace-agent.mjs` by hand), it
// re-executes itself once with these flags before anything else is loaded. They must be set before
// V8 starts (`--lite-mode` cannot be turned on later, nor put in NODE_OPTIONS), hence an exec and
// not v8.setFlagsFromString. Measured effect (docs/agent.md, "Memory"): peak RSS under 10 pulls
// 85 → 67 MiB, busy CPU still ~3 % of a core (the agent waits on I/O; JIT buys it little).
//   --lite-mode               no JIT (no TurboFan/Maglev/Sparkplug code, no feedback vectors):
//                             ~10 MiB less RSS
//   --max-semi-space-size=1   a 1 MiB young generation (V8 otherwise grows it to 16+ MiB)
//   --max-old-space-size=64   a ceiling on the old generation: under a flood of frames V8 collects
//                             instead of growing (the queues are bounded, the live heap is ~12 MiB)
// A flag the agent was already started with, on the command line or in NODE_OPTIONS (same name, any
// value), is left as the operator set it.
// PULLTRACE_NODE_FLAGS=keep runs with whatever node was started with.
export const AGENT_NODE_FLAGS = ['--lite-mode', '--max-semi-space-size=1', '--max-old-space-size=64'];

const flagName = (arg: string): string => arg.split('=')[0]!;

/** The flags of AGENT_NODE_FLAGS node was not started with (a command-line flag would override
 * the operator's NODE_OPTIONS, so those count as given too). */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return AGENT_NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

function applyNodeFlags(): void {
  if (process.env.PULLTRACE_NODE_FLAGS === 'keep') return;
  // --lite-mode turns WebAssembly off, and Node's TypeScript stripping runs on WebAssembly: the
  // agent run from source (agent/src/*.ts, the tests) keeps node's flags; the bundle applies them
  if (import.meta.filename.endsWith('.ts')) return;
  const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  // process.execve exists from Node 23.11; on an older node the agent runs as started
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  // same node, same way of starting (execArgv holds `-e <script>` for the DaemonSet's launcher),
  // same arguments, environment and pid
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

applyNodeFlags();
