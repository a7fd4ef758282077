// One journal line per record: `<crc32 of the JSON, 8 lowercase hex> <JSON>\n`.
// JSON.stringify never emits a raw newline, so a newline always ends a record and a reader can
// resynchronise after damage; the checksum tells a torn or bit-flipped record from a good one.
import { crc32 } from 'node:zlib';
import { historyRecordSchema, type HistoryRecord } from './record.ts';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const HEADER_BYTES = 9; // 8 hex digits and a space

export function encodeRecord(record: HistoryRecord): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const line = Buffer.allocUnsafe(HEADER_BYTES + json.length + 1);
  line.write(crc32(json).toString(16).padStart(8, '0'), 0, 'latin1');
  line[8] = SPACE;
  json.copy(line, HEADER_BYTES);
  line[line.length - 1] = NEWLINE;
  return line;
}

export type DecodeResult = { ok: true; record: HistoryRecord } | { ok: false; problem: string };

/** Decodes one line without its trailing newline. */
export function decodeLine(line: Buffer): DecodeResult {
  if (line.length <= HEADER_BYTES || line[8] !== SPACE) return { ok: false, problem: 'no checksum header' };
  const expected = Number.parseInt(line.toString('latin1', 0, 8), 16);
  const json = line.subarray(HEADER_BYTES);
  if (!Number.isInteger(expected) || crc32(json) !== expected) return { ok: false, problem: 'checksum mismatch' };
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return { ok: false, problem: 'invalid JSON' };
  }
  const parsed = historyRecordSchema.safeParse(value);
  if (!parsed.success) return { ok: false, problem: `not a history record (${parsed.error.issues[0]?.path.join('.') ?? '?'})` };
  return { ok: true, record: parsed.data };
}

export { NEWLINE };
