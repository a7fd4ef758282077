// The contract between the Electron main thread and the core's worker thread (core-worker.ts).
// Main relays each renderer's bridge session over it: the sessions themselves, and their
// validation of every command, run in the worker beside the core. Both directions are checked
// here: main's requests by schema, the worker's messages by envelope (the ServerMessages inside
// are built by the worker's own bridge session from the contract's types).
import { z } from 'zod';
import type { PullNotification, ServerMessage } from '../bridge/contract.ts';

/** What the worker needs to build the core: the same options the shell used to pass to
 * openBackends/createApp in-process. */
export const coreWorkerOptionsSchema = z.strictObject({
  recordingsDir: z.string().optional(),
  /** The app's data folder (history under it); historyDir overrides the history folder. */
  dataDir: z.string().optional(),
  historyDir: z.string().optional(),
  agentDir: z.string(),
  version: z.string(),
  /** Settings file (the shell's userData/settings.json); in memory when absent. */
  settingsFile: z.string().optional(),
});
export type CoreWorkerOptions = z.infer<typeof coreWorkerOptionsSchema>;

const sessionId = z.number().int().nonnegative();

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('session.open'), session: sessionId, appVersion: z.string() }),
  /** One raw request from the renderer: the worker's bridge session validates it. */
  z.strictObject({ type: z.literal('session.command'), session: sessionId, raw: z.unknown() }),
  z.strictObject({ type: z.literal('session.close'), session: sessionId }),
  /** The answer to `save-path.ask`: null when the user cancelled. */
  z.strictObject({ type: z.literal('save-path'), request: z.number().int(), path: z.string().nullable() }),
  z.strictObject({ type: z.literal('shutdown') }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export type FromWorker =
  | { type: 'ready' }
  | { type: 'session.message'; session: number; message: ServerMessage }
  | { type: 'notification'; notification: PullNotification }
  /** The core made a CSV for `history.export` to a dialog: main asks the user where to save it. */
  | { type: 'save-path.ask'; request: number; defaultName: string }
  | { type: 'closed' };

const fromWorkerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  z.strictObject({ type: z.literal('session.message'), session: sessionId, message: z.looseObject({ type: z.string() }) }),
  z.strictObject({ type: z.literal('notification'), notification: z.looseObject({ kind: z.string(), message: z.string() }) }),
  z.strictObject({ type: z.literal('save-path.ask'), request: z.number().int(), defaultName: z.string() }),
  z.strictObject({ type: z.literal('closed') }),
]);

/** The worker's message, or undefined when it is not one (a defect: logged by the caller). */
export function parseFromWorker(raw: unknown): FromWorker | undefined {
  return fromWorkerSchema.safeParse(raw).success ? (raw as FromWorker) : undefined;
}
