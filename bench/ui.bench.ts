// UI benchmark: the real core (engine + bridge session + serve mode) under a 2,000-node synthetic
// load (5 concurrent pulls per node ≈ 10 k live pulls, ~20 active layers per node, agent updates
// twice a second), and the real renderer in Debian's Chromium on the live pulls view.
// Measures, over a 10 s window once all pulls are on screen:
//   p95_frame_ms     — requestAnimationFrame intervals in the page (Performance API clock)
//   bridge_kb_per_s  — bytes of bridge messages (JSON) one session sends per second, after warm-up
// Writes bench/results/ui.json. Needs `npx electron-vite build` (out/renderer) and /usr/bin/chromium.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createApp } from '../electron/core/app/app.ts';
import { syntheticCluster } from '../electron/core/app/synthetic-cluster.ts';
import { startServe } from '../electron/core/bridge/serve-server.ts';
import { openSession } from '../electron/core/bridge/session.ts';
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

// 1. Bridge traffic: one session with a transport that only counts bytes, after a 5 s warm-up.
let sessionBytes = 0;
const session = openSession(app, app, { kind: 'websocket', send: (m) => (sessionBytes += Buffer.byteLength(JSON.stringify(m))), congested: () => false }, { appVersion: 'bench' });
await new Promise((r) => setTimeout(r, 5_000));
const bytesAtStart = sessionBytes;
const trafficStart = Date.now();
await new Promise((r) => setTimeout(r, MEASURE_MS));
const bridgeKbPerS = (sessionBytes - bytesAtStart) / 1024 / ((Date.now() - trafficStart) / 1000);
session.close();
console.log(`bridge: ${Math.round(bridgeKbPerS)} KB/s with ${app.snapshot().pulls.length} live pulls`);

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
  console.log(`${expected} pulls on screen; measuring frames for ${MEASURE_MS / 1000} s`);
  const started = Date.now();
  const frames = await measureFrames(page, MEASURE_MS);
  const seconds = (Date.now() - started) / 1000;
  const sorted = [...frames].sort((a, b) => a - b);
  const p95 = quantile(sorted, 0.95);
  // The throughput chart alone (recharts, top-6 nodes + other, 300 points), same load: tells
  // whether the chart or the table/bridge owns the frame budget.
  await page.getByRole('button', { name: 'Throughput' }).click();
  await page.locator('.chart-card .recharts-area').first().waitFor({ timeout: 60_000 });
  const chartFrames = [...(await measureFrames(page, 5_000))].sort((a, b) => a - b);
  const result = {
    p95_frame_ms: Number(p95.toFixed(1)),
    bridge_kb_per_s: Math.round(bridgeKbPerS),
    frames: frames.length,
    median_frame_ms: Number(quantile(sorted, 0.5).toFixed(1)),
    p99_frame_ms: Number(quantile(sorted, 0.99).toFixed(1)),
    max_frame_ms: Number((sorted.at(-1) ?? Number.NaN).toFixed(1)),
    mean_frame_ms: Number((frames.reduce((a, b) => a + b, 0) / Math.max(1, frames.length)).toFixed(1)),
    charts_view_p95_frame_ms: Number(quantile(chartFrames, 0.95).toFixed(1)),
    charts_view_median_frame_ms: Number(quantile(chartFrames, 0.5).toFixed(1)),
    pulls: expected,
    nodes: NODES,
    measured_s: Number(seconds.toFixed(1)),
    note: 'frames measured with rAF in headless Chromium (--disable-gpu, software raster) on a 2-core machine shared with the core process',
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(root, 'bench', 'results', 'ui.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser.close();
  await serve.close();
  await app.close();
}

/** requestAnimationFrame intervals over `ms`, on the page's Performance API clock. */
async function measureFrames(page: Page, ms: number): Promise<number[]> {
  return (await page.evaluate(`new Promise((resolve) => {
    const deltas = [];
    let last = performance.now();
    const end = last + ${ms};
    const step = (now) => {
      deltas.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(step); else resolve(deltas);
    };
    requestAnimationFrame(step);
  })`)) as number[];
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}
