// Watches one containerd: polls ListStatuses (fast while ingests exist, slow when idle), tells
// commits from aborts when an ingest vanishes, learns manifests and indexes, follows image and
// content events, and reconnects with backoff when containerd goes away — reporting health
// instead of failing. Everything it learns goes out as frame bodies through `publish`.
import type { ClientReadableStream } from '@grpc/grpc-js';
import { Catalog } from './catalog.ts';
import { grpcCode, type ContainerdClient } from './containerd/client.ts';
import { decodeEvent, eventFilters } from './containerd/events.ts';
import type { ContainerdVersion } from './containerd/schemas.ts';
import type { FrameBody, HealthMsg, IngestMsg, IngestOutcome, SnapshotMsg } from './frames.ts';
import { backoffMs, diagnose, socketReplaced } from './health.ts';
import { diffIngests, ingestFromStatus } from './ingests.ts';
import { errorText, type Logger } from './log.ts';
import type { AgentMetrics } from './metrics.ts';
import type { Protos } from './protos.ts';
import { PullAccounting } from './pulls.ts';

export interface CollectorOptions {
  pollActiveMs: number;
  pollIdleMs: number;
  maxIngests: number;
}

const GONE_RECHECK_MS = 300;
const MAX_COMMITTED_HINTS = 4_096;

export class Collector {
  private ingests = new Map<string, IngestMsg>();
  private readonly catalog: Catalog;
  private readonly pulls: PullAccounting;
  /** digests announced by /content/create (containerd 2.x): no Info round trip needed */
  private readonly committedHints = new Set<string>();
  private health: HealthMsg = { containerdUp: false, error: '', reason: 'unknown', sinceMs: Date.now(), attempts: 0, containerdVersion: '' };
  private version: ContainerdVersion | null = null;
  private resyncPending = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private events: ClientReadableStream<unknown> | null = null;
  private eventAttempts = 0;
  private eventTimer: NodeJS.Timeout | null = null;
  private readonly client: ContainerdClient;
  private readonly protos: Protos;
  private readonly opts: CollectorOptions;
  private readonly metrics: AgentMetrics;
  private readonly log: Logger;
  private readonly publish: (body: FrameBody) => void;
  private readonly onSocketReplaced: () => void;

  constructor(deps: {
    client: ContainerdClient;
    protos: Protos;
    opts: CollectorOptions;
    metrics: AgentMetrics;
    log: Logger;
    publish: (body: FrameBody) => void;
    /** the socket's file was replaced under its mount (see health.socketReplaced): retrying is useless */
    onSocketReplaced: () => void;
  }) {
    this.client = deps.client;
    this.protos = deps.protos;
    this.opts = deps.opts;
    this.metrics = deps.metrics;
    this.log = deps.log;
    this.publish = deps.publish;
    this.onSocketReplaced = deps.onSocketReplaced;
    this.pulls = new PullAccounting(deps.metrics);
    this.catalog = new Catalog(
      deps.client,
      {
        manifest: (m) => {
          this.pulls.onManifest(m, Date.now());
          this.publish({ manifest: m });
        },
        index: (i) => this.publish({ index: i }),
        fetchedUnseen: (digest) => this.publishUnseenCommit(digest),
        bad: (kind) => this.metrics.bad(kind),
      },
      deps.log,
      (digest) => this.liveSince(digest),
    );
    this.metrics.containerdUp.set(0);
  }

  start(): void {
    void this.poll();
    this.subscribe();
  }

