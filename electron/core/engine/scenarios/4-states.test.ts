import { describe, expect, it } from 'vitest';
import type { FailureReason } from '../types.ts';
import { ALPHA, ALPHA_30M, BASE_20M, BETA, BETA_10M, BIG, BIG_50M } from './lab-images.ts';
import { fetchImage, Lab, pod } from './timeline.ts';

describe('4. states: queued, resolving, downloading, stalled, unpacking, done, cached, failed with a reason, waiting', () => {
  it('walks queued → resolving → downloading → stalled → downloading → unpacking → done', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BIG);
    // kubelet serializes pulls: both said Pulling, no bytes for either yet.
    expect(lab.pulls().map((p) => p.state)).toEqual(['queued', 'queued']);
    lab.manifest(ALPHA);
    expect(lab.pull(ALPHA).state).toBe('resolving');
    lab.fetch(ALPHA.config, 1e6).fetch(BASE_20M, 2e6).run(3_000);
    expect(lab.pull(ALPHA).state).toBe('downloading');
    lab.setRate(BASE_20M, 0).run(9_500);
    expect(lab.pull(ALPHA).state).toBe('downloading');
    expect(lab.pull(ALPHA).rate).toBeGreaterThan(0);
    lab.run(1_000);
    expect(lab.pull(ALPHA)).toMatchObject({ state: 'stalled', rate: 0 });
    expect(lab.pull(ALPHA).layers.find((l) => l.digest === BASE_20M.digest)?.state).toBe('stalled');
    lab.setRate(BASE_20M, 2e6).run(1_000);
    expect(lab.pull(ALPHA).state).toBe('downloading');
    lab.fetch(ALPHA_30M, 8e6);
    for (const tiny of ALPHA.layers.slice(2)) lab.fetch(tiny, 1e6);
    lab.run(10_000);
    expect(lab.pull(ALPHA).state).toBe('unpacking');
    expect(lab.pull(ALPHA).phases.unpackingAt).toBeDefined();
    lab.imageCreated(ALPHA.image, ALPHA.manifest);
    const done = lab.pull(ALPHA);
    expect(done.state).toBe('done');
    expect(done.phases).toMatchObject({ queuedAt: expect.any(Number), resolvingAt: expect.any(Number), downloadingAt: expect.any(Number), finishedAt: lab.now });
    expect(lab.pull(BIG).state).toBe('queued');
  });

  it('sends a stall at the first drain where the pull is stalled, not up to a progress interval later', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).manifest(ALPHA);
    lab.fetch(ALPHA.config, 1e6).fetch(BASE_20M, 2e6).run(3_000);
    lab.drain();
    lab.setRate(BASE_20M, 0);
    let sentStalled = false;
    let stalledSeen = false;
    lab.run(15_000, () => {
      const stalledNow = lab.pull(ALPHA).state === 'stalled';
      const drained = lab.drain().upserts.find((p) => p.image === ALPHA.image);
      if (stalledNow && !stalledSeen) {
        stalledSeen = true;
        sentStalled = drained?.state === 'stalled';
      }
    });
    expect(stalledSeen).toBe(true);
    expect(sentStalled).toBe(true);
  });

  it('sends a stall at the first drain once the last moving layer of a pull finished and the others had stopped', () => {
    // A long progress interval (a large cluster's): only the per-drain stall test can send it in time.
    const lab = new Lab({ progressIntervalMs: 5_000 }).connect();
    lab.pulling(ALPHA).manifest(ALPHA);
    lab.fetch(ALPHA.config, 1e6).fetch(BASE_20M, 4e6).fetch(ALPHA_30M, 1e6).run(2_000);
    lab.drain();
    lab.setRate(ALPHA_30M, 0);
    let sentStalled = false;
    let stalledSeen = false;
    lab.run(20_000, () => {
      const stalledNow = lab.pull(ALPHA).state === 'stalled';
      const drained = lab.drain().upserts.find((p) => p.image === ALPHA.image);
      if (stalledNow && !stalledSeen) {
        stalledSeen = true;
        sentStalled = drained?.state === 'stalled';
      }
    });
    // BASE_20M finished at ~5 s while ALPHA_30M had not moved since 2 s: stalled from ~12 s.
    expect(lab.pull(ALPHA).layers.find((l) => l.digest === BASE_20M.digest)?.state).toBe('done');
    expect(stalledSeen).toBe(true);
    expect(sentStalled).toBe(true);
  });

  it('shows a cached image from kubelet "already present on machine"', () => {
    const lab = new Lab().connect();
    lab.kubelet('Pulled', `Container image "${ALPHA.image}" already present on machine`);
    expect(lab.pull(ALPHA).state).toBe('cached');
    expect(lab.drain().finished).toMatchObject([{ state: 'cached', image: ALPHA.image }]);
  });

  const failures: [string, FailureReason][] = [
    [`Failed to pull image "${BIG.image}": pulling from host 127.0.0.1:5001 failed with status code [manifests v1]: 401 Unauthorized`, 'auth'],
    [`Failed to pull image "${BIG.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${BIG.image}": failed to resolve reference "${BIG.image}": ${BIG.image}: not found`, 'not-found'],
    [`Failed to pull image "${BIG.image}": rpc error: code = Unknown desc = manifest unknown: manifest unknown`, 'manifest-unknown'],
    [`Failed to pull image "${BIG.image}": rpc error: code = Canceled desc = failed to pull and unpack image: context deadline exceeded`, 'timeout'],
    [`Failed to pull image "${BIG.image}": rpc error: code = Canceled desc = image pull progress timeout: no progress for 20s`, 'timeout'],
  ];
  for (const [message, reason] of failures) {
    it(`fails with reason ${reason}, and the failure is recorded once`, () => {
      const lab = new Lab().connect();
      lab.pulling(BIG).manifest(BIG).fetch(BIG_50M, 1e6).run(2_000);
      lab.kubelet('Failed', message).kubelet('Failed', 'Error: ErrImagePull');
      lab.gone(BIG_50M, 'aborted');
      expect(lab.pull(BIG)).toMatchObject({ state: 'failed', error: { reason, message } });
      expect(lab.drain().finished.filter((f) => f.state === 'failed')).toHaveLength(1);
      expect(lab.drain().finished).toHaveLength(0);
    });
  }

  it('keeps the specific reason when kubelet posts "Error: ErrImagePull" before the cause (same second, any order)', () => {
    const lab = new Lab().connect();
    lab.pulling(BIG).kubelet('Failed', 'Error: ErrImagePull');
    expect(lab.pull(BIG).state).not.toBe('failed');
    const [message] = failures[1]!;
    lab.kubelet('Failed', message);
    expect(lab.pull(BIG)).toMatchObject({ state: 'failed', error: { reason: 'not-found', message } });
    expect(lab.drain().finished).toMatchObject([{ state: 'failed', error: { reason: 'not-found' } }]);
  });

  it('fails with back-off, and a retry after BackOff is a new attempt with its own record', () => {
    const lab = new Lab().connect();
    lab.pulling(BIG).kubelet('Failed', `Failed to pull image "${BIG.image}": connection reset by peer`);
    lab.kubelet('BackOff', `Back-off pulling image "${BIG.image}"`);
    expect(lab.pull(BIG)).toMatchObject({ state: 'failed', error: { reason: 'network' } });
    lab.kubelet('BackOff', 'Back-off restarting failed container app in pod web-1_default(uid)');
    lab.run(10_000).pulling(BIG);
    const second = lab.pull(BIG);
    expect(second.state).toBe('queued');
    expect(second.id).toMatch(/#2$/);
    lab.kubelet('BackOff', `Back-off pulling image "${BIG.image}"`);
    expect(lab.pull(BIG)).toMatchObject({ state: 'failed', error: { reason: 'backoff' } });
    expect(lab.drain().finished.map((f) => f.id)).toEqual([`node-a/${BIG.image}#1`, `node-a/${BIG.image}#2`]);
  });

  it('fails with never-pull and inspect reasons', () => {
    const lab = new Lab();
    lab.kubelet('ErrImageNeverPull', `Container image "${ALPHA.image}" is not present with pull policy of Never`);
    lab.kubelet('InspectFailed', `Failed to apply default image tag "${BIG.image}": couldn't parse image reference`, { pod: pod('web-2') });
    expect(lab.pull(ALPHA).error?.reason).toBe('never-pull');
    expect(lab.pull(BIG).error?.reason).toBe('inspect');
  });

  it('shows the second of two CRI pulls sharing a layer as waiting on the first (it has no ingest of its own)', () => {
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BETA).manifest(ALPHA).manifest(BETA);
    lab.fetch(ALPHA.config, 1e6).fetch(BASE_20M, 2e6).fetch(ALPHA_30M, 2e6).run(3_000);
    const alpha = lab.pull(ALPHA);
    expect(lab.pull(BETA)).toMatchObject({ state: 'waiting', waitingOn: alpha.id });
    // Still waiting while alpha unpacks the shared layer; beta's own layers start only then.
    lab.run(9_000);
    expect(lab.isFetching(BASE_20M)).toBe(false);
    expect(lab.pull(BETA)).toMatchObject({ state: 'waiting', waitingOn: alpha.id });
    lab.fetch(BETA.config, 1e6).fetch(BETA_10M, 2e6).run(1_000);
    expect(lab.pull(BETA).state).toBe('downloading');
  });

  it('takes the pull with ingests of its own as the fetcher of a shared layer, whichever manifest came first', () => {
    // As recorded in fixtures/recordings/cri-alpha-beta-2mbps: beta fetches the shared base with its
    // own layer, alpha (manifest seen first) starts nothing until the base is in the store.
    const lab = new Lab().connect();
    lab.pulling(ALPHA).pulling(BETA);
    lab.fetch(BASE_20M, 2e6).fetch(BETA_10M, 2e6).run(1_000);
    lab.manifest(ALPHA).manifest(BETA).run(1_000);
    const beta = lab.pull(BETA);
    expect(lab.pull(ALPHA)).toMatchObject({ state: 'waiting', waitingOn: beta.id });
    expect(beta.state).toBe('downloading');
  });

  it('fires the failure counter once per failed pull for an agent-only pull whose ingests were aborted', () => {
    const lab = new Lab().connect();
    lab.manifest(BIG);
    fetchImage(lab, BIG, 1e6).run(2_000);
    lab.gone(BIG_50M, 'aborted');
    lab.gone(BIG.layers[1] ?? BIG_50M, 'aborted');
    const finished = lab.drain().finished;
    expect(finished).toMatchObject([{ state: 'failed', error: { reason: 'aborted' } }]);
  });
});
