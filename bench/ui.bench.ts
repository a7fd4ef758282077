// UI benchmark: the real core (engine + bridge session + serve mode) under a 2,000-node synthetic
// load (5 concurrent pulls per node ≈ 10 k live pulls, ~20 active layers per node, agent updates
// twice a second), and the real renderer in Debian's Chromium on the live pulls view.
// Measures, once all pulls are live:
//   bridge_kb_per_s  — bytes of bridge messages (JSON) one session sends per second, after warm-up:
//                      the largest of the four views a renderer can ask for (pulls table, one pull's
//                      detail, throughput charts, nodes), each measured on its own
//   p95_frame_ms     — requestAnimationFrame intervals in the page (Performance API clock) on the live
//                      pulls table, 10 s; plus long tasks, the table while scrolling, the charts view
//   session costs    — the session's flush (every 100 ms) and its full re-ordering of 10 k pulls
// Writes bench/results/ui.json. Needs `npx electron-vite build` (out/renderer) and /usr/bin/chromium.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createApp } from '../electron/core/app/app.ts';
import { syntheticCluster } from '../electron/core/app/synthetic-cluster.ts';
import { startServe } from '../electron/core/bridge/serve-server.ts';
import { openSession } from '../electron/core/bridge/session.ts';
import { LiveIndex } from '../electron/core/bridge/live-index.ts';
import { emptyPullFilter, type ViewRequest } from '../electron/core/bridge/contract.ts';
import { defaultView } from '../electron/core/bridge/session-view.ts';
import { playRecording } from '../electron/core/replay/player.ts';

const root = path.resolve(import.meta.dirname, '..');
const rendererDir = path.join(root, 'out', 'renderer');
if (!existsSync(path.join(rendererDir, 'index.html'))) {
  console.error('out/renderer is missing: run `npx electron-vite build` first');
  process.exit(2);
}
const NODES = 2_000;
const PULLS_PER_NODE = 5;
const MEASURE_MS = 10_000;
const TRAFFIC_MS = 5_000;

console.log(`generating ${NODES} nodes × ${PULLS_PER_NODE} pulls…`);
const inputs = syntheticCluster({ nodes: NODES, pullsPerNode: PULLS_PER_NODE, durationMs: 60_000, bytesPerSecond: 2 * 1_048_576 });
console.log(`${inputs.length} engine inputs`);

// The synthetic cluster enters through the same seam as a live cluster (ClusterConnector).
const app = createApp({
  connector: {
    async connect(_context, sink) {
      const player = playRecording(inputs, sink, { rebaseTo: Date.now() });
      return { close: async () => player.stop() };
    },
  },
});
const connected = await app.handle({ type: 'context.connect', context: 'synthetic' });
if (!connected.ok) throw new Error(connected.error.message);

// 1. Bridge traffic: one session per view with a transport that only counts bytes, after a 5 s
// warm-up, measured on its own for 5 s. The session's flush is timed through its timer seam.
const flushMs: number[] = [];
async function trafficFor(view: ViewRequest): Promise<number> {
  let bytes = 0;
  const session = openSession(app, app, { kind: 'websocket', send: (m) => (bytes += Buffer.byteLength(JSON.stringify(m))), congested: () => false }, {
    appVersion: 'bench',
    every: (fn, ms) => {
      const timer = setInterval(() => {
        const started = performance.now();
        fn();
        flushMs.push(performance.now() - started);
      }, ms);
      return () => clearInterval(timer);
    },
  });
  await session.receive({ id: 1, command: { type: 'view.set', view } });
  await new Promise((r) => setTimeout(r, 2_000));
  const start = bytes;
  const started = Date.now();
  await new Promise((r) => setTimeout(r, TRAFFIC_MS));
  session.close();
  return (bytes - start) / 1024 / ((Date.now() - started) / 1000);
}
await new Promise((r) => setTimeout(r, 3_000));
const someDownloading = app.snapshot().pulls.find((p) => p.state === 'downloading') ?? app.snapshot().pulls[0];
const traffic = {
  pulls: await trafficFor(defaultView),
  detail: await trafficFor({ detail: { cluster: someDownloading?.cluster ?? '', id: someDownloading?.id ?? '' }, charts: false, nodes: false }),
  charts: await trafficFor({ charts: true, nodes: false }),
  nodes: await trafficFor({ charts: false, nodes: true }),
};
const bridgeKbPerS = Math.max(...Object.values(traffic));
console.log(`bridge KB/s per view: ${JSON.stringify(roundAll(traffic))} with ${app.snapshot().pulls.length} live pulls`);

