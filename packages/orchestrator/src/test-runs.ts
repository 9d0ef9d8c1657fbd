// Test helpers for sweeps that really train (exported as @acmix-lab/orchestrator/testing, for tests only):
// the trainer's tiny YOLOv8 (scale t) and a synthetic dataset in a temporary folder, sweep files over them,
// and a look at a run's epochs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openReader, type RunRecord } from '@acmix-lab/store';
import { parseResultsCsv } from '@acmix-lab/trainer';
import { writeTinyModelYaml } from '@acmix-lab/trainer/testing';

/** Training arguments that keep an epoch of the tiny model on 12 images to a few seconds. */
export const TINY_TRAIN = '{epochs: 3, batch: 4, imgsz: 64, warmup_epochs: 0.5, close_mosaic: 1, plots: false}';

/** A temporary folder with tiny.yaml; sweeps written by `tinySweep` share its synthetic dataset (data/). */
export function tinyWorkspace(): { dir: string; sweep: (name: string, body: string) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-runs-'));
  const model = writeTinyModelYaml(dir);
  const sweep = (name: string, body: string) => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, `name: ${name}\nmodel: ${model}\nscales: [t]\ndata: ${path.join(dir, 'data', 'data.yaml')}\n`
      + `synth: {train: 12, val: 4, imgsz: 64, classes: 2, seed: 1}\n${body}`);
    return file;
  };
  return { dir, sweep };
}

/** Epoch numbers in the store's metrics and in the run's results.csv. */
export function loggedEpochs(dbFile: string, run: Pick<RunRecord, 'id' | 'run_dir'>): { store: number[]; csv: number[] } {
  const reader = openReader(dbFile);
  try {
    const csv = parseResultsCsv(fs.readFileSync(path.join(run.run_dir!, 'results.csv'), 'utf8')).map((r) => r.epoch);
    return { store: reader.runMetrics(run.id).map((m) => m.epoch), csv };
  } finally {
    reader.close();
  }
}
