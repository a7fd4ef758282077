// Cheap structural checks for inputs. The engine never throws on input: a malformed input is
// dropped with a counted warning, a recoverable one (negative offset, offset beyond total, unknown
// ingest kind) is clamped with a counted warning. Boundary validation with zod happens earlier
// (agents, kube, replay); this guards the engine's own invariants on its hot path without
// allocating.
import type { EngineInput, IngestKind, IngestStatus } from './types.ts';

export type Warn = (kind: string) => void;

const NODE_INPUTS = new Set([
  'agent.connected',
  'agent.disconnected',
  'agent.snapshot',
  'ingests.observed',
  'ingest.gone',
  'manifest.seen',
  'index.seen',
  'image.upserted',
  'content.deleted',
  'kube.node.removed',
]);
const OTHER_INPUTS = new Set(['kube.event', 'kube.pod', 'tick']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Field checks per input type beyond `type`, `at` and `node`; true when the shape is usable. */
function hasFields(input: Record<string, unknown>): boolean {
  switch (input.type) {
    case 'agent.snapshot':
    case 'ingests.observed':
      return Array.isArray(input.ingests);
    case 'ingest.gone':
      return isText(input.digest) && typeof input.ref === 'string';
    case 'manifest.seen':
      return isText(input.digest) && Array.isArray(input.layers) && Array.isArray(input.sources);
    case 'index.seen':
      return isText(input.digest) && Array.isArray(input.manifests) && Array.isArray(input.sources);
    case 'image.upserted':
      return isText(input.name);
    case 'content.deleted':
      return isText(input.digest);
    case 'kube.event':
      return (
        isText(input.uid) &&
        typeof input.count === 'number' &&
        isText(input.node) &&
        typeof input.reason === 'string' &&
        typeof input.message === 'string' &&
        isRecord(input.pod) &&
        isText(input.pod.uid)
      );
    case 'kube.pod':
      return isRecord(input.pod) && isText(input.pod.uid) && Array.isArray(input.containers);
    default:
      return true;
  }
}

/** The input as a typed EngineInput, or undefined (with a warning) when it cannot be used. */
export function checkInput(raw: unknown, warn: Warn): EngineInput | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string') {
    warn('malformed-input');
    return undefined;
  }
  if (!NODE_INPUTS.has(raw.type) && !OTHER_INPUTS.has(raw.type)) {
    warn('unknown-input-type');
    return undefined;
  }
  if (!isTime(raw.at)) {
    warn('bad-time');
    return undefined;
  }
  if ((NODE_INPUTS.has(raw.type) && !isText(raw.node)) || !hasFields(raw)) {
    warn('malformed-input');
    return undefined;
  }
  return raw as unknown as EngineInput;
}

const KINDS: ReadonlySet<string> = new Set(['layer', 'manifest', 'index', 'config', 'unknown']);

function kindFromRef(ref: string): IngestKind {
  const prefix = /^(layer|manifest|index|config)-/.exec(ref);
  return (prefix?.[1] as IngestKind | undefined) ?? 'unknown';
}

/** Clamped numbers of one ingest; `ok` false when it must be dropped. Reused to avoid allocation. */
export interface CleanIngest {
  ok: boolean;
  kind: IngestKind;
  offset: number;
  total: number;
  startedAt: number;
  updatedAt: number;
}

export function cleanIngest(raw: IngestStatus, at: number, into: CleanIngest, warn: Warn): CleanIngest {
  into.ok = false;
  if (!isRecord(raw) || !isText(raw.digest) || typeof raw.ref !== 'string') {
    warn('malformed-ingest');
    return into;
  }
  const total = raw.total;
  let offset = raw.offset;
  if (typeof offset !== 'number' || typeof total !== 'number' || Number.isNaN(offset) || Number.isNaN(total)) {
    warn('malformed-ingest');
    return into;
  }
  if (!Number.isFinite(total) || total < 0) {
    warn('bad-total');
    return into;
  }
  if (offset < 0) {
    warn('negative-offset');
    offset = 0;
  }
  if (offset > total) {
    warn('offset-beyond-total');
    offset = total;
  }
  let kind = raw.kind;
  if (!KINDS.has(kind)) {
    warn('unknown-ingest-kind');
    kind = kindFromRef(raw.ref);
  }
  into.kind = kind;
  into.offset = offset;
  into.total = total;
  into.updatedAt = isTime(raw.updatedAt) ? raw.updatedAt : at;
  into.startedAt = isTime(raw.startedAt) && raw.startedAt <= into.updatedAt ? raw.startedAt : into.updatedAt;
  into.ok = true;
  return into;
}
