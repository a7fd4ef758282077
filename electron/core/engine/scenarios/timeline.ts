// A scripted lab for scenario tests: drives an engine the way the agent and kubelet would, with
// containerd's observed behaviour built in — offsets move in 1 MiB steps, updated_at is the time of
// the last step, the final partial MiB is never seen, a ref vanishes on commit. Time starts at T0
// and only moves through run()/at().
import { createEngine, defaultEngineConfig, type Engine } from '../index.ts';
import type { EngineConfig, EngineDelta, EngineInput, FinishedPull, PodRef, PullDetailView } from '../types.ts';
import { MiB, type LabBlob, type LabImage } from './lab-images.ts';

export const T0 = 1_790_000_000_000;
const POLL_MS = 250;

/** Every pull in the engine's live view with its layers (each through `engine.pull(id)`). */
export function pullsWithLayers(engine: Engine): PullDetailView[] {
  return engine.pulls().map((view) => {
    const detail = engine.pull(view.id);
    if (detail === undefined) throw new Error(`engine.pulls() lists ${view.id}, engine.pull() does not find it`);
    return detail;
  });
}

interface Flow {
  node: string;
  blob: LabBlob;
  bytesPerSecond: number;
  bytes: number;
  startedAt: number;
  lastStepAt: number;
  offset: number;
}

export class Lab {
  readonly engine: Engine;
  now = T0;
  readonly finished: FinishedPull[] = [];
  readonly deltas: EngineDelta[] = [];
  #flows = new Map<string, Flow>();
  #events = 0;

  constructor(config: Partial<EngineConfig> = {}) {
    this.engine = createEngine({ ...defaultEngineConfig('lab'), ...config });
  }

  send(input: EngineInput): this {
    this.engine.apply(input);
    return this;
  }

  drain(): EngineDelta {
    const delta = this.engine.drain();
    this.finished.push(...delta.finished);
    this.deltas.push(delta);
    return delta;
  }

  connect(node = 'node-a'): this {
    return this.send({ type: 'agent.connected', at: this.now, node, agentVersion: '0.1.0', containerdVersion: '1.6.20' });
  }

  kubelet(reason: 'Pulling' | 'Pulled' | 'Failed' | 'BackOff' | 'ErrImageNeverPull' | 'InspectFailed', message: string, options: { node?: string; pod?: PodRef; container?: string } = {}): this {
    this.#events++;
    return this.send({
      type: 'kube.event',
      at: this.now,
      uid: `event-${this.#events}`,
      count: 1,
      node: options.node ?? 'node-a',
      reason,
      message,
      pod: options.pod ?? pod('web-1'),
      container: options.container ?? 'app',
    });
  }

  pulling(image: LabImage | string, options: { node?: string; pod?: PodRef } = {}): this {
    return this.kubelet('Pulling', `Pulling image "${typeof image === 'string' ? image : image.image}"`, options);
  }

  /** The committed manifest read by the agent; `present` lists digests already in the store. */
  manifest(image: LabImage, options: { node?: string; present?: string[]; sources?: string[] } = {}): this {
    const present = new Set(options.present ?? []);
    return this.send({
      type: 'manifest.seen',
      at: this.now,
      node: options.node ?? 'node-a',
      digest: image.manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      sources: options.sources ?? [image.source],
      config: { ...image.config, present: present.has(image.config.digest) },
      layers: image.layers.map((l) => ({ ...l, present: present.has(l.digest) })),
    });
  }

  /** Starts fetching a blob at a steady rate (the agent reports its ingest from now on). */
  fetch(blob: LabBlob, bytesPerSecond: number, node = 'node-a'): this {
    const flow: Flow = { node, blob, bytesPerSecond, bytes: 0, startedAt: this.now, lastStepAt: this.now, offset: 0 };
    this.#flows.set(`${node}/${blob.digest}`, flow);
    return this.#observe(flow);
  }

  setRate(blob: LabBlob, bytesPerSecond: number, node = 'node-a'): this {
    const flow = this.#flows.get(`${node}/${blob.digest}`);
    if (flow !== undefined) flow.bytesPerSecond = bytesPerSecond;
    return this;
  }

