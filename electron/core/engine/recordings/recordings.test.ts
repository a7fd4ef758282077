// Regression tests on the lab recordings (fixtures/recordings/*.ndjson: real containerd 1.6 captured
// by the agent). Each recording goes through the lead's loader and the player's timeline (engine
// time only, ticks between inputs, no wall clock) into an engine, and after every input the views
// are checked against what the recording itself says (truth.ts), not against earlier engine output.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRecording } from '../../replay/files.ts';
import { timeline } from '../../replay/player.ts';
import { createEngine, defaultEngineConfig } from '../index.ts';
import { pullsWithLayers } from '../scenarios/timeline.ts';
import type { EngineConfig, EngineInput, FinishedPull, PullDetailView } from '../types.ts';
import { BlobTracker, expectedBytes, expectedPulls, sharedFetches, type ExpectedPull } from './truth.ts';

const DIR = fileURLToPath(new URL('../../../../fixtures/recordings/', import.meta.url));
const FILES = readdirSync(DIR).filter((file) => file.endsWith('.ndjson')).sort();
/** Past the 3 s the history record of an agent-finished pull waits for kubelet's Pulled event. */
const AFTER_END_MS = 5_000;

interface Replay {
  expected: ExpectedPull[];
  final: PullDetailView[];
  finished: FinishedPull[];
  /** Pull states seen after each input, in order, per pull id. */
  states: Map<string, string[]>;
  /** Every expected pull's view after every input, with the input's time. */
  steps: { at: number; pull: ExpectedPull; view: PullDetailView }[];
  warnings: number;
  /** Shared layers the recording shows one pull fetching while CRI blocked the other. */
  shared: ReturnType<typeof sharedFetches>;
}

/** The views of the expected pulls, by matching each to the pull with its manifest digest. */
function viewsOf(views: readonly PullDetailView[], expected: readonly ExpectedPull[]): Map<ExpectedPull, PullDetailView> {
  const out = new Map<ExpectedPull, PullDetailView>();
  for (const pull of expected) {
    const view = views.find((v) => v.node === pull.node && v.layers.length === pull.sizes.size && v.layers.every((l) => pull.sizes.has(l.digest)));
    if (view !== undefined) out.set(pull, view);
  }
  return out;
}

