// Real client-node calls against a local HTTP server and real plugin processes, so the error
// shapes are the ones the library really produces, not hand-made imitations.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeKubeError } from './errors.ts';
import { kubeConfigFor } from './kubeconfig-client.ts';
import { mergeKubeconfigs } from './kubeconfig-merge.ts';

let server: http.Server;
let base: string;
let dir: string;
const secret = 'tok-SECRET-42';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-errors-'));
  server = http.createServer((req, res) => {
    const status = Number(/\/status\/(\d+)\//.exec(req.url ?? '')?.[1] ?? 200);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: status, reason: 'Forbidden', message: `pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope (${status})` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(serverUrl: string, user: Record<string, unknown> = { token: secret }): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses http:// unless skipTLSVerify (kubeConfigFor does the same for plain-http clusters).
    clusters: [{ name: 'c', server: serverUrl, skipTLSVerify: serverUrl.startsWith('http:') }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc.makeApiClient(CoreV1Api);
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('describeKubeError on real client-node failures', () => {
  it('401 says the credentials were rejected', async () => {
    const e = describeKubeError(await failure(client(`${base}/status/401`).listNode()));
    expect(e).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(e.message).toMatch(/^not authenticated \(401\)/);
  });

  it('403 carries the server message', async () => {
    const e = describeKubeError(await failure(client(`${base}/status/403`).listNode()));
    expect(e).toEqual({ kind: 'forbidden', status: 403, message: 'forbidden (403): pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope (403)' });
  });

  it('500 is a server error', async () => {
    expect(describeKubeError(await failure(client(`${base}/status/500`).listNode()))).toMatchObject({ kind: 'server', status: 500 });
  });

  it('a closed port is unreachable, naming the server', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const url = `https://127.0.0.1:${port}`;
    expect(describeKubeError(await failure(client(url).listNode()), url)).toEqual({ kind: 'unreachable', message: `server unreachable (${url}): connection refused` });
  });

  it('a missing exec plugin and a failing one are exec-plugin errors without secrets', async () => {
    const missing = describeKubeError(await failure(client(base, { exec: { command: '/nonexistent/kube-plugin', args: [] } }).listNode()));
    expect(missing).toEqual({ kind: 'exec-plugin', message: 'exec credential plugin "/nonexistent/kube-plugin" not found; install it or put its directory on your login shell\'s PATH' });

    const failing = path.join(dir, 'failing-plugin');
    writeFileSync(failing, '#!/bin/sh\necho "error: session expired, run: cloud login" >&2\necho "more help" >&2\nexit 1\n');
    chmodSync(failing, 0o755);
    const failed = describeKubeError(await failure(client(base, { exec: { command: failing, args: [] } }).listNode()));
    expect(failed).toEqual({ kind: 'other', message: 'error: session expired, run: cloud login' });

    const garbage = path.join(dir, 'garbage-plugin');
    writeFileSync(garbage, '#!/bin/sh\necho not-json\n');
    chmodSync(garbage, 0o755);
    expect(describeKubeError(await failure(client(base, { exec: { command: garbage, args: [] } }).listNode())).kind).toBe('exec-plugin');
  });
});

describe('requests through a proxy from the environment', () => {
  it('an http cluster is reached through HTTP_PROXY (a real forwarding proxy sees the request)', async () => {
    const proxied: string[] = [];
    const proxy = http.createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      const target = new URL(req.url ?? '');
      // The made-up host exists only here: the proxy dials the test server for it.
      const upstream = http.request({ host: '127.0.0.1', port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      // The API server must not be on loopback (never proxied): use this machine's name for it.
      const serverUrl = base.replace('127.0.0.1', 'pulltrace-test.invalid');
      const file = path.join(dir, 'config');
      writeFileSync(file, `clusters: [{name: c, cluster: {server: "${serverUrl}/status/403/"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n`);
      const merged = mergeKubeconfigs([{ path: file, state: 'ok', text: readFileSync(file, 'utf8') }]);
      const kc = kubeConfigFor(merged.contexts[0]!, '', { HTTP_PROXY: proxyUrl, NO_PROXY: 'example.com' });
      expect(kc.getCurrentCluster()?.proxyUrl).toBe(proxyUrl);
      const e = describeKubeError(await failure(kc.makeApiClient(CoreV1Api).listNode()));
      // pulltrace-test.invalid resolves nowhere: only the proxy can have answered.
      expect(e).toMatchObject({ kind: 'forbidden', status: 403 });
      expect(proxied).toEqual([expect.stringMatching(/^GET http:\/\/pulltrace-test\.invalid:\d+\/status\/403\/api\/v1\/nodes/)]);
    } finally {
      proxy.close();
    }
  });
});
