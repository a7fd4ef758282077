// Runs the benchmarks: every bench/*.bench.ts in turn (or those named: `node bench/run.ts engine`),
// each in its own Node 24 process so one bench's heap and JIT state never colour another's
// figures. Each bench prints its figures and writes bench/results/<name>.json itself.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const failed: string[] = [];
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n== bench ${name} ==`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, `${name}.bench.ts`)], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
