// The persistent pull history: one journal per cluster under one directory, queries and statistics
// over their indexes, retention by age and size. Writes are synchronous single appends (a finished
// pull is a few hundred bytes, and ordering then needs no queue); a failing disk turns into a
// reported HistoryError and a degraded health, never an exception into the live pipeline.
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeValidatedLine } from './codec.ts';
import { HistoryError, historyErrorFrom } from './errors.ts';
import { ClusterJournal, type FsyncPolicy, type RecoveryNote, type Segment } from './journal.ts';
import { chronological, collectMatches, countMatches, newestPage, statistics, type GroupStats, type HistoryFilter, type RowRef } from './query.ts';
import { historyRecordSchema, type HistoryRecord } from './record.ts';

export interface RetentionOptions {
  /** Records older than this (by finish time) are deleted, a whole segment at a time. */
  maxAgeMs: number;
  /** Total size of all clusters' journals; the oldest segments go first. */
  maxBytes: number;
}

export interface HistoryStoreOptions {
  dir: string;
  retention?: Partial<RetentionOptions>;
  /** Size at which a segment is sealed and a new one started; also the granularity of retention. */
  segmentBytes?: number;
  /** `interval` (default): fdatasync at most every fsyncIntervalMs; a crash of the app loses
   * nothing either way, only a power loss can lose the last interval. */
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  /** Opens for reading only (the CLI while the app may be writing): no truncation, no retention. */
  readOnly?: boolean;
  now?: () => number;
}

export const DEFAULT_RETENTION: RetentionOptions = { maxAgeMs: 90 * 24 * 3600 * 1000, maxBytes: 1024 * 1024 * 1024 };
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const BLOCK_BYTES = 256 * 1024;
const MAX_OPEN_SEGMENTS = 16;

export interface HistoryHealth {
  writable: boolean;
  /** The last write failure, cleared by the next successful write. */
  lastError?: HistoryError;
  failedWrites: number;
  records: number;
  bytes: number;
}

export interface AppendResult {
  written: number;
  error?: HistoryError;
}

/** Cluster names become directory names: anything but [A-Za-z0-9_-] is %-encoded, reversibly. */
export const clusterDirName = (cluster: string): string =>
  [...Buffer.from(cluster, 'utf8')].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
/** The cluster a directory holds, or undefined for a directory this store did not create. */
const clusterFromDirName = (name: string): string | undefined => {
  try {
    const cluster = decodeURIComponent(name);
    return clusterDirName(cluster) === name ? cluster : undefined;
  } catch {
    return undefined;
  }
};

export class HistoryStore {
  readonly dir: string;
  /** What opening found and repaired (torn last record, damaged spans), for the log and the UI. */
  readonly recovery: RecoveryNote[] = [];
  private readonly journals = new Map<string, ClusterJournal>();
  private readonly retention: RetentionOptions;
  private readonly segmentBytes: number;
  private readonly fsync: FsyncPolicy;
  private readonly readOnly: boolean;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastError: HistoryError | undefined;
  private failedWrites = 0;

  private constructor(options: HistoryStoreOptions) {
    this.dir = options.dir;
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.fsync = options.fsync ?? 'interval';
    this.readOnly = options.readOnly ?? false;
    this.now = options.now ?? Date.now;
    if (this.fsync === 'interval' && !this.readOnly) {
      this.timer = setInterval(() => this.sync(), options.fsyncIntervalMs ?? 1000);
      this.timer.unref();
    }
  }

  /** Opens (creating when writable) the history directory. Throws a HistoryError when it is unusable. */
  static open(options: HistoryStoreOptions): HistoryStore {
    const store = new HistoryStore(options);
    try {
      store.load();
    } catch (error) {
      store.close();
      throw historyErrorFrom(error, options.readOnly ? 'read the history in' : 'open the history in', options.dir);
    }
    return store;
  }

