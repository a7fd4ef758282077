// createEngine: dispatches inputs to the handlers, owns the clock, the throughput series and the
// change tracking behind drain(). See index.ts for the API and docs/engine.md for the model.
import type {
  EngineConfig,
  EngineDelta,
  EngineInput,
  EngineWarnings,
  NodeView,
  PullDetailView,
  PullView,
  SeriesPoint,
  ThroughputSeries,
} from './types.ts';
import {
  applyContentDeleted,
  applyGone,
  applyImage,
  applyIndex,
  applyIngests,
  applyManifest,
  applySnapshot,
  disconnectAgent,
} from './agent-inputs.ts';
import { markProgressed, newContext, nodeFor, releaseExpiredFinished, retireExpired, takeProgressed, type Context } from './context.ts';
import { applyKubeletEvent, applyNodeRemoved, applyPod, newEventDedupe } from './kube-inputs.ts';
import type { NodeState, Pull } from './model.ts';
import { NodeSeries, SeriesClock } from './series.ts';
import { nodeRate, pullStatus, type PullStatus } from './state.ts';
import { checkInput } from './validate.ts';
import { nodeView, pullBytes, pullDetailView, pullView, type PullBytes } from './views.ts';

export interface Engine {
  /** Applies one input. Never throws: bad input is dropped or clamped with a counted warning. */
  apply(input: EngineInput): void;
  /** What changed since the previous drain. */
  drain(): EngineDelta;
  /** Every pull in the live view (active, and finished within retainFinishedMs), without layers. */
  pulls(): PullView[];
  /** One pull of the live view with its layers (undefined when it is not in the view). */
  pull(id: string): PullDetailView | undefined;
  nodes(): NodeView[];
  series(): ThroughputSeries;
  warnings(): EngineWarnings;
  /** Sizes of every retained structure (for memory-bound tests and the benchmark). */
  stats(): EngineStats;
}

export interface EngineStats {
  nodes: number;
  pulls: number;
  blobs: number;
  liveBlobs: number;
  pods: number;
  seriesRings: number;
  pendingRetire: number;
  dedupeKeys: number;
  attemptKeys: number;
}

/** Between full sweeps, stalls are looked for this often (a stall shows at most this late). */
const STALL_CHECK_MS = 250;

/** Progress-only changes of a pull leave drain() at most this often (unless the config fixes it):
 * 250 ms while a few thousand pulls are active — what the user reads stays within the freshness
 * bar (offset change → screen, p95 < 1 s, with the agent's 250 ms poll and the bridge's 100 ms
 * flush on the way) — growing with the active count to 1 s at 10 k, where it caps the views built
 * per second near 10 k (the CPU bar at the 2,000-node load). */
export function progressIntervalFor(activePulls: number): number {
  return Math.min(1_000, Math.max(250, activePulls / 10));
}

/** Pulls an input changed go out at most this many per drain; the rest at the next drains. A burst
 * (connecting to a large cluster, an agent's resync) would otherwise build every view in one
 * delta: 10 k views with their layers are ~25 MB alive at once, in the core and again in one
 * message to the renderer. At the bridge's 10 Hz this still sends 20 k pulls a second. (The
 * benchmark's peak RSS did not measurably change with it: 274–303 MiB in 4 runs, as before.) */
export const MAX_CHANGED_PER_DRAIN = 2_000;

/** Inputs up to this much older than the engine clock are normal interleaving of the agent and
 * kube streams; anything older counts as the clock going backwards. Both are clamped to now. */
const REORDER_TOLERANCE_MS = 2_000;

export function defaultEngineConfig(cluster: string): EngineConfig {
  return {
    cluster,
    stallAfterMs: 10_000,
    rateWindowMs: 5_000,
    seriesBucketMs: 1_000,
    seriesWindowMs: 10 * 60_000,
    retainFinishedMs: 5 * 60_000,
  };
}

/** Rates are compared at 1 % resolution so float jitter does not re-send an unchanged pull. */
function sameRate(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.01 * Math.max(a, b);
}

/** Records what a pull's view showed when last sent; true when the summary changed since. */
function remember(pull: Pull, status: PullStatus, bytes: PullBytes, now: number): boolean {
  const last = pull.emitted;
  const waitingOn = status.waitingOn?.id ?? '';
  const changed =
    last.state !== status.state ||
    last.waitingOn !== waitingOn ||
    last.done !== bytes.done ||
    last.total !== bytes.total ||
    !sameRate(last.rate, status.rate);
  last.state = status.state;
  last.waitingOn = waitingOn;
  last.done = bytes.done;
  last.total = bytes.total;
  last.rate = status.rate;
  last.at = now;
  return changed;
}

