// Command line for record.ts:
//   node electron/core/agents/record-cli.ts --port 7441 --out fixtures/recordings/x.ndjson \
//     --cluster lab --source "lab containerd 1.6, ctr pull alpha at 2 MB/s" [--host 127.0.0.1]
//     [--node NAME] [--max-duration 300] [--until-idle 5] [--note TEXT]
// Reach an in-cluster agent first with `kubectl port-forward pod/<agent-pod> 7441`.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AgentClientError } from './agent-client.ts';
import { recordAgent } from './record.ts';

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
});

async function main(): Promise<number> {
  const options = Object.fromEntries(Object.keys(argsSchema.shape).map((k) => [k, { type: 'string' as const }]));
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
      onReady: () => console.error(`record: watching ${a.host}:${a.port} -> ${a.out}`),
    });
    console.error(`record: ${result.frames} frames, ${result.inputs} inputs written to ${a.out} (stopped: ${result.stoppedBecause})`);
    return 0;
  } catch (err) {
    console.error(`record: ${err instanceof AgentClientError ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
