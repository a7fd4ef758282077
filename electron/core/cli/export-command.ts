// `pulltrace export`: writes the persisted pull history as CSV, filtered like the History view.
// Reads the store read-only, so it is safe while the app is running and writing.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { writeCsv } from '../history/csv.ts';
import { HistoryError } from '../history/errors.ts';
import { historyFilterSchema, type HistoryFilter } from '../history/query.ts';
import { finishedStateSchema } from '../history/record.ts';
import { historyDir } from '../history/paths.ts';
import { HistoryStore } from '../history/store.ts';
import { parseTimeArg } from './time-arg.ts';

export const EXPORT_USAGE = `Usage: pulltrace export [options]

Writes finished image pulls from the history as CSV (columns: docs/history.md).

  --context NAME     cluster or kubeconfig context (repeatable; default: all)
  --since WHEN       finished at or after WHEN: 30m, 24h, 7d, 2w or ISO 8601 (2026-11-23T10:00:00Z)
  --until WHEN       finished before WHEN (same forms)
  --node NAME        node name (repeatable)
  --image TEXT       image name contains TEXT (case-insensitive)
  --namespace NAME   a waiting pod's namespace (repeatable)
  --state STATE      done, cached, failed or abandoned (repeatable or comma-separated)
  --out FILE         output file, "-" for standard output (default: -)
  --bom              start with a UTF-8 byte order mark (for spreadsheet apps)
  --history-dir DIR  history directory (default: $PULLTRACE_HISTORY_DIR or the per-user data dir)
`;

export class UsageError extends Error {}

export interface ExportIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  now: number;
}

interface ExportPlan {
  dir: string;
  filter: HistoryFilter;
  out: string;
  bom: boolean;
}

export function parseExportArgs(args: readonly string[], env: NodeJS.ProcessEnv, now: number): ExportPlan {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        context: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        node: { type: 'string', multiple: true },
        image: { type: 'string' },
        namespace: { type: 'string', multiple: true },
        state: { type: 'string', multiple: true },
        out: { type: 'string', default: '-' },
        bom: { type: 'boolean', default: false },
        'history-dir': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  const time = (flag: 'since' | 'until'): number | undefined => {
    const value = v[flag];
    if (value === undefined) return undefined;
    const at = parseTimeArg(flag, value, now);
    if (typeof at === 'string') throw new UsageError(at);
    return at;
  };
  const states = (v.state ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
  for (const s of states) {
    if (!finishedStateSchema.safeParse(s).success) throw new UsageError(`--state "${s}" is not one of ${finishedStateSchema.options.join(', ')}.`);
  }
  const filter = historyFilterSchema.safeParse({
    clusters: v.context,
    nodes: v.node,
    image: v.image,
    namespaces: v.namespace,
    states: states.length > 0 ? states : undefined,
    since: time('since'),
    until: time('until'),
  });
  if (!filter.success) {
    const issue = filter.error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? '?')}: ${issue?.message ?? 'invalid value'}`);
  }
  if (filter.data.since !== undefined && filter.data.until !== undefined && filter.data.since >= filter.data.until) {
    throw new UsageError('--since must be earlier than --until.');
  }
  if (v.out === '') throw new UsageError('--out needs a file name, or "-" for standard output.');
  return { dir: historyDir({ flag: v['history-dir'], env }), filter: filter.data, out: v.out ?? '-', bom: v.bom ?? false };
}

/** Runs the export; returns the number of rows. Throws UsageError or HistoryError. */
export async function runExport(args: readonly string[], io: ExportIo): Promise<number> {
  const plan = parseExportArgs(args, io.env, io.now);
  const store = HistoryStore.open({ dir: plan.dir, readOnly: true });
  try {
    for (const note of store.recovery) {
      io.stderr.write(`warning: ${note.file} at byte ${note.offset}: ${note.bytes} bytes ${note.action === 'ignored-partial-tail' ? 'not yet complete (being written?)' : `damaged (${note.problem}), skipped`}\n`);
    }
    const known = store.clusters();
    if (known.length === 0) io.stderr.write(`warning: no history in ${plan.dir}\n`);
    else if (plan.filter.clusters !== undefined && store.count({ clusters: plan.filter.clusters }) === 0) {
      io.stderr.write(`warning: no history for ${plan.filter.clusters.join(', ')}; clusters with history: ${known.join(', ')}\n`);
    }
    const records = store.scan(plan.filter);
    if (plan.out === '-') return await writeCsv(records, io.stdout, { bom: plan.bom });
    // Write beside the target and rename at the end, so a failed export never leaves half a file.
    const partial = `${plan.out}.partial`;
    try {
      const rows = await writeCsv(records, createWriteStream(partial), { bom: plan.bom });
      renameSync(partial, plan.out);
      io.stderr.write(`exported ${rows} pulls to ${plan.out}\n`);
      return rows;
    } catch (error) {
      rmSync(partial, { force: true });
      if (error instanceof HistoryError) throw error;
      const errno = error instanceof Error && 'code' in error ? ` (${String(error.code)})` : '';
      throw new Error(`cannot write ${plan.out}${errno}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  } finally {
    store.close();
  }
}
