// Test helpers for sweeps over a queue (exported as @acmix-lab/orchestrator/testing/queue, for tests and
// benchmarks only): a real redis-server on a free loopback port with a temporary folder, and a raw job on
// the runs queue, as another version of acmix-lab would add it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { connectRedis, RUNS_QUEUE } from './queue.js';

/** A TCP port nothing listens on now. */
export const freePort = () => new Promise<number>((resolve, reject) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    server.close(() => resolve(port));
  }).on('error', reject);
});

/** Starts redis-server (throws, naming the package to install, when there is none); `stop` ends it and removes its folder. */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: the queue tests need it (Debian: apt-get install redis-server; .ci/run installs it)');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    try {
      (await connectRedis(url)).disconnect();
      break;
    } catch (err) {
      if (i === 100 || server.exitCode !== null) throw new Error(`redis-server did not start on port ${port}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: async () => {
      server.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Adds a job to the runs queue as is; resolves with its final state and failure reason once a worker is done with it. */
export async function runRawJob(url: string, jobId: string, data: Record<string, unknown>): Promise<{ state: string; failedReason: string | undefined }> {
  const redis = await connectRedis(url);
  const queue = new Queue(RUNS_QUEUE, { connection: redis });
  try {
    const job = await queue.add('run', data, { jobId });
    for (;;) {
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') return { state, failedReason: (await queue.getJob(jobId))?.failedReason };
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** The events on a stream, decoded. */
export { readEvents } from './queue-events.js';
export { connectRedis } from './queue.js';
