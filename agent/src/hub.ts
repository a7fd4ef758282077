// Fans frames out to every Watch stream. Each watcher has its own bounded queue and its own
// sequence numbers; a watcher whose transport stops draining (a slow desktop, a stuck
// port-forward) first loses its queued deltas, which are replaced by one resync snapshot when it
// drains again, and is ended with a clear status if it does not drain for `slowWatcherMs`. One slow
// watcher therefore costs at most `queueLimit` frames of memory and never delays the others.
import type { Frame, FrameBody, SnapshotMsg } from './frames.ts';
import type { Logger } from './log.ts';
import type { AgentMetrics } from './metrics.ts';

/** The part of a grpc-js server stream the hub uses (a Node Writable in object mode). */
export interface FrameSink {
  write(frame: Frame): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
  end(): void;
}

export interface HubOptions {
  queueLimit: number;
  slowWatcherMs: number;
  maxWatchers: number;
}

export class WatcherDropped extends Error {}

export class Watcher {
  readonly id: number;
  private seq = 0;
  private queue: FrameBody[] = [];
  private blockedSince: number | null = null;
  private needsResync = false;
  coalescedFrames = 0;
  closed = false;
  readonly sink: FrameSink;
  private readonly hub: Hub;

  constructor(id: number, sink: FrameSink, hub: Hub) {
    this.id = id;
    this.sink = sink;
    this.hub = hub;
  }

  get queued(): number {
    return this.queue.length;
  }

  push(body: FrameBody): void {
    if (this.closed) return;
    if (this.queue.length >= this.hub.opts.queueLimit) {
      // coalesce: what is queued is superseded by a fresh snapshot once the reader catches up
      this.coalescedFrames += this.queue.length + 1;
      this.hub.metrics.coalesced.inc(this.queue.length + 1);
      this.queue = [];
      this.needsResync = true;
      return;
    }
    this.queue.push(body);
    this.flush();
  }

  private readonly onDrain = (): void => {
    this.blockedSince = null;
    this.flush();
  };

  flush(): void {
    while (!this.closed && this.blockedSince === null) {
      let body: FrameBody | undefined;
      if (this.needsResync) {
        this.needsResync = false;
        body = { snapshot: this.hub.snapshot(true) };
      } else {
        body = this.queue.shift();
      }
      if (!body) return;
      this.seq++;
      const ok = this.sink.write({ seq: this.seq, atMs: Date.now(), ...body });
      this.hub.metrics.framesSent.inc();
      if (!ok) {
        this.blockedSince = Date.now();
        this.sink.once('drain', this.onDrain);
      }
    }
  }

  /** Ends a watcher that has not drained for too long (checked on every heartbeat). */
  checkSlow(now: number): boolean {
    return this.blockedSince !== null && now - this.blockedSince > this.hub.opts.slowWatcherMs;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.sink.removeListener('drain', this.onDrain);
  }
}

export class Hub {
  readonly opts: HubOptions;
  readonly metrics: AgentMetrics;
  private readonly watchers = new Set<Watcher>();
  private nextId = 1;
  private readonly log: Logger;
  readonly snapshot: (resync: boolean) => SnapshotMsg;

  constructor(opts: HubOptions, metrics: AgentMetrics, log: Logger, snapshot: (resync: boolean) => SnapshotMsg) {
    this.opts = opts;
    this.metrics = metrics;
    this.log = log;
    this.snapshot = snapshot;
  }

  get size(): number {
    return this.watchers.size;
  }

  /** Registers a watcher and queues its first frames (hello, snapshot). */
  add(sink: FrameSink, first: FrameBody[]): Watcher {
    if (this.watchers.size >= this.opts.maxWatchers) throw new WatcherDropped(`too many watchers: this agent serves at most ${this.opts.maxWatchers} at once`);
    const w = new Watcher(this.nextId++, sink, this);
    this.watchers.add(w);
    this.metrics.watchers.set(this.watchers.size);
    for (const body of first) w.push(body);
    return w;
  }

  remove(w: Watcher): void {
    w.close();
    if (this.watchers.delete(w)) this.metrics.watchers.set(this.watchers.size);
  }

  broadcast(body: FrameBody): void {
    for (const w of this.watchers) w.push(body);
  }

  /** Heartbeat to every watcher; ends watchers blocked for longer than slowWatcherMs. */
  heartbeat(body: (w: Watcher) => FrameBody, drop: (w: Watcher, why: string) => void): void {
    const now = Date.now();
    for (const w of this.watchers) {
      if (w.checkSlow(now)) {
        const why = `watcher too slow: it read nothing for ${Math.round(this.opts.slowWatcherMs / 1000)} s; reconnect to get a fresh snapshot`;
        this.log.warn('dropping slow watcher', { watcher: w.id, coalescedFrames: w.coalescedFrames });
        this.metrics.watchersDropped.inc({ reason: 'slow' });
        this.remove(w);
        drop(w, why);
        continue;
      }
      w.push(body(w));
    }
  }

  /** Ends every stream (shutdown): desktops see a clean end and reconnect to the next agent. */
  closeAll(): void {
    for (const w of this.watchers) {
      this.remove(w);
      w.sink.end();
    }
  }
}
