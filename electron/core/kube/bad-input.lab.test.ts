// The "bad input" list against the real lab, next to the lab's good contexts: a malformed
// kubeconfig file, missing certificate files, an unknown auth provider, bogus server URLs (not a
// URL; a name that resolves nowhere; plain http on the TLS port) and a rejected token. Each broken
// context gets its own clear message, the good one connects and watches in the same run, nothing
// throws — and no secret (the lab's real client key and certificate, the tokens) appears in any
// message, status, or anything written to the console or stdout/stderr meanwhile.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterSession } from './cluster-session.ts';
import { ClusterConnection, type ConnectionStatus } from './connection.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';
import { labKubeconfig, requireLab, waitFor } from './lab.fixture.ts';
import type { WatchStatus } from './list-watch.ts';

let tmp: string;
beforeAll(() => {
  requireLab();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-bad-input-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const providerToken = 'keystone-SECRET-token-5521';
const rejectedToken = 'rejected-SECRET-token-8803';

describe('bad input beside the lab\'s good contexts (lab)', () => {
  it('a clear message per broken context, the good one works, no secret is ever shown or logged', async () => {
    const lab = parse(readFileSync(labKubeconfig, 'utf8')) as { clusters: { name: string; cluster: Record<string, string> }[]; users: { name: string; user: Record<string, string> }[] };
    const labCluster = lab.clusters[0]!.cluster;
    const labUser = lab.users.find((u) => u.name === 'lab-admin')!.user;
    const secrets = [providerToken, rejectedToken, labUser['client-key-data']!, labUser['client-certificate-data']!];
    const port = new URL(labCluster.server!).port;

    const broken = path.join(tmp, 'broken.yaml');
    writeFileSync(broken, `users:\n- name: x\n  user: {token: ${providerToken}\n`); // unclosed flow mapping
    const extra = path.join(tmp, 'extra.yaml');
    writeFileSync(extra, stringify({
      clusters: [
        { name: 'not-a-url', cluster: { server: `127.0.0.1:${port}` } },
        { name: 'nowhere', cluster: { ...labCluster, server: `https://pulltrace-no-such-host.invalid:${port}` } },
        { name: 'plain-http', cluster: { server: `http://127.0.0.1:${port}` } },
      ],
      users: [
        { name: 'no-cert-files', user: { 'client-certificate': path.join(tmp, 'gone.crt'), 'client-key': path.join(tmp, 'gone.key') } },
        { name: 'keystone', user: { 'auth-provider': { name: 'keystone', config: { token: providerToken } } } },
        { name: 'rejected', user: { token: rejectedToken } },
      ],
      contexts: [
        { name: 'missing-certs', context: { cluster: 'lab', user: 'no-cert-files' } },
        { name: 'unknown-provider', context: { cluster: 'lab', user: 'keystone' } },
        { name: 'bogus-url', context: { cluster: 'not-a-url', user: 'lab-admin' } },
        { name: 'unresolvable', context: { cluster: 'nowhere', user: 'lab-admin' } },
        { name: 'http-on-tls', context: { cluster: 'plain-http', user: 'lab-admin' } },
        { name: 'rejected-token', context: { cluster: 'lab', user: 'rejected' } },
      ],
    }));

    // Everything the app would print meanwhile, whichever way it is written.
    const printed: string[] = [];
    const capture = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    const spies = [
      ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((level) => vi.spyOn(console, level).mockImplementation(capture)),
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (capture(chunk.toString()), true)),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (capture(chunk.toString()), true)),
    ];
    const results: unknown[] = [];
    try {
      const snapshot = loadKubeconfigs([labKubeconfig, broken, extra], '');
      results.push(snapshot.files, snapshot.contexts);
      expect(snapshot.files.map((f) => f.state)).toEqual(['ok', 'invalid', 'ok']);
      expect(snapshot.files[1]?.problems).toEqual([expect.stringMatching(/^not valid YAML: .*line \d+/)]);
      const problems = new Map(snapshot.contexts.map((c) => [c.name, c.problems]));
      expect(problems.get('lab-admin')).toEqual([]);
      expect(problems.get('missing-certs')).toEqual([
        `client certificate file ${path.join(tmp, 'gone.crt')} not found or not readable`,
        `client key file ${path.join(tmp, 'gone.key')} not found or not readable`,
      ]);
      expect(problems.get('unknown-provider')).toEqual(['auth provider "keystone" is not supported (supported: oidc, azure, gcp); switch the user to an exec credential plugin']);
      expect(problems.get('bogus-url')).toEqual([`server URL "127.0.0.1:${port}" is not valid: expected https://host[:port]`]);
      // Checked before any network call: no client is built for them.
      for (const name of ['missing-certs', 'unknown-provider', 'bogus-url']) expect(snapshot.clientFor(name)).toBeUndefined();

      // The rest pass the file checks and fail against the network, each in its own way.
      const check = (name: string): Promise<ConnectionStatus> => new ClusterConnection(name, () => snapshot.clientFor(name)!).check('pulltrace');
      const [unresolvable, httpOnTls, rejected] = await Promise.all([check('unresolvable'), check('http-on-tls'), check('rejected-token')]);
      results.push(unresolvable, httpOnTls, rejected);
      expect(unresolvable).toMatchObject({ state: 'failed', error: { kind: 'unreachable', message: expect.stringMatching(/^server unreachable \(https:\/\/pulltrace-no-such-host\.invalid:\d+\): /) } });
      expect(httpOnTls).toMatchObject({ state: 'failed', error: { kind: expect.stringMatching(/^(tls|server|other)$/) } });
      expect(rejected).toMatchObject({ state: 'failed', error: { kind: 'unauthorized', status: 401 } });

      // Meanwhile the good context connects and its watches run.
      const watchStatuses: WatchStatus[] = [];
      const session = new ClusterSession({ context: 'lab-admin', buildConfig: () => snapshot.clientFor('lab-admin')!, agentNamespace: 'pulltrace', sink: () => undefined, onWatchStatus: (s) => watchStatuses.push(s) });
      const good = await session.start();
      results.push(good, watchStatuses);
      try {
        expect(good).toMatchObject({ state: 'connected', preflight: { mode: 'install' } });
        await waitFor('the three watches', () => (['events', 'pods', 'nodes'].every((r) => watchStatuses.some((s) => s.resource === r && s.state === 'watching')) ? true : undefined));
      } finally {
        session.stop();
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const shown = JSON.stringify(results) + printed.join('\n');
    for (const secret of secrets) expect(shown.includes(secret), `a secret (${secret.slice(0, 6)}…) was shown or logged`).toBe(false);
  }, 90_000);
});
