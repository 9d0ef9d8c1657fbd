// `acmix-lab sweep --queue` and `acmix-lab worker` through the real commands, on a real redis-server and the
// tiny model, with two worker processes: a worker SIGKILLed mid-run has its job handed on by BullMQ's
// stalled-job check and the run resumed by the other worker from the shared checkpoint folder, to the
// weights of an uninterrupted run; the coordinator SIGKILLed and started again re-attaches and completes
// the sweep; halving decides across workers, on a dataset the coordinator names by a path the workers
// do not have (their --data-map puts it where they keep it); a second coordinator on the same queue whose
// dataset the workers lack has its run failed with both paths while the first sweep goes on; a job from
// another version is refused naming both; an unreachable Redis and a bad flag are one line. In every case
// each epoch is in the store once.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueVersion, reproduceRun } from '@acmix-lab/orchestrator';
import { loggedEpochs } from '@acmix-lab/orchestrator/testing';
import { connectRedis, freePort, readEvents, runRawJob, startRedis } from '@acmix-lab/orchestrator/testing/queue';
import { openReader, type RunRecord } from '@acmix-lab/store';
import { CLI_BIN, differingWeights, writeTinyModelYaml } from '@acmix-lab/trainer/testing';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-queue-'));
const checkpoints = path.join(tmp, 'shared');
/** Where the coordinator's datasets are, for the workers: `<tmp>/coordinator/X` is their `<tmp>/X` (--data-map). */
const coordinatorView = path.join(tmp, 'coordinator');
const env = { ...process.env, ACMIX_LAB_BACKEND: '', TF_CPP_MIN_LOG_LEVEL: undefined };
const TRAIN = 'train: {epochs: 3, batch: 4, imgsz: 64, warmup_epochs: 0.5, close_mosaic: 1, plots: false}\n';
let redis: Awaited<ReturnType<typeof startRedis>>;

interface Proc { child: ChildProcess; log: string; exited: Promise<number> }
const procs: Proc[] = [];

/** A CLI process in its own process group (a kill -9 of it takes its children), its output in a file. */
function start(name: string, ...args: string[]): Proc {
  const log = path.join(tmp, `${name}.log`);
  const out = fs.openSync(log, 'w');
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: tmp, env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const proc = { child, log, exited: new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : 0)))) };
  procs.push(proc);
  return proc;
}
const startWorker = (name: string) => start(name, 'worker', '--queue', redis.url, '--checkpoints', checkpoints, '--threads', '1', '--stalled-after', '6',
  '--data-map', `${coordinatorView}=${tmp}`);
const text = (p: Proc) => fs.readFileSync(p.log, 'utf8');
const killGroup = (p: Proc) => process.kill(-p.child.pid!, 'SIGKILL');

function sweepFile(name: string, body: string): string {
  fs.writeFileSync(path.join(tmp, `${name}.yaml`), `name: ${name}\nmodel: tiny.yaml\nscales: [t]\n${body}${TRAIN}`);
  return `${name}.yaml`;
}

function runsOf(db: string): RunRecord[] {
  const reader = openReader(db);
  try {
    return reader.listRuns().map((r) => reader.getRun(r.id)!);
  } finally {
    reader.close();
  }
}

async function until<T>(value: () => T | undefined | false, timeoutMs = 180_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      const v = value();
      if (v) return v;
    } catch { /* the database is not there yet */ }
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Epoch numbers a worker's log shows it trained for run `id`. */
const epochsTrained = (log: string, id: number) => [...log.matchAll(new RegExp(`: run ${id} \\(.*?\\): epoch (\\d+)/`, 'g'))].map((m) => Number(m[1]));

const workers: Proc[] = [];
beforeAll(async () => {
  redis = await startRedis();
  writeTinyModelYaml(tmp);
  workers.push(startWorker('worker-1'), startWorker('worker-2'));
});

