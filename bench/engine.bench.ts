// Engine benchmark: a synthetic stream of 2,000 nodes × 20 active layers, each reported twice a
// second, for 70 simulated seconds (10 s warm-up + 60 s measured). Every node runs 5 pulls of 20
// layers (10 k pulls, 200 k layers in the window), 4 layers of each pull downloading at a time at a
// fixed per-layer rate; finished layers commit (ingest.gone), the next starts; finished pulls get
// their image record and a new pull starts on the node.
//
// The engine is measured as shipped: the app runs it from electron-vite's bundled JS in the core's
// worker thread (electron/core/host), with the core's heap limits, not from .ts files through
// Node's type-stripping loader (amaro's WebAssembly, ~42 MiB of RSS). So this file, run as
// `node bench/engine.bench.ts`, only bundles itself with the engine into one temporary ES module
// (esbuild) and runs that in a child Node process, which starts it again as a worker thread with
// the core's heap settings (coreHeapOptions); the worker does the whole measurement and reports its
// own figures.
//
// Figures (bench/results/engine.json):
//   cpu_fraction_of_core  engine CPU time (apply + a drain per simulated second) ÷ simulated time
//   decode_ratio          engine CPU time ÷ CPU time to merely JSON.parse the same frames
//   rss_mib               peak RSS of the child process running the bundle (the kernel's
//                         high-water mark, getrusage maxrss: nothing between two samples is
//                         missed) with the 10 k pulls / 200 k layers in the window, the engine in a
//                         worker thread with the app's heap settings (coreHeapOptions: limits,
//                         the initial old-space size and the heap growing factor; no other V8
//                         flag but --expose-gc, used after the run)
//   rate_error_pct        mean |estimated − true| ÷ true of pull rates, steady state (layers
//                         running for more than the rate window), sampled every 5 s
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';
import { createEngine, defaultEngineConfig } from '../electron/core/engine/index.ts';
import type { EngineInput, IngestStatus, PullView } from '../electron/core/engine/types.ts';
import { CORE_HEAP_LIMITS, coreHeapOptions } from '../electron/core/host/core-host.ts';

const NODES = 2_000;
const PULLS_PER_NODE = 5;
const LAYERS_PER_PULL = 20;
const ACTIVE_PER_PULL = 4;
const FRAME_MS = 500;
const WARMUP_MS = 10_000;
/** ENGINE_BENCH_SECONDS shortens the measured part for profiling runs (the figures need ≥ 60). */
const MEASURED_MS = Number(process.env.ENGINE_BENCH_SECONDS ?? 60) * 1000;
const MiB = 1_048_576;
const T0 = 1_790_000_000_000;
const RATES = [1_000_000, 1_500_000, 2_000_000, 3_000_000, 4_000_000];

/** A simulated pull. Its layers' digests, sizes and rates are functions of (id, index), so the
 * harness keeps only numbers per layer: the process's memory is then the engine's, not ours. */
interface SimPull {
  id: number;
  image: string;
  /** When each layer started downloading (NaN: not yet). */
  startedAt: Float64Array;
  next: number;
  /** Indexes of the layers downloading now. */
  active: number[];
}

let serial = 0;
const hex = (n: number) => n.toString(16).padStart(64, '0');
const layerDigest = (id: number, i: number) => `sha256:${hex(id * 64 + i + 1)}`;
const layerSize = (id: number, i: number) => (8 + ((id * 7 + i * 13) % 33)) * MiB + ((id + i) % 1000);
const layerRate = (id: number, i: number) => RATES[(id + i) % RATES.length] ?? 2e6;
const manifestDigest = (id: number) => `sha256:${hex(id * 64)}`;

function newPull(node: number, at: number, out: EngineInput[]): SimPull {
  const id = ++serial;
  const image = `registry.example.com:5000/team-${id % 97}/svc-${id}:v1`;
  const pull: SimPull = { id, image, startedAt: new Float64Array(LAYERS_PER_PULL).fill(Number.NaN), next: 0, active: [] };
  const name = `node-${node}`;
  out.push({ type: 'kube.event', at, uid: `ev-${id}`, count: 1, node: name, reason: 'Pulling', message: `Pulling image "${image}"`, pod: { namespace: 'bench', name: `svc-${id}-0`, uid: `pod-${id}` } });
  const layers = [];
  for (let i = 0; i < LAYERS_PER_PULL; i++) {
    layers.push({ digest: layerDigest(id, i), size: layerSize(id, i), mediaType: 'application/vnd.oci.image.layer.v1.tar.gzip', present: false });
  }
  out.push({
    type: 'manifest.seen', at, node: name, digest: manifestDigest(id), mediaType: 'application/vnd.oci.image.manifest.v1+json',
    sources: [`registry.example.com/team-${id % 97}/svc-${id}`], layers,
  });
  startLayers(pull, at);
  return pull;
}

