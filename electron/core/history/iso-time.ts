// ISO 8601 UTC timestamps with milliseconds (`2026-11-01T00:05:00.000Z`), exactly what
// Date#toISOString prints, but cheap for long runs of times on the same day (an export's rows
// are in time order): Date#toISOString cost about a third of building a CSV row, so the date part
// is formatted once per day and only the time of day is computed per call.

const DAY_MS = 86_400_000;

/** Returns a formatter that remembers the last day it formatted (one per export, not shared). */
export function isoFormatter(): (at: number) => string {
  let dayStart = Number.NaN;
  let dayPrefix = '';
  return (at: number): string => {
    let ms = at - dayStart;
    // Outside the cached day (or a fraction of a millisecond, which toISOString truncates): let
    // Date do it, and cache that day if its year prints in the usual four digits.
    if (!(ms >= 0 && ms < DAY_MS) || !Number.isInteger(at)) {
      const text = new Date(at).toISOString();
      if (Number.isInteger(at) && text.length === 24) {
        dayStart = at - (((at % DAY_MS) + DAY_MS) % DAY_MS);
        dayPrefix = text.slice(0, 11);
      }
      return text;
    }
    const hours = Math.floor(ms / 3_600_000);
    ms -= hours * 3_600_000;
    const minutes = Math.floor(ms / 60_000);
    ms -= minutes * 60_000;
    const seconds = Math.floor(ms / 1000);
    ms -= seconds * 1000;
    return `${dayPrefix}${two(hours)}:${two(minutes)}:${two(seconds)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  };
}

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
