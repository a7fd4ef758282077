import { describe, expect, it } from 'vitest';
import { ALPHA, BETA, BIG } from './lab-images.ts';
import { Lab, pod } from './timeline.ts';

describe('7. events-only: without an agent, pulls come from kubelet events and pod status', () => {
  it('shows a queued pull from Pulling and finishes it from an old-format Pulled message with its duration', () => {
    const lab = new Lab();
    lab.pulling(ALPHA);
    expect(lab.pull(ALPHA)).toMatchObject({ state: 'queued', source: 'events' });
    lab.run(62_500);
    lab.kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 1m2.5s`);
    expect(lab.pull(ALPHA).state).toBe('done');
    const [record] = lab.drain().finished;
    expect(record).toMatchObject({ state: 'done', downloadMs: 62_500, source: 'events', pods: [{ pod: { name: 'web-1' } }] });
  });

  it('takes size and waiting time from the new Pulled format, and the start time when Pulling was missed', () => {
    const lab = new Lab();
    lab.run(10_000);
    lab.kubelet('Pulled', `Successfully pulled image "${BETA.image}" in 1.538s (3.5s including waiting). Image size: 31466685 bytes.`);
    const [record] = lab.drain().finished;
    expect(record).toMatchObject({ downloadMs: 1538, waitMs: 1962, bytesTotal: 31466685, bytesDownloaded: 31466685, queuedAt: lab.now - 3500 });
    expect(record?.avgRate).toBeCloseTo(31466685 / 1.538, 0);
    expect(lab.pull(BETA).bytes).toMatchObject({ done: 31466685, total: 31466685, totalKnown: true });
  });

  it('never reports a negative duration: kubelet rounds "in" and "including waiting" separately', () => {
    const lab = new Lab();
    lab.pulling(ALPHA).run(200);
    lab.kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 137.66ms (137ms including waiting). Image size: 1000 bytes.`);
    const [record] = lab.drain().finished;
    expect(record).toMatchObject({ downloadMs: 137.66, waitMs: 0 });
  });

  it('parses sub-second Go durations (25.697413ms)', () => {
    const lab = new Lab();
    lab.pulling(ALPHA).kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 25.697413ms`);
    expect(lab.drain().finished[0]?.downloadMs).toBeCloseTo(25.697413, 6);
  });

  it('reports failures from events and, when events were missed, from pod status alone', () => {
    const lab = new Lab();
    lab.pulling(BIG).kubelet('Failed', `Failed to pull image "${BIG.image}": rpc error: code = NotFound desc = ${BIG.image}: not found`);
    expect(lab.pull(BIG).error?.reason).toBe('not-found');
    lab.send({
      type: 'kube.pod', at: lab.now, pod: pod('late-1'), node: 'node-b', deleted: false,
      containers: [{ name: 'app', image: ALPHA.image, started: false, waitingReason: 'ImagePullBackOff', waitingMessage: `Back-off pulling image "${ALPHA.image}"` }],
    });
    expect(lab.pull(ALPHA, 'node-b')).toMatchObject({ state: 'failed', error: { reason: 'backoff' }, source: 'events' });
    // The same status seen again does not fail the image a second time.
    lab.send({
      type: 'kube.pod', at: lab.now + 1, pod: pod('late-1'), node: 'node-b', deleted: false,
      containers: [{ name: 'app', image: ALPHA.image, started: false, waitingReason: 'ImagePullBackOff' }],
    });
    expect(lab.drain().finished.map((f) => f.image)).toEqual([BIG.image, ALPHA.image]);
  });

  it('applies an event once per (uid, count), even when the watch delivers it twice', () => {
    const lab = new Lab();
    const event = { type: 'kube.event', at: lab.now, uid: 'ev-1', count: 1, node: 'node-a', reason: 'Pulled', message: `Container image "${ALPHA.image}" already present on machine`, pod: pod('web-1') } as const;
    lab.send(event).send(event).send({ ...event, count: 2 });
    expect(lab.drain().finished).toHaveLength(2);
  });
});
