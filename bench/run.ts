// Runs the benchmarks: every bench/*.bench.ts in turn (or those named: `node bench/run.ts engine`),
// each in its own Node 24 process so one bench's heap and JIT state never colour another's
// figures. Each bench prints its figures and writes bench/results/<name>.json itself; then
// docs/benchmarks.md is written from all results (bench/report.ts).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from './report.ts';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}
if (!process.version.startsWith('v24.')) {
  console.error(`benchmarks run under Node 24 (this is ${process.version}): use scripts/node24.sh`);
  process.exit(2);
}

const runStartedAt = Date.now();
const loadAverageAtStart = os.loadavg()[0] ?? 0;
const failed: string[] = [];
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n== bench ${name} ==`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, `${name}.bench.ts`)], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(name);
}
const missed = writeReport({
  resultsDir: join(here, 'results'),
  outFile: join(here, '..', 'docs', 'benchmarks.md'),
  runStartedAt,
  loadAverageAtStart,
  command: `npm run bench${wanted.length > 0 ? ` -- ${wanted.join(' ')}` : ''}`,
});
console.log(`\ndocs/benchmarks.md written; goals missed: ${missed.length > 0 ? missed.join(', ') : 'none'}`);
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
