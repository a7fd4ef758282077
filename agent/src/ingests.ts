// From containerd's ListStatuses to ingest messages and the difference between two polls.
import type { ContainerdStatus } from './containerd/schemas.ts';
import type { IngestKind, IngestMsg } from './frames.ts';

const REF = /^(layer|manifest|index|config)-(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const ANY_DIGEST = /(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})/;

/** containerd leaves `expected` empty: the kind and digest come from the ref (`layer-sha256:<hex>`). */
export function ingestFromStatus(s: ContainerdStatus): IngestMsg | null {
  const m = REF.exec(s.ref);
  let kind: IngestKind;
  let digest: string;
  if (m) {
    kind = m[1] as IngestKind;
    digest = m[2]!;
  } else {
    // other writers (e.g. `ctr content ingest`) use free-form refs; keep them if a digest is known
    const found = ANY_DIGEST.exec(s.expected) ?? ANY_DIGEST.exec(s.ref);
    if (!found) return null;
    kind = 'unknown';
    digest = found[1]!;
  }
  return {
    ref: s.ref,
    kind,
    digest,
    offset: s.offset,
    total: s.total,
    startedAtMs: s.startedAt,
    updatedAtMs: s.updatedAt,
  };
}

export interface IngestDiff {
  /** appeared, or offset/total/updated_at changed */
  changed: IngestMsg[];
  appeared: IngestMsg[];
  /** refs no longer listed, with what was last seen of them */
  gone: IngestMsg[];
}

export function diffIngests(previous: ReadonlyMap<string, IngestMsg>, current: ReadonlyMap<string, IngestMsg>): IngestDiff {
  const changed: IngestMsg[] = [];
  const appeared: IngestMsg[] = [];
  const gone: IngestMsg[] = [];
  for (const [ref, now] of current) {
    const before = previous.get(ref);
    if (!before) {
      appeared.push(now);
      changed.push(now);
    } else if (before.offset !== now.offset || before.total !== now.total || before.updatedAtMs !== now.updatedAtMs || before.startedAtMs !== now.startedAtMs) {
      changed.push(now);
    }
  }
  for (const [ref, before] of previous) if (!current.has(ref)) gone.push(before);
  return { changed, appeared, gone };
}
