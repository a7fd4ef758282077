// The V8 settings the agent runs with, applied by the agent itself: however it is started (the
// DaemonSet's `node -e <launcher>`, the baked image, `node pulltrace-agent.cjs` by hand), it
// re-executes itself once with these flags before anything else is loaded. They must be set before
// V8 starts (`--lite-mode` cannot be turned on later, nor put in NODE_OPTIONS), hence an exec and
// not v8.setFlagsFromString. Measured effect (docs/agent.md, "Memory"): peak RSS under 10 pulls
// 85 → 60 MiB, busy CPU still ~3 % of a core (the agent waits on I/O; JIT buys it little).
//   --lite-mode               no JIT (no TurboFan/Maglev/Sparkplug code, no feedback vectors):
//                             ~10 MiB less RSS
//   --max-semi-space-size=1   a 1 MiB young generation (V8 otherwise grows it to 16+ MiB)
//   --max-old-space-size=64   a ceiling on the old generation: under a flood of frames V8 collects
//                             instead of growing (the queues are bounded, the live heap is ~12 MiB)
//   --use-openssl-ca          loading `tls` (node:http2 does) otherwise starts a thread that parses
//                             node's ~150 bundled root certificates, kept for a TLS connection the
//                             agent never makes (containerd is a unix socket, Watch and /metrics are
//                             plaintext): 0.8 MiB of RSS, 1.6 MiB with NODE_EXTRA_CA_CERTS set (those
//                             are parsed too). With it, CAs would come from OpenSSL's store (and
//                             NODE_EXTRA_CA_CERTS), read only when a TLS context is made.
//   --bytecode-old-age=2      bytecode of a function not run for 2 full GCs is dropped (and compiled
//                             again if it runs): most of the agent's code runs once, at start.
//                             Peak 61.2 → 60.0–60.4 MiB, busy CPU unchanged (2.3–3.0 %); with 1: 59.9–60.2
//                             at 3.2–4.8 % busy CPU
// A flag the agent was already started with, on the command line or in NODE_OPTIONS (same name, any
// value), is left as the operator set it, and so is --use-openssl-ca when the operator chose
// --use-bundled-ca (node refuses both).
// PULLTRACE_NODE_FLAGS=keep runs with whatever node was started with.
export const AGENT_NODE_FLAGS = ['--lite-mode', '--max-semi-space-size=1', '--max-old-space-size=64', '--use-openssl-ca', '--bytecode-old-age=2'];

/** Flags that rule out one of AGENT_NODE_FLAGS. */
const EXCLUDED_BY: Record<string, string> = { '--use-openssl-ca': '--use-bundled-ca' };

const flagName = (arg: string): string => arg.split('=')[0]!;

/** The flags of AGENT_NODE_FLAGS node was not started with (a command-line flag would override
 * the operator's NODE_OPTIONS, so those count as given too). */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  const isGiven = (name: string | undefined): boolean => name !== undefined && given.has(name);
  return AGENT_NODE_FLAGS.filter((flag) => !isGiven(flagName(flag)) && !isGiven(EXCLUDED_BY[flagName(flag)]));
}

/** The environment of the re-executed agent: glibc's malloc with a fixed mmap threshold (its
 * default, 128 KiB). By default glibc raises the threshold to the size of any large block freed
 * (V8 frees several at start), after which blocks up to that size come from the brk heap, which
 * glibc returns to the system only from its top: the agent kept up to 3 MiB of freed memory there
 * (measured on the bundle, idle: −0.3 to −3.3 MiB depending on how start-up allocations fall). A threshold the operator set (MALLOC_MMAP_THRESHOLD_ or
 * GLIBC_TUNABLES) is kept; other C libraries ignore the variable. */
export function agentEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || env.GLIBC_TUNABLES?.includes('mmap_threshold')) return env;
  return { ...env, MALLOC_MMAP_THRESHOLD_: '131072' };
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
  // same arguments, environment (plus the malloc setting) and pid
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], agentEnvironment(process.env));
}

applyNodeFlags();
