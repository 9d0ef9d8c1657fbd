// What a sweep's coordinator and its queue workers share on Redis: the BullMQ queue of runs to train
// (one job per run and turn, RUNS_QUEUE), each coordinator's event stream (what its workers report, in
// order: queue-events.ts), the job's contents and the version both sides must run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { HeldRun } from './worker-run.js';

/** The BullMQ queue every coordinator puts runs on and every `acmix-lab worker` takes them from. */
export const RUNS_QUEUE = 'acmix-lab-runs';

/** Bumped when jobs or events change shape: workers refuse jobs of another protocol or project version. */
export const QUEUE_PROTOCOL = 1;

const PROJECT_VERSION = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `acmix-lab 0.1.0 (queue protocol 1)`: what a job carries and a worker compares with its own. */
export function queueVersion(): string {
  return `acmix-lab ${PROJECT_VERSION} (queue protocol ${QUEUE_PROTOCOL})`;
}

/** A run to train, as a job's data: everything the worker needs without the database. */
export interface RunJob {
  version: string;
  /** The coordinator's event stream (a Redis key). */
  events: string;
  /** The run's folder relative to the shared checkpoint folder. */
  folder: string;
  run: HeldRun & { sweep: string };
  /** Seconds of training the store has up to `run.epoch` (Ultralytics' `time`). */
  time: number;
  /** The run's retries when the job was queued, and how many it may have: each stall of the job is one more. */
  retries: number;
  maxRetries: number;
}

export class QueueError extends Error {
  override name = 'QueueError';
}

/** The key names and run folders of one coordinator: one per database file (and host). */
export interface CoordinatorNames {
  /** Job ids are `<id>-<run id>`; keys `acmix-lab:<id>:…`. */
  id: string;
  events: string;
  applied: string;
  /** Where the runs' folders go under the shared checkpoint folder: `<db name>-<id>`. */
  folder: string;
}

export function coordinatorNames(dbFile: string): CoordinatorNames {
  const file = path.resolve(dbFile);
  const id = createHash('sha256').update(`${os.hostname()}\0${file}`).digest('hex').slice(0, 12);
  return { id, events: `acmix-lab:${id}:events`, applied: `acmix-lab:${id}:applied`, folder: `${path.basename(file, path.extname(file))}-${id}` };
}

/**
 * A Redis connection for BullMQ (maxRetriesPerRequest null, as its workers need). The first connection
 * must succeed: an unreachable or malformed URL is one QueueError; later outages are retried.
 */
export async function connectRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) throw new QueueError(`--queue ${url}: expected a Redis URL, redis://HOST:PORT`);
  const { Redis: Client } = await import('ioredis'); // loaded by the commands that use a queue only
  let lastError: Error | null = null;
  const client = new Client(url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 5000, retryStrategy: () => null });
  client.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new QueueError(`cannot reach Redis at ${url}: ${(lastError ?? (err as Error)).message}`);
  }
  client.options.retryStrategy = (attempt) => Math.min(attempt * 200, 5000);
  return client;
}
