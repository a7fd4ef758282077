// The agent as a real child process against the real containerd lab (../shared/lab/containerd),
// read through the desktop's own client. Fails (never skips) when the lab is not up.
// Run: npx vitest run --project lab agent/test/agent.lab.test.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentSession } from '../../electron/core/agents/agent-client.ts';
import type { AgentFrame, FrameIngest } from '../../electron/core/agents/frames-schema.ts';
import { lab, metricValue, scrapeMetrics, startAgent, type AgentProcess } from './harness.ts';

const D = {
  smallManifest: 'sha256:2d6ce02b5c25d341817424fc1446d48e9c24d5524e1c49c9b7335a5d07c137e0',
  small5m: 'sha256:0825863d15d1e281f27abad6433a1aba99e5543ce2939089b3e902d3111b9ddc',
  alphaManifest: 'sha256:4f190248eb7ea6cf4c264c412ee0f2cf6b9c6aa88f530503456821c913000340',
  betaManifest: 'sha256:f35cc628d85eb7c6da0856b98910905ca13bb879b9b039ff46cbba4797abb765',
  base20m: 'sha256:5efee186663b3147d6c131e966e26d58e75912fb8d796a9cb68d8d60c988e98c',
  alpha30m: 'sha256:f3e06e29bccb72f1c2317d3e04222197cf5966af3bc78a31a9436b50f6718013',
  beta10m: 'sha256:b8b4ff0f67686c1992656a0d0a9c39df3bb7d925bd89abcd2b126b6da64f1e13',
  big50m: 'sha256:fa34006d7f17ea13423f41c753dfd09de1322fc21e16f24199fabcf26573b1cb',
};
const RATE = 2_000_000;

interface Watching {
  session: AgentSession;
  received: { frame: AgentFrame; at: number }[];
  of<B extends AgentFrame['body']>(body: B): Extract<AgentFrame, { body: B }>[];
  waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void>;
}

