// Reading and writing recordings on disk. The format itself lives in recording.ts.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { EngineInput } from '../engine/types.ts';
import {
  formatRecordingHeader,
  formatRecordingLine,
  parseRecording,
  type Recording,
  type RecordingHeader,
  RecordingError,
} from './recording.ts';

export async function loadRecording(path: string): Promise<Recording> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RecordingError(`cannot read recording ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseRecording(text);
  } catch (err) {
    throw new RecordingError(`${path}: ${(err as Error).message}`);
  }
}

export interface RecordingWriter {
  write(input: EngineInput): void;
  /** Flushes and closes the file; resolves once everything is on disk. */
  close(): Promise<void>;
}

/** Appends inputs to a new recording file. Writes are buffered by the stream; a recorder watching a
 * live cluster must not block on disk, and close() waits for the last bytes. */
export function createRecordingWriter(path: string, header: RecordingHeader): RecordingWriter {
  const out = createWriteStream(path, { flags: 'wx' });
  let failure: Error | undefined;
  out.on('error', (err) => {
    failure = err;
  });
  out.write(formatRecordingHeader(header));
  return {
    write(input) {
      if (failure) throw new RecordingError(`cannot write recording ${path}: ${failure.message}`);
      out.write(formatRecordingLine(input));
    },
    async close() {
      out.end();
      try {
        await once(out, 'finish');
      } catch {
        // the 'error' listener above has recorded the cause
      }
      if (failure) throw new RecordingError(`cannot write recording ${path}: ${failure.message}`);
    },
  };
}