  private load(): void {
    if (!this.readOnly) mkdirSync(this.dir, { recursive: true });
    else if (!statSync(this.dir, { throwIfNoEntry: false })?.isDirectory()) return;
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      const cluster = entry.isDirectory() ? clusterFromDirName(entry.name) : undefined;
      if (cluster === undefined) continue;
      const journal = new ClusterJournal(cluster, join(this.dir, entry.name), this.segmentBytes, this.fsync);
      journal.load(this.readOnly, this.recovery);
      this.journals.set(journal.cluster, journal);
    }
    if (!this.readOnly) this.applyRetention();
  }

  /** Persists records; never throws. A failure is returned, counted and kept in health(). */
  append(records: readonly HistoryRecord[]): AppendResult {
    if (this.readOnly) return { written: 0, error: new HistoryError('read-only', 'This history store was opened read-only.', this.dir) };
    let written = 0;
    let invalid: HistoryError | undefined;
    for (const record of records) {
      // Refuse here what the reader would refuse on reopen: a record written now and dropped as
      // damage later is a silent loss; refused now, it is reported and the others are kept.
      const checked = historyRecordSchema.safeParse(record);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        invalid = new HistoryError('invalid-record', `History record ${record.id} refused: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}.`, this.dir);
        this.failedWrites++;
        continue;
      }
      try {
        const journal = this.journalFor(record.cluster);
        const segmentsBefore = journal.segments.length;
        journal.append(record);
        written++;
        // Sealing a segment is when retention may have something to delete.
        if (segmentsBefore > 0 && journal.segments.length > segmentsBefore) this.applyRetention();
        this.lastError = undefined;
      } catch (error) {
        this.lastError = historyErrorFrom(error, 'write a record to', this.dir);
        this.failedWrites += records.length - written;
        return { written, error: this.lastError };
      }
    }
    return invalid === undefined ? { written } : { written, error: invalid };
  }

  health(): HistoryHealth {
    let records = 0;
    let bytes = 0;
    for (const j of this.journals.values()) {
      for (const s of j.segments) records += s.index.rows;
      bytes += j.bytes;
    }
    return { writable: !this.readOnly && this.lastError === undefined, lastError: this.lastError, failedWrites: this.failedWrites, records, bytes };
  }

  clusters(): string[] {
    return [...this.journals.keys()].sort();
  }

  count(filter: HistoryFilter = {}): number {
    return countMatches(collectMatches([...this.journals.values()], filter));
  }

  /** Matching records, newest finish first. */
  query(filter: HistoryFilter, page: { offset?: number; limit?: number } = {}): { total: number; records: HistoryRecord[] } {
    const matches = collectMatches([...this.journals.values()], filter);
    const refs = newestPage(matches, page.offset ?? 0, page.limit ?? 500);
    return { total: countMatches(matches), records: this.readRecords(refs) };
  }

  stats(filter: HistoryFilter, by: 'image' | 'registry'): GroupStats[] {
    return statistics(collectMatches([...this.journals.values()], filter), by);
  }

  /** Every matching record, oldest finish first, read from disk one at a time (for exports). */
  *scan(filter: HistoryFilter): Generator<HistoryRecord> {
    const refs = chronological(collectMatches([...this.journals.values()], filter));
    const reader = new SegmentReader();
    try {
      for (const ref of refs) yield reader.read(ref);
    } finally {
      reader.close();
    }
  }

  /** Deletes sealed segments past the age limit, then the oldest ones while over the size limit. */
  applyRetention(): { deletedSegments: number } {
    const cutoff = this.now() - this.retention.maxAgeMs;
    const sealed = [...this.journals.values()].flatMap((journal) => journal.segments.slice(0, -1).map((segment) => ({ journal, segment })));
    // Oldest content first: a segment's age is its newest record's.
    sealed.sort((a, b) => a.segment.index.maxFinishedAt - b.segment.index.maxFinishedAt);
    let total = [...this.journals.values()].reduce((sum, j) => sum + j.bytes, 0);
    let deletedSegments = 0;
    for (const { journal, segment } of sealed) {
      if (segment.index.maxFinishedAt >= cutoff && total <= this.retention.maxBytes) break;
      try {
        if (journal.drop(segment)) {
          total -= segment.bytes;
          deletedSegments++;
        }
      } catch (error) {
        this.lastError = historyErrorFrom(error, 'delete an expired segment', segment.path);
      }
    }
    return { deletedSegments };
  }

  /** Flushes to disk now (the interval policy calls this every second). */
  sync(): void {
    for (const journal of this.journals.values()) {
      try {
        journal.sync();
      } catch (error) {
        this.lastError = historyErrorFrom(error, 'flush', journal.dir);
      }
    }
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const journal of this.journals.values()) {
      try {
        journal.close();
      } catch (error) {
        this.lastError = historyErrorFrom(error, 'close', journal.dir);
      }
    }
  }

  private journalFor(cluster: string): ClusterJournal {
    let journal = this.journals.get(cluster);
    if (journal === undefined) {
      journal = new ClusterJournal(cluster, join(this.dir, clusterDirName(cluster)), this.segmentBytes, this.fsync);
      this.journals.set(cluster, journal);
    }
    return journal;
  }

  private readRecords(refs: readonly RowRef[]): HistoryRecord[] {
    const reader = new SegmentReader();
    try {
      return refs.map((ref) => reader.read(ref));
    } finally {
      reader.close();
    }
  }
}

/** Reads records back by (segment, offset) for one operation, with a 256 KiB read-ahead block per
 * segment: exports walk each segment in file order, but interleave clusters (one journal each) in
 * time order, so one shared block would be refilled at nearly every record. The least recently used
 * of at most MAX_OPEN_SEGMENTS segments is closed when another one is needed. */
class SegmentReader {
  private readonly open = new Map<Segment, { fd: number; block: Buffer; start: number; end: number }>();

  read({ match, row }: RowRef): HistoryRecord {
    const { segment } = match;
    const offset = segment.index.offset[row] ?? 0;
    const length = segment.index.length[row] ?? 0;
    const reader = this.readerFor(segment);
    if (offset < reader.start || offset + length > reader.end) {
      if (reader.block.length < length) reader.block = Buffer.allocUnsafe(length);
      const wanted = Math.max(length, Math.min(reader.block.length, segment.bytes - offset));
      reader.start = offset;
      reader.end = offset + readSync(reader.fd, reader.block, 0, wanted, offset);
    }
    const at = offset - reader.start;
    // Without the trailing newline.
    const decoded = decodeValidatedLine(reader.block.subarray(at, at + length - 1));
    if (!decoded.ok) throw new HistoryError('io', `History record at ${segment.path}:${offset} changed on disk (${decoded.problem}).`, segment.path);
    return decoded.record;
  }

  close(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
  }

  private readerFor(segment: Segment): { fd: number; block: Buffer; start: number; end: number } {
    let reader = this.open.get(segment);
    if (reader !== undefined) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.open.delete(segment);
      this.open.set(segment, reader);
      return reader;
    }
    if (this.open.size >= MAX_OPEN_SEGMENTS) {
      const [oldest, old] = this.open.entries().next().value ?? [];
      if (oldest !== undefined && old !== undefined) {
        closeSync(old.fd);
        this.open.delete(oldest);
      }
    }
    try {
      reader = { fd: openSync(segment.path, 'r'), block: Buffer.allocUnsafe(BLOCK_BYTES), start: 0, end: 0 };
    } catch (error) {
      throw historyErrorFrom(error, 'read', segment.path);
    }
    this.open.set(segment, reader);
    return reader;
  }
}