function checkStep(input: EngineInput, views: readonly PullDetailView[], nodeRates: Map<string, number>, truth: BlobTracker, replay: Replay, config: EngineConfig, previous: Map<string, PullDetailView>): void {
  const at = `${input.type} at +${input.at}`;
  expect(new Set(views.map((v) => v.id)).size, `${at}: one view per pull id`).toBe(views.length);
  for (const [pull, view] of viewsOf(views, replay.expected)) {
    const before = previous.get(view.id);
    const terminal = view.state === 'done' || view.state === 'failed';
    const bytes = expectedBytes(pull, terminal);
    // Bytes never decrease (with cached: when the pull ends, a layer another pull fetched moves
    // from its downloaded bytes to its cached ones, see expectedBytes); rates never negative.
    expect(view.bytes.done + view.bytes.cached, `${at} ${view.id}: bytes never decrease`).toBeGreaterThanOrEqual((before?.bytes.done ?? 0) + (before?.bytes.cached ?? 0));
    const ends = terminal && before !== undefined && before.state !== 'done' && before.state !== 'failed';
    if (before !== undefined && !ends) expect(view.bytes.done, `${at} ${view.id}: bytes never decrease`).toBeGreaterThanOrEqual(before.bytes.done);
    expect(view.rate, `${at} ${view.id}: rate`).toBeGreaterThanOrEqual(0);
    for (const layer of view.layers) {
      expect(layer.rate, `${at} ${layer.digest}: layer rate`).toBeGreaterThanOrEqual(0);
      // Every layer shows what containerd showed: its highest offset, or its size once in the store.
      expect(layer.done, `${at} ${view.id} ${layer.digest}: layer bytes`).toBe(truth.fetched(pull, layer.digest));
      expect(layer.state === 'cached', `${at} ${layer.digest}: cached`).toBe(bytes.isCached(layer.digest));
    }
    // A pull's bytes are the sums of its layers'; totals from the manifest, cached apart.
    const own = view.layers.filter((l) => l.state !== 'cached');
    expect(view.bytes.done, `${at} ${view.id}: bytes = Σ layers`).toBe(own.reduce((sum, l) => sum + l.done, 0));
    expect(view.bytes.total, `${at} ${view.id}: total`).toBe(bytes.total);
    expect(view.bytes.cached, `${at} ${view.id}: cached`).toBe(bytes.cached);
    expect(view.rate, `${at} ${view.id}: rate = Σ layers`).toBeCloseTo(own.reduce((sum, l) => sum + l.rate, 0), 6);
    // Never 0 while its bytes move: a layer that moved within the rate window keeps the rate up.
    if (!terminal && truth.movedWithin(pull, input.at, config.rateWindowMs)) {
      expect(view.rate, `${at} ${view.id} (${view.state}): rate while bytes move`).toBeGreaterThan(0);
    }
    // Stalled exactly when every live ingest of the pull has been idle for stallAfterMs.
    if (!terminal && view.state !== 'waiting' && view.state !== 'unpacking') {
      expect(view.state === 'stalled', `${at} ${view.id} (${view.state}): stalled`).toBe(truth.idleFor(pull, input.at, config.stallAfterMs));
    }
    replay.steps.push({ at: input.at, pull, view });
    const states = replay.states.get(view.id) ?? [];
    if (states.at(-1) !== view.state) states.push(view.state);
    replay.states.set(view.id, states);
  }
  // Shared layers are counted once: the node's throughput is each distinct live layer once (a layer
  // finished for one pull may be live for another: the highest reading is the live one).
  for (const [node, rate] of nodeRates) {
    const distinct = new Map<string, number>();
    for (const view of views) {
      if (view.node !== node) continue;
      for (const l of view.layers) if (l.state !== 'cached') distinct.set(l.digest, Math.max(l.rate, distinct.get(l.digest) ?? 0));
    }
    const claimed = [...distinct.values()].reduce((sum, r) => sum + r, 0);
    // Ingests no manifest claims yet count on the node only.
    if (truth.liveDigests(node).every((digest) => distinct.has(digest))) expect(rate, `${at} ${node}: node rate = Σ distinct layers`).toBeCloseTo(claimed, 6);
    else expect(rate, `${at} ${node}: node rate ≥ Σ distinct layers`).toBeGreaterThanOrEqual(claimed * (1 - 1e-9));
  }
  for (const view of views) previous.set(view.id, view);
}

async function replay(file: string, overrides: Partial<EngineConfig> = {}): Promise<Replay> {
  const recording = await loadRecording(`${DIR}${file}`);
  expect(recording.errors, `${file}: every line parses`).toEqual([]);
  const config = { ...defaultEngineConfig(recording.header.cluster), ...overrides };
  const engine = createEngine(config);
  const truth = new BlobTracker();
  const result: Replay = { expected: expectedPulls(recording.inputs), final: [], finished: [], states: new Map(), steps: [], warnings: 0, shared: [] };
  const previous = new Map<string, PullDetailView>();
  const last = recording.inputs.at(-1);
  const inputs: EngineInput[] = [...timeline(recording.inputs, { tickEveryMs: 250 })];
  if (last !== undefined) inputs.push({ type: 'tick', at: last.at + AFTER_END_MS });
  for (const input of inputs) {
    engine.apply(input);
    truth.observe(input);
    result.finished.push(...engine.drain().finished);
    const nodeRates = new Map(engine.nodes().map((n) => [n.name, n.rate]));
    checkStep(input, pullsWithLayers(engine), nodeRates, truth, result, config, previous);
  }
  result.final = pullsWithLayers(engine);
  result.warnings = engine.warnings().total;
  result.shared = sharedFetches(recording.inputs, result.expected);
  return result;
}

