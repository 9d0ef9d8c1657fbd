// npx tsx tools/bench/route-identity.ts ACMIX_LAB_<SWITCH> [yolov8n|seed-v1] [steps]: whether a route switch changes
// training, and what it saves. The same model (seed 0) trains `steps` full steps on bench:train's fixed batch
// (TrainingStep: accumulation over 4 batches, optimizer, EMA) with the switch at 0 and unset, in this process; the
// weights, the EMA and the optimizer state are hashed after each run (sha-256 of their bytes, by name), and the native
// ops of one step are counted by name for both. A bit-identical route prints the same three hashes twice.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from '@acmix-lab/yolo';
import { DataLoader, loadDataYaml, resolveTrainConfig, scanSplit, synthDataset, TrainingStep, type Batch } from '@acmix-lab/trainer';
import { repoRoot } from './report.js';
import { timeNativeOps } from './step-profile.js';

const [name, which = 'yolov8n', stepsArg = '12'] = process.argv.slice(2);
if (!name?.startsWith('ACMIX_LAB_')) throw new Error('usage: route-identity.ts ACMIX_LAB_<SWITCH> [yolov8n|seed-v1] [steps]');
const yaml = which === 'seed-v1' ? 'experiments/models/yolov8-acmix-neck.yaml' : 'experiments/models/yolov8.yaml';
const STEPS = Number(stepsArg);

function hash(map: tf.NamedTensorMap): string {
  const h = crypto.createHash('sha256');
  for (const key of Object.keys(map).sort()) {
    const data = map[key]!.dataSync() as Float32Array;
    h.update(key).update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

async function fixedBatch(): Promise<Batch> {
  const dataDir = path.join(os.tmpdir(), 'acmix-lab-bench-synth-320');
  if (!fs.existsSync(path.join(dataDir, 'data.yaml'))) await synthDataset({ out: dataDir, train: 96, val: 8, imgsz: 320, classes: 3, seed: 0 });
  const data = loadDataYaml(path.join(dataDir, 'data.yaml'));
  const loader = new DataLoader({ items: scanSplit(data.train, data.nc, { log: () => {} }).items, imgsz: 320, batchSize: 16, augment: true, seed: 0 });
  try {
    return (await loader.epoch(0).next()).value as Batch;
  } finally {
    await loader.close();
  }
}

/** STEPS steps from seed 0; the hashes of weights, EMA and optimizer, and the native ops of the last step by name. */
function train(batch: Batch) {
  const model = buildModel(path.join(repoRoot, yaml), { scale: 'n', nc: 3, seed: 0 });
  const config = resolveTrainConfig({ model: 'bench', data: 'bench', batch: 16, imgsz: 320, epochs: 100 });
  const step = new TrainingStep(model, config, { nc: 3, images: 96, nb: 6 });
  const ops = new Map<string, number>();
  let counting = false;
  const restore = timeNativeOps((label) => { if (counting && !label.startsWith('#')) ops.set(label, (ops.get(label) ?? 0) + 1); });
  try {
    for (let i = 0; i < STEPS; i++) {
      counting = i === STEPS - 2; // not an optimizer step (every 4th)
      step.run(batch, 300 + i, 3);
    }
  } finally {
    restore();
  }
  const optimizer = step.loop.exportState().optimizer;
  const weights = model.model.weights.map((w) => w.read());
  const hashes = { weights: hash(Object.fromEntries(weights.map((w, i) => [String(i), w]))), ema: hash(step.ema.state), optimizer: hash(optimizer) };
  tf.dispose(optimizer);
  step.dispose();
  model.dispose();
  return { hashes, ops };
}

await initBackend();
const batch = await fixedBatch();
process.env[name] = '0';
const off = train(batch);
delete process.env[name];
const on = train(batch);
console.log(`${which}, ${STEPS} steps: hashes ${name}=0 ${JSON.stringify(off.hashes)}\n${' '.repeat(which.length + 19)}default ${JSON.stringify(on.hashes)}`);
console.log(JSON.stringify(off.hashes) === JSON.stringify(on.hashes) ? 'bit-identical' : 'DIFFERENT');
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const changed = [...new Set([...off.ops.keys(), ...on.ops.keys()])].filter((k) => off.ops.get(k) !== on.ops.get(k))
  .map((k) => `${k} ${off.ops.get(k) ?? 0} → ${on.ops.get(k) ?? 0}`);
console.log(`native ops per step ${total(off.ops)} → ${total(on.ops)}: ${changed.join(', ')}`);
