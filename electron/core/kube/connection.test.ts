// ClusterConnection's decisions against a scripted local HTTP server and real plugin processes:
// the 401 retry with a fresh config (a re-run plugin), and a failing exec plugin named as such.
// The real API server is exercised by kube.lab.test.ts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterConnection } from './connection.ts';

let dir: string;
let server: http.Server;
let base: string;
const seenTokens: string[] = [];
let validTokens = new Set(['fresh']);

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-connection-'));
  seenTokens.length = 0;
  validTokens = new Set(['fresh']);
  server = http.createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace('Bearer ', '');
    seenTokens.push(token);
    if (!validTokens.has(token)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end('{"kind":"Status","code":401,"message":"Unauthorized"}');
    }
    res.writeHead(req.url === '/version/' || req.url === '/version' ? 200 : 201, { 'content-type': 'application/json' });
    if (req.url?.startsWith('/version')) return res.end('{"major":"1","minor":"20","gitVersion":"v1.20.2"}');
    res.end('{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{},"status":{"allowed":true}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An exec plugin printing the token named in a file, so a test can "refresh the login". */
function plugin(tokenFile: string): string {
  const file = path.join(dir, 'token-plugin');
  writeFileSync(file, `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat ${tokenFile})"\n`);
  chmodSync(file, 0o755);
  return file;
}

function config(exec: { command: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: base, skipTLSVerify: true }],
    users: [{ name: 'pulltrace/x/u', exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: exec.command, args: [] } }],
    contexts: [{ name: 'x', cluster: 'c', user: 'pulltrace/x/u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('ClusterConnection', () => {
  it('on 401 builds a fresh config (empty token cache, plugin re-run) and retries once', async () => {
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'stale');
    const command = plugin(tokenFile);
    let builds = 0;
    const connection = new ClusterConnection('x', () => {
      builds += 1;
      return config({ command });
    });
    // First the plugin's token works, and client-node caches it (no expirationTimestamp: forever).
    validTokens = new Set(['stale']);
    expect(await connection.check('pulltrace')).toMatchObject({ state: 'connected' });
    expect(builds).toBe(1);
    // Then it is revoked and the user logs in again: only a re-run plugin gets the new token.
    validTokens = new Set(['fresh']);
    writeFileSync(tokenFile, 'fresh');
    seenTokens.length = 0;
    const status = await connection.check('pulltrace');
    expect(status).toMatchObject({ state: 'connected', serverVersion: 'v1.20.2', preflight: { mode: 'install' } });
    expect(builds).toBe(2);
    expect(seenTokens[0]).toBe('stale');
    expect(seenTokens.length).toBeGreaterThan(2);
    expect(seenTokens.slice(1).every((t) => t === 'fresh')).toBe(true);
  });

  it('a 401 that persists is reported as unauthorized after one retry', async () => {
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'revoked');
    const command = plugin(tokenFile);
    const status = await new ClusterConnection('x', () => config({ command })).check('pulltrace');
    expect(status).toMatchObject({ state: 'failed', error: { kind: 'unauthorized', status: 401 } });
    expect(seenTokens).toEqual(['revoked', 'revoked']);
  });

  it('an exec plugin that exits non-zero is named, with the first line of its stderr', async () => {
    const failing = path.join(dir, 'failing');
    writeFileSync(failing, '#!/bin/sh\necho "error: SSO session expired; run aws sso login" >&2\nexit 2\n');
    chmodSync(failing, 0o755);
    const status = await new ClusterConnection('x', () => config({ command: failing })).check('pulltrace');
    expect(status).toMatchObject({ state: 'failed', error: { kind: 'exec-plugin', message: 'exec credential plugin failed: error: SSO session expired; run aws sso login' } });
  });
});