describe.each(FILES)('recording %s', (file) => {
  it('shows the pulls it contains with their names, digests, final states and bytes; one history record each', async () => {
    const run = await replay(file);
    expect(run.expected.length, 'the recording contains pulls').toBeGreaterThan(0);
    expect(run.warnings, 'real agent output raises no bad-input warning').toBe(0);
    const views = viewsOf(run.final, run.expected);
    expect(run.final).toHaveLength(run.expected.length);
    for (const pull of run.expected) {
      const view = views.get(pull);
      expect(view, `a pull for manifest ${pull.manifest}`).toBeDefined();
      if (view === undefined) continue;
      expect(view.image).toBe(pull.image);
      expect(view.digest).toBe(pull.manifest);
      expect(view.node).toBe(pull.node);
      expect(view.state).toBe(pull.finalState === 'active' ? view.state : pull.finalState);
      expect(view.bytes.totalKnown).toBe(true);
      const bytes = expectedBytes(pull, pull.finalState !== 'active');
      if (pull.finalState === 'done') expect(view.bytes.done).toBe(bytes.total);
      if (pull.finalState === 'failed') expect(view.error?.reason).toBe('aborted');
      expect(view.id.startsWith(`${pull.node}/`)).toBe(true);
      const records = run.finished.filter((r) => r.id === view.id);
      if (pull.finalState === 'active') {
        expect(records).toEqual([]);
        continue;
      }
      expect(records, `${view.id}: exactly one history record`).toHaveLength(1);
      expect(records[0]).toMatchObject({ image: pull.image, state: pull.finalState, bytesTotal: bytes.total, bytesCached: bytes.cached, digest: pull.manifest });
    }
    expect(run.finished.every((record) => run.final.some((view) => view.id === record.id)), 'no record for a pull not shown').toBe(true);
  });

  it('moves through downloading before it ends, never reporting a stall that did not happen', async () => {
    const run = await replay(file);
    for (const [id, states] of run.states) {
      expect(states, id).toContain('downloading');
      expect(states, id).not.toContain('stalled');
    }
  });
});

describe('recordings with a registry stall', () => {
  // ctr-small-stall-8s: the registry stops for 8 s mid-layer. With the stall threshold below that
  // gap the pull is shown stalled, and downloading again when bytes move (checkStep verifies the
  // moment on every input against the recording's own gap).
  it('shows the 8 s registry stall as stalled with a 5 s threshold, then downloading again', async () => {
    const run = await replay('ctr-small-stall-8s.ndjson', { stallAfterMs: 5_000 });
    const [states] = [...run.states.values()];
    expect(states).toEqual(expect.arrayContaining(['downloading', 'stalled']));
    const stalledAt = states?.indexOf('stalled') ?? -1;
    expect(states?.slice(stalledAt + 1)).toContain('downloading');
  });
});

describe('recordings with shared layers', () => {
  it('shows a layer two concurrent pulls share under both, with the same bytes, naming the other pull', async () => {
    const run = await replay('cri-alpha-beta-2mbps.ndjson');
    const views = viewsOf(run.final, run.expected);
    const shared = run.expected.flatMap((a) => run.expected.filter((b) => b !== a).flatMap((b) => [...a.sizes.keys()].filter((d) => b.sizes.has(d)).map((d) => ({ a, b, d }))));
    expect(shared.length, 'the recording has shared layers').toBeGreaterThan(0);
    for (const { a, b, d } of shared) {
      const layer = views.get(a)?.layers.find((l) => l.digest === d);
      expect(layer?.sharedWith).toEqual([views.get(b)?.id]);
    }
  });

  it('shows the pull CRI blocked as waiting on the one the recording shows fetching the shared layer', async () => {
    const run = await replay('cri-alpha-beta-2mbps.ndjson');
    expect(run.shared.length, 'the recording has a shared layer fetched by one pull').toBeGreaterThan(0);
    for (const { fetcher, blocked, from, until } of run.shared) {
      const fetcherId = run.steps.find((s) => s.pull === fetcher)?.view.id;
      const during = run.steps.filter((s) => s.at >= from && s.at < until);
      expect(during.length).toBeGreaterThan(0);
      for (const { at, pull, view } of during) {
        if (pull === blocked) expect({ at, state: view.state, waitingOn: view.waitingOn }).toEqual({ at, state: 'waiting', waitingOn: fetcherId });
        if (pull === fetcher) expect({ at, state: view.state }).not.toEqual({ at, state: 'waiting' });
      }
    }
    // History: the shared layer crossed the wire once, for the pull that fetched it; the records'
    // downloaded bytes add up to the distinct blobs the pulls needed.
    expect(run.expected.every((pull) => pull.finalState === 'done')).toBe(true);
    const needed = new Map(run.expected.flatMap((pull) => [...pull.sizes].filter(([digest]) => !pull.present.has(digest))));
    const downloaded = run.finished.reduce((sum, record) => sum + record.bytesDownloaded, 0);
    expect(downloaded).toBe([...needed.values()].reduce((sum, size) => sum + size, 0));
  });
});
