// The index of a sealed segment, saved beside it (`00000001.idx`) so that opening a large history
// reads the index columns instead of parsing and validating every record again. It is a cache: it
// is used only when it names the segment's exact size and CRC-32 (so the records are the bytes that
// were validated when it was built), and anything wrong with it means "scan the segment instead".
import { closeSync, openSync, readSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import type { DamagedSpan } from './segment-scan.ts';
import { SegmentIndex, type JournalTables, type StringTable } from './segment-index.ts';

const columnNames = ['finishedAt', 'durationMs', 'bytesDownloaded', 'offset', 'length', 'context', 'node', 'image', 'registry', 'namespaceSet', 'state'] as const;
type ColumnName = (typeof columnNames)[number];

const fileSchema = z.object({
  v: z.literal(1),
  segmentBytes: z.number().int().nonnegative(),
  segmentCrc: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  damaged: z.array(z.object({ offset: z.number().int().nonnegative(), bytes: z.number().int().positive(), problem: z.string() })),
  partialTailBytes: z.number().int().nonnegative(),
  strings: z.object({
    contexts: z.array(z.string()),
    nodes: z.array(z.string()),
    images: z.array(z.string()),
    registries: z.array(z.string()),
    namespaceSets: z.array(z.array(z.string())),
  }),
  columns: z.record(z.enum(columnNames), z.base64()),
});
type IndexFile = z.infer<typeof fileSchema>;

export interface SegmentFacts {
  bytes: number;
  damaged: DamagedSpan[];
  partialTailBytes: number;
}

export const indexFilePath = (segmentPath: string): string => segmentPath.replace(/\.ndjson$/, '.idx');

export function segmentCrc(path: string, bytes: number): number {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let crc = 0;
    for (let position = 0; position < bytes; ) {
      const read = readSync(fd, chunk, 0, Math.min(chunk.length, bytes - position), position);
      if (read === 0) break;
      crc = crc32(chunk.subarray(0, read), crc);
      position += read;
    }
    return crc;
  } finally {
    closeSync(fd);
  }
}

const encodeColumn = (column: Float64Array | Uint32Array | Uint8Array, rows: number): string =>
  Buffer.from(column.buffer, column.byteOffset, rows * column.BYTES_PER_ELEMENT).toString('base64');

/** Re-numbers a string column from the journal's ids to ids local to this file. */
function localise(ids: Uint32Array, rows: number, values: (id: number) => string): { ids: Uint32Array; strings: string[] } {
  const local = new Map<number, number>();
  const strings: string[] = [];
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const id = ids[r] ?? 0;
    let l = local.get(id);
    if (l === undefined) {
      l = strings.length;
      local.set(id, l);
      strings.push(values(id));
    }
    out[r] = l;
  }
  return { ids: out, strings };
}

const valueOf = (table: StringTable) => (id: number): string => table.values[id] ?? '';