function startLayers(pull: SimPull, at: number): void {
  while (pull.active.length < ACTIVE_PER_PULL && pull.next < LAYERS_PER_PULL) {
    pull.startedAt[pull.next] = at;
    pull.active.push(pull.next++);
  }
}

/** One node's frame at time `at`: every active ingest (offset in whole MiB, updated_at = the time
 * the last MiB step was written), plus gone/image inputs for what completed. */
function nodeFrame(node: number, pulls: SimPull[], at: number, extra: EngineInput[]): EngineInput {
  const name = `node-${node}`;
  const ingests: IngestStatus[] = [];
  for (let p = 0; p < pulls.length; p++) {
    const pull = pulls[p] as SimPull;
    for (let a = pull.active.length - 1; a >= 0; a--) {
      const i = pull.active[a] as number;
      const startedAt = pull.startedAt[i] ?? at;
      const rate = layerRate(pull.id, i);
      const size = layerSize(pull.id, i);
      const digest = layerDigest(pull.id, i);
      const bytes = ((at - startedAt) * rate) / 1000;
      if (bytes >= size) {
        pull.active.splice(a, 1);
        extra.push({ type: 'ingest.gone', at, node: name, ref: `layer-${digest}`, digest, outcome: 'committed' });
        continue;
      }
      const offset = Math.floor(bytes / MiB) * MiB;
      ingests.push({
        ref: `layer-${digest}`, kind: 'layer', digest, offset, total: size,
        startedAt, updatedAt: Math.floor(startedAt + (offset * 1000) / rate),
      });
    }
    startLayers(pull, at);
    if (pull.active.length === 0 && pull.next >= LAYERS_PER_PULL) {
      extra.push({ type: 'image.upserted', at, node: name, name: pull.image, targetDigest: manifestDigest(pull.id) });
      pulls[p] = newPull(node, at, extra);
    }
  }
  return { type: 'ingests.observed', at, node: name, ingests };
}

/** Steady state: the views just drained against the synthetic truth at the same moment (the sum of
 * the pull's active layers' rates, as of the frames the engine has seen), for pulls whose active
 * layers all started more than the rate window ago. The drains' upserts carry every pull that
 * moved: no extra full-state call is needed. */
function sampleRateErrors(views: readonly PullView[], now: number): void {
  for (const view of views) {
    if (view.state !== 'downloading') continue;
    const pull = nodes[Number(view.node.slice('node-'.length))]?.find((p) => p.image === view.image);
    if (pull === undefined || pull.active.length === 0 || pull.active.some((i) => now - (pull.startedAt[i] ?? now) < 6_000)) continue;
    const expected = pull.active.reduce((sum, i) => sum + layerRate(pull.id, i), 0);
    errors.push(Math.abs(view.rate - expected) / expected);
  }
}

/** The simulated pulls of every node, and the rate errors sampled (module state for the helpers
 * above; filled by measure()). */
const nodes: SimPull[][] = [];
const errors: number[] = [];

function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Ticks to the end of a slot and drains, as the bridge does, and hands the delta over there and
 * then: the app's bridge takes each delta as it comes. (Kept in the measuring loop's frame, a
 * delta would live on through the next slot's frames, outlive young-generation collections and
 * be promoted: the harness's memory, not the engine's.) */
function drainSlot(engine: ReturnType<typeof createEngine>, at: number, sampled: boolean): { cpuMs: number; upserts: number } {
  const start = process.cpuUsage();
  engine.apply({ type: 'tick', at });
  const delta = engine.drain();
  const drainMs = cpuMs(start);
  if (sampled) sampleRateErrors(delta.upserts, at);
  return { cpuMs: drainMs, upserts: delta.upserts.length };
}

