// A local TCP port on 127.0.0.1 that forwards to a port inside a pod, through the API server
// (client-node PortForward: one WebSocket per TCP connection). gRPC dials the local port.
//
// client-node pitfalls handled here (docs/kube.md, "Agent streams"):
//  - half-close: with the v5 channel protocol, the local socket's end only sends a CLOSE frame
//    for the stream; the WebSocket stays open unless WE close it when the socket closes;
//  - no backpressure: client-node writes every WebSocket message into the local socket and sends
//    every local chunk on the WebSocket, ignoring both buffers. A local reader slower than the
//    pod (or a pod slower than the local writer) would grow this process's memory without bound.
//    We pause the WebSocket (it stops reading from the API server: TCP flow control reaches the
//    kubelet and the pod) while the local socket's buffer is full, and pause the local socket
//    while the WebSocket's send buffer is full;
//  - errors arrive as text on the error channel (e.g. nothing listening in the pod); we keep the
//    last one so a failed connection can say why.
import net from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { describeKubeError } from '../kube/errors.ts';

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  port: number;
}

/** Bytes queued for the API server above which the local socket is no longer read. */
const SEND_HIGH_WATER = 1024 * 1024;
/** ws emits no 'drain': while the local socket is paused, its send buffer is checked this often. */
const SEND_DRAIN_CHECK_MS = 10;
/** After the pod's side closed, the local peer gets this long to read what is left. */
const END_GRACE_MS = 5_000;

export class LocalPortForward {
  /** The last failure of a forwarded connection (API server refusal or the kubelet's error text). */
  lastError: string | undefined;
  /** The channel protocol the API server chose for the latest connection (e.g. v4.channel.k8s.io). */
  protocol: string | undefined;
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
    // Pod → local: client-node ignores what write() returns, so the flow control is done here.
    let ws: WebSocket | undefined;
    const toLocal = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (!socket.write(chunk) && ws && !ws.isPaused) {
          ws.pause();
          socket.once('drain', () => ws?.resume());
        }
        done();
      },
    });
    try {
      const opened = await new PortForward(this.config(), true).portForward(this.target.namespace, this.target.pod, [this.target.port], toLocal, errors, socket);
      // retryCount 0 always yields the WebSocket itself, never the restartable getter.
      if (typeof opened === 'function') throw new Error('unexpected restartable port-forward');
      ws = opened;
    } catch (error) {
      this.lastError = `port-forward to ${this.target.namespace}/${this.target.pod}:${this.target.port} failed: ${describeKubeError(error).message}`;
      socket.destroy();
      return;
    }
    const websocket = ws;
    this.protocol = websocket.protocol;
    let drainCheck: NodeJS.Timeout | undefined;
    const close = () => {
      this.closers.delete(close);
      clearInterval(drainCheck);
      websocket.close();
      socket.destroy();
    };
    this.closers.add(close);
    socket.on('close', close);
    socket.on('error', close);
    // The pod's side closed: let the local peer read what was already forwarded, then close.
    websocket.on('close', () => {
      socket.end();
      setTimeout(close, END_GRACE_MS).unref();
    });
    // Local → pod: client-node sends each chunk at once (its 'data' listener runs first); stop
    // reading the local socket while the WebSocket has more than SEND_HIGH_WATER queued.
    socket.on('data', () => {
      if (websocket.bufferedAmount <= SEND_HIGH_WATER || drainCheck) return;
      socket.pause();
      drainCheck = setInterval(() => {
        if (websocket.bufferedAmount > SEND_HIGH_WATER / 2) return;
        clearInterval(drainCheck);
        drainCheck = undefined;
        socket.resume();
      }, SEND_DRAIN_CHECK_MS);
    });
    // Data waited (pauseOnConnect) until the WebSocket was there to take it.
    socket.resume();
  }

  close(): Promise<void> {
    for (const close of [...this.closers]) close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
