// Objects shaped like the lab's real kubelet v1.20 output (../shared/lab/kube/README.md) and the
// newer kubelet formats that kubelet-event.sh reproduces.
import { describe, expect, it } from 'vitest';
import { parsePod, translateEvent, translatePod, workloadFromPod } from './translate.ts';

const kubeletEvent = (reason: string, message: string, extra: Record<string, unknown> = {}) => ({
  kind: 'Event',
  apiVersion: 'v1',
  metadata: { name: 'web-0.17a9b3c4d5e6f708', namespace: 'team', uid: 'ev-uid-1', resourceVersion: '4711', creationTimestamp: '2026-11-23T12:00:00Z' },
  involvedObject: { kind: 'Pod', namespace: 'team', name: 'web-0', uid: 'pod-uid-1', apiVersion: 'v1', resourceVersion: '4700', fieldPath: 'spec.containers{web}' },
  reason,
  message,
  source: { component: 'kubelet', host: 'lab-kubelet' },
  firstTimestamp: '2026-11-23T12:00:00Z',
  lastTimestamp: '2026-11-23T12:00:05Z',
  count: 1,
  type: 'Normal',
  eventTime: null,
  reportingComponent: '',
  reportingInstance: '',
  ...extra,
});

describe('translateEvent', () => {
  it('turns a v1.20 Pulling event into a kube.event', () => {
    expect(translateEvent(kubeletEvent('Pulling', 'Pulling image "127.0.0.1:5001/lab/alpha-run:v1"'), 99)).toEqual({
      input: {
        type: 'kube.event',
        at: Date.parse('2026-11-23T12:00:05Z'),
        uid: 'ev-uid-1',
        count: 1,
        node: 'lab-kubelet',
        reason: 'Pulling',
        message: 'Pulling image "127.0.0.1:5001/lab/alpha-run:v1"',
        pod: { namespace: 'team', name: 'web-0', uid: 'pod-uid-1' },
        container: 'web',
      },
    });
  });

  it('keeps aggregated counts and accepts Date objects from typed list calls', () => {
    const event = kubeletEvent('Failed', 'Error: ErrImagePull', { count: 3, lastTimestamp: new Date('2026-11-23T12:01:00Z') });
    const verdict = translateEvent(event, 0);
    expect('input' in verdict && verdict.input).toMatchObject({ reason: 'Failed', count: 3, at: Date.parse('2026-11-23T12:01:00Z') });
  });

  it('uses reportingInstance and series for newer events.k8s.io-style objects', () => {
    const event = kubeletEvent('Pulled', 'Successfully pulled image "nginx:1.25" in 1.538s (1.538s including waiting). Image size: 12345678 bytes.', {
      source: {}, reportingComponent: 'kubelet', reportingInstance: 'node-7', series: { count: 4, lastObservedTime: '2026-11-23T12:02:00.123456Z' },
    });
    const verdict = translateEvent(event, 0);
    expect('input' in verdict && verdict.input).toMatchObject({ node: 'node-7', count: 4, at: Date.parse('2026-11-23T12:02:00.123Z') });
  });

  it('keeps pull failures and pull back-offs, drops container start failures and crash back-offs', () => {
    const kept = [
      ['Failed', 'Failed to pull image "127.0.0.1:5001/lab/missing:v1": rpc error: code = NotFound desc = failed to pull and unpack image'],
      ['Failed', 'Error: ImagePullBackOff'],
      ['BackOff', 'Back-off pulling image "127.0.0.1:5001/lab/missing:v1"'],
      ['ErrImageNeverPull', 'Container image "x:1" is not present with pull policy of Never'],
      ['InspectFailed', 'Failed to apply default image tag "BAD//name": couldn\'t parse image reference'],
    ];
    for (const [reason, message] of kept) expect(translateEvent(kubeletEvent(reason!, message!), 0)).toHaveProperty('input');
    const dropped = [
      ['Failed', 'Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: exec: "/lab/none": stat /lab/none: no such file or directory: unknown'],
      ['BackOff', 'Back-off restarting failed container'],
      ['Created', 'Created container web'],
      ['Started', 'Started container web'],
    ];
    for (const [reason, message] of dropped) expect(translateEvent(kubeletEvent(reason!, message!), 0)).toEqual({ skipped: 'not-a-pull' });
  });

  it('rejects non-kubelet and malformed events', () => {
    expect(translateEvent(kubeletEvent('Pulling', 'x', { source: { component: 'default-scheduler' } }), 0)).toEqual({ skipped: 'not-kubelet' });
    expect(translateEvent(kubeletEvent('Pulling', 'x', { involvedObject: { kind: 'Node', name: 'n', namespace: 'default' } }), 0)).toEqual({ skipped: 'not-kubelet' });
    expect(translateEvent({ metadata: {} }, 0)).toEqual({ skipped: 'invalid' });
    expect(translateEvent('nope', 0)).toEqual({ skipped: 'invalid' });
  });
});

