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

/** Decodes and validates one line (without its trailing newline): used when a segment is loaded. */
export function decodeLine(line: Buffer): DecodeResult {
  const checked = checkedJson(line);
  if (!checked.ok) return checked;
  const parsed = historyRecordSchema.safeParse(checked.value);
  if (!parsed.success) return { ok: false, problem: `not a history record (${parsed.error.issues[0]?.path.join('.') ?? '?'})` };
  return { ok: true, record: parsed.data };
}

/** Decodes a line that decodeLine already validated when its segment was loaded: the checksum
 * proves these are the same bytes, so the schema need not run again (exports re-read every row). */
export function decodeValidatedLine(line: Buffer): DecodeResult {
  const checked = checkedJson(line);
  return checked.ok ? { ok: true, record: checked.value as HistoryRecord } : checked;
}

function checkedJson(line: Buffer): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (line.length <= HEADER_BYTES || line[8] !== SPACE) return { ok: false, problem: 'no checksum header' };
  const expected = Number.parseInt(line.toString('latin1', 0, 8), 16);
  const json = line.subarray(HEADER_BYTES);
  if (!Number.isInteger(expected) || crc32(json) !== expected) return { ok: false, problem: 'checksum mismatch' };
  try {
    return { ok: true, value: JSON.parse(json.toString('utf8')) };
  } catch {
    return { ok: false, problem: 'invalid JSON' };
  }
}

export { NEWLINE };
