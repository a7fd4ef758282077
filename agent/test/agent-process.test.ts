// The real agent process with no containerd (socket missing): the Watch contract, protocol
// versioning in both directions, the health service, garbage on the gRPC port, and the single-file
// bundle running from a directory without node_modules. No lab needed.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentClientError} from '../../electron/core/agents/agent-client.ts';
import { connectAgent, loadAgentProto } from '../../electron/core/agents/agent-client.ts';
import { buildAgent } from '../../scripts/build-agent.ts';
import { AGENT_NODE_FLAGS } from '../src/node-flags.ts';
import { REPO, metricValue, scrapeMetrics, startAgent, type AgentProcess } from './harness.ts';

const MISSING = '/run/pulltrace-unit-test/none.sock';
let agent: AgentProcess;

beforeAll(async () => {
  agent = await startAgent({ args: ['--socket', MISSING, '--heartbeat-ms', '500'] });
});
afterAll(async () => {
  expect(await agent.stop()).toBe(0);
});

async function endOf(session: ReturnType<typeof connectAgent>): Promise<AgentClientError | null> {
  return new Promise((resolve) => session.once('end', resolve));
}

describe('agent process without containerd', () => {
  it('sends hello, an empty snapshot and the socket-missing health, then heartbeats', async () => {
    const session = connectAgent({ host: '127.0.0.1', port: agent.grpcPort });
    const frames = session.frames();
    const got = [];
    for await (const f of frames) {
      got.push(f);
      if (got.length === 5) break;
    }
    session.close();
    expect(got.map((f) => f.body)).toEqual(['hello', 'snapshot', 'health', 'heartbeat', 'heartbeat']);
    expect(got[0]).toMatchObject({ body: 'hello', hello: { protocolMajor: 1, socket: MISSING, namespace: 'k8s.io', containerdVersion: '' } });
    expect(got[2]).toMatchObject({ body: 'health', health: { containerdUp: false, reason: 'socket-missing' } });
    expect(got.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a desktop speaking another protocol major, naming both versions', async () => {
    const session = connectAgent({ host: '127.0.0.1', port: agent.grpcPort, protocolMajor: 2 });
    const err = await endOf(session);
    expect(err?.kind).toBe('protocol');
    expect(err?.message).toBe('protocol mismatch: agent speaks pulltrace protocol 1, desktop speaks 2 (upgrade the agent)');
    await expect(session.hello).rejects.toThrow(/protocol mismatch/);
  });

  it('answers grpc.health.v1: the agent serves, containerd does not', async () => {
    const def = protoLoader.loadSync(join(REPO, 'proto/grpc/health/v1/health.proto'), { enums: String });
    const Health = (grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }).grpc.health.v1.Health;
    const client = new Health(`127.0.0.1:${agent.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Check(req: { service: string }, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
    };
    const check = (service: string) => new Promise<string>((resolve, reject) => client.Check({ service }, (err, res) => (err ? reject(err) : resolve(res!.status))));
    expect(await check('')).toBe('SERVING');
    expect(await check('pulltrace.agent.v1.Containerd')).toBe('NOT_SERVING');
    await expect(check('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    client.close();
  });

  it('survives garbage on the gRPC port and keeps serving', async () => {
    for (const payload of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(64 * 1024, 0xa5), Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0004garbage')]) {
      await new Promise<void>((resolve) => {
        const sock = connect(agent.grpcPort, '127.0.0.1', () => sock.end(payload));
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.resume();
      });
    }
    const session = connectAgent({ host: '127.0.0.1', port: agent.grpcPort });
    expect((await session.hello).protocolMajor).toBe(1);
    session.close();
    const metrics = await scrapeMetrics(agent.metricsPort);
    expect(metricValue(metrics, 'pulltrace_agent_containerd_up')).toBe(0);
  });
});

describe('desktop client on a path that goes silent', () => {
  it('ends the session as timed out when heartbeats stop but the connection stays open', async () => {
    // A forwarder that can stop passing bytes without closing anything: what a port-forward
    // through a restarted API server can look like from the desktop.
    let muted = false;
    const sockets: Socket[] = [];
    const forwarder = createServer((local) => {
      const remote = connect(agent.grpcPort, '127.0.0.1');
      sockets.push(local, remote);
      local.on('data', (chunk: Buffer) => muted || remote.write(chunk));
      remote.on('data', (chunk: Buffer) => muted || local.write(chunk));
      local.on('error', () => remote.destroy());
      remote.on('error', () => local.destroy());
    });
    const port = await new Promise<number>((resolve) => forwarder.listen(0, '127.0.0.1', () => resolve((forwarder.address() as AddressInfo).port)));
    try {
      const session = connectAgent({ host: '127.0.0.1', port, silenceTimeoutMs: 1_500 });
      expect((await session.hello).heartbeatMs).toBe(500);
      // Heartbeats (every 500 ms) keep a healthy stream open past the silence limit.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(session.closed).toBe(false);
      muted = true;
      const mutedAt = Date.now();
      const err = await endOf(session);
      expect(err).toMatchObject({ kind: 'timeout', message: expect.stringContaining('heartbeats stopped') });
      // Well before grpc keepalive (30 s + 10 s) would have noticed anything.
      expect(Date.now() - mutedAt).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      forwarder.close();
    }
  });
});

describe('desktop client against an agent speaking another major', () => {
  it('closes the session with a message naming both versions', async () => {
    // a stand-in for a future agent: accepts any request and says hello with major 2
    const def = protoLoader.loadSync(join(REPO, 'proto/agent.proto'), { keepCase: false, longs: Number, defaults: true, oneofs: true });
    const Agent = (grpc.loadPackageDefinition(def) as unknown as { pulltrace: { agent: { v1: { Agent: grpc.ServiceClientConstructor } } } }).pulltrace.agent.v1.Agent;
    const server = new grpc.Server();
    server.addService(Agent.service, {
      watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.write({ seq: 1, atMs: Date.now(), hello: { protocolMajor: 2, protocolMinor: 0, node: 'n', agentVersion: '9.0.0', namespace: 'k8s.io', socket: '/s' } });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      const session = connectAgent({ host: '127.0.0.1', port });
      const err = await endOf(session);
      expect(err?.kind).toBe('protocol');
      expect(err?.message).toBe(`protocol mismatch: agent speaks pulltrace protocol 2, desktop speaks ${loadAgentProto().protocolMajor} (upgrade the desktop)`);
    } finally {
      server.forceShutdown();
    }
  });
});

describe('single-file bundle', () => {
  it('runs with plain node from a directory without node_modules or protos, and its sha256 file matches', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pulltrace-agent-build-'));
    const bare = mkdtempSync(join(tmpdir(), 'pulltrace-agent-bare-'));
    try {
      const built = await buildAgent(out);
      expect(built.bytes).toBeLessThan(1024 * 1024); // fits a ConfigMap
      const sum = readFileSync(`${built.file}.sha256`, 'utf8');
      expect(sum).toBe(`${createHash('sha256').update(readFileSync(built.file)).digest('hex')}  pulltrace-agent.cjs\n`);
      copyFileSync(built.file, join(bare, 'pulltrace-agent.cjs'));
      const bundled = await startAgent({ entry: join(bare, 'pulltrace-agent.cjs'), cwd: bare, args: ['--socket', MISSING] });
      try {
        const session = connectAgent({ host: '127.0.0.1', port: bundled.grpcPort });
        const frames = session.frames();
        const got = [];
        for await (const f of frames) {
          got.push(f);
          if (got.length === 3) break;
        }
        session.close();
        expect(got.map((f) => f.body)).toEqual(['hello', 'snapshot', 'health']);
        expect(got[2]).toMatchObject({ health: { reason: 'socket-missing' } });
        // started with no node flags, it re-executed itself (same pid) with its V8 flags
        const argv = readFileSync(`/proc/${bundled.pid}/cmdline`, 'utf8').split('\0');
        expect(argv.slice(1, argv.indexOf(join(bare, 'pulltrace-agent.cjs')))).toEqual(AGENT_NODE_FLAGS);
      } finally {
        expect(await bundled.stop()).toBe(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
