// npx tsx tools/bench/route-identity.ts ACMIX_LAB_<SWITCH> [yolov8n|seed-v1] [steps]: whether a route switch changes
// training, and what it saves. Two copies of the same model (seed 0) train `steps` full steps each on bench:train's
// fixed batch (TrainingStep: accumulation over 4 batches, optimizer, EMA), one with the switch at 0 and one without,
// alternating step by step (ABBA) in this process; then the weights, the EMA and the optimizer state are hashed
// (sha-256 of their bytes), the native ops of one step counted by name, and the medians of wall time per step and of
// CPU time per step phase printed for both. A bit-identical route prints the same three hashes twice.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from '@acmix-lab/yolo';
import { DataLoader, resolveTrainConfig, TrainingStep, variablesByKey, type Batch, type StepPhase } from '@acmix-lab/trainer';
import { BENCH_CLASSES, BENCH_IMGSZ, benchTrainItems } from './bench-data.js';
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
  const loader = new DataLoader({ items: await benchTrainItems(), imgsz: BENCH_IMGSZ, batchSize: 16, augment: true, seed: 0 });
  try {
    return (await loader.epoch(0).next()).value as Batch;
  } finally {
    await loader.close();
  }
}

/** A model from seed 0 and its training step, with per-phase CPU time and the native ops of one step by name. */
function trainer(batch: Batch) {
  const model = buildModel(path.join(repoRoot, yaml), { scale: 'n', nc: BENCH_CLASSES, seed: 0 });
  const config = resolveTrainConfig({ model: 'bench', data: 'bench', batch: 16, imgsz: BENCH_IMGSZ, epochs: 100 });
  const cpu = new Map<string, number[]>();
  let phase: StepPhase = 'done';
  let mark = process.cpuUsage();
  const onPhase = (next: StepPhase) => {
    const c = process.cpuUsage(mark);
    mark = process.cpuUsage();
    if (phase !== 'done') cpu.set(phase, [...(cpu.get(phase) ?? []), (c.user + c.system) / 1000]);
    phase = next;
  };
  const step = new TrainingStep(model, config, { nc: BENCH_CLASSES, images: 96, nb: 6 }, { onPhase });
  const ops = new Map<string, number>();
  const wall: number[] = [];
  let i = 0;
  return {
    cpu, ops, wall,
    /** One step; the native ops of step 2 (not an optimizer step: those come every 4th) are counted. */
    step() {
      const restore = i === 2 ? timeNativeOps((label) => { if (!label.startsWith('#')) ops.set(label, (ops.get(label) ?? 0) + 1); }) : () => {};
      const t0 = performance.now();
      try {
        step.run(batch, 300 + i++, 3);
      } finally {
        restore();
      }
      wall.push(performance.now() - t0);
    },
    /** Hashes of the weights, the EMA and the optimizer state; disposes the model. */
    finish() {
      const optimizer = step.loop.exportState().optimizer;
      const hashes = { weights: hash(variablesByKey(model)), ema: hash(step.ema.state), optimizer: hash(optimizer) };
      tf.dispose(optimizer);
      step.dispose();
      model.dispose();
      return hashes;
    },
  };
}

await initBackend();
const batch = await fixedBatch();
const off = trainer(batch);
const on = trainer(batch);
// Alternating ABBA, step by step: the switch at 0 for `off`, unset for `on`.
for (let k = 0; k < STEPS; k++) {
  for (const side of k % 2 ? [on, off] : [off, on]) {
    if (side === off) process.env[name] = '0';
    else delete process.env[name];
    side.step();
  }
}
delete process.env[name];
const hashes = { off: off.finish(), on: on.finish() };
console.log(`${which}, ${STEPS} steps: hashes ${name}=0 ${JSON.stringify(hashes.off)}\n${' '.repeat(which.length + 19)}default ${JSON.stringify(hashes.on)}`);
console.log(JSON.stringify(hashes.off) === JSON.stringify(hashes.on) ? 'bit-identical' : 'DIFFERENT');
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const changed = [...new Set([...off.ops.keys(), ...on.ops.keys()])].filter((k) => off.ops.get(k) !== on.ops.get(k))
  .map((k) => `${k} ${off.ops.get(k) ?? 0} → ${on.ops.get(k) ?? 0}`);
console.log(`native ops per step ${total(off.ops)} → ${total(on.ops)}: ${changed.join(', ')}`);
// Medians past the first 4 samples (warm-up: kernels' primitives, the optimizer's buffers); the EMA runs every 4th step.
const median = (xs: number[]) => {
  const kept = xs.length > 4 ? xs.slice(4) : xs;
  return [...kept].sort((a, b) => a - b)[kept.length >> 1]!;
};
const row = (label: string, a: number[], b: number[]) => `${label.padEnd(14)} ${median(a).toFixed(1).padStart(8)} → ${median(b).toFixed(1).padStart(8)} ms  (${(median(a) / median(b)).toFixed(3)}×)`;
console.log(`medians past the first 4 of ${STEPS} steps each, load ${os.loadavg()[0]!.toFixed(1)}:`);
console.log(row('wall', off.wall, on.wall));
for (const phase of off.cpu.keys()) console.log(row(`CPU ${phase}`, off.cpu.get(phase)!, on.cpu.get(phase)!));
