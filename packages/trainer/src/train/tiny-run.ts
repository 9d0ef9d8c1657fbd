// Test support for runs that really train (exported as @acmix-lab/trainer/testing): a tiny model, small
// fast arguments, a SIGKILL after the first checkpoint, and a comparison of final weights. Used by the
// trainer's resume test (through the API) and the CLI's train tests (through the command).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@acmix-lab/runtime';
import { readTrainState } from './checkpoint.js';
import { runFiles } from './run-dir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The acmix-lab command's entry point, to spawn with process.execPath. */
export const CLI_BIN = path.join(repoRoot, 'apps', 'cli', 'bin', 'acmix-lab.js');

/** Arguments that keep three epochs of the tiny model on a 12-image dataset to a few seconds. */
export const TINY_ARGS = {
  model_scale: 't', epochs: 3, batch: 4, imgsz: 64, seed: 3, workers: 0, warmup_epochs: 0.5, close_mosaic: 1, plots: false,
} as const;

/** The stock YOLOv8 yaml with one tiny scale `t` (width 1/16), written to `dir`; returns its path. */
export function writeTinyModelYaml(dir: string): string {
  const stock = fs.readFileSync(path.join(repoRoot, 'experiments', 'models', 'yolov8.yaml'), 'utf8');
  const file = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(file, stock.replace(/scales:[^\n]*\n/, 'scales:\n  t: [0.33, 0.0625, 1024]\n'));
  return file;
}

function waitForFile(file: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (fs.existsSync(file)) resolve();
      else if (child.exitCode !== null) reject(new Error(`the training process exited (${child.exitCode}) before ${file} appeared`));
      else if (Date.now() - t0 > timeoutMs) reject(new Error(`${file} did not appear within ${timeoutMs} ms`));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

/**
 * SIGKILLs a training process at a random moment after `runDir` got its first checkpoint: within a quarter of the
 * first epoch's duration (args.yaml is written as training starts) and at most 300 ms, so the kill lands in epoch 2
 * however fast the step is (on an idle machine the tiny run's first epoch took 0.7 s, and its last two and the
 * exit 0.9 s after the first checkpoint: a 1.5 s window missed them). Returns the last complete epoch (0-based)
 * its weights/last holds. Fails when the process ended before the kill.
 */
export async function killAfterFirstCheckpoint(child: ChildProcess, runDir: string, timeoutMs = 240_000): Promise<number> {
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const files = runFiles(runDir);
  await waitForFile(files.args, timeoutMs, child);
  const started = Date.now();
  await waitForFile(path.join(files.last, 'train-state.json'), timeoutMs, child);
  const firstEpochMs = Date.now() - started;
  await new Promise((r) => setTimeout(r, Math.random() * Math.min(300, firstEpochMs / 4)));
  child.kill('SIGKILL');
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the training process finished before it could be killed (first epoch ${firstEpochMs} ms)`);
  return readTrainState(files.last).epoch;
}

/** Names of the raw and EMA weights of weights/last that differ at all between two runs. */
export function differingWeights(runA: string, runB: string): string[] {
  const read = (dir: string) => readSafetensors(path.join(runFiles(dir).last, 'train-state.safetensors'));
  const a = read(runA);
  const b = read(runB);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => k.startsWith('model.') || k.startsWith('ema.'));
  return keys.filter((k) => {
    const x = a.get(k)?.data;
    const y = b.get(k)?.data;
    return !x || !y || x.length !== y.length || x.some((v, i) => v !== y[i]);
  });
}
