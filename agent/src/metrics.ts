// Prometheus metrics of the agent. Labels are registry and repository only (never digest or tag),
// and the number of distinct (registry, repository) pairs is capped: pairs beyond the cap are
// counted under registry="_other", repository="_other", so a node pulling thousands of repos
// cannot blow up the scrape.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const OVERFLOW_LABEL = '_other';

export class RepoLabeler {
  private readonly seen = new Set<string>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  labels(registry: string, repository: string): { registry: string; repository: string } {
    const key = `${registry}\u0000${repository}`;
    if (this.seen.has(key)) return { registry, repository };
    if (this.seen.size >= this.max) return { registry: OVERFLOW_LABEL, repository: OVERFLOW_LABEL };
    this.seen.add(key);
    return { registry, repository };
  }
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly labeler: RepoLabeler;
  readonly containerdUp = new Gauge({ name: 'pulltrace_agent_containerd_up', help: '1 while containerd answers, else 0', registers: [this.registry] });
  readonly reconnects = new Counter({ name: 'pulltrace_agent_containerd_reconnects_total', help: 'Times containerd came back after being unreachable', registers: [this.registry] });
  readonly activePulls = new Gauge({
    name: 'pulltrace_agent_active_pulls',
    help: 'Image manifests with blobs being downloaded right now',
    labelNames: ['registry', 'repository'],
    registers: [this.registry],
  });
  readonly liveIngests = new Gauge({ name: 'pulltrace_agent_live_ingests', help: 'containerd ingests (writes in progress) at the last poll', registers: [this.registry] });
  readonly bytes = new Counter({
    name: 'pulltrace_agent_pull_bytes_total',
    help: 'Bytes written into containerd ingests (image downloads), by source repository',
    labelNames: ['registry', 'repository'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'pulltrace_agent_pull_duration_seconds',
    help: 'Time from a manifest being seen to its last missing blob being committed',
    labelNames: ['registry', 'repository'],
    buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'pulltrace_agent_pull_failures_total',
    help: 'Pulls whose download ended without committing a blob, by reason',
    labelNames: ['registry', 'repository', 'reason'],
    registers: [this.registry],
  });
  readonly badInput = new Counter({
    name: 'pulltrace_agent_bad_input_total',
    help: 'Rejected input: malformed containerd answers or events, refs without a digest, ingests over the cap, bad Watch requests',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({ name: 'pulltrace_agent_watchers', help: 'Open Watch streams', registers: [this.registry] });
  readonly watchersDropped = new Counter({
    name: 'pulltrace_agent_watchers_dropped_total',
    help: 'Watch streams the agent ended, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly coalesced = new Counter({
    name: 'pulltrace_agent_frames_coalesced_total',
    help: 'Frames dropped for slow watchers and replaced by a resync snapshot',
    registers: [this.registry],
  });
  readonly framesSent = new Counter({ name: 'pulltrace_agent_frames_sent_total', help: 'Frames written to Watch streams', registers: [this.registry] });

  constructor(maxRepositories: number) {
    this.labeler = new RepoLabeler(maxRepositories);
    // the event-loop-lag monitor samples on a timer: 10 ms by default, a measurable share of an
    // idle agent's CPU; 200 ms still shows lag that matters for 250 ms polling
    collectDefaultMetrics({ register: this.registry, prefix: 'pulltrace_agent_', eventLoopMonitoringPrecision: 200 });
  }

  bad(kind: string, count = 1): void {
    if (count > 0) this.badInput.inc({ kind }, count);
  }
}

/** Serves GET /metrics (and nothing else) on its own port. */
export function serveMetrics(metrics: AgentMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
