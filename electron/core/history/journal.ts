// One cluster's journal: a directory of numbered, append-only segment files (`00000001.ndjson`, …)
// and their in-memory indexes (saved beside each sealed segment as `00000001.idx`). Only the newest segment is ever written; older ones are sealed and
// only ever read or deleted whole (retention). See docs/history.md for the crash-safety argument.
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecord } from './codec.ts';
import { historyErrorFrom } from './errors.ts';
import type { HistoryRecord } from './record.ts';
import { JournalTables, SegmentIndex } from './segment-index.ts';
import { indexFilePath, loadIndexFile, saveIndexFile } from './segment-index-file.ts';
import { scanSegment, type DamagedSpan } from './segment-scan.ts';

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
  /** Damaged spans found when the segment was loaded (kept so its saved index reports them too). */
  readonly damaged: DamagedSpan[];
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
    seqs.forEach((seq, i) => this.segments.push(this.loadSegment(seq, i === seqs.length - 1, readOnly, notes)));
  }

  private loadSegment(seq: number, newest: boolean, readOnly: boolean, notes: RecoveryNote[]): Segment {
    const path = join(this.dir, segmentName(seq));
    const report = (d: DamagedSpan, action: RecoveryNote['action']): void => {
      notes.push({ file: path, ...d, action });
    };
    // A sealed segment never changes: its saved index is enough when it still matches the file.
    if (!newest) {
      const saved = loadIndexFile(path, statSync(path).size, this.tables);
      if (saved !== undefined) {
        for (const d of saved.facts.damaged) report(d, 'skipped-damaged-records');
        if (saved.facts.partialTailBytes > 0) {
          report({ offset: saved.facts.bytes - saved.facts.partialTailBytes, bytes: saved.facts.partialTailBytes, problem: 'incomplete last line' }, 'ignored-partial-tail');
        }
        return { seq, path, index: saved.index, bytes: saved.facts.bytes, damaged: saved.facts.damaged };
      }
    }
    const index = new SegmentIndex();
    const scan = scanSegment(path, (record, offset, length) => index.add(record, this.tables, offset, length));
    if (newest && !readOnly) {
      const inside = scan.damaged.filter((d) => d.offset < scan.endOfLastGood);
      for (const d of inside) report(d, 'skipped-damaged-records');
      for (const d of scan.damaged.filter((d) => d.offset >= scan.endOfLastGood)) report(d, 'truncated-damaged-tail');
      if (scan.partialTailBytes > 0) report({ offset: scan.completeBytes, bytes: scan.partialTailBytes, problem: 'record cut off mid-write' }, 'truncated-partial-tail');
      if (scan.endOfLastGood < scan.completeBytes + scan.partialTailBytes) truncateSync(path, scan.endOfLastGood);
      return { seq, path, index, bytes: scan.endOfLastGood, damaged: inside };
    }
    for (const d of scan.damaged) report(d, 'skipped-damaged-records');
    if (scan.partialTailBytes > 0) report({ offset: scan.completeBytes, bytes: scan.partialTailBytes, problem: 'incomplete last line' }, 'ignored-partial-tail');
    const segment = { seq, path, index, bytes: scan.completeBytes + scan.partialTailBytes, damaged: scan.damaged };
    if (!newest && !readOnly) saveIndexFile(path, index, this.tables, { bytes: segment.bytes, damaged: scan.damaged, partialTailBytes: scan.partialTailBytes });
    return segment;
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
    rmSync(indexFilePath(segment.path), { force: true });
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
      saveIndexFile(segment.path, segment.index, this.tables, { bytes: segment.bytes, damaged: segment.damaged, partialTailBytes: 0 });
      segment = undefined;
    }
    if (segment === undefined) {
      const seq = (this.segments.at(-1)?.seq ?? 0) + 1;
      segment = { seq, path: join(this.dir, segmentName(seq)), index: new SegmentIndex(), bytes: 0, damaged: [] };
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
