// The real agent against a deliberately bad containerd (a gRPC server on a unix socket speaking
// containerd's API with garbage in it): 20,000 ingests, refs without digests, negative offsets,
// undecodable event payloads. The agent must log and count, cap what it handles, and keep serving.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '../../electron/core/agents/agent-client.ts';
import { REPO, metricValue, scrapeMetrics, startAgent, type AgentProcess } from './harness.ts';

type Pkg = Record<string, unknown>;
const service = (pkg: Pkg, path: string): grpc.ServiceDefinition => {
  let node: unknown = pkg;
  for (const p of path.split('.')) node = (node as Pkg)[p];
  return (node as grpc.ServiceClientConstructor).service;
};

const INGESTS = 20_000;
const CAP = 1_000;
const ts = { seconds: 1_795_000_000, nanos: 0 };
const hex = (i: number) => i.toString(16).padStart(64, '0');

let dir: string;
let server: grpc.Server;
let agent: AgentProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pulltrace-bad-containerd-'));
  const def = protoLoader.loadSync(['containerd/content.proto', 'containerd/images.proto', 'containerd/events.proto', 'containerd/version.proto'], {
    includeDirs: [join(REPO, 'proto')],
    longs: Number,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as Pkg;
  server = new grpc.Server();
  const statuses = [
    ...Array.from({ length: INGESTS }, (_, i) => ({ ref: `layer-sha256:${hex(i)}`, offset: 1048576, total: 5_000_000, startedAt: ts, updatedAt: ts })),
    { ref: 'no digest in here', offset: 1, total: 2, startedAt: ts, updatedAt: ts },
  ];
  const notFound = (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.NOT_FOUND, details: 'not found' });
  server.addService(service(pkg, 'containerd.services.content.v1.Content'), {
    // bad entries first: the agent caps before validating, so they must fall inside the cap
    listStatuses: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { statuses: [statuses[INGESTS], ...statuses.slice(0, INGESTS)] }),
    info: notFound,
    read: (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', { code: grpc.status.NOT_FOUND, details: 'not found' }),
    list: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  server.addService(service(pkg, 'containerd.services.images.v1.Images'), { get: notFound, list: notFound });
  server.addService(service(pkg, 'containerd.services.version.v1.Version'), {
    version: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { version: 'fake-9.9', revision: 'x' }),
  });
  server.addService(service(pkg, 'containerd.services.events.v1.Events'), {
    subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.write({ timestamp: ts, namespace: 'k8s.io', topic: '/images/create', event: { type_url: 'containerd.services.images.v1.ImageCreate', value: Buffer.from([0xff, 0xff, 0xff, 0xff]) } });
      call.write({ timestamp: ts, namespace: 'k8s.io', topic: '/content/delete', event: { type_url: 'containerd.events.ContentDelete', value: Buffer.alloc(0) } });
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${join(dir, 'containerd.sock')}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  agent = await startAgent({ args: ['--socket', join(dir, 'containerd.sock'), '--max-ingests', String(CAP), '--poll-active-ms', '100', '--poll-idle-ms', '200'] });
});

afterAll(async () => {
  expect(await agent?.stop()).toBe(0);
  server?.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent against a misbehaving containerd', () => {
  it('caps the ingests it handles, counts what it rejects, and keeps streaming', async () => {
    const session = connectAgent({ host: '127.0.0.1', port: agent.grpcPort });
    const frames = session.frames();
    let snapshotIngests = -1;
    for await (const f of frames) {
      if (f.body === 'snapshot' && f.snapshot.containerdUp) snapshotIngests = f.snapshot.ingests.length;
      if (f.body === 'health' && f.health.containerdUp) expect(f.health.containerdVersion).toBe('fake-9.9');
      if (f.body === 'heartbeat' && snapshotIngests >= 0) break;
    }
    session.close();
    // the bad ref is inside the cap and rejected; the rest of the cap are valid ingests
    expect(snapshotIngests).toBeLessThanOrEqual(CAP);
    expect(snapshotIngests).toBeGreaterThan(CAP - 10);
    const metrics = await scrapeMetrics(agent.metricsPort);
    expect(metricValue(metrics, 'pulltrace_agent_bad_input_total', { kind: 'ingests-over-cap' })).toBeGreaterThanOrEqual(INGESTS + 1 - CAP);
    expect(metricValue(metrics, 'pulltrace_agent_bad_input_total', { kind: 'ref-without-digest' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'pulltrace_agent_bad_input_total', { kind: 'event-payload' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'pulltrace_agent_containerd_up')).toBe(1);
    expect(agent.logs.some((l) => l.msg === 'undecodable event')).toBe(true);
  });
});