  stop(): void {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.eventTimer) clearTimeout(this.eventTimer);
    this.events?.cancel();
  }

  get containerdVersion(): ContainerdVersion | null {
    return this.version;
  }

  get currentHealth(): HealthMsg {
    return { ...this.health };
  }

  get liveIngestCount(): number {
    return this.ingests.size;
  }

  snapshot(resync: boolean): SnapshotMsg {
    const { manifests, indexes } = this.catalog.inProgress(this.liveDigests());
    return { resync, containerdUp: this.health.containerdUp, ingests: [...this.ingests.values()], manifests, indexes };
  }

  private liveDigests(): Set<string> {
    return new Set([...this.ingests.values()].map((i) => i.digest));
  }

  /** When the live ingest of this digest started (containerd's clock), if one is live. */
  private liveSince(digest: string): number | undefined {
    let since: number | undefined;
    for (const i of this.ingests.values()) if (i.digest === digest) since = Math.min(since ?? i.startedAtMs, i.startedAtMs);
    return since;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    let result;
    try {
      result = await this.client.listStatuses(this.opts.maxIngests);
    } catch (err) {
      this.markDown(err);
      this.schedule(backoffMs(this.health.attempts, 250, 5_000));
      return;
    }
    if (!this.health.containerdUp) await this.markUp();
    this.metrics.bad('malformed-status', result.malformed);
    this.metrics.bad('ingests-over-cap', result.truncated);
    const now = Date.now();
    const current = new Map<string, IngestMsg>();
    for (const s of result.statuses) {
      const ingest = ingestFromStatus(s);
      if (ingest) current.set(ingest.ref, ingest);
      else this.metrics.bad('ref-without-digest');
    }
    const previous = this.ingests;
    const diff = diffIngests(previous, current);
    this.ingests = current;
    for (const ingest of diff.changed) this.pulls.onProgress(previous.get(ingest.ref), ingest, now);
    if (this.resyncPending) {
      this.resyncPending = false;
      this.publish({ snapshot: this.snapshot(true) });
    } else if (diff.changed.length > 0) {
      this.publish({ ingests: { ingests: diff.changed } });
    }
    for (const gone of diff.gone) void this.resolveGone(gone);
    const live = this.liveDigests();
    this.pulls.updateActive(live, now);
    this.metrics.liveIngests.set(current.size);
    this.mapNewIngests(diff.appeared, current);
    if (current.size === 0) void this.settlePending(live);
    this.schedule(current.size > 0 ? this.opts.pollActiveMs : this.opts.pollIdleMs);
  }

  /** New ingests: a manifest or index fetched again replaces what was known of it; blobs no known
   * manifest lists send discovery looking for theirs; a known manifest whose blob is fetched again
   * is checked for having been re-committed, or read for an earlier pull (see Catalog.verify). */
  private mapNewIngests(appeared: IngestMsg[], current: ReadonlyMap<string, IngestMsg>): void {
    const owners = new Map<string, boolean>();
    const appearedDigests = new Set(appeared.map((i) => i.digest));
    for (const i of appeared) {
      if (i.kind === 'manifest' || i.kind === 'index') {
        this.catalog.forget(i.digest);
        continue;
      }
      const listing = this.catalog.owners(i.digest);
      // a new pull of this image: the blob is its alone, and none of its other blobs was live already
      const only = listing.length === 1 ? listing[0] : undefined;
      const newPull = only !== undefined && ![...current.values()].some((c) => !appearedDigests.has(c.digest) && (only.config?.digest === c.digest || only.layers.some((l) => l.digest === c.digest)));
      for (const owner of listing) owners.set(owner.digest, (owners.get(owner.digest) ?? false) || newPull);
    }
    for (const [digest, newPull] of owners) {
      this.catalog.verify(digest, newPull).catch((err: unknown) => this.log.debug('manifest check failed', { digest, error: errorText(err) }));
    }
    const unmapped = new Set<string>();
    for (const i of current.values()) {
      if (i.kind !== 'manifest' && i.kind !== 'index' && this.catalog.owners(i.digest).length === 0) unmapped.add(i.digest);
    }
    if (unmapped.size > 0) void this.catalog.discover(unmapped);
  }

  /** An ingest vanished: committed if the blob is now in the store, aborted if not. */
  private async resolveGone(last: IngestMsg): Promise<void> {
    let outcome: IngestOutcome = 'unknown';
    if (this.committedHints.delete(last.digest)) outcome = 'committed';
    else {
      try {
        let info = await this.client.info(last.digest);
        // the ref can disappear a moment before the commit is visible: look once more
        if (!info) info = await new Promise((r) => setTimeout(r, GONE_RECHECK_MS)).then(() => this.client.info(last.digest));
        outcome = info ? 'committed' : 'aborted';
      } catch (err) {
        this.log.debug('Content.Info failed for a vanished ingest', { ref: last.ref, error: errorText(err) });
      }
    }
    // a new ingest for the same ref may have started meanwhile (a retry): then it is not gone
    if (this.ingests.has(last.ref) && outcome !== 'committed') return;
    this.publish({ ingestGone: { ref: last.ref, digest: last.digest, outcome, lastOffset: last.offset } });
    this.pulls.onGone(last, outcome, Date.now());
    if (outcome !== 'committed') return;
    if (last.kind === 'manifest' || last.kind === 'index' || last.kind === 'unknown') await this.catalog.learn(last.digest);
    if (last.kind === 'config') await this.catalog.configCommitted(last.digest);
  }

  /** A blob committed without ever showing as an ingest (a small or fast one, between two polls):
   * the desktop learns it is in the store, as for a vanished ingest. */
  private publishUnseenCommit(digest: string): void {
    this.publish({ ingestGone: { ref: `unseen-${digest}`, digest, outcome: 'committed', lastOffset: 0 } });
  }

  /** Blobs of tracked pulls that committed between two polls (never seen as ingests). */
  private async settlePending(live: ReadonlySet<string>): Promise<void> {
    for (const digest of this.pulls.pendingWithoutIngest(live).slice(0, 64)) {
      try {
        if (await this.client.info(digest)) this.pulls.onPresent(digest, Date.now());
      } catch {
        return;
      }
    }
  }

  private markDown(err: unknown): void {
    const { reason, error } = diagnose(err, this.client.socket);
    const changed = this.health.containerdUp || this.health.reason !== reason || this.health.error !== error;
    this.health = {
      containerdUp: false,
      error,
      reason,
      sinceMs: changed ? Date.now() : this.health.sinceMs,
      attempts: this.health.attempts + 1,
      containerdVersion: this.version?.version ?? '',
    };
    this.metrics.containerdUp.set(0);
    if (reason === 'bad-answer') this.metrics.bad('containerd-answer');
    if (changed) {
      this.log.warn('containerd unreachable', { reason, error, socket: this.client.socket });
      this.publish({ health: this.currentHealth });
    }
    if (socketReplaced(this.client.socket)) this.onSocketReplaced();
  }

  private async markUp(): Promise<void> {
    const wasDown = this.health.reason !== 'unknown';
    try {
      this.version = await this.client.version();
    } catch (err) {
      this.log.warn('containerd Version failed', { error: errorText(err) });
    }
    this.health = { containerdUp: true, error: '', reason: 'ok', sinceMs: Date.now(), attempts: 0, containerdVersion: this.version?.version ?? '' };
    this.metrics.containerdUp.set(1);
    if (wasDown) this.metrics.reconnects.inc();
    this.log.info('containerd reachable', { socket: this.client.socket, namespace: this.client.namespace, version: this.version?.version });
    this.publish({ health: this.currentHealth });
    // watchers that connected while containerd was away hold an empty snapshot: replace it
    this.resyncPending = true;
    if (!this.events) this.subscribe();
  }

  private subscribe(): void {
    if (this.stopped || this.events) return;
    if (this.eventTimer) {
      clearTimeout(this.eventTimer);
      this.eventTimer = null;
    }
    const startedAt = Date.now();
    this.events = this.client.subscribe(eventFilters(this.client.namespace), {
      onEnvelope: (envelope) => {
        this.eventAttempts = 0;
        this.onEvent(envelope);
      },
      onBad: (detail) => {
        this.metrics.bad('event-envelope');
        this.log.warn('malformed event envelope', { detail });
      },
      onEnd: (err) => {
        this.events = null;
        if (this.stopped) return;
        if (Date.now() - startedAt > 10_000) this.eventAttempts = 0;
        this.eventAttempts++;
        const delay = backoffMs(this.eventAttempts, 500, 10_000);
        this.log.debug('event stream ended', { error: err ? errorText(err) : 'end', code: grpcCode(err), retryInMs: delay });
        this.eventTimer = setTimeout(() => {
          this.eventTimer = null;
          this.subscribe();
        }, delay);
      },
    });
  }

  private onEvent(envelope: Parameters<typeof decodeEvent>[1]): void {
    const event = decodeEvent(this.protos.root, envelope);
    if (event === 'ignored') return;
    if ('bad' in event) {
      this.metrics.bad('event-payload');
      this.log.warn('undecodable event', { detail: event.bad });
      return;
    }
    switch (event.kind) {
      case 'image-create':
      case 'image-update':
        void this.imageChanged(event.name, event.kind === 'image-create');
        return;
      case 'content-delete':
        this.catalog.contentDeleted(event.digest, Date.now());
        this.publish({ contentDeleted: { digest: event.digest } });
        return;
      case 'content-create': {
        const ingest = [...this.ingests.values()].find((i) => i.digest === event.digest);
        if (!ingest) {
          // Fetched between two polls: never seen as an ingest, yet a known pull's blob.
          if (this.catalog.owners(event.digest).length > 0) this.publishUnseenCommit(event.digest);
          return;
        }
        if (this.committedHints.size >= MAX_COMMITTED_HINTS) this.committedHints.clear();
        this.committedHints.add(event.digest);
        if (ingest.kind === 'manifest' || ingest.kind === 'index') void this.catalog.learn(event.digest);
        return;
      }
      case 'image-delete':
        return;
    }
  }

  private async imageChanged(name: string, created: boolean): Promise<void> {
    let targetDigest = '';
    try {
      const record = await this.client.getImage(name);
      targetDigest = record?.target?.digest ?? '';
    } catch (err) {
      this.log.debug('Images.Get failed', { name, error: errorText(err) });
    }
    // describe the image before announcing it, so the desktop can size a pull that finished between polls
    if (targetDigest) await this.catalog.learn(targetDigest, { withPresentManifests: true });
    this.publish({ image: { name, targetDigest, created } });
  }
}
