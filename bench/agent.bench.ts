// Agent budget, measured against the real lab containerd (../shared/lab/containerd must be up:
// prepare.sh && up.sh). Runs the single-file bundle as a pod runs it (plain `node FILE`: the agent
// re-executes itself with its V8 flags, agent/src/node-flags.ts) as a child process and reads its
// CPU and RSS from /proc; freshness is containerd's write time of an ingest offset (updated_at,
// the data file's mtime, same clock on this machine) to the frame arriving at a Watch client.
//   node bench/agent.bench.ts      → prints figures, writes bench/results/agent.json
// Budget: RSS < 60 MiB, idle CPU < 1 %, 10 concurrent pulls < 5 % of a core, freshness p95 < 600 ms.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAgent } from '../electron/core/agents/agent-client.ts';
import { lab, startAgent } from '../agent/test/harness.ts';
import { buildAgent } from '../scripts/build-agent.ts';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const IDLE_SECONDS = 20;
// 10 concurrent pull commands over the lab's 7 images (the last three repeat images: their blobs
// are shared with the first pull of the same image, as on a node where replicas start together)
const PULLS = ['alpha', 'beta', 'big', 'multi', 'dockerfmt', 'small', 'alpha-run', 'alpha', 'beta', 'big'];

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** VmRSS and its two parts: anonymous (heap, stacks, malloc) and file-backed (the node binary's
 * pages this process touched; shared with every node process on the host). */
function rss(pid: number): { total: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  return { total: mib('VmRSS'), anon: mib('RssAnon'), file: mib('RssFile') };
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN;
}

await lab.requireUp();
const outdir = mkdtempSync(join(tmpdir(), 'pulltrace-agent-bench-'));
const built = await buildAgent(outdir);
const loadAtStart = loadavg()[0]!;
const agent = await startAgent({ entry: built.file, cwd: outdir, args: ['--socket', lab.socket] });
// the node flags the agent really runs with (after its re-exec)
const cmdline = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0');
const nodeFlags = cmdline.slice(1, cmdline.indexOf(built.file));
const session = connectAgent({ host: '127.0.0.1', port: agent.grpcPort, clientName: 'agent-bench' });
const lags: number[] = [];
session.on('frame', (frame) => {
  if (frame.body !== 'ingests') return;
  const now = Date.now();
  for (const i of frame.ingests.ingests) if (i.offset > 0) lags.push(now - i.updatedAtMs);
});
const hello = await session.hello;
let peak = { total: 0, anon: 0, file: 0 };
const rssTimer = setInterval(() => {
  const now = rss(agent.pid);
  if (now.total > peak.total) peak = now;
}, 200);

try {
  const clean = await lab.cleanAll();
  if (clean.code !== 0) throw new Error(`clean failed: ${clean.stderr}`);
  await new Promise((r) => setTimeout(r, 3_000)); // warm-up: JIT, first polls

  const idleStart = cpuTicks(agent.pid);
  const idleT0 = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const idleCpuPct = ((cpuTicks(agent.pid) - idleStart) / CLK_TCK / ((Date.now() - idleT0) / 1000)) * 100;

  await lab.configure({ rate: '4MB' });
  const busyStart = cpuTicks(agent.pid);
  const busyT0 = Date.now();
  const results = await Promise.all(PULLS.map((image) => lab.pull([image], { timeoutMs: 180_000 })));
  const busySeconds = (Date.now() - busyT0) / 1000;
  const busyCpuPct = ((cpuTicks(agent.pid) - busyStart) / CLK_TCK / busySeconds) * 100;
  const failed = results.filter((r) => r.code !== 0).length;
  if (failed > 0) throw new Error(`${failed} of ${PULLS.length} pulls failed: ${results.map((r) => r.stderr).join('\n')}`);

  const figures = {
    rss_mib: Number(peak.total.toFixed(1)),
    idle_cpu_pct: Number(idleCpuPct.toFixed(2)),
    busy_cpu_pct: Number(busyCpuPct.toFixed(2)),
    freshness_p95_ms: p95(lags),
    details: {
      containerd: hello.containerdVersion,
      agent: hello.agentVersion,
      bundle_kib: Math.round(built.bytes / 1024),
      node_flags: nodeFlags.join(' '),
      rss_anon_mib_at_peak: Number(peak.anon.toFixed(1)),
      rss_file_mib_at_peak: Number(peak.file.toFixed(1)),
      load_average_1m: [Number(loadAtStart.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
      poll_active_ms: hello.pollActiveMs,
      poll_idle_ms: hello.pollIdleMs,
      idle_seconds: IDLE_SECONDS,
      busy_seconds: Number(busySeconds.toFixed(1)),
      pulls: PULLS.length,
      proxy_rate_per_connection: '4MB',
      freshness_samples: lags.length,
      freshness_median_ms: [...lags].sort((a, b) => a - b)[Math.floor(lags.length / 2)],
      measured_at: new Date().toISOString(),
    },
  };
  console.log(JSON.stringify(figures, null, 2));
  const budget = { rss_mib: 60, idle_cpu_pct: 1, busy_cpu_pct: 5, freshness_p95_ms: 600 };
  for (const [k, limit] of Object.entries(budget)) {
    const v = figures[k as keyof typeof budget];
    console.log(`${k.padEnd(18)} ${String(v).padStart(8)}  budget < ${limit}  ${v < limit ? 'ok' : 'OVER BUDGET'}`);
  }
  writeFileSync(new URL('results/agent.json', import.meta.url), JSON.stringify(figures, null, 2) + '\n');
} finally {
  clearInterval(rssTimer);
  session.close();
  await lab.proxy('POST', '/reset').catch(() => {});
  await agent.stop();
  rmSync(outdir, { recursive: true, force: true });
}
