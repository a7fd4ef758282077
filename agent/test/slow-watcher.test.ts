// A desktop that stops reading (stuck port-forward) over real gRPC: the agent's memory stays bounded,
// the slow watcher's deltas are coalesced, a fast watcher beside it gets every frame in order.
import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, loadAgentProto } from '../../electron/core/agents/agent-client.ts';
import { TS, hex, startFakeContainerd, type FakeContainerd } from './fake-containerd.ts';
import { metricValue, scrapeMetrics, startAgent, type AgentProcess } from './harness.ts';

const INGESTS = 400;
let fake: FakeContainerd;
let agent: AgentProcess;
let poll = 0;

beforeAll(async () => {
  // every poll moves every ingest: each poll is one ~40 KB IngestsObserved frame
  fake = await startFakeContainerd({
    statuses: () => {
      poll++;
      return Array.from({ length: INGESTS }, (_, i) => ({
        ref: `layer-sha256:${hex(i)}`,
        offset: poll * 1048576,
        total: 1e12,
        startedAt: TS,
        updatedAt: { seconds: TS.seconds + poll, nanos: 0 },
      }));
    },
  });
  agent = await startAgent({ nodeArgs: ['--max-semi-space-size=1', '--max-old-space-size=64'] /* as in the pod */, args: ['--socket', fake.socket, '--poll-active-ms', '50', '--poll-idle-ms', '100', '--watcher-queue', '64', '--slow-watcher-ms', '60000'] });
});

afterAll(async () => {
  expect(await agent?.stop()).toBe(0);
  fake?.close();
});

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

describe('slow watcher', () => {
  it('is coalesced with bounded memory while a fast watcher keeps every frame', async () => {
    // the slow reader: a raw HTTP/2 Watch call that never reads, so its flow-control window fills
    // (a grpc-js client keeps reading into its own buffers even when paused)
    const session = connect(`http://127.0.0.1:${agent.grpcPort}`);
    session.on('error', () => {});
    const slow = session.request({ ':method': 'POST', ':path': '/pulltrace.agent.v1.Agent/Watch', 'content-type': 'application/grpc', te: 'trailers' });
    slow.on('error', () => {});
    slow.pause();
    // gRPC frame: not compressed, length 2, WatchRequest{protocol_major (field 1) = PROTOCOL_MAJOR}
    slow.end(Buffer.from([0, 0, 0, 0, 2, 0x08, loadAgentProto().protocolMajor]));

    const fast = connectAgent({ host: '127.0.0.1', port: agent.grpcPort, clientName: 'fast' });
    const seqs: number[] = [];
    fast.on('frame', (f) => seqs.push(f.seq));
    await fast.hello;
    const rssSamples: number[] = [];
    for (let i = 0; i < 15; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      rssSamples.push(rssMiB(agent.pid));
    }
    fast.close();
    slow.close();
    session.close();

    expect(seqs.length).toBeGreaterThan(100);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const metrics = await scrapeMetrics(agent.metricsPort);
    expect(metricValue(metrics, 'pulltrace_agent_frames_coalesced_total')).toBeGreaterThan(0);
    // memory plateaus: the last five seconds grow by less than the queue could hold twice over
    const late = rssSamples.slice(-5);
    expect(Math.max(...late) - Math.min(...late), `RSS samples ${rssSamples.map((r) => r.toFixed(0)).join(',')}`).toBeLessThan(16);
  });
});
