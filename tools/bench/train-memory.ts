// npm run bench:train-memory — memory of a YOLOv8n training run at batch 16, imgsz 320, 10 epochs on the
// synthetic 96-image set (6 batches an epoch, validation every epoch, DataLoader worker threads): peak RSS
// of the process, and live tensors and RSS after each epoch (after a full garbage collection, so V8's heap
// growth before its first major collection does not read as growth). The small, fast version of the
// no-growth check is packages/trainer/src/train/memory.test.ts.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { synthDataset, train } from '@acmix-lab/trainer';
import { formatTable, recordBenchmark, repoRoot } from './report.js';

const EPOCHS = 10;
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

const dataDir = path.join(os.tmpdir(), 'acmix-lab-bench-synth-320');
if (!fs.existsSync(path.join(dataDir, 'data.yaml'))) await synthDataset({ out: dataDir, train: 96, val: 8, imgsz: 320, classes: 3, seed: 0 });
const project = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-memory-'));
const rows: (string | number)[][] = [];
const t0 = performance.now();
await train({
  model: path.join(repoRoot, 'experiments/models/yolov8.yaml'), model_scale: 'n', data: path.join(dataDir, 'data.yaml'),
  epochs: EPOCHS, batch: 16, imgsz: 320, project, name: 'run', plots: false,
}, {
  log: () => {},
  epoch: (r) => {
    collectGarbage();
    const m = process.memoryUsage();
    rows.push([r.epoch, tf.memory().numTensors, mib(tf.memory().numBytes), mib(m.rss), mib(m.heapUsed), mib(process.resourceUsage().maxRSS * 1024)]);
    console.log(rows.at(-1)!.join('  '));
  },
});
fs.rmSync(project, { recursive: true, force: true });
const [first, last] = [rows[0]!, rows.at(-1)!];
const change = (i: number) => `${((100 * (Number(last[i]) - Number(first[i]))) / Number(first[i])).toFixed(1)}%`;
rows.push([`change, epoch 1 → ${EPOCHS}`, change(1), change(2), change(3), change(4), '']);
const table = formatTable(['after epoch', 'live tensors', 'tensor MiB', 'RSS MiB', 'JS heap MiB', 'peak RSS MiB so far'], rows);
const note = `YOLOv8n, batch 16, imgsz 320, ${EPOCHS} epochs of the synthetic 96-image set (validation every epoch, default workers), ` +
  `${((performance.now() - t0) / 60000).toFixed(1)} min. Peak RSS is the process's maximum resident set (getrusage), worker threads included.`;
console.log(`\n${table}\n\n${note}`);
recordBenchmark('bench:train-memory', 'npm run bench:train-memory', `${table}\n\n${note}`);
