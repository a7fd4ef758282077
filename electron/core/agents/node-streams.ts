// One agent Watch stream per node, opened lazily through a port-forward to that node's agent pod.
//
// Which nodes: in a small cluster (≤ allNodesUpTo nodes with an agent) all of them; otherwise the
// nodes with recent pull activity (kubelet Pulling events, fed in by noteActivity), kept open while
// active and closed after idleCloseMs without activity. At most maxStreams at once, the most
// recently active first. A stream that ends reconnects with jittered exponential backoff while
// its node is still wanted; a new agent pod (upgrade) replaces the stream at once. A wanted node
// whose agent pod is not ready (Pending on a node without a working kubelet, image pull back-off,
// crash loop) gets a 'waiting' status saying why, and no connection attempt until the pod is ready.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import type { AgentInput } from '../engine/types.ts';
import { ResourceWatch } from '../kube/list-watch.ts';
import { agentName, annotations, labels } from '../kube/manifests.ts';
import { connectAgent, type AgentSession } from './agent-client.ts';
import { FrameTranslator } from './frames-to-inputs.ts';
import { LocalPortForward } from './port-forward.ts';

/** waiting: the node's agent pod is not ready, so nothing is tried (the reason says why). */
export type NodeStreamState = 'connecting' | 'connected' | 'backoff' | 'idle' | 'waiting';

export interface NodeStreamStatus {
  node: string;
  state: NodeStreamState;
  pod?: string;
  /** Why the last attempt failed, the stream ended, or (waiting) the agent pod is not ready. */
  reason?: string;
  attempts: number;
}

export interface AgentStreamsOptions {
  config: () => KubeConfig;
  namespace: string;
  sink: (input: AgentInput) => void;
  status?: (status: NodeStreamStatus) => void;
  maxStreams?: number;
  allNodesUpTo?: number;
  idleCloseMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How often wanted/open streams are reconciled (idle closing). */
  reconcileMs?: number;
  now?: () => number;
  random?: () => number;
}

const containerStateSchema = z.object({
  waiting: z.object({ reason: z.string().nullish(), message: z.string().nullish() }).nullish(),
  terminated: z.object({ reason: z.string().nullish(), exitCode: z.number().nullish() }).nullish(),
}).nullish();

const agentPodSchema = z.object({
  metadata: z.object({ uid: z.string(), name: z.string(), annotations: z.record(z.string(), z.string()).nullish(), deletionTimestamp: z.unknown().optional() }),
  spec: z.object({ nodeName: z.string().nullish() }).nullish(),
  status: z.object({
    phase: z.string().optional(),
    conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish(),
    containerStatuses: z.array(z.object({ ready: z.boolean().nullish(), state: containerStateSchema, lastState: containerStateSchema })).nullish(),
  }).nullish(),
});

type AgentPodObject = z.infer<typeof agentPodSchema>;

interface AgentPod {
  uid: string;
  name: string;
  node: string;
  port: number;
  ready: boolean;
  terminating: boolean;
  /** Why the pod is not ready (undefined when it is). */
  notReady?: string;
}

/** One sentence on why an agent pod cannot be streamed from yet, from its status. */
export function whyNotReady(pod: AgentPodObject, node: string): string {
  const name = `agent pod ${pod.metadata.name}`;
  if (pod.metadata.deletionTimestamp != null) return `${name} is terminating`;
  const phase = pod.status?.phase ?? 'Pending';
  const container = pod.status?.containerStatuses?.[0];
  const waiting = container?.state?.waiting;
  if (waiting?.reason) {
    const last = container?.lastState?.terminated;
    const exited = last ? ` (last exit: ${last.reason ?? 'terminated'}, code ${last.exitCode ?? '?'})` : '';
    return `${name} is waiting: ${waiting.reason}${waiting.message ? `: ${waiting.message.slice(0, 200)}` : ''}${exited}`;
  }
  const terminated = container?.state?.terminated;
  if (terminated) return `${name} exited: ${terminated.reason ?? 'terminated'}, code ${terminated.exitCode ?? '?'}`;
  // No container status at all: a scheduled pod no kubelet has picked up (yet). Kept as is on a
  // node whose kubelet is gone or was never there (the status is reported by the kubelet only).
  if (phase === 'Pending' && !container) return `${name} is Pending: not started by the kubelet of node ${node} (no container status yet; is the node's kubelet running?)`;
  if (phase === 'Running') return `${name} is running but not Ready`;
  return `${name} is ${phase}`;
}