class ThroughputRecorder {
  readonly #ctx: Context;
  readonly #capacity: number;
  readonly #clock: SeriesClock;
  readonly #nodes = new Map<string, NodeSeries>();
  #lastBucket = -1;
  pendingCluster: SeriesPoint[] = [];
  pendingNodes: Record<string, SeriesPoint[]> = {};

  constructor(ctx: Context) {
    this.#ctx = ctx;
    this.#capacity = Math.max(1, Math.ceil(ctx.config.seriesWindowMs / ctx.config.seriesBucketMs));
    this.#clock = new SeriesClock(this.#capacity);
  }

  /** Samples every node's rate when the clock crosses a bucket boundary. */
  advance(): void {
    const { now, config } = this.#ctx;
    const bucket = Math.floor(now / config.seriesBucketMs);
    if (bucket <= this.#lastBucket) return;
    const first = this.#lastBucket < 0;
    this.#lastBucket = bucket;
    if (first) return;
    const at = bucket * config.seriesBucketMs;
    let total = 0;
    for (const node of this.#ctx.nodes.values()) total += nodeRate(node, now, config);
    // The shared instant first: node rings write their values at its slot.
    this.#clock.advance(at, total);
    for (const node of this.#ctx.nodes.values()) {
      const rate = nodeRate(node, now, config);
      let ring = this.#nodes.get(node.name);
      if (ring === undefined) {
        if (rate <= 0) continue;
        ring = new NodeSeries(this.#clock);
        this.#nodes.set(node.name, ring);
      }
      ring.record(at, rate);
      // As the ring keeps it, so a client's snapshot and its deltas agree.
      this.#pending(node.name).push({ at, bytesPerSecond: Math.fround(rate) });
    }
    for (const [name, ring] of this.#nodes) {
      if (ring.lastActiveAt < at - config.seriesWindowMs || !this.#ctx.nodes.has(name)) this.#nodes.delete(name);
    }
    this.pendingCluster.push({ at, bytesPerSecond: total });
    if (this.pendingCluster.length > this.#capacity) this.pendingCluster.shift();
  }

  #pending(name: string): SeriesPoint[] {
    let points = this.pendingNodes[name];
    if (points === undefined) {
      points = [];
      this.pendingNodes[name] = points;
    }
    // Bounded even if nobody drains: only the window matters.
    if (points.length >= this.#capacity) points.shift();
    return points;
  }

  takePending(): EngineDelta['series'] {
    const out = { cluster: this.pendingCluster, nodes: this.pendingNodes };
    this.pendingCluster = [];
    this.pendingNodes = {};
    return out;
  }

  get rings(): number {
    return this.#nodes.size;
  }

  snapshot(): ThroughputSeries {
    const nodes: Record<string, SeriesPoint[]> = {};
    for (const [name, ring] of this.#nodes) nodes[name] = ring.points();
    return { cluster: this.#clock.points(), nodes };
  }
}

export function createEngine(config: EngineConfig): Engine {
  const ctx = newContext(config);
  const dedupe = newEventDedupe();
  const throughput = new ThroughputRecorder(ctx);

  function advanceClock(at: number): void {
    if (at < ctx.now) {
      if (ctx.now - at > REORDER_TOLERANCE_MS) ctx.warn('clock-backwards');
      return;
    }
    if (at === ctx.now) return;
    ctx.now = at;
    throughput.advance();
    releaseExpiredFinished(ctx);
    retireExpired(ctx);
  }

  function dispatch(input: EngineInput): void {
    switch (input.type) {
      case 'tick':
        return;
      case 'agent.connected': {
        const node = nodeFor(ctx, input.node);
        node.agent = 'connected';
        node.rateAt = -1;
        node.agentVersion = input.agentVersion;
        node.containerdVersion = input.containerdVersion;
        for (const pull of node.pulls) ctx.dirty.add(pull);
        return;
      }
      case 'agent.disconnected':
        disconnectAgent(ctx, nodeFor(ctx, input.node));
        return;
      case 'agent.snapshot':
        applySnapshot(ctx, nodeFor(ctx, input.node), input);
        return;
      case 'ingests.observed': {
        const node = nodeFor(ctx, input.node);
        if (node.agent === 'none') node.agent = 'connected';
        applyIngests(ctx, node, input.ingests);
        return;
      }
      case 'ingest.gone':
        applyGone(ctx, nodeFor(ctx, input.node), input);
        return;
      case 'manifest.seen':
        applyManifest(ctx, nodeFor(ctx, input.node), input);
        return;
      case 'index.seen':
        applyIndex(ctx, nodeFor(ctx, input.node), input);
        return;
      case 'image.upserted':
        applyImage(ctx, nodeFor(ctx, input.node), input);
        return;
      case 'content.deleted':
        applyContentDeleted(nodeFor(ctx, input.node), input.digest);
        return;
      case 'kube.event':
        applyKubeletEvent(ctx, dedupe, input);
        return;
      case 'kube.pod':
        applyPod(ctx, input);
        return;
      case 'kube.node.removed':
        applyNodeRemoved(ctx, input);
        return;
    }
  }

  function apply(raw: EngineInput): void {
    const input = checkInput(raw, ctx.warn);
    if (input === undefined) return;
    try {
      advanceClock(input.at);
      dispatch(input);
    } catch {
      // A defect must not take the whole cluster view down with it; it is counted and visible.
      ctx.warn('internal-error');
    }
  }

  let progressIntervalMs = config.progressIntervalMs ?? 1_000;
  const activePulls = (): number => {
    let count = 0;
    for (const node of ctx.nodes.values()) count += node.activePulls;
    return count;
  };
  let lastSweepAt = -Infinity;
  let lastStallCheckAt = -Infinity;
  let lastNodeRatesAt = -Infinity;

  function emit(pull: Pull, upserts: PullView[], onlyIfChanged: boolean, status = pullStatus(pull, ctx.now, config)): void {
    const bytes = pullBytes(pull);
    pull.peakRate = Math.max(pull.peakRate, status.rate);
    if (remember(pull, status, bytes, ctx.now) || !onlyIfChanged) upserts.push(pullView(ctx, pull, status, bytes));
  }

  /** At every drain: active pulls no input touched whose view changed with time alone (stalled,
   * rate decaying, waiting over). Pulls sent within the progress interval are skipped, so each is
   * looked at about once an interval, but a stall is seen at the first drain past its threshold
   * rather than up to an interval late. */
  function sweep(upserts: PullView[]): void {
    // The full look (status and bytes of every quiet pull) once an interval; between, only the
    // cheap stall test, so a stall is not up to an interval late.
    const full = ctx.now - lastSweepAt >= progressIntervalMs;
    if (full) lastSweepAt = ctx.now;
    if (!full && ctx.now - lastStallCheckAt < STALL_CHECK_MS) return;
    lastStallCheckAt = ctx.now;
    for (const node of ctx.nodes.values()) {
      if (!full && node.liveBlobs.length === 0) continue;
      for (const pull of node.pulls) {
        if (pull.terminal !== undefined || waitsItsTurn(pull)) continue;
        const due = full && ctx.now - pull.emitted.at >= progressIntervalMs;
        if (due || mayHaveStalled(pull)) emit(pull, upserts, true);
      }
    }
  }

  /** A pull sent as downloading whose live layers have all gone without progress for the stall
   * threshold: its state changes now, not at its next progress slot. One read of the pull
   * (Pull.progressAt), not of every live layer's rate record: this runs for every active pull four
   * times a second. */
  function mayHaveStalled(pull: Pull): boolean {
    return pull.emitted.state === 'downloading' && pull.liveBlobs.length > 0 && ctx.now - pull.progressAt >= config.stallAfterMs;
  }

  /** Nodes whose agent or pull count changed (at once) or whose rate moved (once per interval). */
  function changedNodes(): NodeView[] {
    const out: NodeView[] = [];
    const rateDue = ctx.now - lastNodeRatesAt >= progressIntervalMs;
    if (rateDue) lastNodeRatesAt = ctx.now;
    for (const node of ctx.nodes.values()) {
      if (node.removed) continue;
      const last = node.emitted;
      const same =
        last.agent === node.agent &&
        last.agentVersion === node.agentVersion &&
        last.containerdVersion === node.containerdVersion &&
        last.activePulls === node.activePulls;
      if (same && !rateDue) continue;
      const view = nodeView(ctx, node);
      if (same && sameRate(last.rate, view.rate)) continue;
      last.agent = node.agent;
      last.agentVersion = node.agentVersion;
      last.containerdVersion = node.containerdVersion;
      last.activePulls = node.activePulls;
      last.rate = view.rate;
      out.push(view);
    }
    return out;
  }

  const isProgressDue = (pull: Pull) => ctx.now - pull.emitted.at >= progressIntervalMs;
  /** Left in the dirty set by a drain that reached MAX_CHANGED_PER_DRAIN: it goes out from there,
   * at a later drain, with whatever changed until then — not also from restate, progress or sweep. */
  const waitsItsTurn = (pull: Pull) => ctx.dirty.size > 0 && ctx.dirty.has(pull);

  function drain(): EngineDelta {
    if (config.progressIntervalMs === undefined) progressIntervalMs = progressIntervalFor(activePulls());
    const upserts: PullView[] = [];
    const later = new Set<Pull>();
    for (const pull of ctx.dirty) {
      if (pull.removed) continue;
      if (upserts.length >= MAX_CHANGED_PER_DRAIN) {
        later.add(pull);
        continue;
      }
      pull.progressPending = false;
      ctx.restate.delete(pull);
      emit(pull, upserts, false);
    }
    // A new Set, not clear(): V8 allocates a long-lived Set's new tables (clear, and every rehash as
    // it grows again) in the old generation, where each drain's would be garbage until a full GC
    // (measured: ~1 MB/s at the benchmark's load). A new Set starts and dies young.
    ctx.dirty = later;
    // Layers started or finished: at once when the state moved, else at the progress interval.
    for (const pull of ctx.restate) {
      if (pull.removed || waitsItsTurn(pull)) continue;
      const status = pullStatus(pull, ctx.now, config);
      const stateChanged = status.state !== pull.emitted.state || (status.waitingOn?.id ?? '') !== pull.emitted.waitingOn;
      if (stateChanged || ctx.now - pull.emitted.at >= progressIntervalMs) {
        pull.progressPending = false;
        emit(pull, upserts, false, status);
      } else {
        markProgressed(ctx, pull);
      }
    }
    ctx.restate = new Set();
    // Bytes-only changes are coalesced: a pull goes out at most once per progress interval.
    for (const pull of takeProgressed(ctx, (pull) => !waitsItsTurn(pull) && isProgressDue(pull))) emit(pull, upserts, false);
    sweep(upserts);
    const delta: EngineDelta = {
      at: ctx.now,
      upserts,
      removals: ctx.removals,
      finished: ctx.finished,
      series: throughput.takePending(),
      nodes: changedNodes(),
    };
    ctx.removals = [];
    ctx.finished = [];
    return delta;
  }

  function livePulls(): Pull[] {
    const out: Pull[] = [];
    for (const node of ctx.nodes.values()) out.push(...node.pulls);
    return out;
  }

  /** Pull ids are `<node>/<image>#<attempt>`: the node is found by name, unless the name itself
   * holds a '/' (not a Kubernetes node name, but nothing stops an agent from sending one). */
  function livePull(id: string): Pull | undefined {
    const found = ctx.nodes.get(id.slice(0, id.indexOf('/')))?.pulls.find((pull) => pull.id === id);
    return found ?? livePulls().find((pull) => pull.id === id);
  }

  return {
    apply,
    drain,
    pulls: () => livePulls().map((pull) => pullView(ctx, pull)),
    pull: (id) => {
      const pull = livePull(id);
      return pull === undefined ? undefined : pullDetailView(ctx, pull);
    },
    nodes: () => [...ctx.nodes.values()].filter((node: NodeState) => !node.removed).map((node) => nodeView(ctx, node)),
    series: () => throughput.snapshot(),
    stats: () => {
      let pulls = 0;
      let blobs = 0;
      let liveBlobs = 0;
      for (const node of ctx.nodes.values()) {
        pulls += node.pulls.length;
        blobs += node.blobs.size;
        liveBlobs += node.liveBlobs.length;
      }
      return {
        nodes: ctx.nodes.size,
        pulls,
        blobs,
        liveBlobs,
        pods: ctx.pods.size,
        seriesRings: throughput.rings,
        pendingRetire: ctx.retiring.length - ctx.retiringHead,
        dedupeKeys: dedupe.size,
        attemptKeys: ctx.attempts.size,
      };
    },
    warnings: () => {
      let total = 0;
      const byKind: Record<string, number> = {};
      for (const [kind, count] of ctx.warnings) {
        total += count;
        byKind[kind] = count;
      }
      return { total, byKind };
    },
  };
}
