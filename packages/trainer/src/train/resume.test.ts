// Resume: which run, which arguments, when there is nothing to resume (planResume, on hand-made run folders),
// and a training process SIGKILLed at a random moment after its first checkpoint, resumed through the API,
// ending with exactly the weights of an uninterrupted run.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@acmix-lab/runtime';
import { synthDataset } from '../data/synth.js';
import { checkpointNames, CheckpointError } from './checkpoint.js';
import { resolveTrainConfig, TrainConfigError, writeTrainConfig } from './config.js';
import { formatResultsRow, parseResultsCsv, type ResultsRow } from './results-csv.js';
import { committedResults, planResume, RunFinishedError, type ResumeInput } from './resume.js';
import { CLI_BIN, differingWeights, killAfterFirstCheckpoint, TINY_ARGS, writeTinyModelYaml } from './tiny-run.js';
import { train } from './train.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('planResume', () => {
  const project = path.join(tmp, 'plans');
  const data = path.join(tmp, 'data.yaml');
  fs.writeFileSync(data, 'path: .\ntrain: images\nval: images\nnames: [a]\n');

  /** A run folder as train() leaves it: args.yaml and weights/last holding `epoch` (0-based) as its last complete one. */
  function fakeRun(name: string, epoch: number | null, args: Record<string, unknown> = {}, bestEpoch = epoch): string {
    const dir = path.join(project, name);
    fs.mkdirSync(path.join(dir, 'weights', 'last'), { recursive: true });
    writeTrainConfig(path.join(dir, 'args.yaml'), resolveTrainConfig({ model: 'tiny.yaml', data, epochs: 3, workers: 0, ...args }));
    if (epoch === null) fs.rmSync(path.join(dir, 'weights'), { recursive: true });
    else {
      fs.writeFileSync(path.join(dir, 'weights', 'last', 'train-state.json'), JSON.stringify({ epoch, bestEpoch, bestFitness: 0.1 }));
      fs.writeFileSync(path.join(dir, 'weights', 'last', 'train-state.safetensors'), '');
    }
    return dir;
  }
  const plan = (input: ResumeInput) => planResume(input);

  it('finds the run from its folder, its weights/last, model=…/weights/last or project/name (newest without name)', () => {
    const run = fakeRun('a', 0);
    const last = path.join(run, 'weights', 'last');
    for (const input of [{ resume: run }, { resume: last }, { resume: true, model: last }, { resume: true, project, name: 'a' }] as ResumeInput[]) {
      const p = plan(input);
      expect(p.files.dir).toBe(run);
      expect(p.config.resume).toBe(true);
      expect(p.config.epochs).toBe(3);
      expect(p.state.epoch).toBe(0);
    }
    const newer = fakeRun('b', 1);
    const t = Date.now() / 1000;
    fs.utimesSync(path.join(run, 'weights', 'last', 'train-state.json'), t - 60, t - 60);
    expect(plan({ resume: true, project }).files.dir).toBe(newer);
  });

  it('takes device, workers, patience, save_period, val and plots; refuses any other change, naming each', () => {
    const run = fakeRun('c', 0);
    const p = plan({ resume: run, workers: 3, device: 'cpu', patience: 7, val: false, plots: false, save_period: 2, epochs: 3, model: path.resolve('tiny.yaml') });
    expect([p.config.workers, p.config.patience, p.config.val, p.config.plots, p.config.save_period, p.config.epochs]).toEqual([3, 7, false, false, 2, 3]);
    let err: unknown;
    try {
      plan({ resume: run, epochs: 5, imgsz: 128, batch: 8, model: 'other.yaml', workers: 1 });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TrainConfigError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`resume ${run}: a resumed run keeps its arguments; cannot change `
      + 'epochs (3 → 5), imgsz (640 → 128), batch (16 → 8), model ("tiny.yaml" → "other.yaml") (only device, workers, '
      + 'patience, save_period, val, plots may be given with resume; start a new run to change the others)');
    expect(message).not.toContain('workers (');
  });

  it('takes another data.yaml only when the run\'s own is gone', () => {
    const moved = path.join(tmp, 'moved.yaml');
    expect(() => plan({ resume: fakeRun('d', 0), data: moved })).toThrow(/cannot change data/);
    expect(plan({ resume: fakeRun('e', 0, { data: path.join(tmp, 'gone.yaml') }), data: moved }).config.data).toBe(moved);
  });

  it('says a finished run (all epochs, or stopped by patience) has nothing to resume; a larger patience continues it', () => {
    const done = fakeRun('f', 2);
    expect(() => plan({ resume: done })).toThrow(new RunFinishedError(`${done}/weights/last: training to 3 epochs is finished, nothing to resume`));
    const stopped = fakeRun('g', 1, { epochs: 10, patience: 1 }, 0);
    expect(() => plan({ resume: stopped })).toThrow(/training stopped early at epoch 2 \(no improvement in 1 epochs\), nothing to resume/);
    expect(plan({ resume: stopped, patience: 5 }).state.epoch).toBe(1);
  });

  it('names what is missing: the folder, args.yaml, weights/last, the resumable state', () => {
    const none = path.join(project, 'none');
    expect(() => plan({ resume: true, project, name: 'none' })).toThrow(new CheckpointError(`resume: ${none} does not exist`));
    expect(() => plan({ resume: none })).toThrow(`resume=${none}: no such run folder or checkpoint`);
    fs.mkdirSync(none);
    expect(() => plan({ resume: none })).toThrow(`resume: ${none}/args.yaml is missing; is ${none} a training run?`);
    const early = fakeRun('h', null);
    expect(() => plan({ resume: early })).toThrow(`resume: ${early}/weights/last is missing: the run stopped before its first epoch ended`);
    const best = fakeRun('i', 0);
    fs.renameSync(path.join(best, 'weights', 'last'), path.join(best, 'weights', 'best'));
    expect(() => plan({ resume: path.join(best, 'weights', 'best') })).toThrow(/only weights\/last can be resumed/);
    fs.mkdirSync(path.join(best, 'weights', 'last'));
    fs.writeFileSync(path.join(best, 'weights', 'last', 'train-state.json'), '{}');
    expect(() => plan({ resume: best })).toThrow(`resume: ${best}/weights/last/train-state.safetensors is missing`);
    expect(() => plan({ resume: true, project: path.join(tmp, 'empty') })).toThrow(/no run with a checkpoint \(weights\/last\) in/);
  });
});

