// Turns "cannot talk to containerd" into a reason an operator can act on (the desktop shows it).
import { accessSync, constants, lstatSync, readlinkSync, statSync } from 'node:fs';
import { BadAnswerError } from './containerd/client.ts';
import { errorText } from './log.ts';
import type { HealthReason } from './frames.ts';

export interface Diagnosis {
  reason: Exclude<HealthReason, 'ok' | 'unknown'>;
  error: string;
}

export function diagnose(err: unknown, socket: string): Diagnosis {
  if (err instanceof BadAnswerError) return { reason: 'bad-answer', error: err.message };
  const text = errorText(err);
  let st;
  try {
    st = statSync(socket);
  } catch (statErr) {
    if ((statErr as NodeJS.ErrnoException).code === 'ENOENT') {
      const target = symlinkTarget(socket);
      if (target !== undefined) {
        // the pod mounts the socket's directory: a link out of it leads nowhere inside the container
        return { reason: 'socket-missing', error: `containerd socket ${socket} is a symbolic link to ${target}, which is not in the mounted directory: install the agent with the socket's real path (${target})` };
      }
      return { reason: 'socket-missing', error: `containerd socket ${socket} not found (is containerd running, and is the socket's directory mounted into the pod?)` };
    }
  }
  let denied = /EACCES|permission denied/i.test(text);
  if (!denied) {
    try {
      accessSync(socket, constants.R_OK | constants.W_OK);
    } catch (accessErr) {
      denied = (accessErr as NodeJS.ErrnoException).code === 'EACCES';
    }
  }
  if (denied) {
    const owner = st ? ` (socket owned by uid ${st.uid} gid ${st.gid}, mode ${(st.mode & 0o777).toString(8)})` : '';
    const me = typeof process.getuid === 'function' ? `uid ${process.getuid()} gid ${process.getgid?.()}` : 'this user';
    return { reason: 'permission-denied', error: `permission denied on ${socket}: the agent runs as ${me}${owner}; run it as root or with the socket's group` };
  }
  return { reason: 'unavailable', error: `containerd at ${socket} is unavailable: ${text}` };
}

function symlinkTarget(socket: string): string | undefined {
  try {
    return lstatSync(socket).isSymbolicLink() ? readlinkSync(socket) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the socket file the agent was given has been removed on the host while still mounted:
 * a pod sees containerd's socket through a bind mount of that one file, and a restarted containerd
 * removes it and listens on a new file, which the mount can never show. The mounted inode then has
 * no links left. Only a new container (a new mount) reaches containerd again. */
export function socketReplaced(socket: string): boolean {
  try {
    return statSync(socket).nlink === 0;
  } catch {
    return false;
  }
}

/** Reconnect delays: quick at first (a containerd restart takes ~1 s), capped so a node without
 * containerd costs one cheap attempt every few seconds, never a busy loop. */
export function backoffMs(attempt: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
