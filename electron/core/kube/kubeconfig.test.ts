import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeConfigFor, proxyFromEnvironment } from './kubeconfig-client.ts';
import { mergeKubeconfigs } from './kubeconfig-merge.ts';
import { kubeconfigPaths, loadKubeconfigs } from './kubeconfig-source.ts';
import { KubeconfigWatcher } from './kubeconfig-watcher.ts';

const pem = (label: string) => Buffer.from(`-----BEGIN ${label}-----\nMIIBfake\n-----END ${label}-----\n`).toString('base64');
const secretToken = 'sekret-token-value-123';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const devConfig = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: {server: https://dev.example:6443, certificate-authority-data: ${pem('CERTIFICATE')}}
- name: shared
  cluster: {server: https://first.example}
users:
- name: admin
  user: {token: ${secretToken}}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: admin, namespace: team-a}
- name: dup
  context: {cluster: shared, user: admin}
`;

const prodConfig = `
current-context: prod
clusters:
- name: shared
  cluster: {server: https://second.example}
- name: prod-cluster
  cluster: {server: https://prod.example}
users:
- name: admin
  user: {token: other}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: admin}
- name: dup
  context: {cluster: prod-cluster, user: admin}
`;

describe('kubectl merge rules', () => {
  it('first file wins for duplicate names and for current-context; missing files are skipped', () => {
    const merged = mergeKubeconfigs([
      { path: '/k/dev', state: 'ok', text: devConfig },
      { path: '/k/none', state: 'missing' },
      { path: '/k/prod', state: 'ok', text: prodConfig },
    ]);
    expect(merged.currentContext).toBe('dev');
    expect(merged.contexts.map((c) => c.name)).toEqual(['dev', 'dup', 'prod']);
    const dup = merged.contexts.find((c) => c.name === 'dup');
    expect(dup?.file).toBe('/k/dev');
    expect(dup?.cluster?.value?.server).toBe('https://first.example');
    // prod uses the user "admin" of the FIRST file: names are global across files, as in kubectl.
    expect(merged.contexts.find((c) => c.name === 'prod')?.user?.value?.token).toBe(secretToken);
    expect(merged.files.map((f) => f.state)).toEqual(['ok', 'missing', 'ok']);
    expect(merged.contexts.every((c) => c.problems.length === 0)).toBe(true);
  });

  it('a file with bad YAML is reported with its line, and the other files keep working', () => {
    const merged = mergeKubeconfigs([
      { path: '/k/broken', state: 'ok', text: 'clusters:\n- name: x\n  cluster: {server: [unclosed\n' },
      { path: '/k/extra', state: 'ok', text: 'contexts:\n- name: needs-broken\n  context: {cluster: x, user: u}\n' },
      { path: '/k/dev', state: 'ok', text: devConfig },
    ]);
    expect(merged.files[0]).toMatchObject({ state: 'invalid' });
    expect(merged.files[0]?.problems[0]).toMatch(/^not valid YAML: .*line \d+/);
    const needsBroken = merged.contexts.find((c) => c.name === 'needs-broken');
    expect(needsBroken?.problems).toEqual([
      'cluster "x" is not defined in any kubeconfig file (it may be in /k/broken, which could not be read)',
      'user "u" is not defined in any kubeconfig file (it may be in /k/broken, which could not be read)',
    ]);
    expect(merged.contexts.find((c) => c.name === 'dev')?.problems).toEqual([]);
  });

  it('an invalid entry spoils only the contexts that use it', () => {
    const merged = mergeKubeconfigs([{ path: '/k/a', state: 'ok', text: `
clusters:
- name: noserver
  cluster: {certificate-authority: ca.crt}
- name: good
  cluster: {server: https://good.example}
- cluster: {server: https://nameless.example}
contexts:
- name: bad
  context: {cluster: noserver}
- name: fine
  context: {cluster: good}
- name: nocluster
  context: {namespace: x}
` }]);
    expect(merged.contexts.find((c) => c.name === 'bad')?.problems).toEqual(['cluster "noserver" (/k/a) is invalid: cluster.server: cluster.server is missing']);
    expect(merged.contexts.find((c) => c.name === 'fine')?.problems).toEqual([]);
    expect(merged.contexts.find((c) => c.name === 'nocluster')?.problems).toEqual(['context.cluster: context.cluster is missing']);
    expect(merged.files[0]?.problems).toContain('clusters[2] has no name and was skipped');
  });

  it('a document that is not a kubeconfig is named as such', () => {
    const merged = mergeKubeconfigs([{ path: '/k/a', state: 'ok', text: 'clusters: 42\n' }]);
    expect(merged.files[0]).toMatchObject({ state: 'invalid' });
    expect(merged.files[0]?.problems[0]).toMatch(/^not a kubeconfig: clusters: /);
  });
});

describe('per-context checks on real files', () => {
  it('resolves relative certificate paths against the file and names missing ones', () => {
    write('certs/ca.crt', 'x');
    write('certs/client.crt', 'x');
    const file = write('config', `
clusters:
- name: c
  cluster: {server: https://c.example, certificate-authority: certs/ca.crt}
users:
- name: ok
  user: {client-certificate: certs/client.crt, client-key-data: ${pem('RSA PRIVATE KEY')}}
- name: missing
  user: {client-certificate: certs/gone.crt, client-key: /nowhere/key.pem}
contexts:
- {name: good, context: {cluster: c, user: ok}}
- {name: bad-files, context: {cluster: c, user: missing}}
`);
    const snapshot = loadKubeconfigs([file], '/usr/bin');
    expect(snapshot.contexts.find((c) => c.name === 'good')).toMatchObject({ problems: [], auth: 'client-certificate' });
    expect(snapshot.contexts.find((c) => c.name === 'bad-files')?.problems).toEqual([
      `client certificate file ${path.join(dir, 'certs/gone.crt')} not found or not readable`,
      'client key file /nowhere/key.pem not found or not readable',
    ]);
    expect(snapshot.clientFor('good')).toBeDefined();
    expect(snapshot.clientFor('bad-files')).toBeUndefined();
  });

  it('explains bogus server URLs, bad inline certificates, unknown auth providers and missing exec plugins', () => {
    const file = write('config', `
clusters:
- {name: bogus, cluster: {server: "dev.example:6443"}}
- {name: badca, cluster: {server: "https://ok.example", certificate-authority-data: "bm90IGEgY2VydA=="}}
- {name: ok, cluster: {server: "https://ok.example"}}
users:
- {name: legacy, user: {auth-provider: {name: keystone, config: {token: ${secretToken}}}}}
- {name: aws, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws-iam-authenticator-x, args: [token], installHint: "Install it with brew install aws-iam-authenticator."}}}
- {name: tok, user: {token: ${secretToken}}}
contexts:
- {name: c-bogus, context: {cluster: bogus, user: tok}}
- {name: c-badca, context: {cluster: badca, user: tok}}
- {name: c-legacy, context: {cluster: ok, user: legacy}}
- {name: c-aws, context: {cluster: ok, user: aws}}
`);
    const snapshot = loadKubeconfigs([file], '/opt/none:/usr/bin');
    const problems = (name: string) => snapshot.contexts.find((c) => c.name === name)?.problems;
    expect(problems('c-bogus')).toEqual(['server URL "dev.example:6443" is not valid: expected https://host[:port]']);
    expect(problems('c-badca')).toEqual(['certificate authority data is not a base64-encoded PEM certificate']);
    expect(problems('c-legacy')).toEqual(['auth provider "keystone" is not supported (supported: oidc, azure, gcp); switch the user to an exec credential plugin']);
    expect(problems('c-aws')).toEqual([`exec credential plugin "aws-iam-authenticator-x" not found on PATH (searched the login shell's PATH: /opt/none:/usr/bin). Install it with brew install aws-iam-authenticator.`]);
    expect(JSON.stringify(snapshot.contexts) + JSON.stringify(snapshot.files)).not.toContain(secretToken);
  });

  it('finds an exec plugin on the given PATH and builds a client with a unique user name', () => {
    const plugin = write('bin/kubelogin-test', '#!/bin/sh\necho {}\n');
    chmodSync(plugin, 0o755);
    const file = write('config', `
clusters: [{name: c, cluster: {server: "https://c.example/"}}]
users: [{name: admin, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin-test}}}]
contexts: [{name: one, context: {cluster: c, user: admin}}, {name: two, context: {cluster: c, user: admin, namespace: ns2}}]
current-context: two
`);
    const snapshot = loadKubeconfigs([file], `/opt/none:${path.join(dir, 'bin')}`);
    expect(snapshot.current).toBe('two');
    expect(snapshot.contexts.map((c) => [c.name, c.current, c.namespace, c.auth, c.problems])).toEqual([
      ['one', false, 'default', 'exec', []],
      ['two', true, 'ns2', 'exec', []],
    ]);
    const one = snapshot.clientFor('one');
    const two = snapshot.clientFor('two');
    expect(one?.getCurrentUser()?.name).toBe('pulltrace/one/admin');
    expect(two?.getCurrentUser()?.name).toBe('pulltrace/two/admin');
    expect(one?.getCurrentCluster()?.server).toBe('https://c.example');
    expect(one?.getCurrentUser()?.exec).toMatchObject({ command: plugin, env: [{ name: 'PATH', value: `/opt/none:${path.join(dir, 'bin')}` }] });
  });
});