async function watch(port: number): Promise<Watching> {
  const session = connectAgent({ host: '127.0.0.1', port, clientName: 'agent-lab-test' });
  const received: { frame: AgentFrame; at: number }[] = [];
  session.on('frame', (frame) => received.push({ frame, at: Date.now() }));
  await session.hello;
  const of = <B extends AgentFrame['body']>(body: B): Extract<AgentFrame, { body: B }>[] =>
    received.map((r) => r.frame).filter((f): f is Extract<AgentFrame, { body: B }> => f.body === body);
  return {
    session,
    received,
    of,
    async waitFor(what, predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (session.closed) throw new Error(`stream ended while waiting for ${what}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${received.length} frames)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Every observation of one blob's ingest (snapshot and delta frames), in order. */
function observations(w: Watching, digest: string): FrameIngest[] {
  const out: FrameIngest[] = [];
  for (const { frame } of w.received) {
    const list = frame.body === 'ingests' ? frame.ingests.ingests : frame.body === 'snapshot' ? frame.snapshot.ingests : [];
    out.push(...list.filter((i) => i.digest === digest));
  }
  return out;
}

function gone(w: Watching, digest: string) {
  return w.of('ingestGone').filter((g) => g.ingestGone.digest === digest);
}

/** Rate from containerd's own write times: offset growth over updated_at, first to last 1 MiB step. */
function measuredRate(obs: FrameIngest[]): number {
  const steps = obs.filter((o) => o.offset > 0);
  const first = steps[0]!;
  const last = steps[steps.length - 1]!;
  return ((last.offset - first.offset) * 1000) / (last.updatedAtMs - first.updatedAtMs);
}

/** Bytes the registry side sent for one blob (sum over its GETs, resumed ranges included). */
async function registryBytes(digest: string): Promise<number> {
  const log = await lab.proxyLog();
  return log
    .filter((e) => e.event === 'end' && e.method === 'GET' && typeof e.url === 'string' && e.url.endsWith(`/blobs/${digest}`))
    .reduce((sum, e) => sum + Number(e.bytes ?? 0), 0);
}

let agent: AgentProcess;
let w: Watching;

beforeAll(async () => {
  await lab.requireUp();
  agent = await startAgent({ args: ['--socket', lab.socket, '--heartbeat-ms', '1000', '--poll-active-ms', '250', '--poll-idle-ms', '500'] });
});

afterAll(async () => {
  await lab.proxy('POST', '/reset').catch(() => {});
  await agent?.stop();
});

afterEach(async () => {
  w?.session.close();
  await lab.proxy('POST', '/reset');
});

async function fresh(): Promise<Watching> {
  const clean = await lab.cleanAll();
  expect(clean.code, clean.stderr).toBe(0);
  w = await watch(agent.grpcPort);
  return w;
}

describe(`agent against lab containerd ${lab.version()}`, () => {
  it('ctr pull at 2 MB/s: bytes match the registry, rate within 5 % of the throttle, layers mapped to the manifest', async () => {
    await fresh();
    await lab.configure({ rate: '2MB' });
    const pull = await lab.pull(['alpha']);
    expect(pull.code, pull.stderr + pull.stdout).toBe(0);
    await w.waitFor('alpha30m committed', () => gone(w, D.alpha30m).length > 0, 10_000);

    const obs = observations(w, D.alpha30m);
    expect(obs.length).toBeGreaterThan(10);
    for (let i = 1; i < obs.length; i++) expect(obs[i]!.offset).toBeGreaterThanOrEqual(obs[i - 1]!.offset);
    expect(gone(w, D.alpha30m)[0]!.ingestGone.outcome).toBe('committed');
    const total = obs[0]!.total;
    expect(total).toBe(31461751);
    expect(await registryBytes(D.alpha30m)).toBe(total);
    const rate = measuredRate(obs);
    expect(Math.abs(rate - RATE) / RATE, `measured ${rate.toFixed(0)} B/s`).toBeLessThan(0.05);

    const manifest = w.of('manifest').find((m) => m.manifest.digest === D.alphaManifest);
    expect(manifest, 'alpha manifest frame').toBeDefined();
    expect(manifest!.manifest.sources).toContain('127.0.0.1/lab/alpha');
    expect(manifest!.manifest.layers.map((l) => l.digest)).toEqual(expect.arrayContaining([D.base20m, D.alpha30m]));
    expect(manifest!.manifest.layers.every((l) => !l.present)).toBe(true);
    await w.waitFor('image record', () => w.of('image').some((i) => i.image.name === '127.0.0.1:5001/lab/alpha:v1'), 5_000);
    const image = w.of('image').find((i) => i.image.name === '127.0.0.1:5001/lab/alpha:v1')!;
    expect(image.image.targetDigest).toBe(D.alphaManifest);

    const metrics = await scrapeMetrics(agent.metricsPort);
    expect(metricValue(metrics, 'pulltrace_agent_pull_bytes_total', { registry: '127.0.0.1', repository: 'lab/alpha' })).toBeGreaterThanOrEqual(total);
    expect(metrics).not.toMatch(/sha256:|tag="/);
  });

  it('CRI PullImage at 2 MB/s: same byte and rate accounting as kubelet pulls', async () => {
    await fresh();
    await lab.configure({ rate: '2MB' });
    const pull = await lab.criPull('127.0.0.1:5001/lab/beta:v1');
    expect(pull.code, pull.stderr + pull.stdout).toBe(0);
    await w.waitFor('base20m committed', () => gone(w, D.base20m).length > 0, 10_000);
    const obs = observations(w, D.base20m);
    expect(gone(w, D.base20m)[0]!.ingestGone.outcome).toBe('committed');
    expect(await registryBytes(D.base20m)).toBe(obs[0]!.total);
    const rate = measuredRate(obs);
    expect(Math.abs(rate - RATE) / RATE, `measured ${rate.toFixed(0)} B/s`).toBeLessThan(0.05);
    const manifest = w.of('manifest').find((m) => m.manifest.digest === D.betaManifest);
    expect(manifest?.manifest.sources).toContain('127.0.0.1/lab/beta');
  });

  it('two concurrent pulls sharing a layer: one ingest, listed by both manifests', async () => {
    await fresh();
    await lab.configure({ rate: '4MB' });
    const [a, b] = await Promise.all([lab.pull(['alpha']), lab.pull(['beta'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    await w.waitFor('base20m committed', () => gone(w, D.base20m).length > 0, 10_000);
    const refs = new Set(observations(w, D.base20m).map((o) => o.ref));
    expect([...refs]).toEqual([`layer-${D.base20m}`]);
    expect(gone(w, D.base20m)).toHaveLength(1);
    expect(await registryBytes(D.base20m)).toBe(20975191);
    for (const digest of [D.alphaManifest, D.betaManifest]) {
      const m = w.of('manifest').find((f) => f.manifest.digest === digest);
      expect(m?.manifest.layers.map((l) => l.digest), digest).toContain(D.base20m);
    }
  });

  it('a stall is reported as no progress: the ingest stays, no offset moves, heartbeats go on', async () => {
    await fresh();
    await lab.configure({ rate: '2MB', rules: [{ match: { digest: D.small5m }, action: 'stall', atByte: 2_500_000, seconds: 4 }] });
    const pull = await lab.pull(['small']);
    expect(pull.code, pull.stderr).toBe(0);
    await w.waitFor('small5m committed', () => gone(w, D.small5m).length > 0, 10_000);
    const frames = w.received.filter(({ frame }) => frame.body === 'ingests' && frame.ingests.ingests.some((i) => i.digest === D.small5m));
    const gaps = frames.slice(1).map((f, i) => ({ gap: f.at - frames[i]!.at, from: frames[i]!.at, to: f.at }));
    const stall = gaps.reduce((a, b) => (b.gap > a.gap ? b : a));
    expect(stall.gap).toBeGreaterThan(3_000);
    const beats = w.received.filter(({ frame, at }) => frame.body === 'heartbeat' && at > stall.from && at < stall.to);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.every(({ frame }) => frame.body === 'heartbeat' && frame.heartbeat.liveIngests >= 1)).toBe(true);
    expect(gone(w, D.small5m)[0]!.ingestGone.outcome).toBe('committed');
  });

  it('a connection closed mid-blob (FIN) is resumed: same ingest, committed, registry bytes = blob size', async () => {
    await fresh();
    await lab.configure({ rate: '2MB', rules: [{ match: { digest: D.small5m }, action: 'drop', atByte: 3_000_000, mode: 'close' }] });
    const pull = await lab.pull(['small']);
    expect(pull.code, pull.stderr).toBe(0);
    await w.waitFor('small5m gone', () => gone(w, D.small5m).length > 0, 10_000);
    expect(gone(w, D.small5m).map((g) => g.ingestGone.outcome)).toEqual(['committed']);
    expect(new Set(observations(w, D.small5m).map((o) => o.startedAtMs)).size).toBe(1);
    const log = await lab.proxyLog();
    expect(log.some((e) => e.event === 'response' && typeof e.range === 'string' && String(e.url).endsWith(D.small5m))).toBe(true);
    expect(await registryBytes(D.small5m)).toBeGreaterThanOrEqual(5245351);
  });

  for (const status of [404, 401]) {
    it(`registry ${status} on a resumed blob request: the ingest is gone as aborted`, async () => {
      await fresh();
      // the blob downloads (visible ingest), the connection drops, and the resume gets `status`
      await lab.configure({ rate: '1MB', rules: [{ match: { digest: D.small5m }, action: 'drop', atByte: 3_000_000, mode: 'close' }] });
      const pull = lab.pull(['small']);
      await w.waitFor('small5m downloading', () => observations(w, D.small5m).some((o) => o.offset > 0), 15_000);
      await lab.proxy('POST', '/rules', { match: { digest: D.small5m }, action: 'status', status });
      const result = await pull;
      expect(result.code).not.toBe(0);
      await w.waitFor('small5m gone', () => gone(w, D.small5m).length > 0, 10_000);
      expect(gone(w, D.small5m)[0]!.ingestGone.outcome).toBe('aborted');
      const metrics = await scrapeMetrics(agent.metricsPort);
      expect(metricValue(metrics, 'pulltrace_agent_pull_failures_total', { repository: 'lab/small', reason: 'aborted' })).toBeGreaterThanOrEqual(1);
    });
  }

  it('containerd restarted mid-pull: the stream stays open, reports health down then up, and continues', async () => {
    await fresh();
    await lab.configure({ rate: '2MB' });
    const pull = lab.pull(['big']);
    await w.waitFor('big50m downloading', () => observations(w, D.big50m).some((o) => o.offset > 0), 15_000);
    await lab.restart();
    await pull;
    await w.waitFor('health down', () => w.of('health').some((h) => !h.health.containerdUp), 15_000);
    await w.waitFor('health up', () => w.of('health').some((h, i, all) => h.health.containerdUp && all.slice(0, i).some((x) => !x.health.containerdUp)), 20_000);
    await w.waitFor('resync snapshot', () => w.of('snapshot').some((s) => s.snapshot.resync && s.snapshot.containerdUp), 5_000);
    const down = w.of('health').find((h) => !h.health.containerdUp)!;
    expect(['socket-missing', 'unavailable']).toContain(down.health.reason);
    expect(down.health.error).toContain(lab.socket);
    await lab.configure({ rate: '4MB' });
    const again = await lab.pull(['small']);
    expect(again.code, again.stderr).toBe(0);
    await w.waitFor('small5m committed after the restart', () => gone(w, D.small5m).some((g) => g.ingestGone.outcome === 'committed'), 10_000);
    expect(w.session.closed).toBe(false);
    expect(agent.logs.filter((l) => l.msg === 'containerd unreachable').length).toBeLessThanOrEqual(3);
  });
});

describe('agent without a usable socket', () => {
  // In a pod the socket is a bind mount of one file (hostPath type Socket). A restarted containerd
  // listens on a new file the mount cannot show: retrying would report "unavailable" forever.
  it('containerd restarted under a file mount of its socket (as in a pod): the agent exits, for the kubelet to mount the new one', async () => {
    await lab.requireUp();
    const dir = mkdtempSync(join(tmpdir(), 'pulltrace-socket-mount-'));
    const mounted = join(dir, 'containerd.sock');
    writeFileSync(mounted, '');
    execFileSync('mount', ['--bind', lab.socket, mounted]);
    try {
      const inPod = await startAgent({ args: ['--socket', mounted, '--heartbeat-ms', '500'] });
      const m = await watch(inPod.grpcPort);
      await m.waitFor('containerd up', () => m.of('health').some((h) => h.health.containerdUp), 10_000);
      await lab.restart();
      const code = await Promise.race([inPod.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
      expect(code).toBe(1);
      const said = inPod.logs.find((l) => l['msg'] === 'containerd socket replaced');
      expect(String(said?.['error'])).toContain('kubelet starts the container again');
      // until then the watchers were told containerd was down, and why
      expect(m.of('health').at(-1)?.health).toMatchObject({ containerdUp: false, reason: 'unavailable' });
    } finally {
      execFileSync('umount', [mounted]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('socket missing: clear health status, keeps serving, no crash loop', async () => {
    const missing = await startAgent({ args: ['--socket', '/run/pulltrace-test/none.sock', '--heartbeat-ms', '500'] });
    try {
      const m = await watch(missing.grpcPort);
      await m.waitFor('health', () => m.of('health').length > 0, 5_000);
      const health = m.of('health')[0]!.health;
      expect(health).toMatchObject({ containerdUp: false, reason: 'socket-missing' });
      expect(health.error).toContain('/run/pulltrace-test/none.sock');
      expect(m.of('snapshot')[0]!.snapshot.containerdUp).toBe(false);
      await new Promise((r) => setTimeout(r, 4_000));
      expect(m.session.closed).toBe(false);
      expect(m.of('heartbeat').length).toBeGreaterThanOrEqual(5);
      expect(missing.logs.filter((l) => l.msg === 'containerd unreachable')).toHaveLength(1);
      const metrics = await scrapeMetrics(missing.metricsPort);
      expect(metricValue(metrics, 'pulltrace_agent_containerd_up')).toBe(0);
      m.session.close();
    } finally {
      expect(await missing.stop()).toBe(0);
    }
  });

  it('permission denied on the lab socket (non-root user): clear health status naming the user and the socket owner', async () => {
    await lab.requireUp();
    const denied = await startAgent({ args: ['--socket', lab.socket], user: { uid: 65534, gid: 65534 } });
    try {
      const m = await watch(denied.grpcPort);
      await m.waitFor('health', () => m.of('health').length > 0, 5_000);
      const health = m.of('health')[0]!.health;
      expect(health).toMatchObject({ containerdUp: false, reason: 'permission-denied' });
      expect(health.error).toMatch(/uid 65534.*socket owned by uid 0 gid 0/);
      m.session.close();
    } finally {
      await denied.stop();
    }
  });
});
