// Blob packs kind, live, committed and its live-list slot into one field (model.ts, memory): each
// must read back what was set, whatever the others hold.
import { describe, expect, it } from 'vitest';
import { addLiveBlob, Blob, newNode, removeLiveBlob } from './model.ts';
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
