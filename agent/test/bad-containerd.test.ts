// The real agent against a deliberately bad containerd: 20,000 ingests, refs without digests,
// undecodable event payloads. The agent must log and count, cap what it handles, and keep serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '../../electron/core/agents/agent-client.ts';
import { TS, hex, startFakeContainerd, type FakeContainerd } from './fake-containerd.ts';
import { metricValue, scrapeMetrics, startAgent, type AgentProcess } from './harness.ts';

const INGESTS = 20_000;
const CAP = 1_000;

let fake: FakeContainerd;
let agent: AgentProcess;

beforeAll(async () => {
  const statuses = [
    // a bad entry first: the agent caps before validating, so it must fall inside the cap
    { ref: 'no digest in here', offset: 1, total: 2, startedAt: TS, updatedAt: TS },
    ...Array.from({ length: INGESTS }, (_, i) => ({ ref: `layer-sha256:${hex(i)}`, offset: 1048576, total: 5_000_000, startedAt: TS, updatedAt: TS })),
  ];
  fake = await startFakeContainerd({
    statuses: () => statuses,
    onSubscribe: (call) => {
      call.write({ timestamp: TS, namespace: 'k8s.io', topic: '/images/create', event: { type_url: 'containerd.services.images.v1.ImageCreate', value: Buffer.from([0xff, 0xff, 0xff, 0xff]) } });
      call.write({ timestamp: TS, namespace: 'k8s.io', topic: '/content/delete', event: { type_url: 'containerd.events.ContentDelete', value: Buffer.alloc(0) } });
    },
  });
  agent = await startAgent({ args: ['--socket', fake.socket, '--max-ingests', String(CAP), '--poll-active-ms', '100', '--poll-idle-ms', '200', '--heartbeat-ms', '1000'] });
});

afterAll(async () => {
  expect(await agent?.stop()).toBe(0);
  fake?.close();
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
    expect(snapshotIngests).toBe(CAP - 1);
    const metrics = await scrapeMetrics(agent.metricsPort);
    expect(metricValue(metrics, 'pulltrace_agent_bad_input_total', { kind: 'ingests-over-cap' })).toBeGreaterThanOrEqual(INGESTS + 1 - CAP);
    expect(metricValue(metrics, 'pulltrace_agent_bad_input_total', { kind: 'ref-without-digest' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'pulltrace_agent_bad_input_total', { kind: 'event-payload' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'pulltrace_agent_containerd_up')).toBe(1);
    expect(agent.logs.some((l) => l.msg === 'undecodable event')).toBe(true);
  });
});