afterAll(async () => {
  for (const p of procs.filter((x) => x.child.exitCode === null && x.child.signalCode === null)) killGroup(p);
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('sweeps over a BullMQ queue', () => {
  it('survives kill -9 of a worker mid-run (the other resumes it from the checkpoint) and of the coordinator (restarted, it re-attaches)', async () => {
    const db = path.join(tmp, 'queue.db');
    const file = sweepFile('queue', 'positions:\n  P5: {after: neck.P5}\ncombine: [[], [P5]]\nseeds: [0, 1]\n'
      + 'data: data/data.yaml\nsynth: {train: 12, val: 4, imgsz: 64, classes: 2, seed: 1}\n');
    const sweep = ['sweep', file, '--queue', redis.url, '--db', db];
    const first = start('coordinator-1', ...sweep);
    // A run has logged its first epoch: SIGKILL the worker training it (its whole process group).
    const victim = await until(() => runsOf(db).find((r) => r.status === 'running' && r.epoch >= 1));
    const dead = workers.find((w) => text(w).includes(`${victim.worker}: run ${victim.id} `))!;
    const survivor = workers.find((w) => w !== dead)!;
    killGroup(dead);
    // Then the coordinator, once the survivor has moved on by an epoch; and the same command again.
    const epochsNow = runsOf(db).reduce((a, r) => a + r.epoch, 0);
    await until(() => runsOf(db).reduce((a, r) => a + r.epoch, 0) > epochsNow);
    killGroup(first);
    await first.exited;
    const second = start('coordinator-2', ...sweep);
    expect(await second.exited).toBe(0);

    const runs = runsOf(db);
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    for (const run of runs) expect(loggedEpochs(db, run)).toEqual({ store: [1, 2, 3], csv: [1, 2, 3] }); // each epoch once
    const resumed = runs.find((r) => r.id === victim.id)!;
    expect(resumed).toMatchObject({ retries: 1, error: null });
    expect(resumed.worker).not.toBe(victim.worker);
    expect(text(survivor)).toContain(`run ${victim.id} (${victim.name}, seed ${victim.seed}): resuming after its worker stopped`);
    const trained = epochsTrained(text(survivor), victim.id);
    expect(trained.at(-1)).toBe(3);
    expect(trained[0]).toBeGreaterThan(victim.epoch); // from the checkpoint, not from scratch
    expect(text(first) + text(second)).toMatch(new RegExp(`worker ${victim.worker} on \\S+ stopped while training run ${victim.id} .*; retry 1 of 2`));
    expect(new Set(runs.map((r) => r.host))).toEqual(new Set([os.hostname()]));

    // The resumed run is the run an uninterrupted worker trains (same thread count): same metrics, same weights.
    const again = await reproduceRun(db, victim.id);
    expect(again.identical).toBe(true);
    expect(differingWeights(again.copy.run_dir!, resumed.run_dir!)).toEqual([]);
    workers.splice(workers.indexOf(dead), 1, startWorker('worker-3'));
  });

  it('halves across workers on a dataset they map to where they keep it, while another coordinator\'s run fails on a dataset they lack', async () => {
    // The coordinator's data.yaml, and the absolute `path` in it, are under <tmp>/coordinator: the workers have them under <tmp>.
    const dataYaml = path.join(coordinatorView, 'data', 'mapped.yaml');
    const synth = fs.readFileSync(path.join(tmp, 'data', 'data.yaml'), 'utf8');
    fs.writeFileSync(path.join(tmp, 'data', 'mapped.yaml'), synth.replace(/^path: .*$/m, `path: ${path.join(coordinatorView, 'data')}`));
    expect(fs.existsSync(coordinatorView)).toBe(false);
    const db = path.join(tmp, 'halving.db');
    const halving = start('halving', 'sweep', sweepFile('halving', 'positions:\n  P3: {after: neck.P3}\n  P4: {after: neck.P4}\n  P5: {after: neck.P5}\n'
      + `combine: [[], [P3], [P4], [P5]]\ndata: ${dataYaml}\nstrategy: halving\nmin_epochs: 1\neta: 2\n`), '--queue', redis.url, '--db', db);
    const missing = path.join(coordinatorView, 'elsewhere', 'data.yaml');
    const nodata = start('nodata', 'sweep', sweepFile('nodata', `data: ${missing}\n`), '--queue', redis.url, '--db', path.join(tmp, 'nodata.db'));
    expect(await nodata.exited).toBe(1);
    expect(text(nodata)).toContain(`run 1 (tiny-t, seed 0) failed: ${missing}:0:0: ${path.join(tmp, 'elsewhere', 'data.yaml')} on this machine does not exist`);
    expect(await halving.exited).toBe(0);

    expect(text(halving)).toMatch(/halving at 1 epochs .* continue to 2 epochs/);
    expect(text(halving)).toMatch(/halving at 2 epochs .* continue to 3 epochs/);
    const runs = runsOf(db);
    expect(runs.map((r) => r.status).sort()).toEqual(['completed', 'pruned', 'pruned', 'pruned']);
    expect(runs.map((r) => r.epoch).sort()).toEqual([1, 1, 2, 3]);
    // The run keeps the coordinator's path (its key, its config, its args.yaml): a resume on any worker maps it again.
    for (const run of runs) expect(run.config.data).toBe(dataYaml);
    for (const run of runs) expect(fs.readFileSync(path.join(run.run_dir!, 'args.yaml'), 'utf8')).toContain(`data: ${dataYaml}\n`);
    for (const run of runs) {
      const epochs = Array.from({ length: run.epoch }, (_, i) => i + 1);
      expect(loggedEpochs(db, run)).toEqual({ store: epochs, csv: epochs });
    }
    const byWorker = new Set(workers.flatMap((w) => runs.filter((r) => text(w).includes(`: run ${r.id} (${r.name}`)).map(() => w)));
    expect(byWorker.size).toBe(2); // both workers trained runs of the sweep
  });

  it('refuses a job from another version of acmix-lab, naming both versions, and tells its coordinator', async () => {
    const old = 'acmix-lab 0.0.1 (queue protocol 0)';
    const events = 'acmix-lab:old-coordinator:events';
    const { state, failedReason } = await runRawJob(redis.url, 'old-coordinator-7', { version: old, events, run: { id: 7 } });
    expect(state).toBe('failed');
    expect(failedReason).toBe(`job for run 7 comes from ${old}, this worker runs ${queueVersion()}: run one version on the coordinator and every worker`);
    const client = await connectRedis(redis.url);
    const reported = await readEvents(client, events, '0');
    client.disconnect();
    expect(reported.map((e) => e.event)).toEqual([expect.objectContaining({ type: 'refused', runId: 7, error: failedReason })]);
  });

  it('says in one line that Redis cannot be reached', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    for (const args of [['sweep', sweepFile('unreachable', 'data: data/data.yaml\n'), '--queue', url, '--db', path.join(tmp, 'unreachable.db')],
      ['worker', '--queue', url, '--checkpoints', checkpoints]]) {
      const r = spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: 'utf8', cwd: tmp, env });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`acmix-lab: error: cannot reach Redis at ${url}: connect ECONNREFUSED 127.0.0.1:${port}`);
    }
    const bad = spawnSync(process.execPath, [CLI_BIN, 'worker', '--queue', 'localhost:6379', '--checkpoints', checkpoints], { encoding: 'utf8', cwd: tmp, env });
    expect(bad.stderr.trim()).toBe('acmix-lab: error: --queue localhost:6379: expected a Redis URL, redis://HOST:PORT');
    const map = (value: string) => spawnSync(process.execPath, [CLI_BIN, 'worker', '--queue', url, '--checkpoints', checkpoints, '--data-map', value],
      { encoding: 'utf8', cwd: tmp, env }).stderr.trim();
    expect(map('/srv/data')).toBe('acmix-lab: error: --data-map /srv/data: expected FROM=TO, the coordinator\'s dataset folder = this machine\'s');
    expect(map('data=/srv')).toBe('acmix-lab: error: --data-map data=/srv: FROM must be an absolute path (the coordinator\'s), got "data"');
    expect(map('/srv/data=nowhere')).toBe(`acmix-lab: error: --data-map /srv/data=nowhere: ${path.join(tmp, 'nowhere')} does not exist on this machine`);
  });
});