describe('discovery', () => {
  it('uses KUBECONFIG in order without blanks or repeats, else ~/.kube/config', () => {
    expect(kubeconfigPaths({ KUBECONFIG: `/a${path.delimiter}${path.delimiter}/b${path.delimiter}/a` }, '/home/u')).toEqual(['/a', '/b']);
    expect(kubeconfigPaths({}, '/home/u')).toEqual(['/home/u/.kube/config']);
    expect(kubeconfigPaths({ KUBECONFIG: '' }, '/home/u')).toEqual(['/home/u/.kube/config']);
  });

  it('reports a path that does not exist as missing', () => {
    const snapshot = loadKubeconfigs([path.join(dir, 'nope')], '/usr/bin');
    expect(snapshot.files).toEqual([{ path: path.join(dir, 'nope'), state: 'missing', problems: ['file not found (skipped)'] }]);
    expect(snapshot.contexts).toEqual([]);
  });
});

describe('KubeconfigWatcher', () => {
  const next = (watcher: KubeconfigWatcher) => new Promise<string[]>((resolve) => {
    const off = watcher.onChange((s) => {
      off();
      resolve(s.contexts.map((c) => c.name));
    });
  });

  it('follows edits, atomic replaces and a file created after start', async () => {
    const main = write('a/config', devConfig);
    const late = path.join(dir, 'b/config');
    const watcher = new KubeconfigWatcher({ paths: [main, late], searchPath: '/usr/bin', debounceMs: 50, rescanMs: 300 });
    watcher.start();
    try {
      expect(watcher.snapshot.contexts.map((c) => c.name)).toEqual(['dev', 'dup']);
      let change = next(watcher);
      writeFileSync(main, devConfig.replace('name: dup', 'name: renamed'));
      expect(await change).toEqual(['dev', 'renamed']);

      change = next(watcher);
      writeFileSync(path.join(dir, 'a/.config.tmp'), prodConfig);
      renameSync(path.join(dir, 'a/.config.tmp'), main);
      expect(await change).toEqual(['prod', 'dup']);

      // b/ does not exist at start: the rescan ticker picks it up.
      change = next(watcher);
      write('b/config', devConfig);
      expect(await change).toEqual(['prod', 'dup', 'dev']);
    } finally {
      watcher.stop();
    }
  });
});