// The session's full re-ordering (a pass over every pull + a sort of the matches), on the live set.
const index = new LiveIndex();
index.load(app.snapshot());
const reorderMs = (sort: { key: 'state' | 'rate'; descending: boolean }): number[] =>
  Array.from({ length: 20 }, () => {
    const started = performance.now();
    index.order(emptyPullFilter, sort);
    return performance.now() - started;
  });
const reorderState = reorderMs({ key: 'state', descending: false }).sort((a, b) => a - b);
const reorderRate = reorderMs({ key: 'rate', descending: true }).sort((a, b) => a - b);
const flushSorted = [...flushMs].sort((a, b) => a - b);
console.log(`session flush ms p50 ${quantile(flushSorted, 0.5).toFixed(2)} p95 ${quantile(flushSorted, 0.95).toFixed(2)} max ${(flushSorted.at(-1) ?? 0).toFixed(1)}; re-order 10 k pulls ms (state sort) p50 ${quantile(reorderState, 0.5).toFixed(1)}, (rate sort) p50 ${quantile(reorderRate, 0.5).toFixed(1)}`);

// 2. Frames: the renderer in Chromium on the live pulls table.
const serve = await startServe(app, app, { rendererDir, appVersion: 'bench' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(serve.url);
  const expected = NODES * PULLS_PER_NODE;
  // Polled from Node: the page's CSP (no eval) rules out Playwright's interval-polled predicates.
  const deadline = Date.now() + 300_000;
  while (!((await page.locator('.summary').textContent({ timeout: 300_000 })) ?? '').includes(`of ${expected} pulls`)) {
    if (Date.now() > deadline) throw new Error(`${expected} pulls never reached the table`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  console.log(`${expected} pulls live; measuring frames for ${MEASURE_MS / 1000} s`);
  const started = Date.now();
  const { frames, longTasks, work } = await measure(page, MEASURE_MS, false);
  const seconds = (Date.now() - started) / 1000;
  const sorted = [...frames].sort((a, b) => a - b);
  // The same table while the user scrolls (each step moves the requested window).
  const scrolling = (await measure(page, 5_000, true)).work;
  // The throughput view (recharts, top-6 nodes + other, 300 points, redrawn once a second).
  await page.getByRole('button', { name: 'Throughput' }).click();
  await page.locator('.chart-card .recharts-area').first().waitFor({ timeout: 60_000 });
  const chartFrames = (await measure(page, 5_000, false)).work;
  const load = os.loadavg().map((l) => Number(l.toFixed(2)));
  const result = {
    p95_frame_ms: Number(quantile(work, 0.95).toFixed(1)),
    bridge_kb_per_s: Math.round(bridgeKbPerS),
    bridge_kb_per_s_by_view: roundAll(traffic),
    frames: work.length,
    median_frame_ms: Number(quantile(work, 0.5).toFixed(1)),
    p99_frame_ms: Number(quantile(work, 0.99).toFixed(1)),
    max_frame_ms: Number((work.at(-1) ?? Number.NaN).toFixed(1)),
    raf_interval_p95_ms: Number(quantile(sorted, 0.95).toFixed(1)),
    raf_interval_p99_ms: Number(quantile(sorted, 0.99).toFixed(1)),
    raf_interval_max_ms: Number((sorted.at(-1) ?? Number.NaN).toFixed(1)),
    raf_frames_dropped_pct: Number(((100 * frames.filter((f) => f > 25).length) / Math.max(1, frames.length)).toFixed(1)),
    long_tasks: longTasks.length,
    long_task_max_ms: Number(Math.max(0, ...longTasks).toFixed(1)),
    scrolling_p95_frame_ms: Number(quantile(scrolling, 0.95).toFixed(1)),
    scrolling_max_frame_ms: Number((scrolling.at(-1) ?? Number.NaN).toFixed(1)),
    charts_view_p95_frame_ms: Number(quantile(chartFrames, 0.95).toFixed(1)),
    charts_view_max_frame_ms: Number((chartFrames.at(-1) ?? Number.NaN).toFixed(1)),
    session_flush_ms_p95: Number(quantile(flushSorted, 0.95).toFixed(2)),
    session_flush_ms_max: Number((flushSorted.at(-1) ?? 0).toFixed(1)),
    reorder_10k_ms_p50: { state: Number(quantile(reorderState, 0.5).toFixed(1)), rate: Number(quantile(reorderRate, 0.5).toFixed(1)) },
    pulls: expected,
    /** Pulls still moving bytes when the frames were measured (the load was live, not finished). */
    downloading_at_end: app.snapshot().pulls.filter((p) => p.state === 'downloading').length,
    nodes: NODES,
    measured_s: Number(seconds.toFixed(1)),
    load_average_at_end: load,
    measured_at: new Date().toISOString(),
    note:
      'frame time = renderer main-thread work per frame (Chromium trace: top-level tasks between consecutive BeginMainThreadFrame); raf_interval_* = requestAnimationFrame cadence, bound below by the 60 Hz vsync (16.7 ms); headless Chromium (--disable-gpu, software raster) on a 2-core machine shared with the core process',
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'ui.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser.close();
  await serve.close();
  await app.close();
}

/** `measureFrames` under a Chromium trace; `work` is the sorted main-thread time per frame. */
async function measure(page: Page, ms: number, scroll: boolean): Promise<{ frames: number[]; longTasks: number[]; work: number[] }> {
  await page.context().browser()?.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline.frame'] });
  const measured = await measureFrames(page, ms, scroll);
  const trace = (await page.context().browser()?.stopTracing())?.toString() ?? '[]';
  return { ...measured, work: frameWork(JSON.parse(trace) as TraceFile).sort((a, b) => a - b) };
}

/** requestAnimationFrame intervals over `ms` on the page's Performance API clock, and the long
 * tasks (> 50 ms) seen meanwhile; with `scroll`, the table scrolls 200 px every 100 ms. */
async function measureFrames(page: Page, ms: number, scroll: boolean): Promise<{ frames: number[]; longTasks: number[] }> {
  return (await page.evaluate(`new Promise((resolve) => {
    const deltas = [];
    const longTasks = [];
    const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
    observer.observe({ type: 'longtask' });
    const body = document.querySelector('.tbody');
    const scroller = ${scroll} && body ? setInterval(() => { body.scrollTop = (body.scrollTop + 200) % Math.max(1, body.scrollHeight - body.clientHeight); }, 100) : undefined;
    let last = performance.now();
    const end = last + ${ms};
    const step = (now) => {
      deltas.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(step);
      else {
        observer.disconnect();
        if (scroller !== undefined) clearInterval(scroller);
        resolve({ frames: deltas, longTasks });
      }
    };
    requestAnimationFrame(step);
  })`)) as { frames: number[]; longTasks: number[] };
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}
type TraceFile = { traceEvents: TraceEvent[] } | TraceEvent[];

/** Main-thread work per frame, in ms, from a Chromium trace: the page's renderer main thread (the
 * CrRendererMain with the most frames), cut at each BeginMainThreadFrame; a frame's time is the sum
 * of top-level tasks run in its slot. A long task delays the next BeginMainThreadFrame, so it lands
 * whole in one slot. */
function frameWork(trace: TraceFile): number[] {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const beginsByThread = new Map<string, number[]>();
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`;
    if (e.name !== 'BeginMainThreadFrame' || !mains.has(thread)) continue;
    beginsByThread.set(thread, [...(beginsByThread.get(thread) ?? []), e.ts]);
  }
  const [thread, begins] = [...beginsByThread].sort((a, b) => b[1].length - a[1].length)[0] ?? ['', []];
  begins.sort((a, b) => a - b);
  const tasks = events.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.ph === 'X' && `${e.pid}:${e.tid}` === thread);
  const busy = new Array<number>(Math.max(0, begins.length - 1)).fill(0);
  for (const task of tasks) {
    const start = task.ts;
    const end = task.ts + (task.dur ?? 0);
    // The slot the task starts in, by binary search, then every slot it overlaps.
    let lo = 0;
    let hi = begins.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((begins[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < busy.length && (begins[i] ?? Infinity) < end; i++) {
      const overlap = Math.min(end, begins[i + 1] ?? end) - Math.max(start, begins[i] ?? start);
      if (overlap > 0) busy[i] = (busy[i] ?? 0) + overlap / 1000;
    }
  }
  return busy;
}

function roundAll(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}
