// A local TCP port on 127.0.0.1 that forwards to a port inside a pod, through the API server
// (client-node PortForward: one WebSocket per TCP connection). gRPC dials the local port.
//
// Two client-node pitfalls handled here (docs/kube.md, "Agent streams"):
//  - half-close: with the v5 channel protocol, the local socket's end only sends a CLOSE frame
//    for the stream; the WebSocket stays open unless WE close it when the socket closes;
//  - errors arrive as text on the error channel (e.g. nothing listening in the pod); we keep the
//    last one so a failed connection can say why.
import net from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import { describeKubeError } from '../kube/errors.ts';

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  port: number;
}

export class LocalPortForward {
  /** The last failure of a forwarded connection (API server refusal or the kubelet's error text). */
  lastError: string | undefined;
  private readonly server: net.Server;
  private readonly closers = new Set<() => void>();
  private readonly target: PortForwardTarget;
  private readonly config: () => KubeConfig;

  private constructor(server: net.Server, config: () => KubeConfig, target: PortForwardTarget) {
    this.server = server;
    this.config = config;
    this.target = target;
    server.on('connection', (socket) => void this.forward(socket));
  }

  static async open(config: () => KubeConfig, target: PortForwardTarget): Promise<LocalPortForward> {
    const server = net.createServer({ pauseOnConnect: true });
    const forward = new LocalPortForward(server, config, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return forward;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connections(): number {
    return this.closers.size;
  }

  private async forward(socket: net.Socket): Promise<void> {
    const errors = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const text = chunk.toString('utf8').trim();
        if (text) this.lastError = text.slice(0, 300);
        done();
      },
    });
    let ws: { close(): void; on(event: 'close', listener: () => void): unknown };
    try {
      const opened = await new PortForward(this.config(), true).portForward(this.target.namespace, this.target.pod, [this.target.port], socket, errors, socket);
      // retryCount 0 always yields the WebSocket itself, never the restartable getter.
      if (typeof opened === 'function') throw new Error('unexpected restartable port-forward');
      ws = opened;
    } catch (error) {
      this.lastError = `port-forward to ${this.target.namespace}/${this.target.pod}:${this.target.port} failed: ${describeKubeError(error).message}`;
      socket.destroy();
      return;
    }
    const close = () => {
      this.closers.delete(close);
      ws.close();
      socket.destroy();
    };
    this.closers.add(close);
    socket.on('close', close);
    socket.on('error', close);
    ws.on('close', close);
    // Data waited (pauseOnConnect) until the WebSocket was there to take it.
    socket.resume();
  }

  close(): Promise<void> {
    for (const close of [...this.closers]) close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
