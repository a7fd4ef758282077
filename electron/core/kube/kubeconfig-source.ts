// Where kubeconfigs come from and how one snapshot of them is taken: the KUBECONFIG list (or
// ~/.kube/config), read from disk, merged by kubectl's rules, each context checked.
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { checkContext, type KubeContext } from './kubeconfig-checks.ts';
import { kubeConfigFor } from './kubeconfig-client.ts';
import { mergeKubeconfigs, type FileRead, type FileStatus, type MergedContext } from './kubeconfig-merge.ts';
import { findExecutable, isReadableFile } from './shell-path.ts';

/** Freelens caps a single synced file at 32 MiB: a larger "kubeconfig" is a mistake, not a config. */
const maxFileBytes = 32 * 1024 * 1024;

/** kubectl's list: KUBECONFIG split on the platform's delimiter, blanks and repeats dropped;
 * without KUBECONFIG, ~/.kube/config. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string[] {
  const list = env.KUBECONFIG?.split(path.delimiter).filter((p) => p.trim().length > 0) ?? [];
  if (list.length === 0) return [path.join(home, '.kube', 'config')];
  return [...new Set(list.map((p) => path.resolve(p)))];
}

export function readKubeconfigFile(file: string): FileRead {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { path: file, state: 'unreadable', message: 'not a regular file' };
    if (stat.size > maxFileBytes) return { path: file, state: 'unreadable', message: `file is ${stat.size} bytes, more than the ${maxFileBytes}-byte limit` };
    return { path: file, state: 'ok', text: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path: file, state: 'missing' };
    if (code === 'EACCES' || code === 'EPERM') return { path: file, state: 'unreadable', message: 'permission denied' };
    return { path: file, state: 'unreadable', message: error instanceof Error ? error.message : String(error) };
  }
}

export interface KubeconfigSnapshot {
  files: FileStatus[];
  contexts: KubeContext[];
  /** The merged current-context, when it names an existing context. */
  current?: string;
  /** A client configuration for a context without problems (undefined for broken or unknown ones). */
  clientFor(name: string): KubeConfig | undefined;
}

export function loadKubeconfigs(paths: readonly string[], searchPath: string): KubeconfigSnapshot {
  const merged = mergeKubeconfigs(paths.map(readKubeconfigFile));
  const env = { isReadableFile, findExecutable: (c: string) => findExecutable(c, searchPath), searchPath };
  const contexts = merged.contexts.map((c) => checkContext(c, merged.currentContext, env));
  const byName = new Map<string, MergedContext>(merged.contexts.map((c) => [c.name, c]));
  const usable = new Set(contexts.filter((c) => c.problems.length === 0).map((c) => c.name));
  return {
    files: merged.files,
    contexts,
    current: merged.currentContext !== undefined && byName.has(merged.currentContext) ? merged.currentContext : undefined,
    clientFor(name) {
      const context = byName.get(name);
      return context && usable.has(name) ? kubeConfigFor(context, searchPath) : undefined;
    },
  };
}
