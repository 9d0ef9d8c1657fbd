// npm run bench:loader — training-batch throughput of the DataLoader (mosaic, random affine, HSV,
// flips; imgsz 320, batch 16) on the synthetic dataset, in-process and with worker threads, alone
// and next to a simulated synchronous training step (the main thread busy, as under tfjs-node),
// which is where the workers' overlap shows.
// Each setting runs `--repeats` times and the best run counts: other jobs on a shared machine only
// ever slow a run down.
//   npm run bench:loader [-- --imgsz 320 --batch 16 --epochs 2 --step-ms 500 --repeats 3 --no-record]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataLoader, loadDataYaml, scanSplit, synthDataset, type LabeledImage } from '@acmix-lab/trainer';
import { flag, formatTable, recordBenchmark } from './report.js';

const imgsz = flag('imgsz', 320);
const batchSize = flag('batch', 16);
const epochs = flag('epochs', 2);
const stepMs = flag('step-ms', 500);
const repeats = flag('repeats', 3);

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function run(workers: number, step: number, items: LabeledImage[]) {
  const loader = new DataLoader({ items, imgsz, batchSize, augment: true, workers, seed: 0 });
  try {
    for await (const warm of loader.epoch(0)) void warm; // warm-up: thread start, JIT, image cache
    const t0 = performance.now();
    const cpu0 = process.cpuUsage(); // all threads of the process, workers included
    let images = 0;
    for (let e = 1; e <= epochs; e++) {
      for await (const b of loader.epoch(e)) {
        images += b.size;
        busyWait(step);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    return { ips: images / ((performance.now() - t0) / 1000), cpuMsPerImage: (cpu.user + cpu.system) / 1000 / images };
  } finally {
    await loader.close();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-loader-'));
try {
  const { yamlFile } = await synthDataset({ out: path.join(dir, 'synth'), train: 64, val: 1, imgsz: 128, classes: 3, seed: 0 });
  const cfg = loadDataYaml(yamlFile);
  const { items } = scanSplit(cfg.train, cfg.nc, { log: () => {} });
  const rows: (string | number)[][] = [];
  for (const step of [0, stepMs]) {
    for (const workers of [0, 1, 2]) {
      let best = { ips: 0, cpuMsPerImage: Infinity };
      for (let r = 0; r < repeats; r++) {
        const m = await run(workers, step, items);
        best = { ips: Math.max(best.ips, m.ips), cpuMsPerImage: Math.min(best.cpuMsPerImage, m.cpuMsPerImage) };
      }
      const { ips, cpuMsPerImage } = best;
      const bound = step ? (batchSize * 1000) / step : Infinity;
      const cpuCell = step ? '-' : cpuMsPerImage.toFixed(1); // with a step, its busy-wait is in the CPU time too
      rows.push([workers, step ? `${step} ms` : '-', ips.toFixed(1), step ? `${((100 * ips) / bound).toFixed(0)}%` : '-', cpuCell]);
      console.log(`workers ${workers}, step ${step} ms: ${ips.toFixed(1)} img/s${step ? '' : `, ${cpuCell} CPU ms/image`}`);
    }
  }
  const table = formatTable(['workers', 'simulated step', 'images/s', 'of step-bound rate', 'loader CPU ms/image'], rows);
  const load = os.loadavg().map((v) => v.toFixed(1)).join(' / ');
  const body = `Synthetic dataset (64 images of 128 px), imgsz ${imgsz}, batch ${batchSize}, mosaic 1.0 and Ultralytics' default augmentation, `
    + `${epochs} timed epochs after one warm-up epoch, best of ${repeats} runs. "Simulated step" busy-waits the main thread per batch like a synchronous `
    + `tfjs-node training step; 100% means data loading is fully hidden behind it. "Loader CPU ms/image" is the process's CPU time `
    + `(all threads) per image without a step: on idle cores one thread delivers about 1000 / that images/s. `
    + `Load average at the end (other jobs share the machine): ${load}.\n\n${table}`;
  console.log(`\n${table}\nload average ${load}`);
  if (!process.argv.includes('--no-record')) recordBenchmark('bench:loader', 'npm run bench:loader', body);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
