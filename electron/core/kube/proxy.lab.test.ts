// The lab's API server behind a real HTTP CONNECT proxy (node:http, in this test), as on a
// corporate network: the app's kubeconfig path (loadKubeconfigs → clientFor) with HTTPS_PROXY from
// the environment, and with a kubeconfig proxy-url. API calls (undici), watches (fetch) and
// port-forward WebSockets (ws through an https proxy agent) all have to go through the tunnel.
// The server is named `kubernetes` — a name in the API server's certificate that resolves nowhere
// here, so only the proxy can have reached it.
import dns from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPortForward } from '../agents/port-forward.ts';
import { ClusterWatches } from './cluster-watches.ts';
import { ClusterConnection } from './connection.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';
import { freshNamespace, kubectl, labKubeconfig, requireLab, waitFor } from './lab.fixture.ts';
import type { WatchStatus } from './list-watch.ts';

let tmp: string;
let namespace: string;
let proxy: http.Server;
let proxyUrl: string;
let apiPort: string;
const tunnels: string[] = [];

beforeAll(async () => {
  requireLab({ kubelet: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-proxy-'));
  const lab = parse(readFileSync(labKubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  apiPort = new URL(lab.clusters[0]!.cluster.server).port;
  // A CONNECT-only proxy: it tunnels any host to the lab's API server port and notes what was asked.
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const upstream = net.connect(Number(apiPort), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;

  namespace = await freshNamespace('pt-proxy');
  kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello' },
    spec: {
      nodeSelector: { 'lab-kube/kubelet': 'true' }, terminationGracePeriodSeconds: 1, automountServiceAccountToken: false,
      containers: [{ name: 'hello', image: 'lab.local/node:24', imagePullPolicy: 'IfNotPresent', command: ['node', '-e', "require('net').createServer((s) => s.end('hello through the proxy')).listen(7455, '127.0.0.1')"] }],
    },
  }));
  await waitFor('the pod Running', () => (kubectl(['-n', namespace, 'get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}']) === 'Running' ? true : undefined), 60_000);
}, 90_000);
afterAll(() => {
  proxy?.close();
  if (namespace) kubectl(['delete', 'namespace', namespace, '--wait=false']);
  rmSync(tmp, { recursive: true, force: true });
});

/** The lab's kubeconfig with the server renamed (and optionally a proxy-url). */
function kubeconfigFile(name: string, cluster: Record<string, unknown>): string {
  const lab = parse(readFileSync(labKubeconfig, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  lab.clusters[0]!.cluster = { ...lab.clusters[0]!.cluster, ...cluster };
  const file = path.join(tmp, name);
  writeFileSync(file, stringify(lab));
  return file;
}

async function readAll(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve, reject) => socket.once('close', resolve).once('error', reject));
  return Buffer.concat(chunks).toString();
}

async function everythingThrough(kubeconfig: string): Promise<void> {
  const config = () => {
    const kc = loadKubeconfigs([kubeconfig], '').clientFor('lab-admin');
    if (!kc) throw new Error('lab-admin not usable');
    return kc;
  };
  // API calls: version, SelfSubjectAccessReviews.
  expect(await new ClusterConnection('lab-admin', config).check('pulltrace')).toMatchObject({ state: 'connected', preflight: { mode: 'install' } });
  // Watches (long-lived fetch streams).
  const statuses: WatchStatus[] = [];
  const watches = new ClusterWatches({ config, sink: () => undefined, status: (s) => statuses.push(s) });
  watches.start();
  try {
    await waitFor('the three watches', () => (['events', 'pods', 'nodes'].every((r) => statuses.some((s) => s.resource === r && s.state === 'watching')) ? true : undefined));
  } finally {
    watches.stop();
  }
  // Port-forward WebSocket to a pod.
  const forward = await LocalPortForward.open(config, { namespace, pod: 'hello', port: 7455 });
  try {
    const text = await waitFor('the pod\'s greeting', async () => (await readAll(forward.port)) || undefined, 20_000, 500);
    expect(text).toBe('hello through the proxy');
  } finally {
    await forward.close();
  }
}

describe('API server behind an HTTP CONNECT proxy (lab)', () => {
  it('HTTPS_PROXY from the environment: API calls, watches and port-forward all tunnel through it', async () => {
    await expect(dns.lookup('kubernetes')).rejects.toThrow();
    const file = kubeconfigFile('env.kubeconfig', { server: `https://kubernetes:${apiPort}` });
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTPS_PROXY = proxyUrl;
    process.env.NO_PROXY = 'example.com,10.0.0.0/8';
    tunnels.length = 0;
    try {
      await everythingThrough(file);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(tunnels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(tunnels)).toEqual(new Set([`kubernetes:${apiPort}`]));
  }, 90_000);

  it('NO_PROXY naming the server: no tunnel, and the unresolvable name fails as unreachable', async () => {
    const file = kubeconfigFile('noproxy.kubeconfig', { server: `https://kubernetes:${apiPort}` });
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTPS_PROXY = proxyUrl;
    process.env.NO_PROXY = 'kubernetes';
    tunnels.length = 0;
    try {
      const config = () => loadKubeconfigs([file], '').clientFor('lab-admin')!;
      expect(await new ClusterConnection('lab-admin', config).check('pulltrace')).toMatchObject({ state: 'failed', error: { kind: 'unreachable' } });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(tunnels).toEqual([]);
  }, 60_000);

  it('proxy-url in the kubeconfig: used as it is, even for a loopback server', async () => {
    const file = kubeconfigFile('proxy-url.kubeconfig', { 'proxy-url': proxyUrl });
    tunnels.length = 0;
    await everythingThrough(file);
    expect(new Set(tunnels)).toEqual(new Set([`127.0.0.1:${apiPort}`]));
  }, 90_000);
});
