import { describe, expect, it } from 'vitest';
import { ALPHA, BASE_20M, BETA, BETA_10M, ALPHA_30M, TINY_META } from './lab-images.ts';
import { fetchImage, Lab } from './timeline.ts';

const RATE = 2_000_000;

describe('1. two concurrent pulls on one node stay two pulls; a shared layer is counted once, shown under both', () => {
  it('keeps alpha and beta apart with their names, shares base-20m and counts its bytes once on the node', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BETA).manifest(ALPHA).manifest(BETA);
    fetchImage(lab, ALPHA, RATE);
    // ctr: beta's own layers download while alpha holds the shared ingest.
    fetchImage(lab, BETA, RATE, { skip: [BASE_20M.digest] });
    lab.run(4_000);

    const pulls = lab.pulls();
    expect(pulls.map((p) => p.image).sort()).toEqual([ALPHA.image, BETA.image]);
    expect(pulls.some((p) => /__pulling__/.test(p.image))).toBe(false);
    const alpha = lab.pull(ALPHA);
    const beta = lab.pull(BETA);
    const sharedInAlpha = alpha.layers.find((l) => l.digest === BASE_20M.digest);
    const sharedInBeta = beta.layers.find((l) => l.digest === BASE_20M.digest);
    expect(sharedInAlpha?.sharedWith).toEqual([beta.id]);
    expect(sharedInBeta?.sharedWith).toEqual([alpha.id]);
    expect(sharedInAlpha?.done).toBe(sharedInBeta?.done);

    // Node throughput: base + alpha-30m + beta-10m, the shared layer once (≈ 3 × 2 MB/s).
    const rateOf = (view: typeof alpha, digest: string) => view.layers.find((l) => l.digest === digest)?.rate ?? 0;
    const expectedNode = rateOf(alpha, BASE_20M.digest) + rateOf(alpha, ALPHA_30M.digest) + rateOf(beta, BETA_10M.digest);
    expect(lab.nodeRate()).toBeCloseTo(expectedNode, 0);
    expect(lab.nodeRate()).toBeGreaterThan(3 * RATE * 0.9);
    expect(lab.nodeRate()).toBeLessThan(3 * RATE * 1.1);
    expect(lab.nodeRate()).toBeLessThan(alpha.rate + beta.rate);
  });

  it('holds ingests seen before any manifest per node and attributes them when the manifests arrive', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BETA);
    lab.fetch(ALPHA_30M, RATE).fetch(BETA_10M, RATE).run(3_000);
    // No manifest yet: nothing is attributed, nothing merged; both pulls wait with no bytes.
    expect(lab.pulls().map((p) => p.bytes.done)).toEqual([0, 0]);
    expect(lab.nodeRate()).toBeGreaterThan(0);
    lab.manifest(ALPHA).manifest(BETA).run(1_000);
    expect(lab.pull(ALPHA).layers.find((l) => l.digest === ALPHA_30M.digest)?.done).toBeGreaterThanOrEqual(3 * 1_048_576);
    expect(lab.pull(BETA).layers.find((l) => l.digest === BETA_10M.digest)?.done).toBeGreaterThanOrEqual(3 * 1_048_576);
    expect(lab.pull(ALPHA).layers.some((l) => l.digest === BETA_10M.digest)).toBe(false);
  });

  it('names an agent-only (ctr) pull host/repo@digest, renames it from the image record, ignores sha256:<config> records', () => {
    const lab = new Lab().connect();
    lab.manifest(ALPHA);
    fetchImage(lab, ALPHA, 20_000_000).run(1_000);
    const provisional = lab.pulls();
    expect(provisional).toHaveLength(1);
    expect(provisional[0]?.image).toBe(`127.0.0.1/lab/alpha@${ALPHA.manifest}`);
    lab.run(2_000);
    lab.imageCreated(ALPHA.image, ALPHA.manifest).imageCreated(ALPHA.config.digest, ALPHA.manifest);
    lab.imageCreated(`127.0.0.1:5001/lab/alpha@${ALPHA.manifest}`, ALPHA.manifest);
    const pulls = lab.pulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ image: ALPHA.image, state: 'done', digest: ALPHA.manifest, id: provisional[0]?.id });
    // No kubelet Pulled event comes for a ctr pull: the history record goes out after the grace.
    expect(lab.drain().finished).toHaveLength(0);
    lab.run(3_000);
    expect(lab.drain().finished).toMatchObject([{ image: ALPHA.image, state: 'done', pods: [] }]);
  });

  // Seen on the lab's kubelet: containerd labels a manifest's source right after committing it, and
  // the agent may read it in between (it sends it again once the label is there).
  it('a manifest read before its source label joins the one pull kubelet announced, not a second row', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).manifest(ALPHA, { sources: [] });
    fetchImage(lab, ALPHA, 20_000_000).run(1_000);
    lab.manifest(ALPHA).run(2_000);
    lab.imageCreated(ALPHA.image, ALPHA.manifest).kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 3.2s`).run(1_000);
    const pulls = lab.pulls();
    expect(pulls.map((p) => [p.image, p.state, p.source])).toEqual([[ALPHA.image, 'done', 'both']]);
    expect(pulls[0]?.bytes.done).toBe(pulls[0]?.bytes.total);
  });

  it('with two pulls waiting, a source-less manifest stays its own row until its source names it; kubelet then adopts it', () => {
    const lab = new Lab().connect();
    lab.pulling(BETA).manifest(BETA);
    lab.manifest(ALPHA, { sources: [] });
    fetchImage(lab, ALPHA, 20_000_000).run(1_000);
    expect(lab.pulls().map((p) => p.image).sort()).toEqual([BETA.image, `@${ALPHA.manifest}`].sort());
    lab.manifest(ALPHA).pulling(ALPHA).run(500);
    expect(lab.pulls().map((p) => p.image).sort()).toEqual([ALPHA.image, BETA.image].sort());
    expect(lab.pull(ALPHA).bytes.done).toBeGreaterThan(0);
  });

  it('with two pulls waiting, kubelet announcing it before its source label is read: the nameless row folds into kubelet’s', () => {
    const lab = new Lab().connect();
    lab.pulling(BETA).manifest(BETA);
    lab.manifest(ALPHA, { sources: [] });
    fetchImage(lab, ALPHA, 20_000_000).run(1_000);
    lab.pulling(ALPHA).run(200);
    expect(lab.pulls()).toHaveLength(3);
    lab.manifest(ALPHA).run(500);
    expect(lab.pulls().map((p) => p.image).sort()).toEqual([ALPHA.image, BETA.image].sort());
    expect(lab.pull(ALPHA).bytes.done).toBeGreaterThan(0);
    lab.run(3_000).imageCreated(ALPHA.image, ALPHA.manifest).imageCreated(`127.0.0.1:5001/lab/alpha@${ALPHA.manifest}`, ALPHA.manifest).run(4_000);
    expect(lab.drain().finished.map((r) => [r.image, r.state])).toEqual([[ALPHA.image, 'done']]);
  });

  it('a pull faster than the agent’s poll: kubelet’s Pulled first, the manifest 0.2 s later joins that pull — one record, from both', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).run(600);
    lab.kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 587ms`).run(200);
    expect(lab.drain().finished).toEqual([]);
    lab.manifest(ALPHA);
    for (const blob of [ALPHA.config, ...ALPHA.layers]) lab.gone(blob);
    lab.imageCreated(ALPHA.image, ALPHA.manifest).run(4_000);
    const pulls = lab.pulls();
    expect(pulls.map((p) => [p.image, p.state, p.source])).toEqual([[ALPHA.image, 'done', 'both']]);
    const [record, ...more] = lab.drain().finished;
    expect(more).toEqual([]);
    expect(record).toMatchObject({ image: ALPHA.image, state: 'done', source: 'both' });
    expect(record?.bytesTotal).toBe(pulls[0]?.bytes.total);
    expect(record?.bytesDownloaded).toBe(pulls[0]?.bytes.total);
    expect(record?.downloadMs).toBeGreaterThanOrEqual(0);
  });

  // CRI fetches the shared base for one pull and blocks the other until it is in the store (lab
  // README). Whether the blocked pull's manifest is read before or after that commit is timing —
  // both seen in the lab (pipeline.lab e2e 2) — and must not change what history says it
  // downloaded: the shared layer crossed the wire once, for the pull that fetched it.
  it.each([
    ['before', false],
    ['after', true],
  ])('history counts a shared layer as downloaded by the pull that fetched it, beta’s manifest read %s the commit', (_when, afterCommit) => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BETA).manifest(ALPHA);
    if (!afterCommit) lab.manifest(BETA);
    fetchImage(lab, ALPHA, RATE).run(20_000).imageCreated(ALPHA.image, ALPHA.manifest);
    const shared = [BASE_20M, TINY_META];
    if (afterCommit) lab.manifest(BETA, { present: shared.map((blob) => blob.digest) });
    fetchImage(lab, BETA, RATE, { skip: shared.map((blob) => blob.digest) }).run(8_000).imageCreated(BETA.image, BETA.manifest).run(4_000);
    lab.drain();

    const size = (blobs: { size: number }[]): number => blobs.reduce((sum, blob) => sum + blob.size, 0);
    const record = (image: typeof ALPHA) => lab.finished.find((r) => r.image === image.image);
    expect(record(ALPHA)).toMatchObject({ state: 'done', bytesDownloaded: size([ALPHA.config, ...ALPHA.layers]), bytesCached: 0 });
    const betaOwn = size([BETA.config, ...BETA.layers]) - size(shared);
    expect(record(BETA)).toMatchObject({ state: 'done', bytesTotal: betaOwn, bytesDownloaded: betaOwn, bytesCached: size(shared) });
    // The finished row on screen says the same as its record.
    expect(lab.pull(BETA).bytes).toMatchObject({ done: betaOwn, total: betaOwn, cached: size(shared) });
    expect(lab.pull(BETA).layers.filter((l) => l.state === 'cached').map((l) => l.digest).sort()).toEqual(shared.map((b) => b.digest).sort());
  });
});
