// The three watches of one cluster — kubelet pod events, pods, nodes — translated into the
// engine's KubeInputs. This is all events-only mode needs; with agents it adds the correlation
// (which pods wait on which pull). Objects that fail validation are counted, not delivered.
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1ListMeta } from '@kubernetes/client-node';
import type { KubeInput, KubeletEvent, WorkloadRef } from '../engine/types.ts';
import { eventsStillUnderWay } from './events-backlog.ts';
import { ResourceWatch, type ListPage, type ResourceSpec, type WatchStatus } from './list-watch.ts';
import { kubeletPodEventsSelector, parsePod, translateEvent, translatePod, workloadFromPod, type PodObject } from './translate.ts';

export interface ClusterWatchesOptions {
  config: () => KubeConfig;
  sink: (input: KubeInput) => void;
  status?: (status: WatchStatus) => void;
  now?: () => number;
  /** Remembered event keys (bounded memory on busy clusters). */
  maxEvents?: number;
}

function page(result: { items: unknown[]; metadata?: V1ListMeta }): ListPage {
  return { items: result.items, resourceVersion: result.metadata?.resourceVersion ?? '', continueToken: result.metadata?._continue };
}

const specs = (maxEvents: number): Record<'events' | 'pods' | 'nodes', ResourceSpec> => ({
  events: {
    name: 'events',
    path: '/api/v1/events',
    fieldSelector: kubeletPodEventsSelector,
    maxKnown: maxEvents,
    list: async (kc, o) => page(await kc.makeApiClient(CoreV1Api).listEventForAllNamespaces({ limit: o.limit, _continue: o.continueToken, fieldSelector: o.fieldSelector })),
  },
  pods: {
    name: 'pods',
    path: '/api/v1/pods',
    list: async (kc, o) => page(await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces({ limit: o.limit, _continue: o.continueToken })),
  },
  nodes: {
    name: 'nodes',
    path: '/api/v1/nodes',
    list: async (kc, o) => page(await kc.makeApiClient(CoreV1Api).listNode({ limit: o.limit, _continue: o.continueToken })),
  },
});

export class ClusterWatches {
  readonly dropped = { events: 0, pods: 0, nodes: 0 };
  private readonly watches: ResourceWatch[];
  private readonly pods = new Map<string, PodObject>();
  private readonly nodeNames = new Map<string, string>();
  /** Job (namespace/name) → its CronJob, or the Job itself; bounded like the pods it serves. */
  private readonly jobOwners = new Map<string, WorkloadRef>();
  private readonly options: ClusterWatchesOptions;
  private readonly now: () => number;
  /** Events of the first list, held until it completes (undefined afterwards). */
  private eventsBacklog: KubeletEvent[] | undefined = [];

  constructor(options: ClusterWatchesOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const s = specs(options.maxEvents ?? 20_000);
    this.watches = [
      new ResourceWatch(s.events, options.config, { upsert: (o) => this.onEvent(o), remove: () => undefined, listed: (first) => this.onEventsListed(first), status: options.status }),
      new ResourceWatch(s.pods, options.config, { upsert: (o) => this.onPod(o), remove: (key, o) => this.onPodRemoved(key, o), status: options.status }),
      new ResourceWatch(s.nodes, options.config, { upsert: (o) => this.onNode(o), remove: (key) => this.onNodeRemoved(key), status: options.status }),
    ];
  }

  start(): void {
    for (const w of this.watches) w.start();
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }

  private onEvent(raw: unknown): void {
    const verdict = translateEvent(raw, this.now());
    if (!('input' in verdict)) {
      if (verdict.skipped === 'invalid') this.dropped.events += 1;
    } else if (this.eventsBacklog !== undefined && verdict.input.type === 'kube.event') {
      this.eventsBacklog.push(verdict.input);
    } else {
      this.options.sink(verdict.input);
    }
  }

  /** The first list is the past: only pulls still under way go on (events-backlog.ts). */
  private onEventsListed(first: boolean): void {
    if (!first || this.eventsBacklog === undefined) return;
    const backlog = this.eventsBacklog;
    this.eventsBacklog = undefined;
    for (const input of eventsStillUnderWay(backlog)) this.options.sink(input);
  }

  private onPod(raw: unknown): void {
    const pod = parsePod(raw);
    if (!pod) {
      this.dropped.pods += 1;
      return;
    }
    this.pods.set(pod.metadata.uid, pod);
    const { workload, needsJobLookup } = workloadFromPod(pod);
    const cached = needsJobLookup ? this.jobOwners.get(`${pod.metadata.namespace}/${needsJobLookup}`) : undefined;
    this.options.sink(translatePod(pod, this.now(), cached ?? workload, false));
    if (needsJobLookup && !cached) void this.lookupJob(pod, needsJobLookup);
  }

  /** Job → CronJob needs the Job object. Until it answers (or if `get jobs` is forbidden) the
   * pod is reported under the Job; a found CronJob re-reports the pod. */
  private async lookupJob(pod: PodObject, job: string): Promise<void> {
    const key = `${pod.metadata.namespace}/${job}`;
    let owner: WorkloadRef = { kind: 'Job', name: job };
    try {
      const found = await this.options.config().makeApiClient(BatchV1Api).readNamespacedJob({ name: job, namespace: pod.metadata.namespace });
      const cron = found.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'CronJob');
      if (cron) owner = { kind: 'CronJob', name: cron.name };
    } catch {
      // Forbidden or gone: the Job is the best name we have.
    }
    this.jobOwners.set(key, owner);
    if (this.jobOwners.size > 10_000) this.jobOwners.delete(this.jobOwners.keys().next().value ?? key);
    const current = this.pods.get(pod.metadata.uid);
    if (current && owner.kind === 'CronJob') this.options.sink(translatePod(current, this.now(), owner, false));
  }

  private onPodRemoved(uid: string, raw: unknown): void {
    const pod = parsePod(raw) ?? this.pods.get(uid);
    this.pods.delete(uid);
    if (!pod) return;
    this.options.sink(translatePod(pod, this.now(), workloadFromPod(pod).workload, true));
  }

  private onNode(raw: unknown): void {
    const meta = (raw as { metadata?: { uid?: string; name?: string } } | null)?.metadata;
    if (typeof meta?.uid === 'string' && typeof meta.name === 'string') this.nodeNames.set(meta.uid, meta.name);
    else this.dropped.nodes += 1;
  }

  private onNodeRemoved(uid: string): void {
    const name = this.nodeNames.get(uid);
    this.nodeNames.delete(uid);
    if (name) this.options.sink({ type: 'kube.node.removed', at: this.now(), node: name });
  }

  /** Node names currently known (for the agent stream manager's "all nodes in small clusters"). */
  get nodes(): string[] {
    return [...this.nodeNames.values()];
  }

  /** For tests and the UI: how many objects each watch remembers. */
  get remembered(): { pods: number; nodes: number } {
    return { pods: this.pods.size, nodes: this.nodeNames.size };
  }
}
