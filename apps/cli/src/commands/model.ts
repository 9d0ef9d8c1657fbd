// `acmix-lab model M.yaml`: build a model yaml and print Ultralytics' model info (per-layer table,
// layers, parameters, gradients, GFLOPs at --imgsz), or one JSON object with --json.
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { buildModel, formatSummary, guessModelScale, loadModelYaml, modelSummary, planModel } from '@acmix-lab/yolo';
import { backendFor } from '../global-options.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || value.trim() === '') throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}

interface ModelOptions {
  scale?: string;
  imgsz: number;
  nc?: number;
  json?: boolean;
}

export function registerModelCommand(program: Command): void {
  program
    .command('model')
    .description('build a model yaml and print its summary like Ultralytics (layers, parameters, GFLOPs)')
    .argument('<yaml>', 'model yaml; yolov8n.yaml stands for yolov8.yaml at scale n, as in Ultralytics')
    .option('--scale <s>', 'model scale (a key of the yaml\'s scales); default from the file name, else the first')
    .option('--imgsz <n>', 'image size for GFLOPs', positiveInt, 640)
    .option('--nc <n>', 'override the yaml\'s number of classes', positiveInt)
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: ModelOptions, cmd: Command) => {
      const build = { scale: opts.scale, nc: opts.nc, imgsz: opts.imgsz };
      const source = loadModelYaml(file);
      planModel(source, build); // yaml errors first, before TensorFlow loads
      await backendFor(cmd);
      const m = buildModel(source, build);
      try {
        for (const w of m.plan.warnings) process.stderr.write(`acmix-lab: warning: ${w}\n`);
        const s = modelSummary(m, opts.imgsz);
        if (opts.json) {
          console.log(JSON.stringify({
            model: file, scale: m.scale, nc: m.nc, ch: m.ch, strides: m.strides, imgsz: s.imgsz,
            layerCount: s.layerCount, params: s.params, gradients: s.gradients, gflops: s.gflops, layers: s.layers,
          }, null, 2));
          return;
        }
        const stem = path.basename(file, path.extname(file));
        console.log(formatSummary(s, m.scale && guessModelScale(file) !== m.scale ? `${stem} (scale ${m.scale})` : stem));
      } finally {
        m.dispose();
      }
    });
}
