// The in-memory index of one segment: one typed-array column per queried field, one row per
// record, strings interned in the journal's tables. A million rows take ~60 MB and a filter scan
// touches only these columns; full records are read back from the segment file by offset.
import type { FinishedState, HistoryRecord } from './record.ts';

export const STATES: readonly FinishedState[] = ['done', 'cached', 'failed', 'abandoned'];
const stateCode = new Map(STATES.map((s, i) => [s, i]));

/** Interns strings to dense ids so columns hold numbers and filters test ids, not strings. */
export class StringTable {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();
  intern(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
  idOf(value: string): number | undefined {
    return this.ids.get(value);
  }
}

/** Strings shared by every segment of one cluster's journal. */
export class JournalTables {
  readonly contexts = new StringTable();
  readonly nodes = new StringTable();
  readonly images = new StringTable();
  readonly registries = new StringTable();
  readonly namespaces = new StringTable();
  /** A record's namespaces as one interned set (key: sorted names joined by NUL). */
  readonly namespaceSets = new StringTable();
  readonly namespaceSetMembers: number[][] = [];

  namespaceSetId(namespaces: readonly string[]): number {
    const key = namespaces.join('\0');
    const id = this.namespaceSets.intern(key);
    if (id === this.namespaceSetMembers.length) this.namespaceSetMembers.push(namespaces.map((n) => this.namespaces.intern(n)));
    return id;
  }
}

const grow = <T extends Float64Array | Uint32Array | Uint8Array>(column: T, capacity: number): T => {
  const next = new (column.constructor as new (n: number) => T)(capacity);
  next.set(column);
  return next;
};

export class SegmentIndex {
  rows = 0;
  minFinishedAt = Infinity;
  maxFinishedAt = -Infinity;
  finishedAt = new Float64Array(256);
  /** NaN when unknown. */
  durationMs = new Float64Array(256);
  bytesDownloaded = new Float64Array(256);
  offset = new Float64Array(256);
  length = new Uint32Array(256);
  context = new Uint32Array(256);
  node = new Uint32Array(256);
  image = new Uint32Array(256);
  registry = new Uint32Array(256);
  namespaceSet = new Uint32Array(256);
  state = new Uint8Array(256);

  add(record: HistoryRecord, tables: JournalTables, offset: number, length: number): void {
    if (this.rows === this.finishedAt.length) this.resize(this.rows * 2);
    const row = this.rows++;
    this.finishedAt[row] = record.finishedAt;
    this.durationMs[row] = record.durationMs ?? Number.NaN;
    this.bytesDownloaded[row] = record.bytesDownloaded;
    this.offset[row] = offset;
    this.length[row] = length;
    this.context[row] = tables.contexts.intern(record.context);
    this.node[row] = tables.nodes.intern(record.node);
    this.image[row] = tables.images.intern(record.image);
    this.registry[row] = tables.registries.intern(record.registry);
    this.namespaceSet[row] = tables.namespaceSetId(record.namespaces);
    this.state[row] = stateCode.get(record.state) ?? 0;
    if (record.finishedAt < this.minFinishedAt) this.minFinishedAt = record.finishedAt;
    if (record.finishedAt > this.maxFinishedAt) this.maxFinishedAt = record.finishedAt;
  }

  private resize(capacity: number): void {
    this.finishedAt = grow(this.finishedAt, capacity);
    this.durationMs = grow(this.durationMs, capacity);
    this.bytesDownloaded = grow(this.bytesDownloaded, capacity);
    this.offset = grow(this.offset, capacity);
    this.length = grow(this.length, capacity);
    this.context = grow(this.context, capacity);
    this.node = grow(this.node, capacity);
    this.image = grow(this.image, capacity);
    this.registry = grow(this.registry, capacity);
    this.namespaceSet = grow(this.namespaceSet, capacity);
    this.state = grow(this.state, capacity);
  }
}
