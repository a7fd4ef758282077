// The connector with the real kube layer and client-node against a closed local port: no lab is
// needed to prove that a refused cluster becomes a clear error and the app shows it on the card.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreUpdate } from '../bridge/updates.ts';
import { createApp, type App } from './app.ts';
import { kubeconfigContexts } from './kube-contexts.ts';
import { kubeConnector } from './kube-connector.ts';
import { agentInstaller } from './agent-installer.ts';

/** A local port nobody listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function kubeconfig(port = 1): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-kc-'));
  const file = path.join(dir, 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: closed',
      'clusters:',
      '- name: closed',
      `  cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true }`,
      'users:',
      '- name: u',
      '  user: { token: not-a-real-token }',
      '- name: exec-user',
      '  user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: no-such-plugin-binary } }',
      'contexts:',
      '- name: closed',
      '  context: { cluster: closed, user: u }',
      '- name: broken',
      '  context: { cluster: closed, user: exec-user }',
    ].join('\n'),
  );
  return { ...process.env, KUBECONFIG: file };
}

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('kube connector', () => {
  it('lists contexts with the current one marked and broken ones explained', () => {
    const list = kubeconfigContexts(kubeconfig()).listContexts();
    expect(list.current).toBe('closed');
    expect(list.contexts.map((c) => [c.name, c.current])).toEqual([['closed', true], ['broken', false]]);
    expect(list.contexts[1]?.problems.join(' ')).toMatch(/no-such-plugin-binary/);
    expect(JSON.stringify(list)).not.toContain('not-a-real-token');
  });

  it('answers a refused API server with a clear error and leaves no cluster behind', async () => {
    const env = kubeconfig(await closedPort());
    app = createApp({ contexts: kubeconfigContexts(env), connector: kubeConnector(env), drainEveryMs: 60_000 });
    const updates: CoreUpdate[] = [];
    app.subscribe((u) => updates.push(u));
    const result = await app.handle({ type: 'context.connect', context: 'closed' });
    expect(result).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringMatching(/unreachable.*connection refused/) } });
    expect(updates.map((u) => u.kind)).toEqual(['cluster', 'cluster.removed']);
    expect(app.snapshot().clusters).toEqual([]);
  });

  it('agent install preview: a missing context is not-found, a refused server a clear failure', async () => {
    const env = kubeconfig(await closedPort());
    const installer = agentInstaller({ agentDir: os.tmpdir(), version: '0.1.0', env });
    await expect(installer.preview('nope', 'install')).rejects.toMatchObject({ code: 'not-found' });
    await expect(installer.preview('closed', 'install')).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/unreachable.*connection refused/) });
  });
});
