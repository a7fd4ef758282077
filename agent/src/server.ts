// The agent's gRPC server: pulltrace.agent.v1.Agent/Watch and grpc.health.v1.Health, bound to
// 127.0.0.1 only (the desktop comes in through a port-forward into the pod's network namespace).
import * as grpc from '@grpc/grpc-js';
import * as z from './zod.ts';
import type { Frame, FrameBody, HealthMsg } from './frames.ts';
import type { Hub} from './hub.ts';
import { WatcherDropped } from './hub.ts';
import type { Logger } from './log.ts';
import type { AgentMetrics } from './metrics.ts';
import { lookupService, type Protos } from './protos.ts';

/** grpc.health.v1 service names this server answers. "" and the Agent service mean "the agent
 * serves"; CONTAINERD_HEALTH_SERVICE reflects whether containerd answers (never use it for a
 * liveness probe: a node whose containerd is down must not crash-loop the agent). */
export const CONTAINERD_HEALTH_SERVICE = 'pulltrace.agent.v1.Containerd';
const AGENT_SERVICE = 'pulltrace.agent.v1.Agent';

const watchRequestSchema = z.object({ protocolMajor: z.int().check(z.nonnegative()), client: z.string().check(z.maxLength(256)) });

export function protocolMismatch(agentMajor: number, desktopMajor: number): string {
  const newer = desktopMajor > agentMajor ? 'upgrade the agent' : 'upgrade the desktop';
  return `protocol mismatch: agent speaks pulltrace protocol ${agentMajor}, desktop speaks ${desktopMajor} (${newer})`;
}

export interface ServerDeps {
  protos: Protos;
  hub: Hub;
  metrics: AgentMetrics;
  log: Logger;
  hello: () => FrameBody;
  /** after the Hello: the snapshot and the current health */
  firstFrames: () => FrameBody[];
  containerdHealth: () => HealthMsg;
}

export class AgentServer {
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_concurrent_streams': 64,
  });
  private readonly healthWatchers = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  private readonly deps: ServerDeps;

  constructor(deps: ServerDeps) {
    this.deps = deps;
    const agent = lookupService(deps.protos.root, AGENT_SERVICE);
    const health = lookupService(deps.protos.root, 'grpc.health.v1.Health');
    this.server.addService(agent.service, { watch: (call: grpc.ServerWritableStream<unknown, Frame>) => this.watch(call) });
    this.server.addService(health.service, {
      check: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const status = this.healthStatus(call.request);
        if (status === null) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        else cb(null, { status });
      },
      watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const status = this.healthStatus(call.request);
        call.write({ status: status ?? 'SERVICE_UNKNOWN' });
        this.healthWatchers.add(call);
        call.on('cancelled', () => this.healthWatchers.delete(call));
      },
    });
  }

  private healthStatus(request: unknown): 'SERVING' | 'NOT_SERVING' | null {
    const service = z.object({ service: z.string() }).safeParse(request);
    const name = service.success ? service.data.service : '';
    if (name === '' || name === AGENT_SERVICE) return 'SERVING';
    if (name === CONTAINERD_HEALTH_SERVICE) return this.deps.containerdHealth().containerdUp ? 'SERVING' : 'NOT_SERVING';
    return null;
  }

  /** Pushes containerd health changes to health watchers of CONTAINERD_HEALTH_SERVICE. */
  healthChanged(): void {
    for (const call of this.healthWatchers) {
      const status = this.healthStatus(call.request);
      if (status) call.write({ status });
    }
  }

  private watch(call: grpc.ServerWritableStream<unknown, Frame>): void {
    const { hub, metrics, log, protos } = this.deps;
    const fail = (code: grpc.status, details: string, reason: string): void => {
      metrics.watchersDropped.inc({ reason });
      log.warn('Watch refused', { reason, details, peer: call.getPeer() });
      call.emit('error', { code, details });
    };
    const req = watchRequestSchema.safeParse(call.request);
    if (!req.success) {
      metrics.bad('watch-request');
      return fail(grpc.status.INVALID_ARGUMENT, 'malformed WatchRequest', 'bad-request');
    }
    if (req.data.protocolMajor !== protos.protocolMajor) {
      return fail(grpc.status.FAILED_PRECONDITION, protocolMismatch(protos.protocolMajor, req.data.protocolMajor), 'protocol');
    }
    let watcher;
    try {
      watcher = hub.add(call, [this.deps.hello(), ...this.deps.firstFrames()]);
    } catch (err) {
      if (err instanceof WatcherDropped) return fail(grpc.status.RESOURCE_EXHAUSTED, err.message, 'too-many');
      throw err;
    }
    log.info('watcher connected', { watcher: watcher.id, client: req.data.client, peer: call.getPeer() });
    const gone = (): void => {
      if (watcher.closed) return;
      hub.remove(watcher);
      log.info('watcher left', { watcher: watcher.id });
    };
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', gone);
  }

  /** Ends a watcher's call with a status the desktop can show. */
  static drop(sink: unknown, details: string): void {
    (sink as grpc.ServerWritableStream<unknown, Frame>).emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  shutdown(): Promise<void> {
    for (const call of this.healthWatchers) call.end();
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
