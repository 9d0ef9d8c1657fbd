// `acmix-lab worker --queue redis://… [--concurrency N] --checkpoints DIR`: N queue worker processes
// (queue-worker-process.ts) on this machine, each with an equal share of its CPU threads (threads.ts),
// taking runs from the queue until stopped. Checks first that Redis answers and the checkpoint folder is
// writable and the data map is well formed, so a wrong flag is one line, not N failing processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDataMap } from './data-map.js';
import { connectRedis, QueueError } from './queue.js';
import { threadEnv, threadsPerWorker } from './threads.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const ENTRY = fileURLToPath(new URL('./queue-worker-process.ts', import.meta.url));

export interface QueueWorkerOptions {
  /** redis://HOST:PORT */
  url: string;
  /** The shared folder run folders (checkpoints) go in: the same folder for every worker of a sweep. */
  checkpoints: string;
  /** Worker processes; default 1. */
  concurrency?: number;
  /** TensorFlow threads per process; default an equal share of this machine's. */
  threads?: number;
  /** A job whose worker renewed no lock for this long is handed to another worker; default 5 minutes (a batch can be slow). */
  stalledAfterMs?: number;
  /** `tensorflow` or `cpu`; default the workers' default. */
  backend?: string;
  /** `FROM=TO` values: the coordinator's dataset paths under FROM are under TO on this machine (data-map.ts). */
  dataMap?: readonly string[];
}

export const DEFAULT_STALLED_AFTER_MS = 300_000;

/** Runs the worker processes until they all exit (Ctrl-C or SIGTERM reaches them); returns the worst exit code. */
export async function serveQueue(options: QueueWorkerOptions): Promise<number> {
  const dataMap = parseDataMap(options.dataMap ?? []);
  (await connectRedis(options.url)).disconnect();
  const checkpoints = path.resolve(options.checkpoints);
  try {
    fs.mkdirSync(checkpoints, { recursive: true });
    fs.accessSync(checkpoints, fs.constants.W_OK);
  } catch (err) {
    throw new QueueError(`--checkpoints ${options.checkpoints}: not a writable folder (${(err as Error).message})`);
  }
  const n = options.concurrency ?? 1;
  const threads = options.threads ?? threadsPerWorker(n);
  const env = { ...process.env, ...threadEnv(threads), ...(options.backend ? { ACMIX_LAB_BACKEND: options.backend } : {}) };
  const args = [options.url, checkpoints, String(threads), String(options.stalledAfterMs ?? DEFAULT_STALLED_AFTER_MS), JSON.stringify(dataMap)];
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env }));
  // Ctrl-C reaches the children with their process group; SIGTERM to this process alone is passed on.
  const onSigint = () => {};
  const onSigterm = () => children.forEach((c) => c.kill('SIGTERM'));
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const codes = await Promise.all(children.map((child) => new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    })));
    return Math.max(...codes);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
