// The coordinator's side of the queue against a real redis-server, without workers: started again it
// re-attaches — a run still marked running whose job is gone is queued again without a retry, and
// dispatching twice adds each run's job once, carrying what a worker needs and the coordinator's version.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@acmix-lab/store';
import { connectRedis, coordinatorNames, queueVersion, RUNS_QUEUE, type RunJob } from './queue.js';
import { QueueDispatch } from './queue-dispatch.js';
import type { RunnerSink } from './runner.js';
import { startRedis } from './test-queue.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-dispatch-'));
let redis: Awaited<ReturnType<typeof startRedis>>;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('QueueDispatch', () => {
  it('re-attaches: a jobless running run is queued again, and each run gets one job however often it dispatches', async () => {
    const dbFile = path.join(dir, 'coordinator.db');
    const store = openStore(dbFile);
    const sweep = store.ensureSweep({ name: 'neck' });
    const base = { positions: [], scale: 'n', seed: 0, model_yaml: 'nc: 1\n', config: { epochs: 3, model: 'yolov8n.yaml' }, epoch_budget: 3 };
    const [held, queued] = store.addRuns(sweep.id, [{ ...base, key: 'a', name: 'yolov8n' }, { ...base, key: 'b', name: 'yolov8n+P5', positions: ['P5'] }]);
    store.claimRun({ worker: 'gone:1', host: 'gone', pid: 1 }, { runId: held!.id });

    const notices: string[] = [];
    const sink: RunnerSink = { message: () => {}, notice: (l) => notices.push(l), wake: () => {}, forget: () => {}, fail: () => {}, stopping: () => false };
    const client = await connectRedis(redis.url);
    const queue = new Queue<RunJob>(RUNS_QUEUE, { connection: client });
    const ids = [held!.id, queued!.id];
    for (let attempt = 0; attempt < 2; attempt += 1) { // the coordinator, then the same coordinator started again
      const dispatch = new QueueDispatch(store, ids, client, { dbFile, workers: 1, maxRetries: 3 }, sink);
      await dispatch.start();
      await dispatch.dispatch(ids);
      await dispatch.close();
    }
    expect(store.getRun(held!.id)).toMatchObject({ status: 'queued', retries: 0 });
    expect(notices).toEqual([`run ${held!.id} (yolov8n, seed 0) was running on gone:1 but has no job on the queue: queued again to resume from its last checkpoint`]);

    const jobs = await queue.getJobs(['waiting']);
    const names = coordinatorNames(dbFile);
    expect(jobs.map((j) => j.id).sort()).toEqual(ids.map((id) => `${names.id}-${id}`).sort());
    const job = jobs.find((j) => j.data.run.id === queued!.id)!;
    expect(job.data).toEqual({
      version: queueVersion(), events: names.events, folder: path.join(names.folder, 'neck', `${queued!.id}-yolov8n+P5-seed0`),
      run: { id: queued!.id, sweep: 'neck', name: 'yolov8n+P5', seed: 0, model_yaml: 'nc: 1\n', config: base.config, epoch: 0, epoch_budget: 3 },
      time: 0, retries: 0, maxRetries: 3,
    });
    expect(names.folder).toMatch(/^coordinator-[0-9a-f]{12}$/);
    await queue.close();
    client.disconnect();
    store.close();
  });
});
