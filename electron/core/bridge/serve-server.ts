// Serve mode: the renderer over loopback HTTP and the bridge over a WebSocket, for headless boxes,
// WSL and Playwright. The guards, in order, for every request:
//  - bound to a loopback address unless the caller explicitly allows a remote host;
//  - Host header must name this server (defeats DNS rebinding: a page on evil.com resolving to
//    127.0.0.1 still sends Host: evil.com);
//  - WebSocket upgrades must come from this server's own Origin and carry the random token
//    (compared in constant time), else 403 before any bridge traffic.
// The HTML is served with a strict CSP; static files are confined to the renderer folder.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from './contract.ts';
import { openSession, type CommandHandler } from './session.ts';
import type { CoreStateSource } from './updates.ts';

export interface ServeOptions {
  /** Folder holding the built renderer (index.html + assets). */
  rendererDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required to bind anything but a loopback address. */
  allowRemote?: boolean;
  token?: string;
  appVersion: string;
}

export interface ServeHandle {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** A sender whose socket holds more than this is congested: its deltas merge until it drains. */
const congestedBytes = 1024 * 1024;
const maxCommandBytes = 256 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

export function contentSecurityPolicy(wsOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${wsOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export async function startServe(source: CoreStateSource, handler: CommandHandler, options: ServeOptions): Promise<ServeHandle> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.allowRemote !== true) {
    throw new Error(`refusing to bind ${host}: it is not a loopback address (pass --allow-remote to expose pulltrace to the network)`);
  }
  const token = options.token ?? randomBytes(24).toString('base64url');
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxCommandBytes });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('serve: no TCP address');
  const port = address.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const allowedHosts = new Set([`${urlHost}:${port}`, ...(isLoopback(host) ? [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`] : [])]);
  const allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));

  server.on('request', (req, res) => {
    if (!allowedHosts.has(req.headers.host ?? '')) return refuse(res, 421, 'unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    void serveStatic(options.rendererDir, req, res, `ws://${req.headers.host}`);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, reason: string): void => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!allowedHosts.has(req.headers.host ?? '')) return reject(421, 'Misdirected Request');
    if (!allowedOrigins.has(req.headers.origin ?? '')) return reject(403, 'Forbidden');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/bridge' || !sameToken(url.searchParams.get('token') ?? '', token)) return reject(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  const attach = (ws: WebSocket): void => {
    const send = (message: ServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const session = openSession(source, handler, { kind: 'websocket', send, congested: () => ws.bufferedAmount > congestedBytes }, { appVersion: options.appVersion });
    ws.on('message', (data, isBinary) => {
      let raw: unknown;
      try {
        raw = JSON.parse(isBinary ? '' : data.toString());
      } catch {
        send({ type: 'result', id: -1, result: { ok: false, error: { code: 'invalid-request', message: 'a command must be one JSON text message' } } });
        return;
      }
      void session.receive(raw);
    });
    ws.on('close', () => session.close());
  };

  return {
    url: `http://${urlHost}:${port}/#token=${token}`,
    token,
    port,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${message}\n`);
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, wsOrigin: string): Promise<void> {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.resolve(root, relative);
  if (!file.startsWith(path.resolve(root) + path.sep)) return refuse(res, 404, 'not found');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return refuse(res, 404, pathname === '/' ? `the renderer is not built (${root}/index.html missing): run the build first` : 'not found');
  }
  const type = contentTypes[path.extname(file)] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    'Content-Type': type,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (type.startsWith('text/html')) {
    headers['Content-Security-Policy'] = contentSecurityPolicy(wsOrigin);
    headers['X-Frame-Options'] = 'DENY';
  }
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
