// Against the real API server of ../shared/lab/kube: contexts from its kubeconfig (admin and a
// user with no RBAC at all), connection errors, RBAC preflight, and the watches feeding the
// engine's inputs from kubelet-style events (kubelet-event.sh) and real pods.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeInput, KubeletEvent, PodObserved } from '../engine/types.ts';
import { ClusterWatches } from './cluster-watches.ts';
import { ClusterConnection } from './connection.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';
import { KubeconfigWatcher } from './kubeconfig-watcher.ts';
import { freshNamespace, kubectl, labKubeconfig, labScript, requireLab, waitFor } from './lab.fixture.ts';
import { ResourceWatch, type WatchStatus } from './list-watch.ts';

let tmp: string;
let ns: string;

beforeAll(async () => {
  requireLab();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-kube-lab-'));
  ns = await freshNamespace('pt-kube');
});
afterAll(() => {
  if (ns) kubectl(['delete', 'namespace', ns, '--wait=false']);
  rmSync(tmp, { recursive: true, force: true });
});

function clientFor(name: string, paths = [labKubeconfig]): KubeConfig {
  const kc = loadKubeconfigs(paths, process.env.PATH ?? '').clientFor(name);
  if (!kc) throw new Error(`context ${name} not usable`);
  return kc;
}

describe('contexts and connections (lab)', () => {
  it('lists the lab contexts with the current one preselected', () => {
    const snapshot = loadKubeconfigs([labKubeconfig], process.env.PATH ?? '');
    expect(snapshot.current).toBe('lab-admin');
    expect(snapshot.contexts.map((c) => [c.name, c.cluster, c.user, c.namespace, c.current, c.auth, c.problems])).toEqual([
      ['lab-admin', 'lab', 'lab-admin', 'default', true, 'client-certificate', []],
      ['lab-readonly', 'lab', 'lab-readonly', 'default', false, 'client-certificate', []],
    ]);
    expect(snapshot.contexts[0]?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('admin: connected, install mode; readonly: connected, no mode, every missing verb named', async () => {
    const admin = await new ClusterConnection('lab-admin', () => clientFor('lab-admin')).check('pulltrace');
    expect(admin).toMatchObject({ state: 'connected', serverVersion: 'v1.20.2', preflight: { mode: 'install' } });

    const readonly = await new ClusterConnection('lab-readonly', () => clientFor('lab-readonly')).check('pulltrace');
    if (readonly.state !== 'connected') throw new Error(`readonly failed: ${readonly.error.message}`);
    expect(readonly.preflight.mode).toBe('none');
    expect(readonly.preflight.missing.events).toContain('cannot watch events in all namespaces');
    expect(readonly.preflight.missing.agent).toEqual(['cannot list pods in namespace pulltrace', 'cannot create pods/portforward in namespace pulltrace']);
    expect(readonly.preflight.missing.install).toContain('cannot patch daemonsets.apps in namespace pulltrace');
    expect(readonly.preflight.summary).toMatch(/^Nothing can be watched: cannot list events in all namespaces; /);
  });

  it('a user allowed only to watch events, pods and nodes falls back to events-only mode', async () => {
    // A real RBAC binding for a test-only user, reached by impersonation from the admin context
    // (the lab's own lab-readonly user is left alone: other tests rely on its 403s).
    const user = `pt-viewer-${Date.now().toString(36)}`;
    kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: user }, rules: [{ apiGroups: [''], resources: ['events', 'pods', 'nodes'], verbs: ['list', 'watch'] }] },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] },
      ],
    }));
    try {
      const lab = parse(readFileSync(labKubeconfig, 'utf8')) as { users: { name: string; user: Record<string, unknown> }[] };
      const admin = lab.users.find((u) => u.name === 'lab-admin');
      const file = path.join(tmp, 'viewer.yaml');
      writeFileSync(file, stringify({ users: [{ name: 'viewer', user: { ...admin?.user, as: user } }], contexts: [{ name: 'viewer', context: { cluster: 'lab', user: 'viewer' } }] }));
      const status = await new ClusterConnection('viewer', () => clientFor('viewer', [labKubeconfig, file])).check('pulltrace');
      if (status.state !== 'connected') throw new Error(status.error.message);
      expect(status.preflight.mode).toBe('events');
      expect(status.preflight.missing.events).toEqual([]);
      // Listing pods cluster-wide covers the agent namespace; only the port-forward is missing.
      expect(status.preflight.missing.agent).toEqual(['cannot create pods/portforward in namespace pulltrace']);
      expect(status.preflight.missing.install).toContain('cannot create namespaces (cluster-wide)');
      expect(status.preflight.summary).toBe('Events-only mode (kubelet events and pod status, no byte-level progress): cannot create pods/portforward in namespace pulltrace.');
    } finally {
      kubectl(['delete', 'clusterrolebinding,clusterrole', user, '--ignore-not-found']);
    }
  });

  it('a broken file and broken contexts beside the good ones: each with its own message', async () => {
    const lab = parse(readFileSync(labKubeconfig, 'utf8')) as { clusters: { name: string; cluster: Record<string, unknown> }[]; users: { name: string }[] };
    const labCluster = lab.clusters[0]!.cluster;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const extra = path.join(tmp, 'extra.yaml');
    writeFileSync(extra, stringify({
      clusters: [
        { name: 'no-ca', cluster: { server: labCluster.server } },
        { name: 'gone', cluster: { server: `https://127.0.0.1:${closedPort}`, 'certificate-authority-data': labCluster['certificate-authority-data'] } },
        { name: 'lab-again', cluster: labCluster },
      ],
      users: [{ name: 'bogus-token', user: { token: 'not-a-real-token' } }],
      contexts: [
        { name: 'untrusted', context: { cluster: 'no-ca', user: 'lab-admin' } },
        { name: 'unreachable', context: { cluster: 'gone', user: 'lab-admin' } },
        { name: 'expired', context: { cluster: 'lab-again', user: 'bogus-token' } },
      ],
    }));
    const broken = path.join(tmp, 'broken.yaml');
    writeFileSync(broken, 'clusters: [ {name: x\n');
    const paths = [labKubeconfig, broken, path.join(tmp, 'missing.yaml'), extra];
    const snapshot = loadKubeconfigs(paths, '');
    expect(snapshot.files.map((f) => f.state)).toEqual(['ok', 'invalid', 'missing', 'ok']);
    expect(snapshot.contexts.map((c) => c.name)).toEqual(['lab-admin', 'lab-readonly', 'untrusted', 'unreachable', 'expired']);

    const check = (name: string) => new ClusterConnection(name, () => clientFor(name, paths)).check('pulltrace');
    const [untrusted, unreachable, expired, good] = await Promise.all([check('untrusted'), check('unreachable'), check('expired'), check('lab-admin')]);
    expect(untrusted).toMatchObject({ state: 'failed', error: { kind: 'tls' } });
    expect(unreachable).toMatchObject({ state: 'failed', error: { kind: 'unreachable', message: `server unreachable (https://127.0.0.1:${closedPort}): connection refused` } });
    expect(expired).toMatchObject({ state: 'failed', error: { kind: 'unauthorized', status: 401 } });
    expect(good).toMatchObject({ state: 'connected' });
    expect(JSON.stringify([untrusted, unreachable, expired])).not.toContain('not-a-real-token');
  });
});

