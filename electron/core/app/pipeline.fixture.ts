// Test-only set-up for the end-to-end lab tests (pipeline.lab.test.ts; faults*.lab.test.ts may
// import it read-only): the real app in serve mode against the kube lab's single-node cluster,
// driven in Chromium the way a user drives it, plus ground truth read from the lab itself (the
// throttle proxy's log, the node's containerd). Nothing in the product imports this.
//
//   const lab = await startPipeline('pulltrace-e2e');  // serve + Chromium, lab-admin connected,
//                                                      // agent installed through the UI
//   await lab.reset();                                 // between cases: pods, images, proxy
//   await proxyRules([{ match: …, action: 'rate', rate: '4MB', times: 1 }]);
//   runPod(lab.namespace, 'p1', image);
//   const row = pullRow(lab.page, image, 'downloading'); await readRow(row);
//   const csv = await exportHistoryCsv(lab.page);       // through the History view's button
//   await lab.close();
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { z } from 'zod';
import { buildAgent } from '../../../scripts/build-agent.ts';
import { freshNamespace, kubectl, labDir, labKubeconfig, labScript, labSocket, removeLeftoverContainers, requireLab, waitFor } from '../kube/lab.fixture.ts';

export const root = path.resolve(import.meta.dirname, '../../..');
export const proxyControl = 'http://127.0.0.1:5001/_lab';
export const screenshotDir = path.join(root, 'docs', 'screenshots');
/** The namespace the app's installer uses (kube-connector's DEFAULT_AGENT_NAMESPACE). */
const agentNamespace = 'pulltrace';
const containerdLabDir = path.resolve(labDir, '..', 'containerd');

export interface Pipeline {
  page: Page;
  /** The namespace test pods go into (deleted on close). */
  namespace: string;
  /** Force-deletes the test pods, removes the lab images from the node, resets the proxy. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The app's installer deploys `node:24-slim`, as on a stock cluster; the lab node has no network,
 * so it gets the lab's Node 24 runtime image under that name. Its containerd socket is not at a
 * preset path: the install picks it in the clusters view, as a user of such a node does.
 */
function prepareNodeForDefaultInstall(): void {
  execFileSync('bash', [path.join(labDir, 'kubelet-up.sh')], { stdio: 'pipe', timeout: 120_000 });
  execFileSync('ctr', ['-a', labSocket, '-n', 'k8s.io', 'images', 'tag', '--force', 'lab.local/node:24', 'docker.io/library/node:24-slim'], { stdio: 'pipe', timeout: 30_000 });
}

/** Serve mode (scratch history) + Chromium, lab-admin connected and the agent installed through
 * the clusters view's preview → apply, proven by a first pull arriving over the agent stream. */
export async function startPipeline(namespacePrefix: string): Promise<Pipeline> {
  requireLab({ kubelet: true });
  prepareNodeForDefaultInstall();
  // A leftover install (an earlier run) would turn "install" into "upgrade": start from nothing.
  await removeAgentNamespace();
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 300_000 });
  await buildAgent(path.join(root, 'out', 'agent'));

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-e2e-'));
  const serve = spawn(process.execPath, ['scripts/serve.ts', '--recordings', scratch, '--history-dir', path.join(scratch, 'history')], {
    cwd: root,
    env: { ...process.env, KUBECONFIG: labKubeconfig },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let browser: Browser | undefined;
  const namespace = await freshNamespace(namespacePrefix);
  const close = async (): Promise<void> => {
    await browser?.close();
    serve.kill('SIGTERM');
    kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
    kubectl(['delete', 'namespace', agentNamespace, '--ignore-not-found', '--wait=false']);
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const url = await serveUrl(serve);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, colorScheme: 'light' });
    const page = await context.newPage();
    await page.goto(url);
    await connectAndInstall(page);
    const pipeline: Pipeline = { page, namespace, reset: async () => resetNode(namespace), close };
    await pipeline.reset();
    await warmUp(pipeline);
    await pipeline.reset();
    return pipeline;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Deletes the agent's namespace and waits until it is gone; kubelet 1.20 sometimes never
 * confirms a pod's end (the namespace then stays Terminating): its pods are force-deleted. */
async function removeAgentNamespace(): Promise<void> {
  kubectl(['delete', 'namespace', agentNamespace, '--ignore-not-found', '--wait=false']);
  const gone = (): true | undefined => (kubectl(['get', 'namespace', agentNamespace, '--ignore-not-found', '-o', 'name']) === '' ? true : undefined);
  try {
    await waitFor(`namespace ${agentNamespace} deleted`, gone, 30_000, 1_000);
  } catch {
    kubectl(['-n', agentNamespace, 'delete', 'pods', '--all', '--force', '--grace-period=0', '--ignore-not-found']);
    await waitFor(`namespace ${agentNamespace} deleted (pods forced)`, gone, 120_000, 1_000);
  }
}

function serveUrl(serve: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('serve mode printed no URL within 30 s')), 30_000);
    serve.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

