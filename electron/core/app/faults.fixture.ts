// Test-only helpers for faults.lab.test.ts: serve mode as a real child process (so SIGKILL is real),
// a bridge client that talks to it the way the renderer does (WebSocket, token, Origin, every
// message parsed with the contract's schemas), and the lab levers the faults need (throttle proxy,
// the node's containerd, the API server, a TCP connection of the serve process). Nothing in the
// product imports this.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { WebSocket } from 'ws';
import { z } from 'zod';
import {
  describeInvalid,
  parseCommandValue,
  serverMessageSchema,
  type ClusterStatus,
  type CommandOf,
  type CommandType,
  type CommandValue,
} from '../bridge/contract.ts';
import { labDir, labSocket, waitFor } from '../kube/lab.fixture.ts';

const root = path.resolve(import.meta.dirname, '../../..');

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  token: string;
  /** Everything it wrote on stderr (warnings, the history path): shown when a case fails. */
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `scripts/serve.ts` exactly as a user runs it, with its own KUBECONFIG and history folder. */
export async function startServe(options: { kubeconfig: string; historyDir: string; recordingsDir: string }): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['scripts/serve.ts', '--recordings', options.recordingsDir, '--history-dir', options.historyDir], {
    cwd: root,
    env: { ...process.env, KUBECONFIG: options.kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 30 s; stderr: ${err}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(new URL(match[1]));
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}; stderr: ${err}`)));
  });
  const token = new URLSearchParams(url.hash.slice(1)).get('token');
  if (token === null) throw new Error(`serve URL without a token: ${url.origin}`);
  return { child, port: Number(url.port), token, stderr: () => err, exited };
}

export interface StatusSample {
  at: number;
  status: ClusterStatus;
}

/** One renderer connection: every server message is validated with `serverMessageSchema`. */
export class BridgeClient {
  /** Every cluster status the bridge sent (snapshot and deltas), with its arrival time. */
  readonly statuses: StatusSample[] = [];
  /** Messages that did not match the contract (each is a test failure). */
  readonly invalid: string[] = [];
  private readonly pending = new Map<number, (result: unknown) => void>();
  private nextId = 1;
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => this.receive(data.toString()));
  }

  static async open(serve: ServeProcess): Promise<BridgeClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/bridge?token=${serve.token}`, { origin: `http://127.0.0.1:${serve.port}` });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new BridgeClient(ws);
  }

  private receive(text: string): void {
    const parsed = serverMessageSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.invalid.push(describeInvalid(parsed.error));
      return;
    }
    const message = parsed.data;
    const at = Date.now();
    if (message.type === 'snapshot' || message.type === 'delta') {
      for (const status of message.clusters) this.statuses.push({ at, status });
    } else if (message.type === 'result') {
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    }
  }

  /** Sends a command and returns its value, checked against the command's result schema. */
  async invoke<T extends CommandType>(command: CommandOf<T>, timeoutMs = 60_000): Promise<CommandValue<T>> {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command.type}: no answer in ${timeoutMs} ms (messages off the contract: ${this.invalid.join(' | ') || 'none'})`)), timeoutMs);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
    this.ws.send(JSON.stringify({ id, command }));
    const result = z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
    ]).parse(await answer);
    if (!result.ok) throw new Error(`${command.type} failed (${result.error.code}): ${result.error.message}`);
    const checked = parseCommandValue(command.type as T, result.value);
    if (!checked.ok) throw new Error(checked.error.message);
    return checked.value;
  }

  latest(cluster: string): ClusterStatus | undefined {
    return this.statuses.findLast((s) => s.status.id === cluster)?.status;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Connected, and every node's agent stream with it (at least one node). */
export function streaming(status: ClusterStatus | undefined): boolean {
  const agent = status?.agent;
  return status?.state === 'connected' && agent !== undefined && agent.nodesTotal > 0 && agent.nodesConnected === agent.nodesTotal;
}

/** The first time the cluster was seen not streaming after `since`, and when it was seen streaming
 * again after the last such sample (undefined while it is still down). */
export function recoveredAt(samples: readonly StatusSample[], cluster: string, since: number): { droppedAt?: number; recoveredAt?: number } {
  const after = samples.filter((s) => s.status.id === cluster && s.at >= since);
  const down = after.filter((s) => !streaming(s.status));
  const lastDown = down.at(-1);
  const back = lastDown === undefined ? undefined : after.find((s) => s.at >= lastDown.at && streaming(s.status));
  return { droppedAt: down[0]?.at, recoveredAt: back?.at };
}

// ---------------------------------------------------------------------------------------------
// Lab levers.

const proxyControl = 'http://127.0.0.1:5001/_lab';
const inflightSchema = z.object({ inflight: z.array(z.object({ repo: z.string(), kind: z.string(), sent: z.number(), state: z.string() })) });

export async function proxyRule(rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${proxyControl}/rules`, { method: 'POST', body: JSON.stringify(rule) });
  if (!response.ok) throw new Error(`proxy rule refused: ${response.status} ${await response.text()}`);
}

/** Removes every fault rule (a rule not used up would act on the next test's pulls). */
export async function clearProxyRules(): Promise<void> {
  const response = await fetch(`${proxyControl}/rules`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`proxy rules not cleared: ${response.status} ${await response.text()}`);
}

/** Bytes the proxy has sent so far on the blobs of `repo` it is still sending. */
export async function blobBytesInFlight(repo: string): Promise<number> {
  const stats = inflightSchema.parse(await (await fetch(`${proxyControl}/stats`)).json());
  return stats.inflight.filter((r) => r.repo === repo && r.kind === 'blob').reduce((sum, r) => sum + r.sent, 0);
}

/** The lab's own pid-file stop (lib.sh `lk_stop_daemon`: SIGTERM, SIGKILL after the grace), for one
 * component of the node or control plane. */
export function stopLabDaemon(name: 'containerd' | 'kube-apiserver', graceSeconds: number): void {
  execFileSync('bash', ['-c', `source "$1/lib.sh" && lk_stop_daemon "$2" "$3"`, 'stop', labDir, name, String(graceSeconds)], { stdio: 'pipe', timeout: 60_000 });
}

/** Host pid of a container's main process on the lab node (the kubelet's containerd runs here). */
export function containerPid(containerId: string): number {
  const id = containerId.replace(/^containerd:\/\//, '');
  const tasks = execFileSync('ctr', ['-a', labSocket, '-n', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8', timeout: 30_000 });
  const line = tasks.split('\n').find((l) => l.startsWith(`${id} `));
  const pid = Number(line?.split(/\s+/)[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no running task for container ${id}`);
  return pid;
}

/** Local TCP ports the process listens on (serve's HTTP port and one port-forward per agent stream). */
export function listeningPorts(pid: number): number[] {
  const lines = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }).split('\n');
  const local = lines.filter((l) => l.includes(`pid=${pid},`)).map((l) => l.split(/\s+/)[3] ?? '');
  return local.map((address) => Number(address.slice(address.lastIndexOf(':') + 1)));
}

/** Resets (RST) every established TCP connection to or from a local port: a dropped stream. */
export function killConnections(port: number): void {
  execFileSync('ss', ['-K', '-tn', `( sport = :${port} or dport = :${port} )`], { stdio: 'pipe', timeout: 10_000 });
}

export { waitFor };