  /** A retry: the ingest restarts at a lower offset (as after a dropped connection + reopen). */
  restart(blob: LabBlob, offset: number, node = 'node-a'): this {
    const flow = this.#flows.get(`${node}/${blob.digest}`);
    if (flow === undefined) return this;
    flow.bytes = offset;
    flow.offset = offset;
    flow.lastStepAt = this.now;
    return this.#observe(flow);
  }

  gone(blob: LabBlob, outcome: 'committed' | 'aborted' | 'unknown' = 'committed', node = 'node-a'): this {
    this.#flows.delete(`${node}/${blob.digest}`);
    return this.send({ type: 'ingest.gone', at: this.now, node, ref: ref(blob), digest: blob.digest, outcome });
  }

  imageCreated(name: string, targetDigest?: string, node = 'node-a'): this {
    return this.send({ type: 'image.upserted', at: this.now, node, name, targetDigest });
  }

  /** Advances time in poll steps: flows progress in whole MiB, commit when complete, ticks run. */
  run(ms: number, each?: (lab: this) => void): this {
    const end = this.now + ms;
    while (this.now < end) {
      const step = Math.min(POLL_MS, end - this.now);
      this.now += step;
      for (const [key, flow] of [...this.#flows]) {
        const before = flow.bytes;
        flow.bytes += (flow.bytesPerSecond * step) / 1000;
        if (flow.bytes >= flow.blob.size) {
          this.#flows.delete(key);
          this.send({ type: 'ingest.gone', at: this.now, node: flow.node, ref: ref(flow.blob), digest: flow.blob.digest, outcome: 'committed' });
          continue;
        }
        const offset = Math.floor(flow.bytes / MiB) * MiB;
        if (offset > flow.offset) {
          // containerd stamps updated_at when the step was written, not when we poll.
          const perMs = (flow.bytes - before) / step;
          flow.lastStepAt = Math.round(this.now - (flow.bytes - offset) / perMs);
          flow.offset = offset;
          this.#observe(flow);
        }
      }
      this.send({ type: 'tick', at: this.now });
      each?.(this);
    }
    return this;
  }

  isFetching(blob: LabBlob, node = 'node-a'): boolean {
    return this.#flows.has(`${node}/${blob.digest}`);
  }

  pulls(): PullDetailView[] {
    return pullsWithLayers(this.engine);
  }

  pull(image: LabImage | string, node = 'node-a'): PullDetailView {
    const name = typeof image === 'string' ? image : image.image;
    const found = this.pulls().filter((p) => p.node === node && (p.image === name || p.id.startsWith(`${node}/${name}`)));
    const last = found[found.length - 1];
    if (last === undefined) throw new Error(`no pull of ${name} on ${node}; have ${this.engine.pulls().map((p) => p.id).join(', ')}`);
    return last;
  }

  nodeRate(node = 'node-a'): number {
    return this.engine.nodes().find((n) => n.name === node)?.rate ?? 0;
  }

  #observe(flow: Flow): this {
    return this.send({
      type: 'ingests.observed',
      at: this.now,
      node: flow.node,
      ingests: [
        {
          ref: ref(flow.blob),
          kind: flow.blob.mediaType.includes('config') ? 'config' : 'layer',
          digest: flow.blob.digest,
          offset: flow.offset,
          total: flow.blob.size,
          startedAt: flow.startedAt,
          updatedAt: flow.lastStepAt,
        },
      ],
    });
  }
}

export function ref(blob: LabBlob): string {
  return `${blob.mediaType.includes('config') ? 'config' : 'layer'}-${blob.digest}`;
}

export function pod(name: string, namespace = 'default'): PodRef {
  return { namespace, name, uid: `uid-${namespace}-${name}` };
}

/** Fetches a whole image the way containerd does: config, then every layer in parallel. */
export function fetchImage(lab: Lab, image: LabImage, bytesPerSecond: number, options: { skip?: string[]; node?: string } = {}): Lab {
  const skip = new Set(options.skip ?? []);
  lab.fetch(image.config, bytesPerSecond, options.node);
  for (const layer of image.layers) if (!skip.has(layer.digest)) lab.fetch(layer, bytesPerSecond, options.node);
  return lab;
}