export function clusterCard(page: Page): Locator {
  return page.getByRole('article', { name: 'Cluster lab-admin' });
}

async function connectAndInstall(page: Page): Promise<void> {
  await page.getByRole('radiogroup', { name: 'Contexts' }).waitFor({ timeout: 20_000 });
  await page.getByRole('radio', { name: /lab-admin/ }).check();
  await page.getByRole('button', { name: 'Connect lab-admin' }).click();
  const card = clusterCard(page);
  await card.locator('.badge-connected').waitFor({ timeout: 30_000 });
  await card.getByRole('button', { name: /agent…$/ }).first().click();
  const manifest = card.locator('pre.manifest');
  await manifest.waitFor({ timeout: 30_000 });
  await card.getByRole('combobox', { name: 'containerd socket' }).selectOption('custom');
  await card.getByRole('textbox', { name: 'Socket path' }).fill(labSocket);
  await card.getByRole('button', { name: 'Use this path' }).click();
  await manifest.filter({ hasText: `path: ${path.dirname(labSocket)}\n` }).waitFor({ timeout: 30_000 });
  const yaml = (await manifest.textContent()) ?? '';
  if (!yaml.includes('kind: DaemonSet')) throw new Error(`the install preview shows no DaemonSet:\n${yaml.slice(0, 500)}`);
  await card.getByRole('button', { name: 'Apply exactly this' }).click();
  await card.getByRole('status').filter({ hasText: /install done|upgrade done/ }).waitFor({ timeout: 60_000 });
  await waitFor(
    'the agent pod Running',
    () => kubectl(['-n', agentNamespace, 'get', 'pods', '-o', 'jsonpath={.items[*].status.phase}']).split(' ').includes('Running') || undefined,
    120_000,
    500,
  );
}

/** A first pull, unthrottled: opens the agent stream (streams open lazily) and proves the path. */
async function warmUp(pipeline: Pipeline): Promise<void> {
  const image = '127.0.0.1:5001/lab/small:v1';
  runPod(pipeline.namespace, 'warm-up', image);
  await showPulls(pipeline.page);
  await pullRow(pipeline.page, image, 'done').waitFor({ timeout: 90_000 });
  await clusterCardText(pipeline.page, /Agent streams: 1\/1 nodes connected/);
}

async function clusterCardText(page: Page, text: RegExp): Promise<void> {
  await showView(page, 'Clusters');
  await clusterCard(page).getByText(text).waitFor({ timeout: 30_000 });
}

/** Pods go first, gracefully (a force-deleted pod's container can still be restarted by the
 * kubelet, which then pulls its image again behind the reset's back); then node-reset.sh, and the
 * deleted pods' containers, which the kubelet removes only at its next container GC: while one
 * exists, its image's unpacked snapshot makes the next pull of the image skip its layers. */
export async function resetNode(namespace: string): Promise<void> {
  try {
    kubectl(['-n', namespace, 'delete', 'pods', '--all', '--wait=true', '--timeout=30s']);
  } catch {
    // kubelet 1.20 is sometimes slow to confirm a pod stuck in image pull back-off: force it.
  }
  labScript('node-reset.sh', ['--pods', namespace]);
  // Only now are the pods gone from the API: their containers' snapshots must go too (see below).
  if (removeLeftoverContainers().length > 0) labScript('node-reset.sh', []);
}