const pod = (status: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  metadata: {
    name: 'web-5d9c7b8f6-x2x4q', namespace: 'team', uid: 'pod-uid-1', resourceVersion: '5',
    labels: { app: 'web', 'pod-template-hash': '5d9c7b8f6' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c7b8f6', uid: 'rs', controller: true, blockOwnerDeletion: true }],
    ...metadata,
  },
  spec: { nodeName: 'lab-kubelet', containers: [{ name: 'alpha', image: '127.0.0.1:5001/lab/alpha:v1' }], initContainers: [{ name: 'init', image: 'lab.local/busybox:1.35' }] },
  status,
});

describe('translatePod', () => {
  it('a pod waiting on its pull (ContainerCreating) before any status, then crash-looping after the pull', () => {
    const pending = parsePod(pod({ phase: 'Pending' }));
    expect(pending && translatePod(pending, 10, undefined, false)).toEqual({
      type: 'kube.pod', at: 10, pod: { namespace: 'team', name: 'web-5d9c7b8f6-x2x4q', uid: 'pod-uid-1' }, node: 'lab-kubelet', deleted: false,
      containers: [{ name: 'init', image: 'lab.local/busybox:1.35', started: false }, { name: 'alpha', image: '127.0.0.1:5001/lab/alpha:v1', started: false }],
    });

    const crashLoop = parsePod(pod({
      phase: 'Running',
      initContainerStatuses: [{ name: 'init', image: 'lab.local/busybox:1.35', imageID: 'sha256:aa', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{
        name: 'alpha', image: '127.0.0.1:5001/lab/alpha:v1', imageID: '127.0.0.1:5001/lab/alpha@sha256:4f19', ready: false, restartCount: 2,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=alpha' } },
        lastState: { terminated: { exitCode: 128, reason: 'StartError', startedAt: '1970-01-01T00:00:00Z' } },
      }],
    }));
    expect(crashLoop && translatePod(crashLoop, 11, undefined, false).containers).toEqual([
      { name: 'init', image: 'lab.local/busybox:1.35', started: true, imageID: 'sha256:aa' },
      { name: 'alpha', image: '127.0.0.1:5001/lab/alpha:v1', started: true, waitingReason: 'CrashLoopBackOff', waitingMessage: 'back-off 20s restarting failed container=alpha', imageID: '127.0.0.1:5001/lab/alpha@sha256:4f19' },
    ]);
  });

  it('ErrImagePull with its message, not started', () => {
    const failing = parsePod(pod({ containerStatuses: [{ name: 'alpha', image: '127.0.0.1:5001/lab/alpha:v1', imageID: '', state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound' } } }] }));
    expect(failing && translatePod(failing, 0, undefined, false).containers[1]).toEqual({
      name: 'alpha', image: '127.0.0.1:5001/lab/alpha:v1', started: false, waitingReason: 'ErrImagePull', waitingMessage: 'rpc error: code = NotFound',
    });
  });

  it('resolves ReplicaSet → Deployment from the pod-template-hash, asks for a lookup for Jobs', () => {
    const deployed = parsePod(pod({}));
    expect(deployed && workloadFromPod(deployed)).toEqual({ workload: { kind: 'Deployment', name: 'web' } });
    const job = parsePod(pod({}, { labels: { 'job-name': 'backup-2891' }, ownerReferences: [{ kind: 'Job', name: 'backup-2891', controller: true }] }));
    expect(job && workloadFromPod(job)).toEqual({ workload: { kind: 'Job', name: 'backup-2891' }, needsJobLookup: 'backup-2891' });
    const ds = parsePod(pod({}, { labels: {}, ownerReferences: [{ kind: 'DaemonSet', name: 'pulltrace-agent', controller: true }] }));
    expect(ds && workloadFromPod(ds)).toEqual({ workload: { kind: 'DaemonSet', name: 'pulltrace-agent' } });
    const bare = parsePod(pod({}, { ownerReferences: undefined }));
    expect(bare && workloadFromPod(bare)).toEqual({});
    // A ReplicaSet without the hash suffix was made by hand: it is the workload itself.
    const handmade = parsePod(pod({}, { ownerReferences: [{ kind: 'ReplicaSet', name: 'custom', controller: true }] }));
    expect(handmade && workloadFromPod(handmade)).toEqual({ workload: { kind: 'ReplicaSet', name: 'custom' } });
  });

  it('rejects objects that are not pods', () => {
    expect(parsePod({ metadata: { name: 'x' } })).toBeUndefined();
  });
});
