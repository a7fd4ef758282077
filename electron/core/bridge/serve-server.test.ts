import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerMessage } from './contract.ts';
import { isLoopback, startServe, type ServeHandle } from './serve-server.ts';
import type { CoreStateSource } from './updates.ts';

const source: CoreStateSource = {
  snapshot: () => ({ at: 1, clusters: [], pulls: [], nodes: [], series: [], settings: { notifications: { failed: true, stalled: true, finished: false }, demoSpeed: 1 } }),
  subscribe: () => () => {},
  pullDetail: () => undefined,
};
const handler = { handle: async () => ({ ok: true as const, value: { cluster: 'demo:lab' } }) };

const rendererDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-serve-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  return dir;
};

let serve: ServeHandle | undefined;
afterEach(async () => {
  await serve?.close();
  serve = undefined;
});

/** Opens a WebSocket and resolves with the HTTP status of a refused upgrade, or the socket. */
function connect(url: string, headers: Record<string, string>): Promise<{ status: number } | { ws: WebSocket; inbox: ServerMessage[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    // Collect from the start: the server speaks first, possibly in the same packet as the upgrade.
    const inbox: ServerMessage[] = [];
    ws.on('message', (data) => inbox.push(JSON.parse(data.toString()) as ServerMessage));
    ws.once('open', () => resolve({ ws, inbox }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

function httpGet(port: number, pathName: string, host: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathName, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(inbox: ServerMessage[], count: number): Promise<ServerMessage[]> {
  while (inbox.length < count) await new Promise((r) => setTimeout(r, 10));
  return inbox.splice(0, count);
}

describe('serve mode server', () => {
  it('refuses to bind a non-loopback address unless allowed explicitly', async () => {
    await expect(startServe(source, handler, { rendererDir: rendererDir(), host: '0.0.0.0', appVersion: 't' })).rejects.toThrow(/allow-remote/);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('localhost.evil.com')).toBe(false);
  });

  it('serves the HTML with a strict CSP, and refuses a foreign Host header', async () => {
    serve = await startServe(source, handler, { rendererDir: rendererDir(), appVersion: 't' });
    const ok = await httpGet(serve.port, '/', `127.0.0.1:${serve.port}`);
    expect(ok.status).toBe(200);
    expect(String(ok.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(ok.headers['content-security-policy'])).toContain("default-src 'none'");
    expect((await httpGet(serve.port, '/', `evil.example:${serve.port}`)).status).toBe(421);
    expect((await httpGet(serve.port, '/../../etc/passwd', `127.0.0.1:${serve.port}`)).status).toBe(404);
  });

  it('refuses a WebSocket with a wrong token, wrong Host or wrong Origin', async () => {
    serve = await startServe(source, handler, { rendererDir: rendererDir(), appVersion: 't' });
    const base = `ws://127.0.0.1:${serve.port}/bridge`;
    const origin = `http://127.0.0.1:${serve.port}`;
    expect(await connect(`${base}?token=wrong`, { Origin: origin })).toEqual({ status: 403 });
    expect(await connect(`${base}`, { Origin: origin })).toEqual({ status: 403 });
    expect(await connect(`${base}?token=${serve.token}`, { Origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await connect(`${base}?token=${serve.token}`, { Origin: origin, Host: 'evil.example' })).toEqual({ status: 421 });
    const good = await connect(`${base}?token=${serve.token}`, { Origin: origin });
    expect('ws' in good).toBe(true);
    if ('ws' in good) good.ws.close();
  });

  it('sends hello + snapshot, and answers bad payloads with a clear error', async () => {
    serve = await startServe(source, handler, { rendererDir: rendererDir(), appVersion: 't' });
    const opened = await connect(`ws://127.0.0.1:${serve.port}/bridge?token=${serve.token}`, { Origin: `http://localhost:${serve.port}` });
    if (!('ws' in opened)) throw new Error(`refused: ${opened.status}`);
    const { ws, inbox } = opened;
    expect((await waitFor(inbox, 2)).map((m) => m.type)).toEqual(['hello', 'snapshot']);
    ws.send('{not json');
    ws.send(JSON.stringify({ id: 4, command: { type: 'agent.apply', cluster: 'x', action: 'explode', hash: 'h' } }));
    ws.send(JSON.stringify({ id: 5, command: { type: 'demo.start' } }));
    const [notJson, badAction, good] = await waitFor(inbox, 3);
    expect(notJson).toMatchObject({ type: 'result', id: -1, result: { ok: false, error: { code: 'invalid-request', message: expect.stringContaining('JSON') } } });
    expect(badAction).toMatchObject({ type: 'result', id: 4, result: { ok: false, error: { code: 'invalid-request', message: expect.stringContaining('command.action') } } });
    expect(good).toEqual({ type: 'result', id: 5, result: { ok: true, value: { cluster: 'demo:lab' } } });
    ws.close();
  });
});
