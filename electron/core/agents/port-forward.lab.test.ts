// LocalPortForward through the lab's real API server and kubelet to a pod on lab-kubelet (stock
// lab.local/node:24 running a few lines of Node): one port sends a 64 MiB patterned stream as
// fast as the path takes it, one never reads. A local reader that pauses, and a pod that never
// reads, must not grow this process's memory (client-node alone buffers without limit); the
// stream arrives whole, the pod's close reaches the local reader after the last byte, and
// connections opened and closed leave nothing behind.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshNamespace, kubectl, labAdmin, requireLab, waitFor } from '../kube/lab.fixture.ts';
import { checkPattern, MiB, patterned, retainedBuffers } from './byte-stream.fixture.ts';
import { LocalPortForward } from './port-forward.ts';

const total = 64 * MiB;
// The pod's side. Same pattern as byte-stream.fixture.ts; the image has node but no shell.
const podScript = `
const net = require('net');
const P = Buffer.from(Array.from({ length: (1 << 20) + 251 }, (_, i) => i % 251));
net.createServer((s) => {
  s.on('error', () => {});
  let off = 0;
  const pump = () => {
    while (off < ${total}) {
      const n = Math.min(65536, ${total} - off);
      const ok = s.write(P.subarray(off % 251, off % 251 + n));
      off += n;
      if (!ok) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
}).listen(7453, '127.0.0.1');
net.createServer((s) => { s.on('error', () => {}); s.pause(); }).listen(7454, '127.0.0.1');
`;

let namespace: string;
beforeAll(async () => {
  requireLab({ kubelet: true });
  namespace = await freshNamespace('pt-portforward');
  kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bytes' },
    spec: {
      nodeSelector: { 'lab-kube/kubelet': 'true' }, terminationGracePeriodSeconds: 1, automountServiceAccountToken: false,
      containers: [{ name: 'bytes', image: 'lab.local/node:24', imagePullPolicy: 'IfNotPresent', command: ['node', '-e', podScript] }],
    },
  }));
  await waitFor('the byte pod Running', () => (kubectl(['-n', namespace, 'get', 'pod', 'bytes', '-o', 'jsonpath={.status.phase}']) === 'Running' ? true : undefined), 60_000);
}, 90_000);
afterAll(() => {
  if (namespace) kubectl(['delete', 'namespace', namespace, '--wait=false']);
});

async function connect(forward: LocalPortForward): Promise<net.Socket> {
  const socket = net.connect(forward.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

describe('port-forward through the real API server and kubelet (lab)', () => {
  it('a paused local reader holds the pod back; the whole stream then arrives, then the pod\'s close', async () => {
    const forward = await LocalPortForward.open(labAdmin, { namespace, pod: 'bytes', port: 7453 });
    try {
      // The pod's server may need a moment after Running: retry until the first bytes come.
      const local = await waitFor('first bytes from the pod', async () => {
        const socket = await connect(forward);
        const flowing = await new Promise<boolean>((resolve) => {
          socket.once('data', (chunk: Buffer) => {
            socket.pause(); // before the next chunk: from here on the reader is stopped
            socket.unshift(chunk);
            resolve(true);
          });
          socket.once('close', () => resolve(false));
        });
        return flowing ? socket : undefined;
      }, 30_000, 500);
      const before = retainedBuffers();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const grown = retainedBuffers() - before;
      console.log(`paused reader: ${(grown / MiB).toFixed(1)} MiB more ArrayBuffer memory after 3 s`);
      // client-node on its own would have read all 64 MiB into the local socket's buffer by now.
      expect(grown).toBeLessThan(16 * MiB);

      let received = 0;
      local.on('data', (chunk: Buffer) => {
        checkPattern(received, chunk);
        received += chunk.length;
      });
      const ended = new Promise<void>((resolve) => local.once('end', resolve));
      local.resume();
      await ended;
      expect(received).toBe(total);
      // The API server's choice for port-forward WebSockets (1.20 offers no v5): half-close is then
      // a plain close, and client-node closes the WebSocket itself on the local end as well.
      expect(forward.protocol).toBe('v4.channel.k8s.io');
      await waitFor('the connection released', () => (forward.connections === 0 ? true : undefined), 10_000, 100);
    } finally {
      await forward.close();
    }
  }, 120_000);

  it('a pod that never reads holds the local writer back without growing memory', async () => {
    const forward = await LocalPortForward.open(labAdmin, { namespace, pod: 'bytes', port: 7454 });
    try {
      const local = await connect(forward);
      let written = 0;
      const pump = () => {
        while (written < total) {
          const ok = local.write(patterned(written, 64 * 1024));
          written += 64 * 1024;
          if (!ok) return void local.once('drain', pump);
        }
      };
      const before = retainedBuffers();
      pump();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const grown = retainedBuffers() - before;
      console.log(`pod not reading: ${(written / MiB).toFixed(1)} MiB accepted from the local writer, ${(grown / MiB).toFixed(1)} MiB more ArrayBuffer memory after 3 s`);
      expect(grown).toBeLessThan(16 * MiB);
      // Kernel, API server and kubelet buffers take some; nowhere near everything.
      expect(written).toBeLessThan(total);
      // A local socket paused for the pod's sake notices its peer's close only when it reads
      // again; the stream manager closes the whole forward when its gRPC session ends (below).
      local.destroy();
    } finally {
      await forward.close();
    }
  }, 60_000);

  it('connections opened and closed one after another leave nothing open', async () => {
    const forward = await LocalPortForward.open(labAdmin, { namespace, pod: 'bytes', port: 7453 });
    try {
      for (let i = 0; i < 20; i++) {
        const local = await connect(forward);
        await new Promise((resolve) => local.once('data', resolve));
        local.destroy();
      }
      await waitFor('every connection released', () => (forward.connections === 0 ? true : undefined), 10_000, 100);
    } finally {
      await forward.close();
    }
  }, 60_000);
});