/** Writes the index file atomically (temp file + rename). A failure only costs a scan next time. */
export function saveIndexFile(segmentPath: string, index: SegmentIndex, tables: JournalTables, facts: SegmentFacts): void {
  const rows = index.rows;
  const context = localise(index.context, rows, valueOf(tables.contexts));
  const node = localise(index.node, rows, valueOf(tables.nodes));
  const image = localise(index.image, rows, valueOf(tables.images));
  const registry = localise(index.registry, rows, valueOf(tables.registries));
  const sets = localise(index.namespaceSet, rows, (id) => String(id));
  const file: IndexFile = {
    v: 1,
    segmentBytes: facts.bytes,
    segmentCrc: segmentCrc(segmentPath, facts.bytes),
    rows,
    damaged: facts.damaged,
    partialTailBytes: facts.partialTailBytes,
    strings: {
      contexts: context.strings,
      nodes: node.strings,
      images: image.strings,
      registries: registry.strings,
      namespaceSets: sets.strings.map((id) => (tables.namespaceSetMembers[Number(id)] ?? []).map((n) => tables.namespaces.values[n] ?? '')),
    },
    columns: {
      finishedAt: encodeColumn(index.finishedAt, rows),
      durationMs: encodeColumn(index.durationMs, rows),
      bytesDownloaded: encodeColumn(index.bytesDownloaded, rows),
      offset: encodeColumn(index.offset, rows),
      length: encodeColumn(index.length, rows),
      context: encodeColumn(context.ids, rows),
      node: encodeColumn(node.ids, rows),
      image: encodeColumn(image.ids, rows),
      registry: encodeColumn(registry.ids, rows),
      namespaceSet: encodeColumn(sets.ids, rows),
      state: encodeColumn(index.state, rows),
    },
  };
  const target = indexFilePath(segmentPath);
  const temp = `${target}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(file));
    renameSync(temp, target);
  } catch {
    rmSync(temp, { force: true });
  }
}

/** Loads a segment's index from its file, or returns undefined when there is none or it does not
 * match the segment exactly (then the caller scans). */
export function loadIndexFile(segmentPath: string, size: number, tables: JournalTables): { index: SegmentIndex; facts: SegmentFacts } | undefined {
  let file: IndexFile;
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(indexFilePath(segmentPath), 'utf8')));
    if (!parsed.success) return undefined;
    file = parsed.data;
  } catch {
    return undefined;
  }
  if (file.segmentBytes !== size || segmentCrc(segmentPath, size) !== file.segmentCrc) return undefined;
  const rows = file.rows;
  const column = <T extends Float64Array | Uint32Array | Uint8Array>(name: ColumnName, make: (n: number) => T): T | undefined => {
    const bytes = Buffer.from(file.columns[name] ?? '', 'base64');
    const out = make(rows);
    if (bytes.length !== rows * out.BYTES_PER_ELEMENT) return undefined;
    new Uint8Array(out.buffer).set(bytes);
    return out;
  };
  // Local string ids → this journal's ids; an id outside its list makes the file unusable.
  const remap = (ids: Uint32Array | undefined, strings: readonly string[], intern: (s: string) => number): Uint32Array | undefined => {
    if (ids === undefined) return undefined;
    const global = strings.map(intern);
    for (let r = 0; r < rows; r++) {
      const id = global[ids[r] ?? 0];
      if (id === undefined) return undefined;
      ids[r] = id;
    }
    return ids;
  };
  const s = file.strings;
  const index = new SegmentIndex();
  const f64 = (n: number): Float64Array => new Float64Array(n);
  const u32 = (n: number): Uint32Array => new Uint32Array(n);
  const finishedAt = column('finishedAt', f64);
  const durationMs = column('durationMs', f64);
  const bytesDownloaded = column('bytesDownloaded', f64);
  const offset = column('offset', f64);
  const length = column('length', u32);
  const state = column('state', (n) => new Uint8Array(n));
  const context = remap(column('context', u32), s.contexts, (v) => tables.contexts.intern(v));
  const node = remap(column('node', u32), s.nodes, (v) => tables.nodes.intern(v));
  const image = remap(column('image', u32), s.images, (v) => tables.images.intern(v));
  const registry = remap(column('registry', u32), s.registries, (v) => tables.registries.intern(v));
  const namespaceSet = remap(column('namespaceSet', u32), s.namespaceSets.map((set) => set.join('\0')), (key) => tables.namespaceSetId(key === '' ? [] : key.split('\0')));
  if (!finishedAt || !durationMs || !bytesDownloaded || !offset || !length || !state || !context || !node || !image || !registry || !namespaceSet) return undefined;
  Object.assign(index, { rows, finishedAt, durationMs, bytesDownloaded, offset, length, state, context, node, image, registry, namespaceSet });
  for (let r = 0; r < rows; r++) {
    const at = finishedAt[r] ?? 0;
    if (at < index.minFinishedAt) index.minFinishedAt = at;
    if (at > index.maxFinishedAt) index.maxFinishedAt = at;
  }
  return { index, facts: { bytes: size, damaged: file.damaged, partialTailBytes: file.partialTailBytes } };
}