describe('proxy from the environment', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://plain.corp:3128', NO_PROXY: 'internal.corp,.svc.example,10.0.0.0/8,api.other:8443' };
  it('follows HTTPS_PROXY / HTTP_PROXY / NO_PROXY like kubectl, never for loopback', () => {
    expect(proxyFromEnvironment('https://k8s.example.com:6443', env)).toBe('http://proxy.corp:3128');
    expect(proxyFromEnvironment('http://k8s.example.com', env)).toBe('http://plain.corp:3128');
    expect(proxyFromEnvironment('https://internal.corp:6443', env)).toBeUndefined();
    expect(proxyFromEnvironment('https://a.b.svc.example', env)).toBeUndefined();
    expect(proxyFromEnvironment('https://10.1.2.3:6443', env)).toBeUndefined();
    expect(proxyFromEnvironment('https://11.1.2.3:6443', env)).toBe('http://proxy.corp:3128');
    expect(proxyFromEnvironment('https://api.other:8443', env)).toBeUndefined();
    expect(proxyFromEnvironment('https://api.other:6443', env)).toBe('http://proxy.corp:3128');
    expect(proxyFromEnvironment('https://127.0.0.1:6443', env)).toBeUndefined();
    expect(proxyFromEnvironment('https://localhost:6443', env)).toBeUndefined();
    expect(proxyFromEnvironment('https://k8s.example.com', { ...env, NO_PROXY: '*' })).toBeUndefined();
    expect(proxyFromEnvironment('https://k8s.example.com', {})).toBeUndefined();
  });

  it('a kubeconfig proxy-url wins over the environment', () => {
    const file = write('config', `
clusters: [{name: c, cluster: {server: "https://c.example", proxy-url: "http://explicit:8080"}}, {name: d, cluster: {server: "https://d.example"}}]
contexts: [{name: one, context: {cluster: c}}, {name: two, context: {cluster: d}}]
`);
    const merged = mergeKubeconfigs([{ path: file, state: 'ok', text: readFileSync(file, 'utf8') }]);
    expect(kubeConfigFor(merged.contexts[0]!, '', env).getCurrentCluster()?.proxyUrl).toBe('http://explicit:8080');
    expect(kubeConfigFor(merged.contexts[1]!, '', env).getCurrentCluster()?.proxyUrl).toBe('http://proxy.corp:3128');
  });
});