/** The whole measurement, in the child process running the bundle. */
function measure(resultsFile: string): void {
  const engine = createEngine(defaultEngineConfig('bench'));
  for (let n = 0; n < NODES; n++) {
    // Node by node, so the harness never holds all 10 k manifests at once.
    const setup: EngineInput[] = [{ type: 'agent.connected', at: T0, node: `node-${n}`, agentVersion: 'bench', containerdVersion: '2.1' }];
    const pulls: SimPull[] = [];
    for (let p = 0; p < PULLS_PER_NODE; p++) pulls.push(newPull(n, T0, setup));
    nodes.push(pulls);
    // Through JSON like the streamed frames: the engine keeps strings as a decoder produces them.
    for (const input of setup) engine.apply(JSON.parse(JSON.stringify(input)) as EngineInput);
  }
  engine.drain();

  let engineCpu = 0;
  let decodeCpu = 0;
  let drainCpu = 0;
  let upserts = 0;
  let measuredMs = 0;
  let frames = 0;
  let ingestUpdates = 0;
  let peakRss = process.memoryUsage().rss;
  let peakHeap = 0;

  /** Frames reach the core one stream at a time: the agent client decodes and applies each as it
   * arrives. The harness does the same in small chunks of nodes (build untimed, then decode timed,
   * then apply timed), so it never holds more than a few frames: a whole slot of decoded frames
   * alive at once would survive young-generation GCs and grow V8's new space — the harness's
   * memory, not the engine's. */
  const CHUNK_NODES = 25;

  /** The bridge drains the engine at up to 10 Hz: each 100 ms slot, the nodes whose frames fall in
   * it are built, encoded, decoded and applied, then the clock ticks to the slot's end and the
   * engine is drained. */
  const SLOT_MS = 100;
  const NODES_PER_SLOT = (NODES * SLOT_MS) / FRAME_MS;

  for (let second = 0; second * 1000 < WARMUP_MS + MEASURED_MS; second++) {
    const measured = second * 1000 >= WARMUP_MS;
    const sampled = measured && second % 5 === 0;
    for (let slot = 0; slot < 1000; slot += SLOT_MS) {
      const half = Math.floor(slot / FRAME_MS) * FRAME_MS;
      const first = ((slot % FRAME_MS) / SLOT_MS) * NODES_PER_SLOT;
      let decodeTime = 0;
      let applyTime = 0;
      for (let chunk = first; chunk < first + NODES_PER_SLOT; chunk += CHUNK_NODES) {
        // Build (untimed): node n reports at n × 500 / 2000 ms into each half second.
        const batch: string[] = [];
        for (let n = chunk; n < Math.min(chunk + CHUNK_NODES, first + NODES_PER_SLOT); n++) {
          const at = T0 + second * 1000 + half + Math.floor((n * FRAME_MS) / NODES);
          const extra: EngineInput[] = [];
          const frame = nodeFrame(n, nodes[n] as SimPull[], at, extra);
          for (const input of extra) batch.push(JSON.stringify(input));
          batch.push(JSON.stringify(frame));
        }
        let start = process.cpuUsage();
        const decoded: EngineInput[] = new Array(batch.length);
        for (let i = 0; i < batch.length; i++) decoded[i] = JSON.parse(batch[i] as string) as EngineInput;
        decodeTime += cpuMs(start);
        start = process.cpuUsage();
        for (const input of decoded) engine.apply(input);
        applyTime += cpuMs(start);
        if (!measured) continue;
        frames += batch.length;
        for (const input of decoded) if (input.type === 'ingests.observed') ingestUpdates += input.ingests.length;
      }
      const drained = drainSlot(engine, T0 + second * 1000 + slot + SLOT_MS, sampled);
      if (!measured) continue;
      engineCpu += applyTime + drained.cpuMs;
      drainCpu += drained.cpuMs;
      decodeCpu += decodeTime;
      upserts += drained.upserts;
    }
    if (measured) measuredMs += 1000;
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
  }

  // Before the GCs below, which touch every live page once more.
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const stats = engine.stats();
  // What the engine itself retains (run.ts passes --expose-gc): the window's pulls and layers.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const retainedHeap = gc === undefined ? undefined : process.memoryUsage().heapUsed;
  // Without the harness's simulation state: what the engine alone keeps for this window.
  nodes.length = 0;
  gc?.();
  const engineHeap = gc === undefined ? undefined : process.memoryUsage().heapUsed;
  const mean = errors.reduce((sum, e) => sum + e, 0) / Math.max(1, errors.length);
  const sorted = [...errors].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  const results = {
    cpu_fraction_of_core: Number((engineCpu / measuredMs).toFixed(4)),
    decode_ratio: Number((engineCpu / decodeCpu).toFixed(3)),
    rss_mib: Number((maxRssBytes / MiB).toFixed(1)),
    rate_error_pct: Number((mean * 100).toFixed(3)),
    details: { measured_at: new Date().toISOString() },
  };
  console.log(`engine bench: ${NODES} nodes × ${ACTIVE_PER_PULL * PULLS_PER_NODE} active layers, ${FRAME_MS} ms frames, ${measuredMs / 1000} s measured after ${WARMUP_MS / 1000} s warm-up (Node ${process.version}; core worker heap limits: young ${CORE_HEAP_LIMITS.maxYoungGenerationSizeMb} MiB, old ${CORE_HEAP_LIMITS.maxOldGenerationSizeMb} MiB)`);
  console.log(`  drains at 10 Hz: ${(upserts / (measuredMs / 1000)).toFixed(0)} pull upserts/s`);
  console.log(`  frames ${frames} (${(frames / (measuredMs / 1000)).toFixed(0)}/s), ingest updates ${ingestUpdates} (${(ingestUpdates / (measuredMs / 1000)).toFixed(0)}/s)`);
  console.log(`  engine CPU ${engineCpu.toFixed(0)} ms, JSON.parse CPU ${decodeCpu.toFixed(0)} ms, of which drain ${drainCpu.toFixed(0)} ms, per ingest update ${((engineCpu * 1000) / ingestUpdates).toFixed(2)} µs`);
  console.log(`  in window: ${stats.pulls} pulls, ${stats.blobs} blobs (${stats.liveBlobs} live), RSS sampled each second peaks at ${(peakRss / MiB).toFixed(0)} MiB, heap peak ${(peakHeap / MiB).toFixed(0)} MiB, after a full GC ${retainedHeap === undefined ? 'n/a (run with --expose-gc)' : `${(retainedHeap / MiB).toFixed(0)} MiB, of which the harness's simulation ${((retainedHeap - (engineHeap ?? 0)) / MiB).toFixed(0)} MiB`}`);
  console.log(`  rate error: mean ${(mean * 100).toFixed(3)} %, p99 ${(p99 * 100).toFixed(3)} % over ${errors.length} pull samples`);
  console.log(`  cpu_fraction_of_core ${results.cpu_fraction_of_core} (goal ≤ 0.25)`);
  console.log(`  decode_ratio ${results.decode_ratio} (goal ≤ 3)`);
  console.log(`  rss_mib ${results.rss_mib} (goal ≤ 300)`);
  console.log(`  rate_error_pct ${results.rate_error_pct} (goal < 1)`);
  console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min; CPU figures are inflated by other work on the machine)`);
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
}

/** Bundles this file with the engine (as electron-vite bundles the core into out/main/core-worker.js)
 * and runs the bundle in a child Node process that measures. */
async function runBundled(resultsFile: string): Promise<number> {
  const esbuild = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'pulltrace-engine-bench-'));
  try {
    const bundle = join(dir, 'engine.bench.mjs');
    await esbuild.build({
      entryPoints: [fileURLToPath(import.meta.url)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      outfile: bundle,
      // Only the parent loads esbuild (dynamically, above); the child never reaches that code.
      external: ['esbuild'],
      logLevel: 'warning',
    });
    await esbuild.stop();
    const child = spawnSync(process.execPath, ['--expose-gc', bundle, MEASURE_FLAG, resultsFile], { stdio: 'inherit' });
    if (child.error !== undefined) throw child.error;
    return child.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** In the child: the measurement runs in a worker thread with the core's heap, as in the app. */
function measureInCoreWorker(resultsFile: string): Promise<number> {
  const worker = new Worker(fileURLToPath(import.meta.url), { argv: [MEASURE_FLAG, resultsFile], ...coreHeapOptions() });
  return new Promise((resolve) => {
    worker.on('error', (error) => console.error(`engine bench worker: ${error.message}`));
    worker.on('exit', (code) => resolve(code));
  });
}

const MEASURE_FLAG = '--measure-into';
const flagAt = process.argv.indexOf(MEASURE_FLAG);
if (flagAt >= 0) {
  const resultsFile = process.argv[flagAt + 1] ?? '';
  if (isMainThread) process.exitCode = await measureInCoreWorker(resultsFile);
  else measure(resultsFile);
} else {
  process.exitCode = await runBundled(join(dirname(fileURLToPath(import.meta.url)), 'results', 'engine.json'));
}
