// Informer semantics for one resource, supervised: list (paginated), then watch from the list's
// resourceVersion; resume a closed watch from the last resourceVersion seen (bookmarks included);
// relist only on 410 Gone; restart after any other error with jittered exponential backoff
// (client-node's own ListWatch stops for good on non-410 errors, #795).
//
// Silence watchdog: client-node 2.0.1's Watch aborts a stream after 30 s without a byte (an
// inactivity timeout — the 2.0.0 whole-stream timeout, #3020, is fixed). We ask the server to
// end each watch after 20–28 s (timeoutSeconds) and to send bookmarks, so a healthy quiet watch
// ends cleanly and resumes from its resourceVersion; a dead connection is cut by the timeout.
//
// Duplicates: we keep key → resourceVersion of what was delivered, so a relist or a re-sent
// event with an unchanged resourceVersion is not delivered twice. For high-volume kinds (events)
// the map is capped, oldest first: memory stays bounded and the engine dedupes those by
// (uid, count) anyway.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { describeKubeError, type KubeError } from './errors.ts';

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken?: string;
}

export interface ResourceSpec {
  /** For messages: "events", "pods", "nodes". */
  name: string;
  /** Collection path for the watch, e.g. `/api/v1/pods`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** One page of the list (client-node typed call), mapped to a ListPage. */
  list(config: KubeConfig, options: { limit: number; continueToken?: string; fieldSelector?: string; labelSelector?: string }): Promise<ListPage>;
  /** Cap on remembered keys; default unbounded (pods and nodes: the cluster's size). */
  maxKnown?: number;
}

export type WatchState = 'listing' | 'watching' | 'backoff' | 'stopped';

export interface WatchStatus {
  resource: string;
  state: WatchState;
  /** Last error, until the next successful list or watch. */
  error?: KubeError;
  restarts: number;
  relists: number;
}

export interface WatchHandlers {
  upsert(object: unknown): void;
  /** `object` is undefined when the deletion was inferred from a relist. */
  remove(key: string, object: unknown | undefined): void;
  /** A list completed (every item delivered); `first`: the watch's first successful list. */
  listed?(first: boolean): void;
  status?(status: WatchStatus): void;
}

export interface ResourceWatchOptions {
  pageSize?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  /** Start by watching from this resourceVersion instead of listing (e.g. one stored at the last
   * run); a version the server no longer has answers 410 and we relist. */
  resumeFrom?: string;
}

interface Meta {
  uid?: string;
  resourceVersion?: string;
}

