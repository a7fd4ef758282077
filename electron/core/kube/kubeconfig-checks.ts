// Checks that can be made on a merged context before any network call: is the server URL usable,
// do the referenced certificate/key/token files exist, is the auth provider one client-node
// implements, can the exec plugin be found. Each failure becomes one human sentence naming the
// field and the file or command — never a token, key or certificate body.
import type { ClusterBlock, MergedContext, UserBlock } from './kubeconfig-merge.ts';

export type AuthKind = 'exec' | 'auth-provider' | 'client-certificate' | 'token' | 'basic' | 'none';

/** A context as the app lists it. `problems` empty means "worth trying to connect". */
export interface KubeContext {
  name: string;
  /** The kubeconfig file that defines the context. */
  file: string;
  cluster: string;
  server?: string;
  user?: string;
  namespace: string;
  current: boolean;
  auth: AuthKind;
  problems: string[];
}

/** The file system and PATH lookups the checks need (real ones in production, fixtures in tests). */
export interface CheckEnvironment {
  isReadableFile(path: string): boolean;
  /** Absolute path of an executable for `command` (a bare name is searched on PATH), or undefined. */
  findExecutable(command: string): string | undefined;
  /** The PATH that was searched, for the message. */
  searchPath: string;
}

/** client-node 2.x implements these `auth-provider` names (config.ts authenticators). */
const supportedAuthProviders = ['oidc', 'azure', 'gcp'];

export function checkContext(context: MergedContext, current: string | undefined, env: CheckEnvironment): KubeContext {
  const problems = [...context.problems];
  const cluster = context.cluster?.value;
  const user = context.user?.value;
  if (cluster) problems.push(...checkCluster(cluster, env));
  if (user) problems.push(...checkUser(user, env));
  return {
    name: context.name,
    file: context.file,
    cluster: context.clusterName,
    server: cluster?.server,
    user: context.userName,
    namespace: context.namespace,
    current: context.name === current,
    auth: user ? authKindOf(user) : 'none',
    problems,
  };
}

export function authKindOf(user: UserBlock): AuthKind {
  if (user.exec) return 'exec';
  if (user['auth-provider']) return 'auth-provider';
  if (user['client-certificate'] || user['client-certificate-data']) return 'client-certificate';
  if (user.token || user.tokenFile) return 'token';
  if (user.username) return 'basic';
  return 'none';
}

function checkCluster(cluster: ClusterBlock, env: CheckEnvironment): string[] {
  const problems: string[] = [];
  const serverProblem = checkServerUrl(cluster.server);
  if (serverProblem) problems.push(serverProblem);
  problems.push(...checkFileOrData('certificate authority', cluster['certificate-authority'], cluster['certificate-authority-data'], 'CERTIFICATE', env));
  if (cluster['proxy-url'] !== undefined && !isUrl(cluster['proxy-url'], ['http:', 'https:', 'socks5:', 'socks:', 'socks4:', 'socks5h:'])) {
    problems.push(`proxy-url "${cluster['proxy-url']}" is not a valid http(s) or socks URL`);
  }
  return problems;
}

function checkServerUrl(server: string): string | undefined {
  if (!isUrl(server, ['https:', 'http:'])) {
    return `server URL "${server}" is not valid: expected https://host[:port]`;
  }
  return undefined;
}

function isUrl(text: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) && url.hostname.length > 0;
  } catch {
    return false;
  }
}

function checkUser(user: UserBlock, env: CheckEnvironment): string[] {
  const problems: string[] = [];
  const hasCert = Boolean(user['client-certificate'] || user['client-certificate-data']);
  const hasKey = Boolean(user['client-key'] || user['client-key-data']);
  problems.push(...checkFileOrData('client certificate', user['client-certificate'], user['client-certificate-data'], 'CERTIFICATE', env));
  problems.push(...checkFileOrData('client key', user['client-key'], user['client-key-data'], 'PRIVATE KEY', env));
  if (hasCert !== hasKey) problems.push(hasCert ? 'a client certificate is set without a client key' : 'a client key is set without a client certificate');
  if (user.tokenFile && !env.isReadableFile(user.tokenFile)) problems.push(`token file ${user.tokenFile} not found or not readable`);
  const provider = user['auth-provider'];
  if (provider && !user.exec && !supportedAuthProviders.includes(provider.name) && !provider.config?.['cmd-path']) {
    problems.push(`auth provider "${provider.name}" is not supported (supported: ${supportedAuthProviders.join(', ')}); switch the user to an exec credential plugin`);
  }
  if (user.exec) problems.push(...checkExec(user.exec, env));
  return problems;
}

function checkExec(exec: NonNullable<UserBlock['exec']>, env: CheckEnvironment): string[] {
  const problems: string[] = [];
  if (!env.findExecutable(exec.command)) {
    const where = exec.command.includes('/') ? `at ${exec.command}` : `on PATH (searched the login shell's PATH: ${env.searchPath})`;
    const hint = exec.installHint ? ` ${exec.installHint.trim()}` : '';
    problems.push(`exec credential plugin "${exec.command}" not found ${where}.${hint}`);
  }
  if (exec.interactiveMode === 'Always') {
    problems.push(`exec credential plugin "${exec.command}" requires an interactive terminal (interactiveMode: Always), which a desktop app cannot provide; run it once in a terminal or use a non-interactive mode`);
  }
  return problems;
}

/** A `*-data` field must be base64 of a PEM block; a file field must name a readable file. */
function checkFileOrData(what: string, file: string | undefined, data: string | undefined, pemLabel: string, env: CheckEnvironment): string[] {
  if (file) return env.isReadableFile(file) ? [] : [`${what} file ${file} not found or not readable`];
  if (data === undefined) return [];
  const decoded = Buffer.from(data, 'base64').toString('latin1');
  return decoded.includes('-----BEGIN ') && decoded.includes(pemLabel)
    ? []
    : [`${what} data is not a base64-encoded PEM ${pemLabel.toLowerCase()}`];
}
