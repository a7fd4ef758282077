// Reads a segment file line by line (bounded memory: one chunk plus one record) and sorts each
// line into a good record or a damaged span. Used when a journal opens, to rebuild the index and
// to find the damage a crash or a bad disk left behind.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decodeLine, NEWLINE } from './codec.ts';
import type { HistoryRecord } from './record.ts';

const CHUNK = 1 << 20;

export interface DamagedSpan {
  offset: number;
  bytes: number;
  problem: string;
}

export interface ScanResult {
  /** End of the last complete line (good or damaged). */
  completeBytes: number;
  /** Bytes after the last newline: a record cut off mid-write. */
  partialTailBytes: number;
  damaged: DamagedSpan[];
  /** Offset of the first byte after the last good record. */
  endOfLastGood: number;
}

export function scanSegment(path: string, onRecord: (record: HistoryRecord, offset: number, length: number) => void): ScanResult {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = 0;
    let position = 0;
    const result: ScanResult = { completeBytes: 0, partialTailBytes: 0, damaged: [], endOfLastGood: 0 };
    const takeLine = (line: Buffer, offset: number): void => {
      const decoded = decodeLine(line);
      const length = line.length + 1;
      if (decoded.ok) {
        onRecord(decoded.record, offset, length);
        result.endOfLastGood = offset + length;
      } else {
        const last = result.damaged.at(-1);
        // Adjacent damaged lines are one span: a report per damaged region, not per line.
        if (last !== undefined && last.offset + last.bytes === offset) last.bytes += length;
        else result.damaged.push({ offset, bytes: length, problem: decoded.problem });
      }
      result.completeBytes = offset + length;
    };
    // Only what existed when the scan began: another process may be appending (the app while the
    // CLI reads), and a device file posing as a segment must not be read forever.
    const size = fstatSync(fd).size;
    while (position < size) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK, size - position), position);
      if (read === 0) break;
      let data = chunk.subarray(0, read);
      let dataOffset = position;
      if (carry.length > 0) {
        data = Buffer.concat([carry, data]);
        dataOffset = carryOffset;
      }
      position += read;
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        takeLine(data.subarray(start, nl), dataOffset + start);
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      carryOffset = dataOffset + start;
    }
    result.partialTailBytes = carry.length;
    return result;
  } finally {
    closeSync(fd);
  }
}
