import { describe, expect, it } from 'vitest';
import { diffIngests, ingestFromStatus } from './ingests.ts';
import type { IngestMsg } from './frames.ts';

const hex = 'f3e06e29bccb72f1c2317d3e04222197cf5966af3bc78a31a9436b50f6718013';
const status = (ref: string, offset: number, updatedAt = 2_000) => ({ ref, offset, total: 31461751, expected: '', startedAt: 1_000, updatedAt });

describe('ingestFromStatus', () => {
  it('takes kind and digest from the ref (expected is empty in containerd 1.6–2.1)', () => {
    expect(ingestFromStatus(status(`layer-sha256:${hex}`, 1048576))).toEqual({
      ref: `layer-sha256:${hex}`,
      kind: 'layer',
      digest: `sha256:${hex}`,
      offset: 1048576,
      total: 31461751,
      startedAtMs: 1_000,
      updatedAtMs: 2_000,
    });
    for (const kind of ['manifest', 'index', 'config']) expect(ingestFromStatus(status(`${kind}-sha256:${hex}`, 0))?.kind).toBe(kind);
  });

  it('keeps foreign refs that name a digest as kind unknown, and rejects refs without one', () => {
    expect(ingestFromStatus(status(`my-upload-sha256:${hex}`, 0))?.kind).toBe('unknown');
    expect(ingestFromStatus(status('some-random-ref', 0))).toBeNull();
  });
});

describe('diffIngests', () => {
  const a = ingestFromStatus(status(`layer-sha256:${hex}`, 0))!;
  const map = (...xs: IngestMsg[]) => new Map(xs.map((x) => [x.ref, x]));
  it('reports appeared, moved (offset or updated_at) and gone ingests; a stall changes nothing', () => {
    const moved = { ...a, offset: 1048576, updatedAtMs: 3_000 };
    expect(diffIngests(map(), map(a))).toEqual({ changed: [a], appeared: [a], gone: [] });
    expect(diffIngests(map(a), map(moved))).toEqual({ changed: [moved], appeared: [], gone: [] });
    expect(diffIngests(map(moved), map(moved))).toEqual({ changed: [], appeared: [], gone: [] });
    expect(diffIngests(map(moved), map())).toEqual({ changed: [], appeared: [], gone: [moved] });
  });
});
