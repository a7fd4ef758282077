// `--since 24h`, `--until 2026-11-23T10:00:00Z`: a duration back from now, or an ISO 8601 instant.

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;
// Date-only or date-time; a time without an offset would depend on the machine's zone, so it needs one.
const ISO = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d))?$/;

/** Returns ms since the epoch, or an error message naming the flag and the accepted forms. */
export function parseTimeArg(flag: string, value: string, now: number): number | string {
  const duration = DURATION.exec(value);
  if (duration?.[1] !== undefined && duration[2] !== undefined) return now - Number(duration[1]) * (UNIT_MS[duration[2]] ?? 0);
  if (ISO.test(value)) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return at;
  }
  return `--${flag} "${value}" is neither a duration back from now (30m, 24h, 7d, 2w) nor an ISO 8601 time with a zone (2026-11-23, 2026-11-23T10:00:00Z).`;
}
