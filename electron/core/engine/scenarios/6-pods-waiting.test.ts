import { describe, expect, it } from 'vitest';
import type { ContainerStatusObserved, PodRef } from '../types.ts';
import { ALPHA, BIG } from './lab-images.ts';
import { Lab, pod } from './timeline.ts';

function podStatus(lab: Lab, ref: PodRef, container: Partial<ContainerStatusObserved>, options: { deleted?: boolean; node?: string } = {}): void {
  lab.send({
    type: 'kube.pod',
    at: lab.now,
    pod: ref,
    node: options.node ?? 'node-a',
    workload: { kind: 'Deployment', name: ref.name.replace(/-\d+$/, '') },
    deleted: options.deleted ?? false,
    containers: [{ name: 'app', image: ALPHA.image, started: false, ...container }],
  });
}

describe('6. pods and workloads waiting on a pull are attached, from events and from pod status', () => {
  it('attaches the pod named by kubelet events and pods whose status waits on the same image on that node', () => {
    const lab = new Lab().connect();
    const web1 = pod('web-1');
    const web2 = pod('web-2');
    const other = pod('api-1');
    lab.pulling(ALPHA, { pod: web1 });
    podStatus(lab, web1, { waitingReason: 'ContainerCreating' });
    podStatus(lab, web2, { waitingReason: 'ContainerCreating' });
    podStatus(lab, other, { waitingReason: 'ContainerCreating' }, { node: 'node-b' });
    const pods = lab.pull(ALPHA).pods;
    expect(pods.map((p) => p.pod.name).sort()).toEqual(['web-1', 'web-2']);
    expect(pods.find((p) => p.pod.name === 'web-1')).toMatchObject({ workload: { kind: 'Deployment', name: 'web' }, container: 'app', waitingReason: 'ContainerCreating' });
  });

  it('removes a pod once its container started or it was deleted', () => {
    const lab = new Lab().connect();
    const web1 = pod('web-1');
    const web2 = pod('web-2');
    lab.pulling(ALPHA, { pod: web1 }).pulling(ALPHA, { pod: web2 });
    expect(lab.pull(ALPHA).pods).toHaveLength(2);
    podStatus(lab, web1, { started: true });
    podStatus(lab, web2, {}, { deleted: true });
    expect(lab.pull(ALPHA).pods).toEqual([]);
    const upserted = lab.drain().upserts.find((p) => p.image === ALPHA.image);
    expect(upserted?.pods).toEqual([]);
  });

  it('a finished pull keeps the pods that waited on it, even once their containers start', () => {
    const lab = new Lab().connect();
    const web1 = pod('web-1');
    const web2 = pod('web-2');
    lab.pulling(ALPHA, { pod: web1 });
    podStatus(lab, web2, { waitingReason: 'ContainerCreating' });
    lab.manifest(ALPHA);
    for (const blob of [ALPHA.config, ...ALPHA.layers]) lab.fetch(blob, 8e6);
    lab.run(10_000);
    // The agent's image record finishes the pull; kubelet's Pulled event and the started
    // containers follow, in that order or with the status first.
    lab.imageCreated(ALPHA.image, ALPHA.manifest);
    // The history record waits for kubelet's figures (up to a grace period)…
    expect(lab.drain().finished).toEqual([]);
    podStatus(lab, web1, { started: true });
    lab.kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 10s (10.5s including waiting). Image size: 1000 bytes.`, { pod: web1 });
    // …and goes out with them, with the pod kubelet named and the one still waiting.
    const [record] = lab.drain().finished;
    // The download time is the agent's measure (first byte to last blob); the wait is kubelet's.
    // Here: the largest blob (30 MB at 8 MB/s) is in the store 3.75 s after the first byte; the
    // image record came 6 s later.
    expect(record).toMatchObject({ waitMs: 500, downloadMs: 3_750, unpackMs: 6_000 });
    expect(record?.pods.map((p) => p.pod.name)).toEqual(['web-1', 'web-2']);
    podStatus(lab, web1, { started: true });
    podStatus(lab, web2, { started: true });
    const done = lab.pull(ALPHA);
    expect(done.state).toBe('done');
    // web-2 was only ever inferred from its status: once started, nothing ties it to this pull.
    expect(done.pods.map((p) => p.pod.name)).toEqual(['web-1']);
    podStatus(lab, web1, { started: true }, { deleted: true });
    expect(lab.pull(ALPHA).pods).toEqual([]);
  });

  it('a pod that waits on the image after a pull finished joins the next pull, not the finished one', () => {
    const lab = new Lab().connect();
    const web1 = pod('web-1');
    const later = pod('later-1');
    lab.pulling(ALPHA, { pod: web1 });
    lab.kubelet('Pulled', `Successfully pulled image "${ALPHA.image}" in 2s (2s including waiting). Image size: 1000 bytes.`, { pod: web1 });
    podStatus(lab, later, { waitingReason: 'ContainerCreating' });
    lab.kubelet('Pulled', `Container image "${ALPHA.image}" already present on machine`, { pod: later });
    const [done, cached] = lab.pulls();
    expect(done).toMatchObject({ state: 'done' });
    expect(done?.pods.map((p) => p.pod.name)).toEqual(['web-1']);
    expect(cached).toMatchObject({ state: 'cached' });
    expect(cached?.pods.map((p) => p.pod.name)).toEqual(['later-1']);
  });

  it('attaches pods in ErrImagePull and ImagePullBackOff to the failed pull', () => {
    const lab = new Lab().connect();
    const web1 = pod('web-1');
    const web2 = pod('web-2');
    lab.pulling(BIG, { pod: web1 }).kubelet('Failed', `Failed to pull image "${BIG.image}": 401 Unauthorized`, { pod: web1 });
    lab.send({
      type: 'kube.pod', at: lab.now, pod: web2, node: 'node-a', deleted: false,
      containers: [{ name: 'app', image: BIG.image, started: false, waitingReason: 'ImagePullBackOff', waitingMessage: `Back-off pulling image "${BIG.image}"` }],
    });
    lab.send({
      type: 'kube.pod', at: lab.now, pod: web1, node: 'node-a', deleted: false,
      containers: [{ name: 'app', image: BIG.image, started: false, waitingReason: 'ErrImagePull' }],
    });
    const failed = lab.pull(BIG);
    expect(failed.state).toBe('failed');
    expect(failed.pods.map((p) => [p.pod.name, p.waitingReason]).sort()).toEqual([['web-1', 'ErrImagePull'], ['web-2', 'ImagePullBackOff']]);
    expect(lab.drain().finished).toHaveLength(1);
  });
});
