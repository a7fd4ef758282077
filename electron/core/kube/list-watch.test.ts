// The supervisor's decisions (resume vs relist vs back off) against a scripted local HTTP server
// speaking the API server's list/watch wire format, through client-node's real Watch. The real
// API server is exercised by kube.lab.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceWatch, type WatchStatus } from './list-watch.ts';

type Step = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const obj = (uid: string, rv: string) => ({ metadata: { uid, name: uid, resourceVersion: rv } });
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

let server: http.Server | undefined;
afterEach(() => server?.close());

async function serve(watchSteps: Step[], lists: { items: unknown[]; rv: string }[]) {
  const requests: string[] = [];
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch') === 'true') {
      const step = watchSteps.shift();
      if (step) return step(req, res);
      res.writeHead(200);
      return; // hang: the test stops the watch
    }
    const list = lists.shift() ?? { items: [], rv: '999' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: list.rv }, items: list.items }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
  });
  return { kc, requests };
}

const spec = {
  name: 'things',
  path: '/api/v1/things',
  list: async (kc: KubeConfig) => {
    const res = await fetch(`${kc.getCurrentCluster()?.server}/api/v1/things`);
    const body = (await res.json()) as { items: unknown[]; metadata: { resourceVersion: string } };
    return { items: body.items, resourceVersion: body.metadata.resourceVersion };
  },
};

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out: ${what}`);
};

describe('ResourceWatch supervisor', () => {
  it('resumes a closed watch from the last resourceVersion, relists on 410, backs off on 500, never delivers twice', async () => {
    const { kc, requests } = await serve([
      (_q, res) => { res.writeHead(200); res.end(line('ADDED', obj('b', '11')) + line('MODIFIED', obj('a', '12')) + line('BOOKMARK', { metadata: { resourceVersion: '15' } })); },
      (_q, res) => { res.writeHead(500); res.end('{"kind":"Status","code":500,"message":"etcd hiccup"}'); },
      (_q, res) => { res.writeHead(200); res.end(line('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' })); },
    ], [
      { items: [obj('a', '10')], rv: '10' },
      // After the 410: "a" unchanged (not delivered again), "b" gone, "c" new.
      { items: [obj('a', '12'), obj('c', '20')], rv: '20' },
    ]);
    const upserts: string[] = [];
    const removals: string[] = [];
    const statuses: WatchStatus[] = [];
    const watch = new ResourceWatch(spec, () => kc, {
      upsert: (o) => upserts.push(`${(o as { metadata: { uid: string; resourceVersion: string } }).metadata.uid}@${(o as { metadata: { resourceVersion: string } }).metadata.resourceVersion}`),
      remove: (key) => {
        removals.push(key);
        upserts.push(`-${key}`);
      },
      listed: (first) => upserts.push(first ? 'listed(first)' : 'listed'),
      status: (s) => statuses.push(s),
    }, { backoffBaseMs: 50, random: () => 0.5 });
    watch.start();
    try {
      await until('relist after 410 and a fourth watch', () => requests.filter((r) => r.includes('watch=true')).length >= 4);
      const watches = requests.filter((r) => r.includes('watch=true')).map((r) => new URL(r, 'http://x').searchParams.get('resourceVersion'));
      // list@10 → watch 10 → closed after bookmark 15 → resume 15 → 500 → back off, resume 15 → 410 → relist@20 → watch 20
      expect(watches).toEqual(['10', '15', '15', '20']);
      // Each completed list is announced after its items (and the removals it implies).
      expect(upserts).toEqual(['a@10', 'listed(first)', 'b@11', 'a@12', 'c@20', '-b', 'listed']);
      expect(removals).toEqual(['b']);
      const last = statuses.at(-1);
      expect(last).toMatchObject({ state: 'watching', relists: 2, restarts: 1 });
      expect(statuses.find((s) => s.state === 'backoff')?.error).toMatchObject({ kind: 'server', status: 500 });
      expect(watch.knownCount).toBe(2);
    } finally {
      watch.stop();
    }
  });

  it('caps the remembered keys for high-volume resources', async () => {
    const items = Array.from({ length: 50 }, (_, i) => obj(`e${i}`, String(i + 1)));
    const { kc } = await serve([], [{ items, rv: '50' }]);
    let delivered = 0;
    const watch = new ResourceWatch({ ...spec, maxKnown: 10 }, () => kc, { upsert: () => void delivered++, remove: () => undefined });
    watch.start();
    try {
      await until('list delivered', () => delivered === 50);
      expect(watch.knownCount).toBe(10);
    } finally {
      watch.stop();
    }
  });

  it('backs off instead of spinning when every watch ends at once with nothing in it', async () => {
    const cut: Step = (_q, res) => { res.writeHead(200); res.end(); };
    const { kc, requests } = await serve(Array.from({ length: 50 }, () => cut), [{ items: [], rv: '5' }]);
    const statuses: WatchStatus[] = [];
    const watch = new ResourceWatch(spec, () => kc, { upsert: () => undefined, remove: () => undefined, status: (s) => statuses.push(s) }, { backoffBaseMs: 100, random: () => 1 });
    watch.start();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      // 100, 200, 400 ms back-offs: about four watches in a second, not hundreds.
      const watches = requests.filter((r) => r.includes('watch=true')).length;
      expect(watches).toBeGreaterThanOrEqual(2);
      expect(watches).toBeLessThanOrEqual(6);
      expect(statuses.find((s) => s.state === 'backoff')?.error).toEqual({ kind: 'unreachable', message: 'the things watch keeps ending as soon as it starts' });
    } finally {
      watch.stop();
    }
  });
});
