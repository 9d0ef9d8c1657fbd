// `acmix-lab val`: Ultralytics' metrics table (all classes, then one row per class) or --json.
import type { Command } from 'commander';
import { runValidation } from '@acmix-lab/trainer';
import { globalOptions } from '../global-options.js';
import { positiveInt } from './model.js';

function fraction(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new Error(`expected a number in [0, 1], got "${v}"`);
  return n;
}

export function registerValCommand(program: Command): void {
  program
    .command('val')
    .description('validate a trained model on a dataset split: precision, recall, mAP50, mAP50-95 (Ultralytics definitions)')
    .requiredOption('--model <yaml|dir>', 'model yaml, or a checkpoint directory (runs/…/weights/best)')
    .option('--weights <file|dir>', 'safetensors state_dict (Ultralytics keys) or a checkpoint directory')
    .requiredOption('--data <data.yaml>', 'dataset description')
    .option('--split <split>', 'val, test or train', 'val')
    .option('--scale <s>', 'model scale for a yaml model')
    .option('--imgsz <n>', 'image size', positiveInt, 640)
    .option('--batch <n>', 'batch size', positiveInt, 32)
    .option('--conf <x>', 'confidence threshold', fraction, 0.001)
    .option('--iou <x>', 'NMS IoU threshold', fraction, 0.7)
    .option('--workers <n>', 'data loading threads', (v: string) => Number.parseInt(v, 10))
    .option('--json', 'print one JSON object')
    .action(async (o, cmd: Command) => {
      const res = await runValidation({ ...o, backend: globalOptions(cmd).backend, log: o.json ? () => {} : undefined });
      const m = res.metrics;
      if (o.json) {
        const perClass = Array.from(m.apClassIndex, (c, i) => ({ class: c, name: res.names[c], ap50: m.ap50[i], ap50_95: m.ap[i] }));
        console.log(JSON.stringify({ precision: m.mp, recall: m.mr, map50: m.map50, map50_95: m.map, fitness: m.fitness, images: res.images, losses: res.losses, speed: res.speed, perClass }, null, 2));
        return;
      }
      const row = (name: string, images: number, inst: number, p: number, r: number, a50: number, a: number) =>
        `${name.padStart(22)}${String(images).padStart(11)}${String(inst).padStart(11)}${[p, r, a50, a].map((x) => x.toFixed(3).padStart(11)).join('')}`;
      console.log(`${'Class'.padStart(22)}${'Images'.padStart(11)}${'Instances'.padStart(11)}${'Box(P'.padStart(11)}${'R'.padStart(11)}${'mAP50'.padStart(11)}${'mAP50-95)'.padStart(11)}`);
      const total = m.ntPerClass.reduce((a, b) => a + b, 0);
      console.log(row('all', res.images, total, m.mp, m.mr, m.map50, m.map));
      m.apClassIndex.forEach((c, i) => console.log(row(res.names[c] ?? String(c), res.images, m.ntPerClass[c]!, m.p[i]!, m.r[i]!, m.ap50[i]!, m.ap[i]!)));
      console.log(`Speed: ${res.speed.inference.toFixed(1)}ms inference, ${res.speed.loss.toFixed(1)}ms loss, ${res.speed.postprocess.toFixed(1)}ms postprocess per image`);
    });
}