export async function showView(page: Page, label: 'Clusters' | 'Pulls' | 'Throughput' | 'Nodes' | 'History'): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: label, exact: false }).first().click();
}

/** The live pulls table (leaves an open pull detail first). */
export async function showPulls(page: Page): Promise<void> {
  await showView(page, 'Pulls');
  const back = page.getByRole('button', { name: 'Back to pulls' });
  if (await back.count()) await back.click();
  await page.getByRole('grid', { name: 'Pulls table' }).waitFor({ timeout: 10_000 });
}

/** A pod on the lab node; its container starts or fails, the pull is what counts. Never restarted:
 * most lab images cannot run, and each restart would be one more (cached) pull. */
export function runPod(namespace: string, name: string, image: string, pullPolicy: 'Always' | 'IfNotPresent' = 'IfNotPresent'): void {
  kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeSelector: { 'lab-kube/kubelet': 'true' }, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image, imagePullPolicy: pullPolicy }] },
  }));
}

// ------------------------------------------------------------------ the throttle proxy (ground truth)

export interface ProxyRule {
  match: { repo?: string; kind?: 'blob' | 'manifest' | 'ping' | 'other'; digest?: string; ref?: string; method?: string };
  action: 'stall' | 'drop' | 'corrupt' | 'status' | 'delay' | 'rate';
  times: number;
  [param: string]: unknown;
}

export async function proxyRules(rules: ProxyRule[]): Promise<void> {
  const res = await fetch(`${proxyControl}/rules`, { method: 'POST', body: JSON.stringify(rules) });
  if (!res.ok) throw new Error(`proxy rules refused: ${res.status} ${await res.text()}`);
}

const proxyEventSchema = z.looseObject({
  seq: z.number(),
  t: z.string(),
  event: z.string(),
  kind: z.string().optional(),
  repo: z.string().optional(),
  url: z.string().optional(),
  range: z.string().optional(),
  status: z.number().optional(),
  bytes: z.number().optional(),
  offset0: z.number().optional(),
  at: z.number().optional(),
});
export type ProxyEvent = z.infer<typeof proxyEventSchema> & { atMs: number };

export async function proxyLog(): Promise<ProxyEvent[]> {
  const res = await fetch(`${proxyControl}/log`);
  const body: unknown = await res.json();
  const events = z.union([z.array(proxyEventSchema), z.object({ events: z.array(proxyEventSchema) }).transform((o) => o.events)]).parse(body);
  return events.map((e) => ({ ...e, atMs: Date.parse(e.t) }));
}

// ------------------------------------------------------------------ the lab's test images (ground truth)

const labImagesFile = path.join(process.env.LAB_CTR_HOME ?? '/var/lib/lab-containerd', 'images.json');
const descriptorSchema = z.object({ digest: z.string(), size: z.number() });
const labImagesSchema = z.array(
  z.object({
    repo: z.string(),
    manifests: z.array(z.object({ platform: z.object({ architecture: z.string() }), config: descriptorSchema, layers: z.array(descriptorSchema.extend({ key: z.string() })) })),
  }),
);

export interface LabImage {
  layers: { key: string; digest: string; size: number }[];
  configBytes: number;
  /** Layers + config: what a cold pull downloads (manifests are not counted as bytes). */
  bytes: number;
}

/** A test image's linux/amd64 blobs, from the containerd lab's catalogue (images.json). */
export function labImage(repo: string): LabImage {
  const entry = labImagesSchema.parse(JSON.parse(readFileSync(labImagesFile, 'utf8'))).find((i) => i.repo === repo);
  const manifest = entry?.manifests.find((m) => m.platform.architecture === 'amd64');
  if (!manifest) throw new Error(`${repo} (linux/amd64) is not in ${labImagesFile}`);
  const layerBytes = manifest.layers.reduce((sum, l) => sum + l.size, 0);
  return { layers: manifest.layers, configBytes: manifest.config.size, bytes: layerBytes + manifest.config.size };
}

// ------------------------------------------------------------------ the node's containerd (ground truth)

