// The real UI in Debian's Chromium against serve mode with the real core: engines fed by a replay
// recording (a synthetic cluster written in the recording format), no kubeconfig (so the app starts
// the replay demo by itself). Covers: pulls appear, problems stand out, open a pull, filter,
// search, keyboard navigation, CSV export; no CSP violation; screenshots of every main view.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { formatRecordingHeader, formatRecordingLine } from '../replay/recording.ts';
import { syntheticCluster } from './synthetic-cluster.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const shots = path.join(root, 'docs', 'screenshots');
let serve: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';
const consoleProblems: string[] = [];

function recordingDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-ui-'));
  const inputs = syntheticCluster({ nodes: 6, pullsPerNode: 3, durationMs: 120_000, bytesPerSecond: 6 * 1_048_576 });
  const header = { format: 'pulltrace-recording' as const, version: 1 as const, cluster: 'synthetic', recordedAt: inputs[0]?.at ?? 0, source: 'synthetic cluster, 6 nodes × 3 pulls' };
  writeFileSync(path.join(dir, 'synthetic.ndjson'), [formatRecordingHeader(header), ...inputs.map(formatRecordingLine)].join('\n') + '\n');
  return dir;
}

async function startServe(recordings: string): Promise<string> {
  serve = spawn(process.execPath, ['scripts/serve.ts', '--recordings', recordings, '--history-dir', path.join(recordings, 'history')], {
    cwd: root,
    env: { ...process.env, KUBECONFIG: path.join(recordings, 'no-kubeconfig') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not print its URL in 30 s')), 30_000);
    let out = '';
    serve?.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    serve?.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

/** A screenshot for the docs; toasts are dismissed first unless the shot is meant to show them. */
async function shot(name: string, { toasts = false } = {}): Promise<void> {
  if (!toasts) for (const close of await page.getByRole('button', { name: 'Dismiss' }).all()) await close.click();
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}
const rows = () => page.locator('.tbody [role=row]');
/** The core sorts and filters: after a filter change, wait for the window that answers it. */
const settled = () => page.waitForSelector('.table[aria-busy=false]');

beforeAll(async () => {
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
  mkdirSync(shots, { recursive: true });
  url = await startServe(recordingDir());
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, colorScheme: 'light' });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) consoleProblems.push(m.text());
  });
  page.on('pageerror', (e) => consoleProblems.push(e.message));
});

// A failed step leaves its screen behind for the reader of the CI log.
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await page.screenshot({ path: path.join(os.tmpdir(), `pulltrace-ui-failure-${context.task.name.replace(/\W+/g, '-')}.png`) });
});

afterAll(async () => {
  await browser?.close();
  serve?.kill('SIGTERM');
});

