import { describe, expect, it } from 'vitest';
import { ALPHA, ALPHA_30M, BASE_20M } from './lab-images.ts';
import { fetchImage, Lab } from './timeline.ts';

describe('3. per-layer rate and media type are populated; per-layer state leaves with its pull', () => {
  it('reports each layer with its media type, size, bytes, state and own rate', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).manifest(ALPHA).fetch(ALPHA.config, 1e6).fetch(BASE_20M, 2_000_000).fetch(ALPHA_30M, 1_000_000).run(6_000);
    const layers = lab.pull(ALPHA).layers;
    expect(layers.map((l) => l.digest)).toEqual([ALPHA.config.digest, ...ALPHA.layers.map((l) => l.digest)]);
    expect(layers[0]).toMatchObject({ mediaType: 'application/vnd.oci.image.config.v1+json', state: 'done', done: 880 });
    const base = layers.find((l) => l.digest === BASE_20M.digest);
    const alpha30 = layers.find((l) => l.digest === ALPHA_30M.digest);
    expect(base).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: BASE_20M.size, state: 'downloading' });
    expect(base?.rate).toBeGreaterThan(1.9e6);
    expect(base?.rate).toBeLessThan(2.1e6);
    expect(alpha30?.rate).toBeGreaterThan(0.95e6);
    expect(alpha30?.rate).toBeLessThan(1.05e6);
    expect(layers.filter((l) => l.state === 'pending')).toHaveLength(2);
  });

  it('layers come with one pull asked for by id (engine.pull), never in the drained views or the listing', () => {
    const lab = new Lab().connect('node/with/slashes').connect();
    lab.pulling(ALPHA).manifest(ALPHA).fetch(BASE_20M, 2_000_000).run(2_000);
    lab.pulling(ALPHA, { node: 'node/with/slashes' }).manifest(ALPHA, { node: 'node/with/slashes' }).fetch(BASE_20M, 1_000_000, 'node/with/slashes').run(2_000);
    const upserts = lab.drain().upserts;
    expect(upserts.map((view) => view.node).sort()).toEqual(['node-a', 'node/with/slashes']);
    for (const view of [...upserts, ...lab.engine.pulls()]) expect(view).not.toHaveProperty('layers');
    for (const view of upserts) {
      const detail = lab.engine.pull(view.id);
      expect(detail).toMatchObject({ id: view.id, node: view.node, bytes: view.bytes });
      expect(detail?.layers.map((l) => l.digest)).toEqual([ALPHA.config.digest, ...ALPHA.layers.map((l) => l.digest)]);
      expect(detail?.layers.find((l) => l.digest === BASE_20M.digest)?.state).toBe('downloading');
    }
    expect(lab.engine.pull('node-a/no-such-image#1')).toBeUndefined();
    expect(lab.engine.pull('not-an-id')).toBeUndefined();
  });

  it('drops the pull and its layers from the live view after retainFinishedMs', () => {
    const lab = new Lab({ retainFinishedMs: 60_000 }).connect();
    lab.pulling(ALPHA).manifest(ALPHA);
    fetchImage(lab, ALPHA, 20_000_000).run(3_000).imageCreated(ALPHA.image, ALPHA.manifest);
    const id = lab.pull(ALPHA).id;
    expect(lab.engine.stats().blobs).toBe(5);
    lab.drain();
    lab.run(61_000);
    expect(lab.pulls()).toEqual([]);
    expect(lab.engine.stats()).toMatchObject({ pulls: 0, blobs: 0, liveBlobs: 0, pendingRetire: 0 });
    expect(lab.drain().removals).toEqual([id]);
  });

  it('a pull retired while its history record waits for kubelet emits the record then, once, with its layers', () => {
    // Retention shorter than the 3 s the record waits for kubelet's Pulled: the pull's blobs are
    // released for reuse when it leaves the view, so its record cannot be built later.
    const lab = new Lab({ retainFinishedMs: 1_000 }).connect();
    lab.pulling(ALPHA).manifest(ALPHA);
    fetchImage(lab, ALPHA, 20_000_000).run(3_000).imageCreated(ALPHA.image, ALPHA.manifest);
    const total = lab.pull(ALPHA).bytes.total;
    lab.drain();
    expect(lab.finished).toEqual([]);
    lab.run(2_000);
    lab.drain();
    expect(lab.pulls()).toEqual([]);
    expect(lab.finished.map((record) => [record.image, record.state, record.bytesDownloaded, record.bytesTotal, record.layerCount])).toEqual([[ALPHA.image, 'done', total, total, ALPHA.layers.length]]);
    lab.run(5_000);
    lab.drain();
    expect(lab.finished).toHaveLength(1);
  });
});
