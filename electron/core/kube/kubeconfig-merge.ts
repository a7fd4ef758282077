// kubectl's merge of the files named by KUBECONFIG (k8s.io/client-go/tools/clientcmd loader):
// files are read in order, a missing file is skipped, the FIRST file that defines a cluster, user
// or context name wins, the first non-empty current-context wins, and relative file paths inside a
// file are resolved against that file's directory. client-node's loadFromDefault() does none of
// this (it throws on duplicates and missing files, the last current-context wins), hence our own.
//
// Pure: file contents come in as text. A broken file or entry never stops the merge; it becomes a
// problem attached to the file or to the contexts that depend on it.
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import {
  describeIssues,
  kubeconfigFileSchema,
  namedClusterSchema,
  namedContextSchema,
  namedUserSchema,
  type NamedCluster,
  type NamedContext,
  type NamedUser,
} from './kubeconfig-schema.ts';

/** What the reader found at one path of the KUBECONFIG list. */
export type FileRead =
  | { path: string; state: 'ok'; text: string }
  | { path: string; state: 'missing' }
  | { path: string; state: 'unreadable'; message: string };

export interface FileStatus {
  path: string;
  state: 'ok' | 'missing' | 'unreadable' | 'invalid';
  /** Human messages: why the file is unusable, or which entries of it were skipped. */
  problems: string[];
}

export type ClusterBlock = NamedCluster['cluster'];
export type UserBlock = NonNullable<NamedUser['user']>;

/** An entry as merged: where it came from, and either its value or why it is unusable. */
export type Merged<T> = { name: string; file: string } & ({ value: T; problem?: undefined } | { value?: undefined; problem: string });

export interface MergedContext {
  name: string;
  file: string;
  clusterName: string;
  userName?: string;
  namespace: string;
  cluster?: Merged<ClusterBlock>;
  user?: Merged<UserBlock>;
  /** Structural problems (unknown cluster/user, invalid entry); connection-level checks come later. */
  problems: string[];
}

export interface MergedKubeconfig {
  files: FileStatus[];
  contexts: MergedContext[];
  currentContext?: string;
}

type Kind = 'clusters' | 'users' | 'contexts';
const singular: Record<Kind, string> = { clusters: 'cluster', users: 'user', contexts: 'context' };

export function mergeKubeconfigs(reads: readonly FileRead[]): MergedKubeconfig {
  const files: FileStatus[] = [];
  const clusters = new Map<string, Merged<ClusterBlock>>();
  const users = new Map<string, Merged<UserBlock>>();
  const contexts = new Map<string, Merged<NamedContext['context']>>();
  let currentContext: string | undefined;
  // A context that names a cluster/user nobody defines may be explained by a file we could not parse.
  const unparsedFiles: string[] = [];

  for (const read of reads) {
    if (read.state !== 'ok') {
      files.push({ path: read.path, state: read.state, problems: read.state === 'missing' ? ['file not found (skipped)'] : [read.message] });
      if (read.state === 'unreadable') unparsedFiles.push(read.path);
      continue;
    }
    const status: FileStatus = { path: read.path, state: 'ok', problems: [] };
    files.push(status);
    const doc = parseDocument(read.text);
    if ('problem' in doc) {
      status.state = 'invalid';
      status.problems.push(doc.problem);
      unparsedFiles.push(read.path);
      continue;
    }
    const dir = path.dirname(read.path);
    if (currentContext === undefined && doc.value['current-context']) currentContext = doc.value['current-context'];
    mergeEntries(doc.value.clusters, 'clusters', namedClusterSchema, read.path, status, clusters, (c) => resolveClusterPaths(c.cluster, dir));
    mergeEntries(doc.value.users, 'users', namedUserSchema, read.path, status, users, (u) => resolveUserPaths(u.user ?? {}, dir));
    mergeEntries(doc.value.contexts, 'contexts', namedContextSchema, read.path, status, contexts, (c) => c.context);
  }

  const unparsedHint = unparsedFiles.length > 0 ? ` (it may be in ${unparsedFiles.join(', ')}, which could not be read)` : '';
  const merged = [...contexts.values()].map((entry): MergedContext => {
    if (entry.value === undefined) {
      return { name: entry.name, file: entry.file, clusterName: '', namespace: 'default', problems: [entry.problem] };
    }
    const { cluster: clusterName, user: userName, namespace } = entry.value;
    const cluster = clusters.get(clusterName);
    const user = userName ? users.get(userName) : undefined;
    const problems: string[] = [];
    if (!cluster) problems.push(`cluster "${clusterName}" is not defined in any kubeconfig file${unparsedHint}`);
    else if (cluster.problem) problems.push(`cluster "${clusterName}" (${cluster.file}) is invalid: ${cluster.problem}`);
    if (userName && !user) problems.push(`user "${userName}" is not defined in any kubeconfig file${unparsedHint}`);
    else if (user?.problem) problems.push(`user "${userName}" (${user.file}) is invalid: ${user.problem}`);
    return { name: entry.name, file: entry.file, clusterName, userName, namespace: namespace || 'default', cluster, user, problems };
  });
  return { files, contexts: merged, currentContext };
}

