// Test harness: runs the agent as a real child process (from source, or a built bundle) and drives
// the containerd lab (../shared/lab/containerd) through its own scripts and control API. Used by
// the agent's unit tests (agent with no containerd) and lab tests (agent against lab containerd).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const AGENT_SOURCE = fileURLToPath(new URL('../src/main.ts', import.meta.url));
export const LAB_DIR = process.env.LAB_DIR ?? fileURLToPath(new URL('../../../shared/lab/containerd/', import.meta.url));
const LAB_HOME = process.env.LAB_CTR_HOME ?? '/var/lib/lab-containerd';

export interface AgentProcess {
  pid: number;
  grpcPort: number;
  metricsPort: number;
  /** every JSON log line the agent wrote so far */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface StartAgentOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** run this file instead of agent/src/main.ts (e.g. the built bundle) */
  entry?: string;
  /** node flags, e.g. the V8 memory settings of the pod */
  nodeArgs?: string[];
  cwd?: string;
  /** run as this uid:gid (via setpriv) */
  user?: { uid: number; gid: number };
}

export async function startAgent(opts: StartAgentOptions = {}): Promise<AgentProcess> {
  const base = [...(opts.nodeArgs ?? []), opts.entry ?? AGENT_SOURCE, '--grpc-port', '0', '--metrics-port', '0', '--metrics-host', '127.0.0.1', ...(opts.args ?? [])];
  const [cmd, argv] = opts.user
    ? ['setpriv', [`--reuid=${opts.user.uid}`, `--regid=${opts.user.gid}`, '--clear-groups', process.execPath, ...base]]
    : [process.execPath, base];
  const child: ChildProcess = spawn(cmd, argv, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let buffer = '';
  const ready = new Promise<{ grpcPort: number; metricsPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready within 15 s; log:\n${JSON.stringify(logs)}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'agent ready') {
            clearTimeout(timer);
            resolve({ grpcPort: Number(entry.grpcPort), metricsPort: Number(entry.metricsPort) });
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before it was ready; log:\n${JSON.stringify(logs)}`));
    });
  });
  const { grpcPort, metricsPort } = await ready;
  return {
    pid: child.pid!,
    grpcPort,
    metricsPort,
    logs,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export async function scrapeMetrics(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** A sample value from Prometheus text, e.g. metricValue(text, 'pulltrace_agent_containerd_up'). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? LAB_DIR, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const lab = {
  socket: process.env.LAB_CTR_SOCK ?? `${LAB_HOME}/containerd.sock`,
  control: 'http://127.0.0.1:5001/_lab',

  /** Throws (so the test FAILS, not skips) when the containerd lab is not up. */
  async requireUp(): Promise<void> {
    const how = `bring it up with: cd ${LAB_DIR} && ./prepare.sh && ./up.sh`;
    if (!existsSync(lab.socket)) throw new Error(`containerd lab is not up: no socket at ${lab.socket}; ${how}`);
    try {
      const res = await fetch(`${lab.control}/health`, { signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      throw new Error(`containerd lab's throttle proxy is not answering at ${lab.control}: ${(err as Error).message}; ${how}`);
    }
  },

  version(): string {
    try {
      return readFileSync(`${LAB_HOME}/run/containerd.version`, 'utf8').trim();
    } catch {
      return '1.6';
    }
  },

  async proxy(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${lab.control}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    if (!res.ok) throw new Error(`proxy ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json().catch(() => null);
  },

  /** Resets the (shared) proxy, then sets this test's rate and rules. */
  async configure(config: { rate?: string; rules?: unknown[] }): Promise<void> {
    await lab.proxy('POST', '/reset');
    if (config.rate) await lab.proxy('PATCH', '/config', { rate: config.rate });
    if (config.rules?.length) await lab.proxy('POST', '/rules', config.rules);
  },

  async proxyLog(): Promise<Record<string, unknown>[]> {
    const body = (await lab.proxy('GET', '/log?since=0')) as { events?: Record<string, unknown>[] } | Record<string, unknown>[];
    return Array.isArray(body) ? body : (body.events ?? []);
  },

  /** pull.sh: ctr (or --cri) pulls through the proxy; rate and rules must be set with configure(). */
  pull(images: string[], opts: { cri?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return run('./pull.sh', [...(opts.cri ? ['--cri'] : []), ...images], { timeoutMs: opts.timeoutMs ?? 150_000 });
  },

  /** Removes every image, blob, ingest and lease in the namespace: the next pull is cold. */
  cleanAll(): Promise<RunResult> {
    return run('./pull.sh', ['--clean-all', '--clean-only']);
  },

  /** CRI PullImage, as kubelet does it. */
  criPull(ref: string, timeoutMs = 150_000): Promise<RunResult> {
    return run('node', ['lab-client.mjs', 'cri-pull', ref], { timeoutMs, env: { LAB_NODE_MODULES: `${LAB_HOME}/node/node_modules` } });
  },

  /** Stops and starts the lab (containerd with registry and proxy: down.sh has no narrower switch). */
  async restart(): Promise<void> {
    // down.sh forgets which version ran; up.sh would start the default (1.6) without it
    const version = lab.version();
    const down = await run('./down.sh', []);
    if (down.code !== 0) throw new Error(`down.sh failed: ${down.stderr}`);
    const up = await run('./up.sh', [], { env: { LAB_CTR_VERSION: version } });
    if (up.code !== 0) throw new Error(`up.sh failed: ${up.stderr}`);
  },
};
