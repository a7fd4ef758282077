// One cluster's journal: a directory of numbered, append-only segment files (`00000001.ndjson`, …)
// and their in-memory indexes. Only the newest segment is ever written; older ones are sealed and
// only ever read or deleted whole (retention). See docs/history.md for the crash-safety argument.
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecord } from './codec.ts';
import { historyErrorFrom } from './errors.ts';
import type { HistoryRecord } from './record.ts';
import { JournalTables, SegmentIndex } from './segment-index.ts';
import { scanSegment } from './segment-scan.ts';

export type FsyncPolicy = 'every-record' | 'interval' | 'never';

export interface RecoveryNote {
  file: string;
  offset: number;
  bytes: number;
  action: 'truncated-partial-tail' | 'truncated-damaged-tail' | 'skipped-damaged-records' | 'ignored-partial-tail';
  problem: string;
}

export interface Segment {
  readonly seq: number;
  readonly path: string;
  readonly index: SegmentIndex;
  /** Bytes of complete records: the file is truncated back to this after a failed write. */
  bytes: number;
}

const SEGMENT_NAME = /^(\d{8})\.ndjson$/;
const segmentName = (seq: number): string => `${String(seq).padStart(8, '0')}.ndjson`;

export class ClusterJournal {
  readonly cluster: string;
  readonly dir: string;
  readonly tables = new JournalTables();
  readonly segments: Segment[] = [];
  private fd: number | undefined;
  /** A write failed and the truncation back to the last good record did too: redo it first. */
  private tailNeedsRepair = false;
  private unsynced = false;
  private readonly segmentBytes: number;
  private readonly fsync: FsyncPolicy;

  constructor(cluster: string, dir: string, segmentBytes: number, fsync: FsyncPolicy) {
    this.cluster = cluster;
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.fsync = fsync;
  }

  /** Loads every segment; in a writable journal, cuts a torn or damaged tail off the newest one. */
  load(readOnly: boolean, notes: RecoveryNote[]): void {
    const seqs = readdirSync(this.dir)
      .flatMap((name) => {
        const m = SEGMENT_NAME.exec(name);
        return m?.[1] !== undefined ? [Number(m[1])] : [];
      })
      .sort((a, b) => a - b);
    seqs.forEach((seq, i) => {
      const path = join(this.dir, segmentName(seq));
      const index = new SegmentIndex();
      const scan = scanSegment(path, (record, offset, length) => index.add(record, this.tables, offset, length));
      const newest = i === seqs.length - 1;
      const damagedTail = scan.damaged.filter((d) => d.offset >= scan.endOfLastGood);
      const damagedInside = newest && !readOnly ? scan.damaged.filter((d) => d.offset < scan.endOfLastGood) : scan.damaged;
      for (const d of damagedInside) notes.push({ file: path, ...d, action: 'skipped-damaged-records' });
      if (newest && !readOnly) {
        for (const d of damagedTail) notes.push({ file: path, ...d, action: 'truncated-damaged-tail' });
        if (scan.partialTailBytes > 0) {
          notes.push({ file: path, offset: scan.completeBytes, bytes: scan.partialTailBytes, action: 'truncated-partial-tail', problem: 'record cut off mid-write' });
        }
        if (damagedTail.length > 0 || scan.partialTailBytes > 0) truncateSync(path, scan.endOfLastGood);
        this.segments.push({ seq, path, index, bytes: scan.endOfLastGood });
      } else {
        if (scan.partialTailBytes > 0) {
          notes.push({ file: path, offset: scan.completeBytes, bytes: scan.partialTailBytes, action: 'ignored-partial-tail', problem: 'incomplete last line' });
        }
        this.segments.push({ seq, path, index, bytes: scan.completeBytes + scan.partialTailBytes });
      }
    });
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Writes one record with a single append; throws a HistoryError, leaving the file as before. */
  append(record: HistoryRecord): void {
    const line = encodeRecord(record);
    const segment = this.writableSegment(line.length);
    const fd = this.fd;
    if (fd === undefined) throw new Error('journal has no open segment');
    try {
      for (let written = 0; written < line.length; ) written += writeSync(fd, line, written, line.length - written);
    } catch (error) {
      this.undoPartialWrite(segment);
      throw historyErrorFrom(error, 'write a record to', segment.path);
    }
    segment.index.add(record, this.tables, segment.bytes, line.length);
    segment.bytes += line.length;
    this.unsynced = true;
    if (this.fsync === 'every-record') this.sync();
  }

  /** Flushes written records to the disk (protects against power loss, not needed for crashes). */
  sync(): void {
    if (this.fd === undefined || !this.unsynced) return;
    try {
      fdatasyncSync(this.fd);
      this.unsynced = false;
    } catch (error) {
      throw historyErrorFrom(error, 'flush', this.segments.at(-1)?.path ?? this.dir);
    }
  }

  /** Deletes a sealed segment (never the one being written). Returns false when it is still in use. */
  drop(segment: Segment): boolean {
    if (segment === this.segments.at(-1) && this.fd !== undefined) return false;
    unlinkSync(segment.path);
    this.segments.splice(this.segments.indexOf(segment), 1);
    return true;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      this.sync();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private writableSegment(lineBytes: number): Segment {
    let segment = this.segments.at(-1);
    if (this.tailNeedsRepair && segment !== undefined) {
      try {
        truncateSync(segment.path, segment.bytes);
      } catch (error) {
        // A segment that never got a record may be gone altogether: nothing to repair then.
        const missing = segment.bytes === 0 && error instanceof Error && 'code' in error && error.code === 'ENOENT';
        if (!missing) throw historyErrorFrom(error, 'repair the end of', segment.path);
      }
      this.tailNeedsRepair = false;
    }
    if (segment !== undefined && segment.bytes > 0 && segment.bytes + lineBytes > this.segmentBytes) {
      this.close();
      segment = undefined;
    }
    if (segment === undefined) {
      const seq = (this.segments.at(-1)?.seq ?? 0) + 1;
      segment = { seq, path: join(this.dir, segmentName(seq)), index: new SegmentIndex(), bytes: 0 };
      this.open(segment);
      this.segments.push(segment);
      this.syncDirectory();
    } else if (this.fd === undefined) {
      this.open(segment);
    }
    return segment;
  }

  private open(segment: Segment): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(segment.path, 'a');
    } catch (error) {
      throw historyErrorFrom(error, 'open', segment.path);
    }
  }

  /** Makes a new segment's directory entry durable too (best effort: not every platform allows it). */
  private syncDirectory(): void {
    if (this.fsync === 'never' || process.platform === 'win32') return;
    try {
      const dirFd = openSync(this.dir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      // Durability of the directory entry only matters on power loss; the record write reports real errors.
    }
  }

  /** After a failed write: cut what part of the record reached the file, and drop the descriptor so
   * the next append reopens the path (the disk or the file may have been fixed meanwhile). */
  private undoPartialWrite(segment: Segment): void {
    if (this.fd === undefined) return;
    try {
      ftruncateSync(this.fd, segment.bytes);
    } catch {
      this.tailNeedsRepair = true;
    }
    try {
      closeSync(this.fd);
    } catch {
      // The descriptor is unusable either way; the write error is what gets reported.
    }
    this.fd = undefined;
  }
}
