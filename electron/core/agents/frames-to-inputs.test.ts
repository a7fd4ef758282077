import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineInputSchema } from '../replay/input-schema.ts';
import { parseRecording } from '../replay/recording.ts';
import { frameSchema, type AgentFrame } from './frames-schema.ts';
import { FrameTranslator } from './frames-to-inputs.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const ingest = { ref: `layer-${d('a')}`, kind: 'layer', digest: d('a'), offset: 1048576, total: 5245351, startedAtMs: 1_000, updatedAtMs: 2_000 };
const manifest = {
  digest: d('b'),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  sources: ['127.0.0.1/lab/alpha'],
  platform: null,
  config: { digest: d('c'), size: 880, mediaType: 'application/vnd.oci.image.config.v1+json', present: false },
  layers: [{ digest: d('a'), size: 5245351, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', present: true }],
};
const health = (containerdUp: boolean, reason = containerdUp ? 'ok' : 'socket-missing') => ({ containerdUp, error: containerdUp ? '' : 'no socket', reason, sinceMs: 1, attempts: 0, containerdVersion: '1.6.20' });

/** Frames as proto-loader decodes them (defaults filled, unset messages null). */
const raw: unknown[] = [
  { seq: 1, atMs: 10, body: 'hello', hello: { protocolMajor: 1, protocolMinor: 0, node: 'node-a', agentVersion: '0.1.0', containerdVersion: '1.6.20', containerdRevision: 'r', namespace: 'k8s.io', socket: '/s', pollActiveMs: 250, pollIdleMs: 1000, heartbeatMs: 5000 } },
  { seq: 2, atMs: 11, body: 'snapshot', snapshot: { resync: false, containerdUp: true, ingests: [ingest], manifests: [manifest], indexes: [{ digest: d('e'), mediaType: 'i', sources: [], manifests: [{ digest: d('b'), size: 875, platform }] }] } },
  { seq: 3, atMs: 12, body: 'health', health: health(true) },
  { seq: 4, atMs: 13, body: 'ingests', ingests: { ingests: [{ ...ingest, offset: 2097152 }] } },
  { seq: 5, atMs: 14, body: 'ingestGone', ingestGone: { ref: ingest.ref, digest: d('a'), outcome: 'committed', lastOffset: 2097152 } },
  { seq: 6, atMs: 15, body: 'image', image: { name: '127.0.0.1:5001/lab/alpha:v1', targetDigest: d('b'), created: true } },
  { seq: 7, atMs: 16, body: 'image', image: { name: 'sha256:x', targetDigest: '', created: false } },
  { seq: 8, atMs: 17, body: 'contentDeleted', contentDeleted: { digest: d('a') } },
  { seq: 9, atMs: 18, body: 'heartbeat', heartbeat: { liveIngests: 0, containerdUp: true, coalescedFrames: 0 } },
  { seq: 10, atMs: 19, body: 'health', health: health(false) },
  { seq: 11, atMs: 20, body: 'health', health: health(false) },
  { seq: 12, atMs: 21, body: 'health', health: health(true) },
];

describe('FrameTranslator', () => {
  const frames = raw.map((r) => frameSchema.parse(r) as AgentFrame);
  const translator = new FrameTranslator();
  const inputs = frames.flatMap((f) => translator.translate(f));

  it('produces engine inputs that pass the recording schema', () => {
    for (const input of inputs) expect(engineInputSchema.safeParse(input).success, JSON.stringify(input)).toBe(true);
  });

  it('maps every frame kind, node from the Hello, at from the frame', () => {
    expect(inputs.map((i) => i.type)).toEqual([
      'agent.connected',
      'index.seen',
      'manifest.seen',
      'agent.snapshot',
      // the first "containerd up" repeats what the snapshot said: nothing new
      'ingests.observed',
      'ingest.gone',
      'image.upserted',
      'image.upserted',
      'content.deleted',
      'agent.disconnected',
      // a repeated "down" with the same reason is not a new disconnection
      'agent.connected',
    ]);
    expect(new Set(inputs.map((i) => i.node))).toEqual(new Set(['node-a']));
    expect(inputs[3]).toMatchObject({ type: 'agent.snapshot', at: 11, ingests: [{ ref: ingest.ref, offset: 1048576, startedAt: 1_000, updatedAt: 2_000 }] });
    expect(inputs[1]).toMatchObject({ manifests: [{ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] });
    expect(inputs[2]).not.toHaveProperty('platform');
    expect(inputs[7]).not.toHaveProperty('targetDigest');
    expect(inputs[9]).toMatchObject({ reason: 'containerd unreachable (socket-missing): no socket' });
    expect(inputs[10]).toMatchObject({ agentVersion: '0.1.0', containerdVersion: '1.6.20' });
  });

  it('does not report an agent that has not asked containerd yet as a disconnection', () => {
    const t = new FrameTranslator();
    const hello = frames[0]!;
    const unknown = frameSchema.parse({ seq: 2, atMs: 11, body: 'health', health: { ...health(false, 'unknown'), error: '' } }) as AgentFrame;
    const up = frameSchema.parse({ seq: 3, atMs: 12, body: 'health', health: health(true) }) as AgentFrame;
    // hello, then containerd's first answer (with its version)
    expect([hello, unknown, up].flatMap((f) => t.translate(f)).map((i) => i.type)).toEqual(['agent.connected', 'agent.connected']);
  });

  it('uses the caller’s node and observation time when given', () => {
    const t = new FrameTranslator('kube-node-7');
    expect(t.translate(frames[0]!, { at: 99 })[0]).toMatchObject({ node: 'kube-node-7', at: 99 });
  });

  it('rejects frames that break the contract', () => {
    expect(frameSchema.safeParse({ ...(raw[3] as object), ingests: { ingests: [{ ...ingest, digest: 'nope' }] } }).success).toBe(false);
    expect(frameSchema.safeParse({ seq: 0, atMs: 1, body: 'mystery' }).success).toBe(false);
  });
});

describe('recorded fixtures', () => {
  const dir = new URL('../../../fixtures/recordings/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  it('exist and parse without a bad line', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const rec = parseRecording(readFileSync(new URL(f, dir), 'utf8'));
      expect(rec.errors, f).toEqual([]);
      expect(rec.inputs.some((i) => i.type === 'ingests.observed'), f).toBe(true);
    }
  });
});
