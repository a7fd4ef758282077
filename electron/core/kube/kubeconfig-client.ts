// One client-node KubeConfig per context, built from our merged entries (never from
// loadFromDefault, whose merge rules differ from kubectl's). Each gets a user name unique to the
// context: client-node caches exec-plugin tokens by user name, and two kubeconfigs commonly
// both call their user "admin" (kubernetes-client/javascript #592).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { MergedContext } from './kubeconfig-merge.ts';
import { findExecutable } from './shell-path.ts';

export function uniqueUserName(context: MergedContext): string {
  return `pulltrace/${context.name}/${context.userName ?? 'anonymous'}`;
}

/**
 * The proxy for `server` from HTTPS_PROXY/HTTP_PROXY/NO_PROXY, as kubectl (Go's
 * http.ProxyFromEnvironment) does: client-node reads only the kubeconfig's proxy-url (#648), so a
 * desktop behind a corporate proxy would otherwise connect directly. Loopback is never proxied.
 */
export function proxyFromEnvironment(server: string, env: NodeJS.ProcessEnv): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  const proxy = url.protocol === 'https:' ? env.HTTPS_PROXY || env.https_proxy : env.HTTP_PROXY || env.http_proxy;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.startsWith('127.') || host === '::1') return undefined;
  const noProxy = (env.NO_PROXY || env.no_proxy || '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  return noProxy.some((entry) => bypasses(entry, host, url.port)) ? undefined : proxy;
}

function bypasses(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  if (entry.includes('/')) {
    const [base, bits] = entry.split('/');
    const family = net.isIP(host);
    if (!family || net.isIP(base ?? '') !== family) return false;
    const list = new net.BlockList();
    list.addSubnet(base ?? '', Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    return list.check(host, family === 6 ? 'ipv6' : 'ipv4');
  }
  const [name, entryPort] = entry.startsWith('[') ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]] : entry.split(':');
  if (entryPort && entryPort !== port) return false;
  const domain = (name ?? '').replace(/^\*?\./, '');
  return host === domain || host.endsWith(`.${domain}`);
}

/** Throws only for contexts that `checkContext` already reports as broken; callers check first. */
export function kubeConfigFor(context: MergedContext, searchPath: string, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const cluster = context.cluster?.value;
  if (!cluster) throw new Error(`context "${context.name}" has no usable cluster`);
  const user = context.user?.value ?? {};
  const userName = uniqueUserName(context);
  const exec = user.exec
    ? {
        ...user.exec,
        // Resolve the plugin on the login shell's PATH now, and give it that PATH: plugins such as
        // gke-gcloud-auth-plugin run further tools (gcloud) themselves.
        command: findExecutable(user.exec.command, searchPath) ?? user.exec.command,
        env: withPath(user.exec.env ?? [], searchPath),
      }
    : undefined;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{
      name: context.clusterName,
      server: cluster.server.replace(/\/$/, ''),
      caData: cluster['certificate-authority-data'],
      caFile: cluster['certificate-authority'],
      // client-node 2.x refuses http:// servers unless skipTLSVerify is set; kubectl accepts them,
      // and there is no certificate to verify on plain HTTP anyway.
      skipTLSVerify: cluster['insecure-skip-tls-verify'] === true || cluster.server.startsWith('http://'),
      tlsServerName: cluster['tls-server-name'],
      proxyUrl: cluster['proxy-url'] ?? proxyFromEnvironment(cluster.server, env),
    }],
    users: [{
      name: userName,
      certData: user['client-certificate-data'],
      certFile: user['client-certificate'],
      keyData: user['client-key-data'],
      keyFile: user['client-key'],
      // kubectl re-reads tokenFile (rotated service-account tokens); we read it whenever a
      // KubeConfig is built, which happens again after a 401.
      token: user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined),
      username: user.username,
      password: user.password,
      impersonateUser: user.as,
      authProvider: user['auth-provider'],
      exec,
    }],
    contexts: [{ name: context.name, cluster: context.clusterName, user: userName, namespace: context.namespace }],
    currentContext: context.name,
  });
  return kc;
}

function withPath(env: readonly { name: string; value: string }[], searchPath: string): { name: string; value: string }[] {
  return env.some((e) => e.name === 'PATH') ? [...env] : [...env, { name: 'PATH', value: searchPath }];
}
