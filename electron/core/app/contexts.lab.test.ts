// "Pick a context" for real: serve mode with the kube lab's kubeconfig (a real kube-apiserver with
// an admin context and a read-only context that gets 403s), driven in Chromium. The current
// context is preselected; connecting the admin context runs the RBAC preflight and shows the
// cluster connected; the read-only context connects but says exactly which permissions it lacks.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { labKubeconfig, requireLab } from '../kube/lab.fixture.ts';
import { buildAgent } from '../../../scripts/build-agent.ts';

const root = path.resolve(import.meta.dirname, '../../..');
let serve: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  requireLab();
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
  // serve mode installs the bundle from out/agent: the install preview below needs it there
  await buildAgent(path.join(root, 'out', 'agent'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-lab-ui-'));
  serve = spawn(process.execPath, ['scripts/serve.ts', '--recordings', scratch, '--history-dir', path.join(scratch, 'history')], {
    cwd: root,
    env: { ...process.env, KUBECONFIG: labKubeconfig },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    serve?.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    serve?.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
});

afterAll(async () => {
  await browser?.close();
  serve?.kill('SIGTERM');
});

describe('clusters view against the kube lab', () => {
  it('lists the lab contexts with the current one preselected', async () => {
    await page.getByRole('radiogroup', { name: 'Contexts' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('radio', { name: /lab-admin/ }).isChecked()).toBe(true);
    expect(await page.getByRole('radio', { name: /lab-readonly/ }).isChecked()).toBe(false);
    await expect(page.locator('.context.chosen .pill').textContent()).resolves.toBe('current');
  });

  it('connects the admin context: RBAC preflight passes, the cluster is connected', async () => {
    await page.getByRole('button', { name: 'Connect lab-admin' }).click();
    const card = page.getByRole('article', { name: 'Cluster lab-admin' });
    await card.locator('.badge-connected').waitFor({ timeout: 30_000 });
    await expect(card.textContent()).resolves.toMatch(/Kubernetes v1\./);
    expect(await card.getByRole('list', { name: 'Missing permissions' }).count()).toBe(0);
  });

  it('connects the read-only context and names exactly what it may not do', async () => {
    await page.getByRole('radio', { name: /lab-readonly/ }).check();
    await page.getByRole('button', { name: 'Connect lab-readonly' }).click();
    const card = page.getByRole('article', { name: 'Cluster lab-readonly' });
    await card.locator('details.missing summary').waitFor({ timeout: 30_000 });
    await expect(card.locator('details.missing summary').textContent()).resolves.toMatch(/\d+ missing permissions \(events, agent, install\)/);
    await card.locator('details.missing summary').click();
    const missing = card.getByRole('list', { name: 'Missing permissions' });
    await expect(missing.textContent()).resolves.toMatch(/cannot (list|watch) events/);
    await page.screenshot({ path: path.join(root, 'docs', 'screenshots', 'clusters-lab.png') });
  });

  it('previews the agent install manifests before anything is applied', async () => {
    const card = page.getByRole('article', { name: 'Cluster lab-admin' });
    await card.getByRole('button', { name: 'Install or upgrade agent…' }).click();
    const manifest = card.locator('pre.manifest');
    await manifest.waitFor({ timeout: 30_000 });
    const yaml = (await manifest.textContent()) ?? '';
    expect(yaml).toContain('kind: DaemonSet');
    expect(yaml).toMatch(/<agent bundle, \d+ bytes, sha256 [0-9a-f]{64}>/);
    // The socket's directory is mounted; a preset or a path of the user's previews anew.
    expect(yaml).toMatch(/path: \/run\/containerd\n\s+type: Directory/);
    const socket = card.getByRole('combobox', { name: 'containerd socket' });
    await socket.selectOption('k3s');
    await manifest.filter({ hasText: 'path: /run/k3s/containerd\n' }).waitFor({ timeout: 30_000 });
    await socket.selectOption('custom');
    await card.getByRole('textbox', { name: 'Socket path' }).fill('containerd.sock');
    await card.getByRole('button', { name: 'Use this path' }).click();
    await expect(card.locator('.socket-choice').getByRole('alert').textContent()).resolves.toContain('an absolute path');
    await card.getByRole('textbox', { name: 'Socket path' }).fill('/var/lib/rancher/k8s.sock');
    await card.getByRole('button', { name: 'Use this path' }).click();
    await manifest.filter({ hasText: 'path: /var/lib/rancher\n' }).waitFor({ timeout: 30_000 });
    expect(await manifest.textContent()).toContain('value: /run/pulltrace/containerd/k8s.sock');
    await card.getByRole('button', { name: 'Apply exactly this' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(root, 'docs', 'screenshots', 'install-preview.png') });
    // Nothing is applied here: the kube layer's own lab tests apply and uninstall.
    await card.getByRole('button', { name: 'Cancel' }).click();
  });
});