describe('pulltrace UI in Chromium (serve mode, replay)', () => {
  it('serves the page with a strict CSP and refuses a page without the token', async () => {
    // A separate page: a later goto that differs only by the #token fragment would not reload.
    const other = await page.context().newPage();
    const bare = await other.goto(url.replace(/#.*/, ''));
    expect(bare?.headers()['content-security-policy']).toContain("script-src 'self'");
    await other.getByText('No access token').waitFor();
    await other.close();
  });

  it('starts the replay demo on its own when there is no kubeconfig, and pulls appear', async () => {
    await page.goto(url);
    await page.waitForSelector('.tbody [role=row]', { timeout: 20_000 });
    await page.waitForFunction("document.querySelectorAll('.tbody [role=row]').length >= 15", undefined, { timeout: 20_000 });
    expect(await rows().count()).toBeGreaterThanOrEqual(15);
    await expect(page.locator('.conn').textContent()).resolves.toContain('1 cluster');
  });

  it('makes stalled and failed pulls stand out and sorts them first', async () => {
    await page.waitForSelector('[role=row][data-state=stalled]', { timeout: 30_000 });
    await page.waitForSelector('[role=row][data-state=failed]');
    const firstTwo = await rows().evaluateAll((els) => els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).slice(0, 2).map((e) => e.getAttribute('data-state')));
    expect(firstTwo).toEqual(['failed', 'stalled']);
    expect(await page.locator('[role=row][data-state=failed]').first().getAttribute('class')).toContain('problem-failed');
    await page.waitForFunction("document.querySelectorAll('.tbody [role=row][data-state=downloading]').length >= 3", undefined, { timeout: 20_000 });
    await shot('pulls', { toasts: true });
  });

  it('opens a pull: layers, phases, pods; Esc goes back', async () => {
    // The downloading pull furthest from done, so the detail shows it moving for a while.
    const downloading = page.locator('[role=row][data-state=downloading]');
    const progress = await downloading.evaluateAll((els) => els.map((e) => Number(e.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow'))));
    await downloading.nth(progress.indexOf(Math.min(...progress))).locator('.c-image button').click();
    await page.getByRole('heading', { name: /^Layers \(\d+\)/ }).waitFor();
    expect(await page.locator('table.layers tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.timeline li.reached').count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator('table.pods tbody tr').first().textContent()).resolves.toMatch(/Deployment\//);
    await page.waitForSelector('.chart-small svg', { timeout: 10_000 });
    await page.waitForTimeout(3_000); // a few more rate samples for the screenshot
    await shot('pull-detail');
    await page.keyboard.press('Escape');
    await page.locator('.tbody').waitFor();
  });

  it('shows the failure reason of a failed pull', async () => {
    await page.locator('[role=row][data-state=failed] .c-image button').first().click();
    await expect(page.locator('.callout-error').textContent()).resolves.toMatch(/auth.*401 Unauthorized/);
    await page.keyboard.press('Escape');
  });

  it('filters by state, node and search', async () => {
    await page.getByLabel('State').selectOption('problems');
    await settled();
    const states = await rows().evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(new Set(states)).toEqual(new Set(['failed', 'stalled']));
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Node').selectOption('node-003');
    await settled();
    expect(await rows().evaluateAll((els) => els.map((e) => e.querySelector('.c-node')?.textContent))).toEqual(['node-003', 'node-003', 'node-003']);
    await page.getByLabel('Node').selectOption('');
    await page.keyboard.press('/');
    await page.keyboard.type('billing');
    await settled();
    await page.waitForFunction("[...document.querySelectorAll('.tbody [role=row]')].every((r) => r.textContent.includes('billing'))");
    expect(await rows().count()).toBeGreaterThanOrEqual(1);
    await page.getByLabel('Search pulls').fill('');
    // Cleared: every pull is back.
    await expect.poll(() => rows().count(), { timeout: 10_000, interval: 250 }).toBeGreaterThanOrEqual(15);
  });

  it('navigates the table with the keyboard (j/k, Enter, Esc)', async () => {
    await page.locator('.table').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await page.locator('[role=row][aria-selected=true]').count()).toBe(1);
    await page.keyboard.press('Enter');
    await page.locator('section.detail').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.table').waitFor();
  });

  it('draws the throughput chart stacked per node, and the nodes view', async () => {
    await page.keyboard.press('3');
    await page.waitForSelector('.chart-card .recharts-area', { timeout: 20_000 });
    expect(await page.locator('.chart-card .recharts-area').count()).toBeGreaterThanOrEqual(2);
    await shot('charts');
    await page.keyboard.press('4');
    await page.locator('.node-card').first().waitFor();
    expect(await page.locator('.node-card').count()).toBe(6);
    await shot('nodes');
  });

  it('exports history to CSV', async () => {
    await page.keyboard.press('5');
    // Pulls finish within about a minute of replay; wait for the first one in history.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return page.locator('table.history-table tbody tr').count();
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBeGreaterThanOrEqual(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const file = await download.path();
    const csv = readFileSync(file, 'utf8').trim().split('\n');
    // The persistent history store's CSV (electron/core/history/csv.ts), not a UI-side rendering.
    expect(csv[0]).toMatch(/^finished_at,cluster,context,node,image,/);
    expect(csv.length).toBeGreaterThanOrEqual(2);
    expect(csv[1]).toContain('demo:synthetic');
    expect(download.suggestedFilename()).toMatch(/^pulltrace-history-.*\.csv$/);
    await page.getByRole('status').filter({ hasText: 'Exported' }).waitFor();
    await shot('history');
  });

  it('shows the clusters view with the demo and the kubeconfig explanation; dark theme follows the OS', async () => {
    await page.keyboard.press('1');
    await page.locator('.cluster-card').first().waitFor();
    await page.getByText(/No context found/).waitFor();
    await shot('clusters');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.keyboard.press('2');
    await page.locator('.tbody [role=row]').first().waitFor();
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(15, 17, 21)');
    await shot('pulls-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('logged no console error and no CSP violation', () => {
    expect(consoleProblems).toEqual([]);
  });
});
