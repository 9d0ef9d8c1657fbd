// Resume after a kill: a training process is SIGKILLed at a random moment after its first
// checkpoint, resumed with --resume, and must end with exactly the weights of an uninterrupted run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, readSafetensors } from '@acmix-lab/runtime';
import { synthDataset } from '../data/synth.js';
import { checkpointNames } from './checkpoint.js';
import { parseResultsCsv } from './results-csv.js';
import { train } from './train.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = path.join(repoRoot, 'apps', 'cli', 'bin', 'acmix-lab.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-'));

// A small model (the stock yaml at a tiny custom scale) keeps three epochs to a few seconds.
const modelYaml = path.join(tmp, 'tiny.yaml');
const args = {
  model: modelYaml, model_scale: 't', epochs: 3, batch: 4, imgsz: 64, seed: 3, workers: 0,
  warmup_epochs: 0.5, close_mosaic: 1, plots: false, project: tmp,
};

function finalWeights(runDir: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of readSafetensors(path.join(runDir, 'weights', 'last', 'train-state.safetensors'))) {
    if (k.startsWith('model.') || k.startsWith('ema.')) out.set(k, t.data as Float32Array);
  }
  return out;
}

function waitFor(file: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (fs.existsSync(file)) resolve();
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`${file} did not appear within ${timeoutMs} ms`));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

beforeAll(async () => {
  await initBackend();
  const stock = fs.readFileSync(path.join(repoRoot, 'experiments', 'models', 'yolov8.yaml'), 'utf8');
  fs.writeFileSync(modelYaml, stock.replace(/scales:[^\n]*\n/, 'scales:\n  t: [0.33, 0.0625, 1024]\n'));
  await synthDataset({ out: path.join(tmp, 'data'), train: 12, val: 4, imgsz: 64, classes: 2, seed: 1 });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('resume', () => {
  it('continues a run killed at a random point to the same final weights', async () => {
    const data = path.join(tmp, 'data', 'data.yaml');
    const straight = await train({ ...args, data, name: 'straight' }, { log: () => {} });
    expect(straight.epochsRun).toBe(3);

    // Killed somewhere between the end of epoch 1 and the end of the run.
    const name = 'killed';
    const child = spawn(process.execPath, [cli, 'train', `--model=${modelYaml}`, '--data', data, '--name', name,
      ...Object.entries(args).filter(([k]) => k !== 'model').map(([k, v]) => `${k}=${v}`)], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await waitFor(path.join(tmp, name, 'weights', 'last', 'train-state.json'), 240_000);
    await new Promise((r) => setTimeout(r, Math.random() * 1500));
    child.kill('SIGKILL');
    expect(await exited, 'the child finished before it could be killed').toBe('SIGKILL');
    const killedAfter = JSON.parse(fs.readFileSync(path.join(tmp, name, 'weights', 'last', 'train-state.json'), 'utf8')).epoch;
    expect(killedAfter).toBeLessThan(2);

    const resumed = await train({ ...args, data, name, resume: true }, { log: () => {} });
    expect(resumed.epochsRun).toBe(3 - (killedAfter + 1));
    const want = finalWeights(straight.saveDir);
    const got = finalWeights(resumed.saveDir);
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [k, w] of want) {
      const g = got.get(k)!;
      let maxDiff = 0;
      for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(g[i]! - w[i]!));
      expect(maxDiff, k).toBe(0);
    }
    expect(checkpointNames(path.join(resumed.saveDir, 'weights', 'best'))).toEqual(['circle', 'square']);
    const rows = parseResultsCsv(fs.readFileSync(path.join(resumed.saveDir, 'results.csv'), 'utf8'));
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
  });
});