function agentPodOf(raw: unknown): AgentPod | undefined {
  const parsed = agentPodSchema.safeParse(raw);
  const node = parsed.data?.spec?.nodeName;
  if (!parsed.success || !node) return undefined;
  const pod = parsed.data;
  const port = Number(pod.metadata.annotations?.[annotations.grpcPort] ?? 7441);
  const terminating = pod.metadata.deletionTimestamp != null;
  const ready = pod.status?.phase === 'Running' && !terminating
    && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return { uid: pod.metadata.uid, name: pod.metadata.name, node, port: Number.isInteger(port) ? port : 7441, ready, terminating, notReady: ready ? undefined : whyNotReady(pod, node) };
}

/** Which nodes get a stream: all of them in a small cluster, else those with a kubelet Pulling
 * within idleCloseMs; most recently active first, at most maxStreams. */
export function selectNodes(
  nodes: readonly string[],
  activity: ReadonlyMap<string, number>,
  now: number,
  limits: { allNodesUpTo: number; idleCloseMs: number; maxStreams: number },
): string[] {
  const candidates = nodes.length <= limits.allNodesUpTo
    ? [...nodes]
    : nodes.filter((n) => now - (activity.get(n) ?? -Infinity) < limits.idleCloseMs);
  candidates.sort((a, b) => (activity.get(b) ?? 0) - (activity.get(a) ?? 0) || a.localeCompare(b));
  return candidates.slice(0, limits.maxStreams);
}

class NodeStream {
  status: NodeStreamStatus;
  private forward: LocalPortForward | undefined;
  private session: AgentSession | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private pod: AgentPod;
  private readonly owner: AgentStreams;

  constructor(owner: AgentStreams, pod: AgentPod) {
    this.owner = owner;
    this.pod = pod;
    this.status = { node: pod.node, state: 'connecting', pod: pod.name, attempts: 0 };
    void this.connect();
  }

  get podUid(): string {
    return this.pod.uid;
  }

  get podName(): string {
    return this.pod.name;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.update({ state: 'connecting', pod: this.pod.name, attempts: this.status.attempts + 1 });
    try {
      this.forward = await LocalPortForward.open(this.owner.options.config, { namespace: this.owner.options.namespace, pod: this.pod.name, port: this.pod.port });
      if (this.closed) return void this.forward.close();
      const session = connectAgent({ host: '127.0.0.1', port: this.forward.port, clientName: 'pulltrace-desktop' });
      this.session = session;
      const translator = new FrameTranslator(this.pod.node);
      session.on('frame', (frame) => {
        if (frame.body === 'hello') {
          this.failures = 0;
          this.update({ state: 'connected', reason: undefined });
        }
        for (const input of translator.translate(frame, { at: this.owner.now() })) this.owner.options.sink(input);
      });
      session.on('end', (error) => this.ended(error?.message ?? 'stream closed'));
    } catch (error) {
      this.ended(error instanceof Error ? error.message : String(error));
    }
  }

  private ended(reason: string): void {
    const detail = this.forward?.lastError ? `${reason} (${this.forward.lastError})` : reason;
    const wasConnected = this.status.state === 'connected';
    void this.forward?.close();
    this.forward = undefined;
    this.session = undefined;
    if (this.closed) return;
    if (wasConnected) this.owner.options.sink({ type: 'agent.disconnected', at: this.owner.now(), node: this.pod.node, reason: detail });
    this.failures += 1;
    const ceiling = Math.min(this.owner.options.backoffMaxMs ?? 30_000, (this.owner.options.backoffBaseMs ?? 1000) * 2 ** (this.failures - 1));
    this.update({ state: 'backoff', reason: detail });
    this.retry = setTimeout(() => void this.connect(), ceiling / 2 + (ceiling / 2) * this.owner.random());
  }

  /** A new pod for this node (agent upgraded): drop the old stream and connect to it now. */
  replacePod(pod: AgentPod): void {
    this.pod = pod;
    clearTimeout(this.retry);
    this.failures = 0;
    const session = this.session;
    if (session) session.close(); // 'end' → ended() → quick retry against the new pod
    else if (this.status.state === 'backoff') void this.connect();
  }

  /** Ends the stream for good; `reason` is what agent.disconnected says (the node went idle, or
   * its agent pod is no longer ready). */
  close(reason: string): void {
    this.closed = true;
    clearTimeout(this.retry);
    const wasConnected = this.status.state === 'connected';
    this.session?.close();
    void this.forward?.close();
    if (wasConnected) this.owner.options.sink({ type: 'agent.disconnected', at: this.owner.now(), node: this.pod.node, reason });
    this.update({ state: 'idle', reason: undefined });
  }

