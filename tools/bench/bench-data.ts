// The data bench:train and route-identity.ts train on: the synthetic shapes dataset (96 training images at
// 320 px, 3 classes), made once in the temp directory and reused by later runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataYaml, scanSplit, synthDataset, type LabeledImage } from '@acmix-lab/trainer';

export const BENCH_IMGSZ = 320;
export const BENCH_CLASSES = 3;

/** The training images of the bench dataset, with their labels. */
export async function benchTrainItems(): Promise<LabeledImage[]> {
  const dataDir = path.join(os.tmpdir(), 'acmix-lab-bench-synth-320');
  if (!fs.existsSync(path.join(dataDir, 'data.yaml'))) {
    await synthDataset({ out: dataDir, train: 96, val: 8, imgsz: BENCH_IMGSZ, classes: BENCH_CLASSES, seed: 0 });
  }
  const data = loadDataYaml(path.join(dataDir, 'data.yaml'));
  return scanSplit(data.train, data.nc, { log: () => {} }).items;
}