function parseDocument(text: string): { value: z.infer<typeof kubeconfigFileSchema> } | { problem: string } {
  let raw: unknown;
  try {
    // An empty file is a valid, empty kubeconfig for kubectl.
    raw = parseYaml(text) ?? {};
  } catch (error) {
    return { problem: `not valid YAML: ${yamlErrorSummary(error)}` };
  }
  const parsed = kubeconfigFileSchema.safeParse(raw);
  if (!parsed.success) return { problem: `not a kubeconfig: ${describeIssues(parsed.error)}` };
  return { value: parsed.data };
}

/** The YAML library's message names line and column; its code excerpt could quote a secret, so
 * only the first line is kept. */
function yamlErrorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

function mergeEntries<S extends z.ZodType<{ name: string }>, V>(
  list: readonly unknown[] | null | undefined,
  kind: Kind,
  schema: S,
  file: string,
  status: FileStatus,
  into: Map<string, Merged<V>>,
  project: (entry: z.infer<S>) => V,
): void {
  (list ?? []).forEach((raw, index) => {
    const name = entryNameOf(raw);
    if (name === undefined) {
      status.problems.push(`${kind}[${index}] has no name and was skipped`);
      return;
    }
    if (into.has(name)) return; // first file wins, as in kubectl
    const parsed = schema.safeParse(raw);
    into.set(name, parsed.success
      ? { name, file, value: project(parsed.data) }
      : { name, file, problem: describeIssues(parsed.error) });
    if (!parsed.success) status.problems.push(`${singular[kind]} "${name}" is invalid: ${describeIssues(parsed.error)}`);
  });
}

function entryNameOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('name' in raw)) return undefined;
  const name = (raw as { name: unknown }).name;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

const resolve = (dir: string, file: string | undefined): string | undefined =>
  file === undefined || file === '' ? file : path.resolve(dir, file);

function resolveClusterPaths(cluster: ClusterBlock, dir: string): ClusterBlock {
  return { ...cluster, 'certificate-authority': resolve(dir, cluster['certificate-authority']) };
}

function resolveUserPaths(user: UserBlock, dir: string): UserBlock {
  const exec = user.exec;
  return {
    ...user,
    tokenFile: resolve(dir, user.tokenFile),
    'client-certificate': resolve(dir, user['client-certificate']),
    'client-key': resolve(dir, user['client-key']),
    // client-go: an exec command containing a path separator is relative to the kubeconfig's
    // directory; a bare name is looked up on PATH.
    exec: exec && exec.command.includes('/') ? { ...exec, command: path.resolve(dir, exec.command) } : exec,
  };
}