describe('kubeconfig edited while running (lab)', () => {
  it('a context added to the file appears and connects; a broken edit is reported and then fixed', async () => {
    const file = path.join(tmp, 'live.kubeconfig');
    const original = readFileSync(labKubeconfig, 'utf8');
    writeFileSync(file, original);
    const watcher = new KubeconfigWatcher({ paths: [file], searchPath: '', debounceMs: 50, rescanMs: 1000 });
    const seen: string[][] = [];
    watcher.onChange((s) => seen.push(s.contexts.map((c) => `${c.name}${c.problems.length ? '!' : ''}`)));
    watcher.start();
    try {
      const doc = parse(original) as { contexts: unknown[] };
      doc.contexts.push({ name: 'lab-system', context: { cluster: 'lab', user: 'lab-admin', namespace: 'kube-system' } });
      writeFileSync(file, stringify(doc));
      await waitFor('the new context', () => (seen.at(-1)?.includes('lab-system') ? true : undefined), 15_000, 50);
      expect(watcher.snapshot.contexts.find((c) => c.name === 'lab-system')).toMatchObject({ namespace: 'kube-system', problems: [] });
      const live = watcher.snapshot.clientFor('lab-system');
      if (!live) throw new Error('lab-system not usable');
      expect(await new ClusterConnection('lab-system', () => live).check('pulltrace')).toMatchObject({ state: 'connected', preflight: { mode: 'install' } });

      writeFileSync(file, original.replace('clusters:', 'clusters: [oops'));
      await waitFor('the broken file', () => (watcher.snapshot.files[0]?.state === 'invalid' ? true : undefined), 15_000, 50);
      expect(watcher.snapshot.contexts).toEqual([]);
      writeFileSync(file, original);
      await waitFor('the repaired file', () => (seen.at(-1)?.join(',') === 'lab-admin,lab-readonly' ? true : undefined), 15_000, 50);
    } finally {
      watcher.stop();
    }
  });
});

