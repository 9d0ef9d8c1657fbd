// `acmix-lab train --resume` in each form users type, through the real command: a tiny run SIGKILLed after its
// first checkpoint is copied once per form, and every copy must resume to the weights of an uninterrupted run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResultsCsv } from '@acmix-lab/trainer';
import { CLI_BIN, differingWeights, killAfterFirstCheckpoint, TINY_ARGS, writeTinyModelYaml } from '@acmix-lab/trainer/testing';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-train-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const env = { ...process.env, ACMIX_LAB_BACKEND: '', TF_CPP_MIN_LOG_LEVEL: undefined };
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: 'utf8', cwd: tmp, env });
const run = (name: string) => path.join(tmp, name);

function expectOk(res: ReturnType<typeof cli>): string {
  expect(res.status, res.stderr).toBe(0);
  return res.stdout;
}

let runArgs: string[] = [];
let killedAfter = -1;

beforeAll(async () => {
  expectOk(cli('data', 'synth', '--out', 'data', '--train', '12', '--val', '4', '--imgsz', '64', '--classes', '2', '--seed', '1'));
  const args = { ...TINY_ARGS, model: writeTinyModelYaml(tmp), data: path.join(tmp, 'data', 'data.yaml'), project: tmp };
  runArgs = ['train', ...Object.entries(args).map(([k, v]) => `${k}=${v}`)];
  expectOk(cli(...runArgs, '--name', 'straight'));
  const child = spawn(process.execPath, [CLI_BIN, ...runArgs, '--name', 'killed'], { stdio: 'ignore', cwd: tmp, env });
  killedAfter = await killAfterFirstCheckpoint(child, run('killed'));
  for (const form of ['dir', 'model', 'path']) fs.cpSync(run('killed'), run(`killed-${form}`), { recursive: true });
});

describe('acmix-lab train --resume', () => {
  const forms: [string, () => string[]][] = [
    ['--resume --project P --name N', () => ['--resume', '--project', tmp, '--name', 'killed']],
    ['--resume RUN_DIR', () => ['--resume', run('killed-dir')]],
    ['resume=True model=RUN_DIR/weights/last (Ultralytics)', () => ['resume=True', `model=${run('killed-model')}/weights/last`]],
    ['resume=RUN_DIR/weights/last (Ultralytics)', () => [`resume=${run('killed-path')}/weights/last`, '--workers', '1', 'device=cpu']],
  ];
  for (const [form, args] of forms) {
    it(`${form} continues a SIGKILLed run to the weights of an uninterrupted one`, () => {
      expect(killedAfter).toBeLessThan(2);
      const out = expectOk(cli('train', ...args()));
      const dir = out.match(/^Results saved to (.*)$/m)?.[1];
      expect(dir).toBeDefined();
      expect(out).toContain(`Resuming training from ${dir}/weights/last from epoch ${killedAfter + 2} to 3 total epochs`);
      expect(out).toContain(`${3 - (killedAfter + 1)} epochs completed.`);
      expect(differingWeights(dir!, run('straight'))).toEqual([]);
      const rows = parseResultsCsv(fs.readFileSync(path.join(dir!, 'results.csv'), 'utf8'));
      expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    });
  }

  it('refuses arguments that would change the run, naming them in one line', () => {
    const res = cli('train', '--resume', run('straight'), 'epochs=5', '--imgsz', '128', '--model', 'other.yaml', '--workers', '1');
    expect(res.status).toBe(1);
    expect(res.stderr.split('\n')).toEqual([`acmix-lab: error: resume ${run('straight')}: a resumed run keeps its arguments; `
      + `cannot change epochs (3 → 5), imgsz (64 → 128), model ("${tmp}/tiny.yaml" → "other.yaml") (only device, workers, `
      + 'patience, save_period, val, plots may be given with resume; start a new run to change the others)', '']);
  });

  it('says a finished run has nothing to resume and exits 0 (device and workers are accepted)', () => {
    const out = expectOk(cli('train', '--resume', '--project', tmp, '--name', 'straight', '--workers', '2', '--device', 'cpu'));
    expect(out).toBe(`${run('straight')}/weights/last: training to 3 epochs is finished, nothing to resume\n`);
  });

  it('names what is missing when a folder holds no checkpoint, or there is no run at all', () => {
    fs.mkdirSync(run('unstarted'));
    fs.copyFileSync(path.join(run('straight'), 'args.yaml'), path.join(run('unstarted'), 'args.yaml'));
    const res = cli('train', 'resume', `--project=${tmp}`, '--name=unstarted');
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`acmix-lab: error: resume: ${run('unstarted')}/weights/last is missing: the run stopped before its `
      + 'first epoch ended, so there is nothing to resume; start it again without resume\n');
    const none = cli('train', '--resume');
    expect(none.status).toBe(1);
    expect(none.stderr).toBe(`acmix-lab: error: resume: no run with a checkpoint (weights/last) in ${tmp}/runs/detect; `
      + 'name the run folder or give --name\n');
  });

  it('takes a bare word only as the run folder after --resume', () => {
    const res = cli('train', 'somewhere');
    expect(res.status).toBe(1);
    expect(res.stderr).toBe('acmix-lab: error: "somewhere": expected key=value (e.g. epochs=10), or a run folder after --resume\n');
  });
});
