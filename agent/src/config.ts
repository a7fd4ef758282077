// Agent configuration from environment variables and command-line flags (flags win), validated
// with zod so a typo in a DaemonSet manifest stops the agent with a message naming the setting.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import * as z from './zod.ts';

/** Where each distribution puts containerd's socket (and which namespace its kubelet uses). */
export const SOCKET_PRESETS = {
  containerd: '/run/containerd/containerd.sock',
  k3s: '/run/k3s/containerd/containerd.sock',
  rke2: '/run/k3s/containerd/containerd.sock',
  microk8s: '/var/snap/microk8s/common/run/containerd.sock',
  k0s: '/run/k0s/containerd.sock',
} as const;
export type SocketPreset = keyof typeof SOCKET_PRESETS;

const SETTINGS = {
  preset: { env: 'PULLTRACE_PRESET', flag: 'preset' },
  socket: { env: 'PULLTRACE_SOCKET', flag: 'socket' },
  namespace: { env: 'PULLTRACE_NAMESPACE', flag: 'namespace' },
  node: { env: 'PULLTRACE_NODE_NAME', flag: 'node' },
  grpcPort: { env: 'PULLTRACE_GRPC_PORT', flag: 'grpc-port' },
  metricsHost: { env: 'PULLTRACE_METRICS_HOST', flag: 'metrics-host' },
  metricsPort: { env: 'PULLTRACE_METRICS_PORT', flag: 'metrics-port' },
  pollActiveMs: { env: 'PULLTRACE_POLL_ACTIVE_MS', flag: 'poll-active-ms' },
  pollIdleMs: { env: 'PULLTRACE_POLL_IDLE_MS', flag: 'poll-idle-ms' },
  heartbeatMs: { env: 'PULLTRACE_HEARTBEAT_MS', flag: 'heartbeat-ms' },
  maxWatchers: { env: 'PULLTRACE_MAX_WATCHERS', flag: 'max-watchers' },
  watcherQueue: { env: 'PULLTRACE_WATCHER_QUEUE', flag: 'watcher-queue' },
  slowWatcherMs: { env: 'PULLTRACE_SLOW_WATCHER_MS', flag: 'slow-watcher-ms' },
  maxIngests: { env: 'PULLTRACE_MAX_INGESTS', flag: 'max-ingests' },
  maxRepositories: { env: 'PULLTRACE_METRICS_MAX_REPOSITORIES', flag: 'metrics-max-repositories' },
  logLevel: { env: 'PULLTRACE_LOG_LEVEL', flag: 'log-level' },
} as const;
type SettingName = keyof typeof SETTINGS;

const int = (min: number, max: number) => z.coerce.number().check(z.int(), z.gte(min), z.lte(max));

const configSchema = z.pipe(
  z.strictObject({
    preset: z._default(z.enum(Object.keys(SOCKET_PRESETS) as [SocketPreset, ...SocketPreset[]]), 'containerd'),
    socket: z.optional(z.string().check(z.minLength(1))),
    namespace: z._default(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,75}$/, 'a containerd namespace name')), 'k8s.io'),
    node: z._default(z.string().check(z.minLength(1), z.maxLength(253)), process.env.NODE_NAME ?? hostname()),
    /** 0 picks a free port (tests) */
    grpcPort: z._default(int(0, 65535), 7441),
    metricsHost: z._default(z.string().check(z.minLength(1)), '0.0.0.0'),
    /** 0 picks a free port (tests) */
    metricsPort: z._default(int(0, 65535), 7442),
    pollActiveMs: z._default(int(50, 10_000), 250),
    pollIdleMs: z._default(int(100, 60_000), 1_000),
    heartbeatMs: z._default(int(500, 60_000), 5_000),
    maxWatchers: z._default(int(1, 256), 16),
    watcherQueue: z._default(int(16, 100_000), 512),
    slowWatcherMs: z._default(int(1_000, 600_000), 30_000),
    maxIngests: z._default(int(10, 1_000_000), 5_000),
    maxRepositories: z._default(int(1, 10_000), 200),
    logLevel: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
  }),
  z.transform((c) => ({ ...c, socket: c.socket ?? SOCKET_PRESETS[c.preset] })),
);

export type AgentConfig = z.output<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]),
  );
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(`bad command line: ${(err as Error).message}`);
  }
  const raw: Partial<Record<SettingName, string>> = {};
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const value = flags[s.flag] ?? env[s.env];
    if (typeof value === 'string' && value !== '') raw[name] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = i.path[0] as SettingName | undefined;
      const where = name && SETTINGS[name] ? `--${SETTINGS[name].flag} / ${SETTINGS[name].env}` : 'config';
      return `${where}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if (parsed.data.pollActiveMs > parsed.data.pollIdleMs) {
    throw new ConfigError('invalid configuration: --poll-active-ms must not exceed --poll-idle-ms');
  }
  return parsed.data;
}
