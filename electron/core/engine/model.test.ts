// Blob packs kind, live, committed, its live-list slot and how its times are stored into one field,
// and stores its times relative to a base (model.ts, memory): each must read back exactly what was
// set, whatever the others hold.
import { describe, expect, it } from 'vitest';
import { addLiveBlob, Blob, newBlob, newNode, releaseBlob, removeLiveBlob, type Pull } from './model.ts';
import type { IngestKind } from './types.ts';

describe('blob packed fields', () => {
  it('kind, live, committed and slot are independent', () => {
    const kinds: IngestKind[] = ['layer', 'config', 'manifest', 'index', 'unknown'];
    for (const kind of kinds) {
      const blob = new Blob('sha256:x', kind, 10, 'm');
      for (const slot of [0, 1, 31, 20_000]) {
        blob.liveSlot = slot;
        blob.live = true;
        blob.committed = true;
        expect([blob.kind, blob.live, blob.committed, blob.liveSlot]).toEqual([kind, true, true, slot]);
        blob.live = false;
        expect([blob.kind, blob.live, blob.committed, blob.liveSlot]).toEqual([kind, false, true, slot]);
        blob.kind = 'layer';
        blob.committed = false;
        expect([blob.kind, blob.live, blob.committed, blob.liveSlot]).toEqual(['layer', false, false, slot]);
        blob.kind = kind;
      }
    }
  });

  it('start and finish times read back exactly, whatever their magnitude, with the flags intact', () => {
    // The first time stored anywhere fixes the base; these straddle any plausible base, and include
    // fractions that cannot be stored relative to it exactly (kept as they came).
    const times = [1_790_000_000_000, 1_790_000_000_000.25, 0, 0.1, -5, 1e15 + 0.5, 1_790_003_600_123, 2 ** 52 + 1];
    const blob = new Blob('sha256:t', 'layer', 10, 'm');
    expect([blob.startedAt, blob.finishedAt]).toEqual([undefined, undefined]);
    blob.liveSlot = 20_000;
    blob.live = true;
    for (const started of times) {
      for (const finished of [...times, undefined]) {
        blob.startedAt = started;
        blob.finishedAt = finished;
        expect([blob.startedAt, blob.finishedAt, blob.kind, blob.live, blob.committed, blob.liveSlot]).toEqual([started, finished, 'layer', true, false, 20_000]);
      }
    }
    blob.startedAt ??= 7;
    expect(blob.startedAt).toBe(2 ** 52 + 1);
  });

  it('a released blob, reused, reads exactly like a new one', () => {
    const old = newBlob('sha256:old', 'layer', 100, 'application/old');
    old.done = 60;
    old.live = true;
    old.committed = true;
    old.liveSlot = 7;
    old.startedAt = 1_790_000_000_000.5;
    old.finishedAt = 1_790_000_001_000;
    const owner = { id: 'p' } as Pull;
    old.owners = [owner];
    old.fetcher = owner;
    releaseBlob(old);
    const reused = newBlob('sha256:new', 'config', 5, 'application/new');
    expect(reused).toBe(old);
    const fresh = new Blob('sha256:new', 'config', 5, 'application/new');
    const read = (blob: Blob) => [blob.digest, blob.mediaType, blob.kind, blob.size, blob.done, blob.live, blob.committed, blob.liveSlot, blob.startedAt, blob.finishedAt, blob.owners, blob.fetcher, blob.samples];
    expect(read(reused)).toEqual(read(fresh));
    expect(read(fresh)).toEqual(['sha256:new', 'application/new', 'config', 5, 0, false, false, 0, undefined, undefined, [], undefined, null]);
  });

  it("a node's live list stays exact as blobs come and go in any order", () => {
    const node = newNode('n');
    const blobs = Array.from({ length: 6 }, (_, i) => new Blob(`sha256:${i}`, 'layer', 1, 'm'));
    for (const blob of blobs) addLiveBlob(node, blob);
    for (const i of [2, 0, 5]) removeLiveBlob(node, blobs[i] as Blob);
    removeLiveBlob(node, blobs[2] as Blob); // twice: no effect
    expect(new Set(node.liveBlobs)).toEqual(new Set([blobs[1], blobs[3], blobs[4]]));
    node.liveBlobs.forEach((blob, slot) => expect(blob.liveSlot).toBe(slot));
  });
});
