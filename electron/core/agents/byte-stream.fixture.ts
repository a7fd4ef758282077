// Test-only helpers for port-forward tests: a patterned byte stream whose every byte is checkable,
// and the memory this process really retains. Nothing in the product imports this.
import v8 from 'node:v8';
import vm from 'node:vm';

export const MiB = 1024 * 1024;

// Byte i of a test stream is i mod 251 (a prime, so chunk boundaries never line up with it): any
// loss, duplication or reordering breaks the pattern.
const PATTERN = Buffer.from(Array.from({ length: MiB + 251 }, (_, i) => i % 251));

/** Bytes [offset, offset + length) of the stream; length ≤ 1 MiB. */
export function patterned(offset: number, length: number): Buffer {
  return PATTERN.subarray(offset % 251, (offset % 251) + length);
}

export function checkPattern(offset: number, chunk: Buffer): void {
  for (let at = 0; at < chunk.length; at += MiB) {
    const part = chunk.subarray(at, at + MiB);
    if (!part.equals(patterned(offset + at, part.length))) throw new Error(`stream corrupted near byte ${offset + at}`);
  }
}

// Buffers already let go of still count in arrayBuffers until collected: measure after a GC.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** ArrayBuffer bytes this process holds after a full GC (socket and WebSocket buffers included). */
export function retainedBuffers(): number {
  collect();
  return process.memoryUsage().arrayBuffers;
}
