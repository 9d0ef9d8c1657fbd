// The thread variables a worker is started with take effect in its TensorFlow: a real worker process
// (worker-pool.ts, the runner's spawn path) has an inter-op pool (`tf_Compute` threads) of the size given,
// and two more intra-op threads with 3 than with 1 (Eigen's pool threads carry the process's name).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '@acmix-lab/store';
import { threadEnv, threadsPerWorker } from './threads.js';
import { WorkerProcess } from './worker-pool.js';

/** Thread names of a worker once its TensorFlow has loaded, counted. */
function workerThreads(dbFile: string, threads: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    let counts: Record<string, number> = {};
    new WorkerProcess(0, { dbFile, threads, heartbeatMs: 1000 }, {
      message: (w, m) => {
        if (m.type !== 'ready') return;
        const tasks = fs.readdirSync(`/proc/${w.pid}/task`);
        counts = {};
        for (const t of tasks) {
          const name = fs.readFileSync(`/proc/${w.pid}/task/${t}/comm`, 'utf8').trim();
          counts[name] = (counts[name] ?? 0) + 1;
        }
        w.send({ type: 'exit' });
      },
      exit: (w, code) => (code === 0 && w.ready ? resolve(counts) : reject(new Error(`worker exited with ${code}: ${w.lastError()}`))),
    });
  });
}

describe('worker threads', () => {
  it('threadEnv sets both TensorFlow pools; each worker gets an equal share, at least one', () => {
    expect(threadEnv(2)).toEqual({ TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '2' });
    expect([1, 2, 3, 4].map((w) => threadsPerWorker(w, 2))).toEqual([2, 1, 1, 1]);
    expect(threadsPerWorker(3, 8)).toBe(2);
  });

  it('a worker started with 1 or 3 threads has TensorFlow pools of that size', async () => {
    const dbFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'threads-')), 'runs.db');
    openStore(dbFile).close();
    const one = await workerThreads(dbFile, 1);
    const three = await workerThreads(dbFile, 3);
    expect(one.tf_Compute).toBe(1);
    expect(three.tf_Compute).toBe(3);
    expect(three.node! - one.node!).toBe(2);
  });
});