const statusSchema = z.object({
  ref: z.string(),
  offset: z.number(),
  total: z.number(),
  updated_at: z.object({ seconds: z.number(), nanos: z.number() }).nullable().optional(),
});
export type IngestStatus = { ref: string; offset: number; total: number; updatedAtMs: number };

/** `Content/ListStatuses` on the lab node's containerd socket, with the lab's own protos. */
export function ingestReader(): { list(): Promise<IngestStatus[]>; close(): void } {
  const definition = protoLoader.loadSync(['containerd/content.proto'], { keepCase: true, longs: Number, defaults: true, includeDirs: [path.join(containerdLabDir, 'proto')] });
  const loaded = grpc.loadPackageDefinition(definition);
  const Content = z.custom<grpc.ServiceClientConstructor>((v) => typeof v === 'function').parse(
    (loaded as unknown as { containerd: { services: { content: { v1: { Content: unknown } } } } }).containerd.services.content.v1.Content,
  );
  const client = new Content(`unix://${labSocket}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('containerd-namespace', 'k8s.io');
  const listStatuses = z.custom<(req: object, md: grpc.Metadata, cb: (err: Error | null, res: unknown) => void) => void>((v) => typeof v === 'function').parse(client['ListStatuses']);
  return {
    list: () =>
      new Promise((resolve, reject) => {
        listStatuses.call(client, { filters: [] }, metadata, (err, res) => {
          if (err) return reject(err);
          const statuses = z.object({ statuses: z.array(statusSchema) }).parse(res).statuses;
          resolve(statuses.map((s) => ({ ref: s.ref, offset: s.offset, total: s.total, updatedAtMs: s.updated_at ? s.updated_at.seconds * 1000 + Math.round(s.updated_at.nanos / 1e6) : 0 })));
        });
      }),
    close: () => client.close(),
  };
}

// ------------------------------------------------------------------ what the user sees

export type ShownState = string;

/** The rows of the live pulls table for this image (in a given state: earlier attempts stay listed). */
export function pullRows(page: Page, image: string, state?: ShownState): Locator {
  const rows = page.getByRole('grid', { name: 'Pulls table' }).getByRole('row').filter({ has: page.getByRole('button', { name: image, exact: true }) });
  return state === undefined ? rows : rows.and(page.locator(`[data-state="${state}"]`));
}

export function pullRow(page: Page, image: string, state?: ShownState): Locator {
  return pullRows(page, image, state).first();
}

export interface RowText {
  state: string;
  /** The progress cell as shown: "12.3 MB / 52.4 MB", or the failure reason. */
  progress: string;
  rate: string;
  pods: string;
  /** The progress cell's tooltip: the failure "reason: message" for a failed pull. */
  tooltip: string;
}

export async function readRow(row: Locator): Promise<RowText> {
  return row.evaluate((el) => ({
    state: el.querySelector('.c-state')?.textContent ?? '',
    progress: el.querySelector('.c-progress')?.textContent ?? '',
    rate: el.querySelector('.c-rate')?.textContent ?? '',
    pods: el.querySelector('.c-pods')?.textContent ?? '',
    tooltip: el.querySelector('.c-progress')?.getAttribute('title') ?? '',
  }));
}

/** "12.3 MB / 52.4 MB" (or "… of …") → both numbers; an unknown total ("?") is NaN. */
export function parseShownPair(text: string): { done: number; total: number } {
  const match = /([\d.]+\s*(?:B|KB|MB|GB|TB))\s*(?:\/|of)\s*(≥\s*)?([\d.]+\s*(?:B|KB|MB|GB|TB)|\?)/.exec(text);
  if (!match?.[1] || !match[3]) return { done: Number.NaN, total: Number.NaN };
  return { done: parseShownBytes(match[1]), total: match[3] === '?' ? Number.NaN : parseShownBytes(match[3]) };
}

const unitFactor: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
/** "4.0 MB" → 4e6, "4.0 MB/s" → 4e6, "—" → 0 (the UI's formatBytes / formatRate). */
export function parseShownBytes(text: string): number {
  const match = /(-?[\d.]+)\s*(B|KB|MB|GB|TB)/.exec(text);
  if (!match?.[1] || !match[2]) return 0;
  return Number(match[1]) * (unitFactor[match[2]] ?? Number.NaN);
}

/**
 * Records, in the page, every change of what the user sees for these images: their table rows and
 * an open detail, each with the page's Date.now() (same clock as the test). A MutationObserver, so
 * a value that was on screen for one frame is still seen.
 */
export async function startScreenRecorder(page: Page, images: string[]): Promise<void> {
  await page.evaluate(`(() => {
    const images = ${JSON.stringify(images)};
    const last = new Map();
    const samples = [];
    const text = (el, sel) => (el.querySelector(sel)?.textContent ?? '').trim();
    const record = () => {
      const t = Date.now();
      for (const button of document.querySelectorAll('[role=row] .c-image button')) {
        const image = button.textContent;
        if (!images.includes(image)) continue;
        const row = button.closest('[role=row]');
        const s = { where: 'row', image, state: row.getAttribute('data-state') ?? '', rate: text(row, '.c-rate'), progress: text(row, '.c-progress'), bytes: text(row, '.c-progress') + ' ' + (row.querySelector('.c-progress')?.getAttribute('title') ?? ''), pods: text(row, '.c-pods') };
        const key = 'row:' + image + ':' + s.state;
        const sig = JSON.stringify(s);
        if (last.get(key) !== sig) { last.set(key, sig); samples.push({ t, ...s }); }
      }
      const detail = document.querySelector('section.detail');
      const image = detail?.getAttribute('aria-label')?.replace(/^Pull /, '');
      if (detail && images.includes(image)) {
        const stat = (label) => [...detail.querySelectorAll('.stat')].find((s) => text(s, '.stat-label') === label);
        const s = { where: 'detail', image, state: text(detail, '.detail-head .badge'), rate: stat('Rate') ? text(stat('Rate'), '.stat-value') : '', progress: '', bytes: stat('Downloaded') ? text(stat('Downloaded'), '.stat-value') : '', pods: '' };
        const sig = JSON.stringify(s);
        if (last.get('detail') !== sig) { last.set('detail', sig); samples.push({ t, ...s }); }
      }
    };
    const observer = new MutationObserver(record);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    record();
    window.__pulltraceRecorder = { samples, stop: () => observer.disconnect() };
  })()`);
}

export interface ScreenSample {
  t: number;
  where: 'row' | 'detail';
  image: string;
  state: string;
  rate: string;
  progress: string;
  /** Row: the progress cell's text and tooltip; detail: the "Downloaded" value. */
  bytes: string;
  pods: string;
}

export async function stopScreenRecorder(page: Page): Promise<ScreenSample[]> {
  const raw = await page.evaluate(`(() => { const r = window.__pulltraceRecorder; r.stop(); return r.samples; })()`);
  return z.array(z.object({ t: z.number(), where: z.enum(['row', 'detail']), image: z.string(), state: z.string(), rate: z.string(), progress: z.string(), bytes: z.string(), pods: z.string() })).parse(raw);
}

// ------------------------------------------------------------------ history CSV

const csvRecordSchema = z.record(z.string(), z.string());
export type CsvRecord = z.infer<typeof csvRecordSchema>;

/** The History view's "Export CSV" button (a browser download in serve mode), parsed with csv-parse. */
export async function exportHistoryCsv(page: Page): Promise<CsvRecord[]> {
  await showView(page, 'History');
  await page.getByRole('button', { name: 'Refresh' }).click();
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const file = await download.path();
  const records: unknown = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true });
  return z.array(csvRecordSchema).parse(records);
}

/** kubelet's "Successfully pulled image "IMAGE" in 13.2s" for the pods of a namespace, in seconds. */
export function kubeletPulledSeconds(namespace: string, pod: string): number | undefined {
  const messages = kubectl(['-n', namespace, 'get', 'events', '--field-selector', `involvedObject.name=${pod},reason=Pulled`, '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
  const match = /Successfully pulled image "[^"]+" in ([\d.]+)(ms|s)/.exec(messages);
  if (!match?.[1]) return undefined;
  return match[2] === 'ms' ? Number(match[1]) / 1000 : Number(match[1]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `e2e-${name}.png`) });
}
