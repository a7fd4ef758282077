// Command line for record.ts:
//   node electron/core/agents/record-cli.ts --port 7441 --out fixtures/recordings/x.ndjson \
//     --cluster lab --source "lab containerd 1.6, ctr pull alpha at 2 MB/s" [--host 127.0.0.1]
//     [--node NAME] [--max-duration 300] [--until-idle 5] [--note TEXT]
//     [--context NAME] [--kubeconfig PATH] [--kube-namespace NS] [--no-kube]
// Reach an in-cluster agent first with `kubectl port-forward pod/<agent-pod> 7441`. The node's
// kubelet events and pods are recorded too, from --context (else the kubeconfig's current context;
// kubeconfig from --kubeconfig, else KUBECONFIG or ~/.kube/config), only namespace NS's with
// --kube-namespace (comma-separated list); --no-kube records the agent only.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { kubeconfigPaths, loadKubeconfigs } from '../kube/kubeconfig-source.ts';
import { AgentClientError } from './agent-client.ts';
import { recordAgent, type RecordOptions } from './record.ts';

const argsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(1).max(65535),
  out: z.string().min(1),
  cluster: z.string().min(1),
  source: z.string().min(1),
  note: z.string().optional(),
  node: z.string().min(1).optional(),
  'max-duration': z.coerce.number().positive().max(24 * 3600).default(300),
  'until-idle': z.coerce.number().nonnegative().default(5),
  context: z.string().min(1).optional(),
  kubeconfig: z.string().min(1).optional(),
  'kube-namespace': z.string().min(1).optional(),
  'no-kube': z.boolean().default(false),
});

/** The cluster side of the recording, or why there is none. */
function kubeSource(a: z.output<typeof argsSchema>): { kube?: RecordOptions['kube']; note: string } {
  if (a['no-kube']) return { note: 'kubelet events not recorded (--no-kube)' };
  const env = a.kubeconfig ? { ...process.env, KUBECONFIG: a.kubeconfig } : process.env;
  const snapshot = loadKubeconfigs(kubeconfigPaths(env), env.PATH ?? '');
  const context = a.context ?? snapshot.current;
  if (!context) return { note: 'kubelet events not recorded: no --context and no current context in the kubeconfig' };
  const problems = snapshot.contexts.find((c) => c.name === context)?.problems;
  if (!snapshot.clientFor(context)) {
    const why = `context ${context} ${problems?.length ? `is not usable: ${problems.join('; ')}` : 'is not in the kubeconfig'}`;
    // asked for by name: an error; only found as the current context: record the agent alone
    if (a.context) throw new Error(why);
    return { note: `kubelet events not recorded: ${why}` };
  }
  return {
    kube: {
      // a fresh configuration each time the watches (re)connect: rotated credentials are re-read
      ...(a['kube-namespace'] ? { namespaces: a['kube-namespace'].split(',').map((n) => n.trim()) } : {}),
      config: () => loadKubeconfigs(kubeconfigPaths(env), env.PATH ?? '').clientFor(context) ?? snapshot.clientFor(context)!,
      onStatus: (s) => {
        if (s.state === 'backoff') console.error(`record: kube ${s.resource} watch: ${s.error?.message ?? 'retrying'}`);
      },
    },
    note: `kubelet events and pods from context ${context}${a['kube-namespace'] ? ` (namespace ${a['kube-namespace']})` : ''}`,
  };
}

async function main(): Promise<number> {
  const options = Object.fromEntries(Object.keys(argsSchema.shape).map((k) => [k, { type: k === 'no-kube' ? ('boolean' as const) : ('string' as const) }]));
  let raw;
  try {
    raw = parseArgs({ options, strict: true }).values;
  } catch (err) {
    console.error(`record: ${(err as Error).message}`);
    return 2;
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    console.error(`record: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return 2;
  }
  const a = parsed.data;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const { kube, note } = kubeSource(a);
    console.error(`record: ${note}`);
    const result = await recordAgent({
      host: a.host,
      port: a.port,
      out: a.out,
      cluster: a.cluster,
      source: a.source,
      ...(a.note ? { note: a.note } : {}),
      ...(a.node ? { node: a.node } : {}),
      maxDurationMs: a['max-duration'] * 1000,
      untilIdleMs: a['until-idle'] * 1000,
      signal: controller.signal,
      ...(kube ? { kube } : {}),
      onReady: () => console.error(`record: watching ${a.host}:${a.port} -> ${a.out}`),
    });
    console.error(`record: ${result.frames} frames, ${result.inputs} inputs (${result.kubeInputs} from the cluster) written to ${a.out} (stopped: ${result.stoppedBecause})`);
    return 0;
  } catch (err) {
    console.error(`record: ${err instanceof AgentClientError || err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