describe('resume after SIGKILL', () => {
  let args: Record<string, unknown> = {};
  let straight: Awaited<ReturnType<typeof train>>;
  const results = (dir: string) => fs.readFileSync(path.join(dir, 'results.csv'), 'utf8');
  beforeAll(async () => {
    await initBackend();
    const data = (await synthDataset({ out: path.join(tmp, 'data'), train: 12, val: 4, imgsz: 64, classes: 2, seed: 1 })).yamlFile;
    args = { ...TINY_ARGS, model: writeTinyModelYaml(tmp), data, project: tmp };
    straight = await train({ ...args, name: 'straight' } as ResumeInput, { log: () => {} });
  });

  /** A run stopped right after epoch `epochs`'s callback: the files a kill at that moment leaves. */
  let reported: ResultsRow[] = [];
  async function stoppedAfter(name: string, epochs: number): Promise<string> {
    const stop = new AbortController();
    reported = [];
    const run = train({ ...args, name } as ResumeInput, {
      log: () => {}, signal: stop.signal,
      epoch: (r) => {
        reported.push(r.row);
        if (r.epoch === epochs) stop.abort(new Error('stop'));
      },
    });
    await expect(run).rejects.toThrow('stop');
    return path.join(tmp, name);
  }

  it('a kill between weights/last and the epoch callback: the epoch is committed, and committedResults hands it over', async () => {
    // Every file an epoch writes is in place before weights/last, the commit point, is swapped in.
    const renames = vi.spyOn(fs, 'renameSync');
    const dir = await stoppedAfter('after-checkpoint', 2);
    const commits = renames.mock.calls.map(([, to]) => path.relative(dir, String(to))).filter((f) => !f.startsWith('.') && !f.includes('/.'));
    renames.mockRestore();
    expect(commits.join(' ')).toMatch(/^args\.yaml (results\.csv (weights\/best )?weights\/last ?){2}$/);
    // A consumer that logged epoch 1 and was killed before the callback of epoch 2 catches up from these rows,
    // the last one exact (results.csv keeps 5 digits).
    const committed = committedResults(dir);
    expect(committed.map((r) => formatResultsRow(r))).toEqual(results(straight.saveDir).trim().split('\n').slice(1, 3));
    expect(committed[1]).toEqual(reported[1]);
    const resumed = await train({ resume: dir }, { log: () => {} });
    expect(resumed.epochsRun).toBe(1);
    expect(results(dir)).toBe(results(straight.saveDir));
  });

  it('a kill between results.csv and weights/last (even inside its swap): the epoch is trained once more and written once', async () => {
    const dir = await stoppedAfter('before-checkpoint', 1);
    // What the kill leaves: results.csv already holds epoch 2; weights/last (epoch 1) moved aside, the new one not in yet.
    fs.writeFileSync(path.join(dir, 'results.csv'), results(straight.saveDir).trim().split('\n').slice(0, 3).join('\n') + '\n');
    fs.renameSync(path.join(dir, 'weights', 'last'), path.join(dir, 'weights', '.last.tmp-1-2.old'));
    expect(committedResults(dir).map((r) => r.epoch)).toEqual([1]);
    const reported: number[] = [];
    let atStart = '';
    const resumed = await train({ resume: dir }, { log: () => {}, start: () => { atStart = results(dir); }, epoch: (r) => reported.push(r.epoch) });
    expect(parseResultsCsv(atStart).map((r) => r.epoch)).toEqual([1]); // the row past the checkpoint is gone
    expect(reported).toEqual([2, 3]);
    expect(resumed.epochsRun).toBe(2);
    expect(results(dir)).toBe(results(straight.saveDir));
    expect(differingWeights(dir, straight.saveDir)).toEqual([]);
  });

  it('continues a run killed at a random point to the same final weights', async () => {
    expect(straight.epochsRun).toBe(3);

    // Killed somewhere between the end of epoch 1 and the end of the run.
    const child = spawn(process.execPath, [CLI_BIN, 'train', '--name', 'killed',
      ...Object.entries(args).map(([k, v]) => `${k}=${v}`)], { stdio: 'ignore' });
    const killedAfter = await killAfterFirstCheckpoint(child, path.join(tmp, 'killed'));
    expect(killedAfter).toBeLessThan(2);

    const resumed = await train({ resume: path.join(tmp, 'killed') }, { log: () => {} });
    expect(resumed.epochsRun).toBe(3 - (killedAfter + 1));
    expect(differingWeights(resumed.saveDir, straight.saveDir)).toEqual([]);
    expect(checkpointNames(path.join(resumed.saveDir, 'weights', 'best'))).toEqual(['circle', 'square']);
    const rows = parseResultsCsv(fs.readFileSync(path.join(resumed.saveDir, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
  });
});
