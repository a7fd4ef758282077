// Parsing of kubelet event messages (pkg/kubelet/images/image_manager.go). Both formats of the
// `Pulled` message are understood:
//   old (≤ v1.25):  Successfully pulled image "x" in 1.538129446s          (Go time.Duration)
//   newer:          Successfully pulled image "x" in 1.538s (1.538s including waiting)[. Image size: N bytes.]
//   cached:         Container image "x" already present on machine
import type { FailureReason } from './types.ts';

const GO_UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ns: 1e-6,
};

/** Go `time.Duration.String()` text ("1m2.5s", "25.697413ms", "0s") → milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const token = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|μs|ns)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    token.lastIndex = index;
    const match = token.exec(text);
    if (match === null) return undefined;
    total += Number(match[1]) * (GO_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    index = token.lastIndex;
  }
  return index > 0 && Number.isFinite(total) ? total : undefined;
}

/** The first double-quoted string of a kubelet message: the image it is about. */
export function quotedImage(message: string): string | undefined {
  const match = /"([^"]+)"/.exec(message);
  return match?.[1];
}

export interface PulledMessage {
  image?: string;
  alreadyPresent: boolean;
  /** Time spent pulling (kubelet's first duration). */
  pullMs?: number;
  /** Time including the wait in kubelet's pull queue (newer kubelets only). */
  totalMs?: number;
  sizeBytes?: number;
}

const PULLED =
  /^Successfully pulled image "([^"]+)" in (\S+?)(?: \((\S+) including waiting\))?(?:\. Image size: (\d+) bytes)?\.?$/;

export function parsePulledMessage(message: string): PulledMessage {
  const text = message.trim();
  if (/already present on machine/.test(text)) return { image: quotedImage(text), alreadyPresent: true };
  const match = PULLED.exec(text);
  if (match === null) return { image: quotedImage(text), alreadyPresent: false };
  const size = match[4] === undefined ? undefined : Number(match[4]);
  return {
    image: match[1],
    alreadyPresent: false,
    pullMs: match[2] === undefined ? undefined : parseGoDuration(match[2]),
    totalMs: match[3] === undefined ? undefined : parseGoDuration(match[3]),
    sizeBytes: size !== undefined && Number.isSafeInteger(size) ? size : undefined,
  };
}

/** Is this kubelet BackOff event about an image pull (not "Back-off restarting failed container")? */
export function isPullBackOff(message: string): boolean {
  return /^Back-off pulling image/i.test(message.trim());
}

/** Maps the text of a pull failure (kubelet event or pod waiting message) to a reason. Order
 * matters: "manifest unknown" is also a "not found", a 401 body may mention "not found". */
export function failureReasonOf(message: string, hint?: 'ErrImageNeverPull' | 'InspectFailed'): FailureReason {
  if (hint === 'ErrImageNeverPull') return 'never-pull';
  if (hint === 'InspectFailed') return 'inspect';
  const text = message.toLowerCase();
  if (/\b(401|403)\b|unauthori[sz]ed|forbidden|authenticat|access denied|denied:/.test(text)) return 'auth';
  if (/manifest unknown/.test(text)) return 'manifest-unknown';
  if (/not found|\b404\b|notfound|name unknown/.test(text)) return 'not-found';
  if (/timeout|timed out|deadline exceeded|no progress/.test(text)) return 'timeout';
  if (/back-?off/.test(text)) return 'backoff';
  if (/never pull|pull policy of never/.test(text)) return 'never-pull';
  if (/connection reset|connection refused|unexpected eof|no such host|network is unreachable|\btls\b|\beof\b/.test(text)) {
    return 'network';
  }
  if (/cancel+ed|aborted/.test(text)) return 'aborted';
  return 'other';
}