function metaOf(object: unknown): Meta {
  if (typeof object !== 'object' || object === null) return {};
  const metadata = (object as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return {};
  const { uid, resourceVersion } = metadata as Record<string, unknown>;
  return { uid: typeof uid === 'string' ? uid : undefined, resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined };
}

export class ResourceWatch {
  private readonly known = new Map<string, string>();
  /** Watch events seen (bookmarks included), to tell a live watch from one cut at once. */
  private delivered = 0;
  private resourceVersion: string | undefined;
  private listedOnce = false;
  private stopped = true;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly status: WatchStatus;
  private readonly spec: ResourceSpec;
  private readonly config: () => KubeConfig;
  private readonly handlers: WatchHandlers;
  private readonly options: Required<Omit<ResourceWatchOptions, 'resumeFrom'>>;

  constructor(spec: ResourceSpec, config: () => KubeConfig, handlers: WatchHandlers, options: ResourceWatchOptions = {}) {
    this.spec = spec;
    this.config = config;
    this.handlers = handlers;
    const { resumeFrom, ...rest } = options;
    this.options = { pageSize: 500, backoffBaseMs: 1000, backoffMaxMs: 30_000, random: Math.random, ...rest };
    this.resourceVersion = resumeFrom;
    this.status = { resource: spec.name, state: 'stopped', restarts: 0, relists: 0 };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    this.setState('stopped');
  }

  get knownCount(): number {
    return this.known.size;
  }

  private async run(): Promise<void> {
    let failures = 0;
    const backOff = async (error: KubeError) => {
      failures += 1;
      this.status.restarts += 1;
      this.status.error = error;
      this.setState('backoff');
      const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (failures - 1));
      await this.sleep(ceiling / 2 + (ceiling / 2) * this.options.random());
    };
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        const started = Date.now();
        const deliveredBefore = this.delivered;
        const outcome = await this.watchOnce();
        if (outcome === 'gone') {
          this.resourceVersion = undefined;
        } else if (!this.stopped && this.delivered === deliveredBefore && Date.now() - started < 1000) {
          // Ended at once with nothing in it (a proxy or load balancer cutting streams): back off
          // rather than spin.
          await backOff({ kind: 'unreachable', message: `the ${this.spec.name} watch keeps ending as soon as it starts` });
          continue;
        }
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        const described = describeKubeError(error);
        if (described.kind === 'gone') {
          this.resourceVersion = undefined;
          continue;
        }
        await backOff(described);
      }
    }
  }

  private async relist(): Promise<void> {
    this.setState('listing');
    this.status.relists += 1;
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.spec.list(this.config(), { limit: this.options.pageSize, continueToken, fieldSelector: this.spec.fieldSelector, labelSelector: this.spec.labelSelector });
      if (this.stopped) return;
      for (const item of page.items) {
        const key = metaOf(item).uid;
        if (key === undefined) continue;
        seen.add(key);
        this.deliver(key, item);
      }
      continueToken = page.continueToken || undefined;
      resourceVersion = page.resourceVersion;
    } while (continueToken);
    for (const key of [...this.known.keys()]) {
      if (!seen.has(key)) {
        this.known.delete(key);
        this.handlers.remove(key, undefined);
      }
    }
    this.resourceVersion = resourceVersion;
    this.status.error = undefined;
    this.handlers.listed?.(!this.listedOnce);
    this.listedOnce = true;
  }

  /** Resolves when the watch ends normally ('closed') or with 410 ('gone'); rejects on errors. */
  private watchOnce(): Promise<'closed' | 'gone'> {
    return new Promise((resolve, reject) => {
      let gone = false;
      const watch = new Watch(this.config());
      const query = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: 20 + Math.floor(this.options.random() * 9),
        fieldSelector: this.spec.fieldSelector,
        labelSelector: this.spec.labelSelector,
      };
      const onEvent = (type: string, object: unknown) => {
        if (this.stopped) return;
        if (type === 'ERROR') {
          const code = (object as { code?: unknown } | null)?.code;
          if (code === 410) {
            gone = true;
            this.abort?.abort();
          }
          return;
        }
        this.delivered += 1;
        const meta = metaOf(object);
        if (meta.resourceVersion) this.resourceVersion = meta.resourceVersion;
        if (type === 'BOOKMARK' || meta.uid === undefined) return;
        if (type === 'DELETED') {
          this.known.delete(meta.uid);
          this.handlers.remove(meta.uid, object);
        } else {
          this.deliver(meta.uid, object);
        }
      };
      const onDone = (error: unknown) => {
        if (gone) resolve('gone');
        else if (error && !this.stopped) reject(error);
        else resolve('closed');
      };
      this.setState('watching');
      watch.watch(this.spec.path, query, onEvent, onDone).then((controller) => {
        this.abort = controller;
        if (this.stopped) controller.abort();
        else this.status.error = undefined;
      }, reject);
    });
  }

  private deliver(key: string, object: unknown): void {
    const version = metaOf(object).resourceVersion ?? '';
    if (this.known.get(key) === version) return;
    this.known.delete(key); // re-insert: Map order = least recently changed first
    this.known.set(key, version);
    const cap = this.spec.maxKnown;
    if (cap !== undefined && this.known.size > cap) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.handlers.upsert(object);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private setState(state: WatchState): void {
    this.status.state = state;
    this.handlers.status?.({ ...this.status });
  }
}