  private update(change: Partial<NodeStreamStatus>): void {
    this.status = { ...this.status, ...change };
    this.owner.options.status?.({ ...this.status });
  }
}

export class AgentStreams {
  readonly options: AgentStreamsOptions;
  readonly now: () => number;
  readonly random: () => number;
  private readonly pods = new Map<string, AgentPod>();
  private readonly streams = new Map<string, NodeStream>();
  /** Wanted nodes whose agent pod is not ready: their status only, no connection. */
  private readonly waiting = new Map<string, NodeStreamStatus>();
  private readonly activity = new Map<string, number>();
  private readonly podWatch: ResourceWatch;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AgentStreamsOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const { namespace } = options;
    const selector = `${labels.name}=${agentName}`;
    this.podWatch = new ResourceWatch({
      name: 'agent pods',
      path: `/api/v1/namespaces/${namespace}/pods`,
      labelSelector: selector,
      list: async (kc, o) => {
        const r = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: selector, limit: o.limit, _continue: o.continueToken });
        return { items: r.items, resourceVersion: r.metadata?.resourceVersion ?? '', continueToken: r.metadata?._continue };
      },
    }, options.config, {
      upsert: (raw) => {
        const pod = agentPodOf(raw);
        if (pod) this.pods.set(pod.uid, pod);
        this.reconcile();
      },
      remove: (uid) => {
        this.pods.delete(uid);
        this.reconcile();
      },
    });
  }

  start(): void {
    this.podWatch.start();
    this.timer = setInterval(() => this.reconcile(), this.options.reconcileMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.podWatch.stop();
    for (const stream of this.streams.values()) stream.close('stream closed (stopped)');
    this.streams.clear();
    this.waiting.clear();
  }

  /** A kubelet said Pulling on this node: keep (or open) its stream. */
  noteActivity(node: string): void {
    this.activity.set(node, this.now());
    this.reconcile();
  }

  statuses(): NodeStreamStatus[] {
    return [...this.streams.values()].map((s) => ({ ...s.status })).concat([...this.waiting.values()].map((s) => ({ ...s })));
  }

  /** Per node the pod to use: a ready one, else the one not being deleted (a replacement that is
   * still starting), else any. */
  private podsByNode(): Map<string, AgentPod> {
    const rank = (p: AgentPod) => (p.ready ? 2 : p.terminating ? 0 : 1);
    const byNode = new Map<string, AgentPod>();
    for (const pod of this.pods.values()) {
      const current = byNode.get(pod.node);
      if (!current || rank(pod) > rank(current)) byNode.set(pod.node, pod);
    }
    return byNode;
  }

  private reconcile(): void {
    const byNode = this.podsByNode();
    const wanted = new Set(selectNodes([...byNode.keys()], this.activity, this.now(), {
      allNodesUpTo: this.options.allNodesUpTo ?? 10,
      idleCloseMs: this.options.idleCloseMs ?? 5 * 60_000,
      maxStreams: this.options.maxStreams ?? 20,
    }));
    for (const [node, stream] of this.streams) {
      const pod = byNode.get(node);
      if (!wanted.has(node) || !pod?.ready) {
        stream.close(!wanted.has(node) ? 'stream closed (node idle)' : this.pods.get(stream.podUid)?.notReady ?? `agent pod ${stream.podName} was deleted`);
        this.streams.delete(node);
      }
    }
    for (const node of this.waiting.keys()) {
      if (byNode.get(node)?.ready && wanted.has(node)) this.waiting.delete(node); // its stream says 'connecting' next
      else if (!wanted.has(node)) {
        this.waiting.delete(node);
        this.options.status?.({ node, state: 'idle', attempts: 0 });
      }
    }
    for (const node of wanted) {
      const pod = byNode.get(node);
      if (!pod) continue;
      if (!pod.ready) {
        this.wait(node, pod);
        continue;
      }
      const stream = this.streams.get(node);
      if (!stream) this.streams.set(node, new NodeStream(this, pod));
      else if (stream.podUid !== pod.uid) stream.replacePod(pod);
    }
  }

  /** Reports a node whose agent pod is not ready; only a change of pod or reason is reported, so
   * a pod that stays Pending costs one status, not one per reconcile. */
  private wait(node: string, pod: AgentPod): void {
    const previous = this.waiting.get(node);
    if (previous && previous.pod === pod.name && previous.reason === pod.notReady) return;
    const status: NodeStreamStatus = { node, state: 'waiting', pod: pod.name, reason: pod.notReady, attempts: 0 };
    this.waiting.set(node, status);
    this.options.status?.({ ...status });
  }
}
