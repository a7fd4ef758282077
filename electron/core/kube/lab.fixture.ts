// Test-only helpers for the *.lab.test.ts files: where ../shared/lab/kube keeps things, and how to
// run its scripts. Nothing in the product imports this. A missing lab throws (tests fail, never skip).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { agentBundleFile } from './manifests.ts';
import { loadKubeconfigs } from './kubeconfig-source.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const labDir = path.resolve(process.env.PULLTRACE_LAB_DIR ?? path.join(repo, '../shared/lab'), 'kube');
export const labHome = process.env.LAB_KUBE_HOME ?? '/var/cache/lab-kube';
export const labKubeconfig = path.join(labHome, 'kubeconfig/lab.kubeconfig');
export const labSocket = path.join(labHome, 'containerd/containerd.sock');
export const kubectlPath = path.join(labHome, 'bin/kubectl');

/** Throws with the command to run when the lab's control plane is not up. */
export function requireLab(options: { kubelet?: boolean } = {}): void {
  if (!existsSync(labKubeconfig)) throw new Error(`kube lab not prepared: run bash ${labDir}/prepare.sh --with-kubelet && bash ${labDir}/up.sh`);
  kubectl(['get', '--raw', '/readyz']);
  if (options.kubelet) {
    const ready = kubectl(['get', 'node', 'lab-kubelet', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    if (ready !== 'True') throw new Error(`lab-kubelet is not Ready: run bash ${labDir}/kubelet-up.sh && bash ${labDir}/node-image.sh`);
  }
}

export function kubectl(args: string[], input?: string): string {
  return execFileSync(kubectlPath, ['--kubeconfig', labKubeconfig, '--context', 'lab-admin', ...args], { encoding: 'utf8', input, timeout: 60_000 }).trim();
}

export function labScript(name: string, args: string[]): string {
  return execFileSync('bash', [path.join(labDir, name), ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KUBECONFIG: labKubeconfig } }).trim();
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** `ctr` on the kubelet node's containerd, in kubelet's namespace. */
const ctr = (args: string[]): string => execFileSync('ctr', ['-a', labSocket, '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 30_000 });

/** What is running on the kubelet node's containerd now: its live ingests (`ctr content active`)
 * and the pods bound to the node outside kube-system — for a test that needs the node to itself,
 * and for its failure message when something else kept the node busy. */
export function nodeActivity(): { ingests: string[]; pods: string[] } {
  const active = ctr(['content', 'active']);
  const ingests = active.split('\n').slice(1).map((line) => line.trim()).filter(Boolean);
  const pods = kubectl(['get', 'pods', '--all-namespaces', '--field-selector', 'spec.nodeName=lab-kubelet', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.phase}{.metadata.deletionTimestamp}{"\\n"}{end}'])
    .split('\n').filter((line) => line && !line.startsWith('kube-system/'));
  return { ingests, pods };
}

/** Waits until no ingest is live on the kubelet node (a pull of an earlier test runs to its end
 * in containerd even after its pod is gone); throws naming what is still in flight. */
export async function waitNodeQuiet(timeoutMs: number): Promise<void> {
  let last = nodeActivity();
  try {
    await waitFor('no ingest on the kubelet node', () => ((last = nodeActivity()).ingests.length === 0 ? true : undefined), timeoutMs, 500);
  } catch (error) {
    throw new Error(`${String(error)}: the kubelet node is still pulling: ingests ${JSON.stringify(last.ingests)}; pods ${JSON.stringify(last.pods)}`);
  }
}

/** Removes the node's containers of lab-registry images whose pods are gone from the API. The
 * kubelet removes a deleted pod's dead containers only at its next container GC (up to a minute),
 * and while one exists, its image's unpacked snapshots do too: the next pull of that image then
 * fetches no layer at all (seen: the pipeline's stall case pulled small:v1 "cold" in 0.6 s with no
 * ingest). Call before node-reset.sh. */
export function removeLeftoverContainers(): string[] {
  const removed: string[] = [];
  const rows = ctr(['containers', 'ls']).split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((cols) => /^127\.0\.0\.1:500[01]\//.test(cols[1] ?? ''));
  for (const [id] of rows) {
    if (!id) continue;
    let raw: string;
    try {
      raw = ctr(['containers', 'info', id]);
    } catch {
      continue; // removed meanwhile (the kubelet's container GC runs on its own; seen in CI)
    }
    const info = z.object({ Labels: z.record(z.string(), z.string()).optional() }).loose().parse(JSON.parse(raw));
    const ns = info.Labels?.['io.kubernetes.pod.namespace'];
    const pod = info.Labels?.['io.kubernetes.pod.name'];
    if (ns && pod && kubectl(['-n', ns, 'get', 'pod', pod, '--ignore-not-found', '-o', 'name']) !== '') continue;
    for (const args of [['tasks', 'kill', '-s', 'SIGKILL', id], ['tasks', 'rm', '-f', id], ['containers', 'rm', id]]) {
      try {
        ctr(args);
      } catch {
        // no task (the container exited and CRI deleted it), or gone meanwhile
      }
    }
    removed.push(`${ns}/${pod}`);
  }
  return removed;
}

/** Which of these blobs the kubelet node's content store holds. */
export function blobsOnNode(digests: readonly string[]): string[] {
  const listed = new Set(ctr(['content', 'ls', '-q']).split('\n'));
  return digests.filter((d) => listed.has(d));
}

/** A namespace for one test file, with the default service account's token ready (k8s 1.20
 * rejects pods for ~1 s after a namespace is created). */
export async function freshNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  kubectl(['create', 'namespace', name]);
  await waitFor('default service account token', () => kubectl(['-n', name, 'get', 'sa', 'default', '-o', 'jsonpath={.secrets[0].name}']) || undefined);
  return name;
}

/** A fresh client for the lab's admin context, built the way the app builds one. */
export function labAdmin(): KubeConfig {
  const kc = loadKubeconfigs([labKubeconfig], '').clientFor('lab-admin');
  if (!kc) throw new Error('lab-admin context not usable');
  return kc;
}

/** The agent helper's build: one self-contained ES module for a stock Node image. */
export function buildAgentBundle(): { content: string } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pulltrace-agent-bundle-'));
  try {
    execFileSync(process.execPath, [path.join(repo, 'scripts/build-agent.ts'), '--outdir', tmp], { cwd: repo, stdio: 'pipe', timeout: 120_000 });
    return { content: readFileSync(path.join(tmp, agentBundleFile), 'utf8') };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
