// LocalPortForward with the real client-node PortForward against a stand-in for the API server's
// port-forward endpoint: a `ws` WebSocket server speaking the channel protocol (each message starts
// with its channel byte; the first message of each channel carries the port number). This makes
// what the 1.20 lab cannot: the v5 protocol (half-close), and exact control over a peer that
// never reads. The real API server + kubelet path is in port-forward.lab.test.ts.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPattern, MiB, patterned, retainedBuffers } from './byte-stream.fixture.ts';
import { LocalPortForward } from './port-forward.ts';

const CHUNK = 64 * 1024;

interface FakeApiServer {
  port: number;
  /** Connections (one per forwarded TCP connection), newest last. */
  sockets: WebSocket[];
  closed: number;
  close(): Promise<void>;
}

async function fakeApiServer(protocol: string, onConnection: (ws: WebSocket) => void): Promise<FakeApiServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has(protocol) ? protocol : false) });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const fake: FakeApiServer = {
    port: (wss.address() as AddressInfo).port,
    sockets: [],
    closed: 0,
    close: () => new Promise((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    }),
  };
  wss.on('connection', (ws) => {
    fake.sockets.push(ws);
    ws.on('close', () => (fake.closed += 1));
    // The port number opens both channels (data 0, error 1), as the kubelet does.
    ws.send(Buffer.from([0, 0x1d, 0x1d]));
    ws.send(Buffer.from([1, 0x1d, 0x1d]));
    onConnection(ws);
  });
  return fake;
}

function configFor(port: number): () => KubeConfig {
  return () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kc;
  };
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let fake: FakeApiServer | undefined;
let forward: LocalPortForward | undefined;
beforeEach(() => {
  fake = undefined;
  forward = undefined;
});
afterEach(async () => {
  await forward?.close();
  await fake?.close();
});

describe('LocalPortForward flow control', () => {
  it('a local reader that stops reading stops the pod side too: memory stays bounded, nothing lost', async () => {
    const total = 128 * MiB;
    let sent = 0;
    fake = await fakeApiServer('v4.channel.k8s.io', (ws) => {
      // The pod writes as fast as the connection takes it (the server keeps ≤ 1 MiB queued).
      const pump = () => {
        while (sent < total && ws.readyState === ws.OPEN && ws.bufferedAmount < MiB) {
          ws.send(Buffer.concat([Buffer.from([0]), patterned(sent, CHUNK)]));
          sent += CHUNK;
        }
        if (sent < total && ws.readyState === ws.OPEN) setTimeout(pump, 1);
        else if (sent >= total) ws.close();
      };
      pump();
    });
    forward = await LocalPortForward.open(configFor(fake.port), { namespace: 'n', pod: 'p', port: 7453 });
    const local = await connect(forward.port);
    local.pause();
    const before = retainedBuffers();
    await sleep(1500);
    const sentWhilePaused = sent;
    const grown = retainedBuffers() - before;
    // Without flow control client-node reads everything (128 MiB here) into the local socket's
    // buffer. With it, only kernel socket buffers and a few chunks are in flight: 1–20 MB seen,
    // the most on a loaded machine (CI), where more is in flight when the pause lands.
    expect(sentWhilePaused).toBeLessThan(total / 2);
    expect(grown).toBeLessThan(32 * MiB);

    let received = 0;
    local.on('data', (chunk: Buffer) => {
      checkPattern(received, chunk);
      received += chunk.length;
    });
    const ended = new Promise<void>((resolve) => local.once('end', resolve));
    local.resume();
    await ended; // the pod side closed after the last byte: everything forwarded arrives first
    expect(received).toBe(total);
    await until('the forward to let go of the connection', () => forward?.connections === 0);
    expect(forward.protocol).toBe('v4.channel.k8s.io');
  }, 30_000);

  it('a pod that stops reading stops the local writer: memory stays bounded, nothing lost', async () => {
    const total = 128 * MiB;
    let received = 0;
    const pod: { ws?: WebSocket } = {};
    fake = await fakeApiServer('v4.channel.k8s.io', (ws) => {
      pod.ws = ws;
      ws.pause(); // reads nothing until resumed
      ws.on('message', (data: Buffer) => {
        expect(data[0]).toBe(0);
        checkPattern(received, data.subarray(1));
        received += data.length - 1;
      });
    });
    forward = await LocalPortForward.open(configFor(fake.port), { namespace: 'n', pod: 'p', port: 7453 });
    const local = await connect(forward.port);
    let written = 0;
    const pump = () => {
      while (written < total) {
        const ok = local.write(patterned(written, CHUNK));
        written += CHUNK;
        if (!ok) return void local.once('drain', pump);
      }
    };
    const before = retainedBuffers();
    pump();
    await sleep(1500);
    const grown = retainedBuffers() - before;
    expect(written).toBeLessThan(total / 2);
    expect(grown).toBeLessThan(16 * MiB);

    pod.ws?.resume();
    await until('every byte at the pod', () => received === total, 20_000);
    local.destroy();
  }, 30_000);
});

describe('LocalPortForward half-close', () => {
  for (const protocol of ['v5.channel.k8s.io', 'v4.channel.k8s.io']) {
    it(`${protocol}: a local socket that ends closes its WebSocket (no pile-up over many connections)`, async () => {
      const got: Buffer[] = [];
      fake = await fakeApiServer(protocol, (ws) => ws.on('message', (data: Buffer) => got.push(data)));
      forward = await LocalPortForward.open(configFor(fake.port), { namespace: 'n', pod: 'p', port: 7453 });
      for (let i = 0; i < 20; i++) {
        const local = await connect(forward.port);
        local.end('ping'); // half-close: written, then our side's FIN
        await new Promise((resolve) => local.once('close', resolve));
      }
      await until('every WebSocket closed at the server', () => fake?.closed === 20);
      expect(forward.connections).toBe(0);
      expect(forward.protocol).toBe(protocol);
      // Each connection delivered its data on channel 0; with v5, client-node also sent CLOSE (255) for it.
      const data = got.filter((m) => m[0] === 0).map((m) => m.subarray(1).toString());
      expect(data).toEqual(Array.from({ length: 20 }, () => 'ping'));
      const closeFrames = got.filter((m) => m[0] === 255).length;
      expect(closeFrames).toBe(protocol === 'v5.channel.k8s.io' ? 20 : 0);
    });
  }
});
