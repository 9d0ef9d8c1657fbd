// The runner with real worker processes training the tiny model: a worker SIGKILLed mid-run has its run
// resumed from its checkpoint by another worker, to the weights of an uninterrupted run (its reproduction);
// a worker that dies of a crash signal (SIGFPE, as oneDNN did in issue 8) costs its run a retry, then fails
// it with the signal described; a run with a bad data path fails with its error; a run held by a worker
// on another host that stopped heartbeating is taken over; the others complete.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { openReader, openStore, type RunRecord } from '@acmix-lab/store';
import { differingWeights } from '@acmix-lab/trainer/testing';
import type { WorkerMessage } from './messages.js';
import { reproduceRun } from './reproduce.js';
import { runQueue } from './runner.js';
import { strategyFor } from './strategy.js';
import { readSweepFile } from './sweep-file.js';
import { queueSweep } from './sweep-runner.js';
import { loggedEpochs, TINY_TRAIN, tinyWorkspace } from './test-runs.js';
import { synthDataset } from '@acmix-lab/trainer';

const ws = tinyWorkspace();
afterAll(() => fs.rmSync(ws.dir, { recursive: true, force: true }));

describe('the sweep runner', () => {
  it('resumes a run whose worker was SIGKILLed; fails a run whose worker crashes twice, and one with a bad data path; completes the rest', async () => {
    const dbFile = path.join(ws.dir, 'workers.db');
    const sweep = readSweepFile(ws.sweep('workers', `positions:\n  P5: {after: neck.P5}\ncombine: [[], [P5]]\ntrain: ${TINY_TRAIN}\n`));
    await synthDataset({ ...sweep.synth, out: path.dirname(sweep.data) });
    const store = openStore(dbFile);
    const { runIds: [killed, crashed], record } = await queueSweep(store, sweep);
    const good = store.getRun(killed!)!;
    const [bad, remote] = store.addRuns(record.id, [
      { ...good, key: 'bad-data', name: 'bad-data', config: { ...good.config, data: path.join(ws.dir, 'nowhere', 'data.yaml') } },
      { ...good, key: 'remote', name: 'remote' },
    ]);
    // Claimed by a worker on another host whose last heartbeat was a minute ago.
    const past = openStore(dbFile, { clock: () => Date.now() - 60_000 });
    past.claimRun({ worker: 'far:7', host: 'far-away', pid: 7 }, { runId: remote!.id });
    past.close();

    const notices: string[] = [];
    const seen = new Map<number, WorkerMessage[]>();
    const kill = (run: RunRecord, signal: NodeJS.Signals) => process.kill(store.getRun(run.id)!.pid!, signal);
    const result = await runQueue(store, [killed!, crashed!, bad!.id, remote!.id], strategyFor(sweep.strategy), {
      dbFile, workers: 2, maxRetries: 1, staleAfterMs: 20_000, heartbeatMs: 1000,
      observer: {
        notice: (line) => notices.push(line),
        message: (_slot, m, run) => {
          const messages = [...(seen.get(run.id) ?? []), m];
          seen.set(run.id, messages);
          const attempt = messages.filter((x) => x.type === 'start').length;
          if (m.type !== 'epoch') return;
          if (run.id === killed && attempt === 1 && m.epoch === 1) kill(run, 'SIGKILL');
          if (run.id === crashed && m.epoch === attempt) kill(run, 'SIGFPE'); // after epoch 1, then after epoch 2
        },
      },
    });
    store.close();
    expect(result.interrupted).toBe(false);
    const runs = new Map(result.runs.map((r) => [r.id, r]));

    // Killed after epoch 1: requeued, resumed from its checkpoint at epoch 2 by a new worker, completed.
    expect(runs.get(killed!)).toMatchObject({ status: 'completed', epochs: 3, retries: 1, error: null });
    const starts = seen.get(killed!)!.filter((m) => m.type === 'start').map((m) => m.type === 'start' && m.startEpoch);
    expect(starts).toEqual([1, 2]);
    expect(seen.get(killed!)!.filter((m) => m.type === 'epoch').map((m) => m.type === 'epoch' && m.epoch)).toEqual([1, 2, 3]);
    const reader = openReader(dbFile);
    const killedRun = reader.getRun(killed!)!;
    reader.close();
    expect(loggedEpochs(dbFile, killedRun)).toEqual({ store: [1, 2, 3], csv: [1, 2, 3] });
    expect(notices).toContainEqual(expect.stringMatching(new RegExp(`^the worker of run ${killed} \\(tiny-t, seed 0\\) was killed by SIGKILL .*; retry 1 of 1$`)));

    // SIGFPE after epoch 1 (retried), again after epoch 2: failed, the signal named, its two epochs kept.
    const crashedRun = runs.get(crashed!)!;
    expect(crashedRun).toMatchObject({ status: 'failed', epochs: 2, retries: 1 });
    expect(crashedRun.error).toBe(`native code crashed with SIGFPE (floating point exception) in the worker of run ${crashed} (tiny-t+P5, seed 0), `
      + 'most likely inside TensorFlow; run it with --backend cpu to check the model, and report it; no retries left (1)');

    expect(runs.get(bad!.id)).toMatchObject({ status: 'failed', epochs: 0, retries: 0 });
    expect(runs.get(bad!.id)!.error).toContain(path.join(ws.dir, 'nowhere', 'data.yaml'));
    expect(runs.get(bad!.id)!.error!.split('\n')).toHaveLength(1);

    expect(runs.get(remote!.id)).toMatchObject({ status: 'completed', epochs: 3, retries: 1, error: null });
    expect(notices).toContainEqual(expect.stringMatching(new RegExp(`^run ${remote!.id} \\(remote, seed 0\\): worker far:7 on far-away \\(pid 7\\) sent no heartbeat since .*; retry 1 of 1$`)));

    // The resumed run is the run an uninterrupted worker trains: its reproduction has the same metrics and weights.
    const again = await reproduceRun(dbFile, killed!);
    expect(again.copy).toMatchObject({ status: 'completed', epoch: 3, reproduces: killed });
    expect(again.identical).toBe(true);
    expect(differingWeights(again.copy.run_dir!, killedRun.run_dir!)).toEqual([]);
  });
});
