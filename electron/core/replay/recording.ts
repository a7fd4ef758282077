// The recording format: NDJSON, a header line then one EngineInput per line, in time order.
//
//   {"format":"pulltrace-recording","version":1,"cluster":"lab","recordedAt":…,"source":"…"}
//   {"type":"agent.connected","at":…,"node":"lab-kubelet",…}
//   {"type":"ingests.observed","at":…,…}
//
// Recordings are engine inputs (after the agent-frame and kube-object translation), so replaying
// one drives the same engine code as a live cluster: the demo, bug reports and regression tests.
// A bad line is reported with its number and skipped, never fatal: a partly damaged recording
// still replays everything else. A bad header is fatal: without it we cannot know the format.
import { z } from 'zod';
import type { EngineInput } from '../engine/types.ts';
import { engineInputSchema } from './input-schema.ts';

export const RECORDING_FORMAT = 'pulltrace-recording';
export const RECORDING_VERSION = 1;

const headerSchema = z.object({
  format: z.literal(RECORDING_FORMAT),
  version: z.literal(RECORDING_VERSION),
  cluster: z.string().min(1),
  recordedAt: z.number().finite().nonnegative(),
  /** Where it came from, e.g. "lab containerd 1.6.20, ctr pull alpha+beta at 2 MB/s". */
  source: z.string(),
  note: z.string().optional(),
});

export type RecordingHeader = z.infer<typeof headerSchema>;

export interface RecordingLineError {
  line: number;
  message: string;
}

export interface Recording {
  header: RecordingHeader;
  inputs: EngineInput[];
  errors: RecordingLineError[];
}

export class RecordingError extends Error {
  override name = 'RecordingError';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `not JSON: ${(err as Error).message}` };
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`)
    .join('; ');
}

export function parseRecordingHeader(text: string): RecordingHeader {
  const json = parseJson(text);
  if (!json.ok) throw new RecordingError(`recording header is ${json.message}`);
  const header = headerSchema.safeParse(json.value);
  if (!header.success) {
    throw new RecordingError(`not a ${RECORDING_FORMAT} v${RECORDING_VERSION} header: ${describeIssues(header.error)}`);
  }
  return header.data;
}

/** Parses one input line; `undefined` input means the line was blank. */
export function parseRecordingLine(text: string): { input?: EngineInput; error?: string } {
  if (text.trim() === '') return {};
  const json = parseJson(text);
  if (!json.ok) return { error: json.message };
  const input = engineInputSchema.safeParse(json.value);
  if (!input.success) return { error: describeIssues(input.error) };
  return { input: input.data };
}

export function parseRecording(text: string): Recording {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) throw new RecordingError('recording is empty');
  const header = parseRecordingHeader(lines[first] ?? '');
  const inputs: EngineInput[] = [];
  const errors: RecordingLineError[] = [];
  let lastAt = 0;
  for (let i = first + 1; i < lines.length; i++) {
    const { input, error } = parseRecordingLine(lines[i] ?? '');
    if (error !== undefined) errors.push({ line: i + 1, message: error });
    if (input === undefined) continue;
    if (input.at < lastAt) {
      errors.push({ line: i + 1, message: `time goes backwards (${input.at} < ${lastAt}); line skipped` });
      continue;
    }
    lastAt = input.at;
    inputs.push(input);
  }
  return { header, inputs, errors };
}

export function formatRecordingHeader(header: RecordingHeader): string {
  return `${JSON.stringify(headerSchema.parse(header))}\n`;
}

export function formatRecordingLine(input: EngineInput): string {
  return `${JSON.stringify(input)}\n`;
}