describe('watches (lab)', () => {
  it('kubelet-style events and pods reach the translator as KubeInputs; readonly reports forbidden', async () => {
    const inputs: KubeInput[] = [];
    const statuses: WatchStatus[] = [];
    const watches = new ClusterWatches({ config: () => clientFor('lab-admin'), sink: (i) => inputs.push(i), status: (s) => statuses.push(s) });
    watches.start();
    try {
      await waitFor('the three watches', () => (['events', 'pods', 'nodes'].every((r) => statuses.some((s) => s.resource === r && s.state === 'watching')) ? true : undefined));
      // A pod that cannot be scheduled anywhere: Pending, no kubelet ever touches it.
      kubectl(['-n', ns, 'apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'waiter', labels: { 'pod-template-hash': 'abc12' }, ownerReferences: [] },
        spec: { nodeSelector: { 'pulltrace-test': 'nowhere' }, containers: [{ name: 'web', image: '127.0.0.1:5001/lab/alpha:v1' }], terminationGracePeriodSeconds: 0 },
      }));
      const pod = await waitFor('kube.pod for the new pod', () => inputs.find((i): i is PodObserved => i.type === 'kube.pod' && i.pod.namespace === ns && i.pod.name === 'waiter'));
      expect(pod).toMatchObject({ deleted: false, containers: [{ name: 'web', image: '127.0.0.1:5001/lab/alpha:v1', started: false }] });

      labScript('kubelet-event.sh', ['-n', ns, 'waiter', 'pull-fail', '--node', 'lab-node-x']);
      labScript('kubelet-event.sh', ['-n', ns, 'waiter', 'pull-ok', '--node', 'lab-node-x', '--style', 'legacy']);
      const events = await waitFor('pull events', () => {
        const seen = inputs.filter((i): i is KubeletEvent => i.type === 'kube.event' && i.pod.namespace === ns);
        return seen.length >= 7 ? seen : undefined;
      });
      // pull-fail: Pulling, Failed, Failed(ErrImagePull), BackOff, Failed(ImagePullBackOff); pull-ok: Pulling, Pulled (Created/Started are not pulls).
      expect(events.map((e) => e.reason)).toEqual(['Pulling', 'Failed', 'Failed', 'BackOff', 'Failed', 'Pulling', 'Pulled']);
      expect(events.every((e) => e.node === 'lab-node-x' && e.container === 'web' && e.pod.uid === pod.pod.uid)).toBe(true);
      expect(events[6]?.message).toMatch(/^Successfully pulled image "127\.0\.0\.1:5001\/lab\/alpha:v1" in \d/);
      expect(new Set(events.map((e) => e.uid)).size).toBe(7);

      kubectl(['-n', ns, 'delete', 'pod', 'waiter', '--grace-period=0', '--force']);
      await waitFor('kube.pod deleted', () => inputs.find((i) => i.type === 'kube.pod' && i.pod.name === 'waiter' && i.deleted));
      expect(watches.dropped).toEqual({ events: 0, pods: 0, nodes: 0 });
    } finally {
      watches.stop();
    }

    const denied: WatchStatus[] = [];
    const readonly = new ClusterWatches({ config: () => clientFor('lab-readonly'), sink: () => undefined, status: (s) => denied.push(s) });
    readonly.start();
    try {
      const status = await waitFor('forbidden status', () => denied.find((s) => s.state === 'backoff' && s.resource === 'pods'));
      expect(status.error).toMatchObject({ kind: 'forbidden', status: 403 });
      expect(status.error?.message).toContain('User "lab-readonly" cannot list resource "pods"');
    } finally {
      readonly.stop();
    }
  });

  it('a resourceVersion the server no longer has (410) relists; a resumed watch delivers nothing twice', async () => {
    const delivered: string[] = [];
    const statuses: WatchStatus[] = [];
    const spec = {
      name: 'configmaps',
      path: `/api/v1/namespaces/${ns}/configmaps`,
      list: async (kc: KubeConfig, o: { limit: number; continueToken?: string }) => {
        const r = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns, limit: o.limit, _continue: o.continueToken });
        return { items: r.items, resourceVersion: r.metadata?.resourceVersion ?? '', continueToken: r.metadata?._continue };
      },
    };
    kubectl(['-n', ns, 'create', 'configmap', 'before', '--from-literal=a=1']);
    // The API server's watch cache keeps the last 100 changes per resource: push version 1 (and
    // anything a fresh lab still holds) out of it, so resuming from it must answer 410.
    const core = clientFor('lab-admin').makeApiClient(CoreV1Api);
    for (let batch = 0; batch < 6; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `filler-${batch}-${i}` }, data: { a: '1' } } })));
    }
    const watch = new ResourceWatch(spec, () => clientFor('lab-admin'), {
      upsert: (o) => delivered.push((o as { metadata: { name: string } }).metadata.name),
      remove: () => undefined,
      status: (s) => statuses.push(s),
    }, { resumeFrom: '1' });
    watch.start();
    try {
      await waitFor('relist after 410', () => (statuses.some((s) => s.state === 'watching' && s.relists === 1) && delivered.includes('before') ? true : undefined));
      kubectl(['-n', ns, 'create', 'configmap', 'after', '--from-literal=a=1']);
      kubectl(['-n', ns, 'patch', 'configmap', 'after', '-p', '{"data":{"a":"2"}}']);
      await waitFor('both changes of "after"', () => (delivered.filter((n) => n === 'after').length === 2 ? true : undefined));
      expect(delivered.filter((n) => n === 'before' || n === 'after')).toEqual(['before', 'after', 'after']);
      expect(delivered.filter((n) => n.startsWith('filler-'))).toHaveLength(120);
      expect(statuses.at(-1)).toMatchObject({ state: 'watching', relists: 1, restarts: 0 });
    } finally {
      watch.stop();
    }
  });
});
