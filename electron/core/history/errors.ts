// File-system failures turned into errors a person can act on. History is a side channel of the
// live view: these errors are reported (status, log, UI banner), never allowed to stop the engine.

export type HistoryErrorCode = 'disk-full' | 'permission-denied' | 'read-only' | 'not-a-directory' | 'io' | 'invalid-record';

export class HistoryError extends Error {
  readonly code: HistoryErrorCode;
  /** The errno code from the operating system (ENOSPC, EACCES, …), when there was one. */
  readonly errno?: string;
  readonly path: string;
  constructor(code: HistoryErrorCode, message: string, path: string, errno?: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'HistoryError';
    this.code = code;
    this.path = path;
    this.errno = errno;
  }
}

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

const explanations: Record<string, [HistoryErrorCode, string]> = {
  ENOSPC: ['disk-full', 'the disk is full'],
  EDQUOT: ['disk-full', 'the disk quota is exhausted'],
  EACCES: ['permission-denied', 'permission denied'],
  EPERM: ['permission-denied', 'operation not permitted'],
  EROFS: ['read-only', 'the file system is read-only'],
  ENOTDIR: ['not-a-directory', 'a part of the path is a file, not a directory'],
  EEXIST: ['not-a-directory', 'a file is in the way of the history directory'],
};

/** `action` completes "History could not …", e.g. "write a record to". */
export function historyErrorFrom(error: unknown, action: string, path: string): HistoryError {
  if (error instanceof HistoryError) return error;
  const errno = errnoOf(error);
  const [code, why] = (errno !== undefined ? explanations[errno] : undefined) ?? ['io', error instanceof Error ? error.message : String(error)];
  const hint = code === 'disk-full' ? ' Free some space or lower the history size limit; ' : ' ';
  return new HistoryError(
    code,
    `History could not ${action} ${path}: ${why}${errno !== undefined ? ` (${errno})` : ''}.${hint}the live view keeps working without history until this is fixed.`,
    path,
    errno,
    error,
  );
}
