// Entry of the core's worker thread: electron-vite builds it as out/main/core-worker.js; under plain
// Node (tests) this file runs as is. Started by core-host.ts with the core's options as workerData.
import { parentPort, workerData } from 'node:worker_threads';
import { runCoreWorker } from './core-worker.ts';

if (parentPort === null) throw new Error('worker-entry.ts runs only as a worker thread (see core-host.ts)');
runCoreWorker(parentPort, workerData);
