// `acmix-lab predict`: detections on images, printed, as JSON, and drawn on copies with --save-dir.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { decodeImage, drawDetections, encodeJpeg, encodePng, openModel, predictImage } from '@acmix-lab/yolo';
import { checkpointNames } from '@acmix-lab/trainer';
import { backendFor } from '../global-options.js';
import { positiveInt } from './model.js';

interface PredictFlags {
  model: string;
  weights?: string;
  scale?: string;
  imgsz: number;
  conf: number;
  iou: number;
  maxDet: number;
  names?: string[];
  json?: boolean;
  saveDir?: string;
}

function unitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return n;
}

/** Ultralytics' Results.tojson shape: one entry per box. */
export interface DetectionJson {
  name: string;
  class: number;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

export function detectionsJson(rows: Float32Array, names: readonly string[]): DetectionJson[] {
  const out: DetectionJson[] = [];
  for (let i = 0; i + 6 <= rows.length; i += 6) {
    const cls = rows[i + 5]!;
    out.push({
      name: names[cls] ?? String(cls), class: cls, confidence: rows[i + 4]!,
      box: { x1: rows[i]!, y1: rows[i + 1]!, x2: rows[i + 2]!, y2: rows[i + 3]! },
    });
  }
  return out;
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('detect objects in images: print boxes, or JSON, and draw them on copies with --save-dir')
    .argument('<images...>', 'image files (jpg, png, webp, bmp, gif)')
    .requiredOption('--model <yaml|dir>', 'model yaml, or a saved model directory')
    .option('--weights <file|dir>', 'PyTorch state_dict (safetensors, Ultralytics keys) or a saved model directory')
    .option('--scale <s>', "model scale (a key of the yaml's scales)")
    .option('--imgsz <n>', 'inference size, rounded up to a multiple of the stride', positiveInt, 640)
    .option('--conf <x>', 'confidence threshold', unitInterval, 0.25)
    .option('--iou <x>', 'NMS IoU threshold', unitInterval, 0.7)
    .option('--max-det <n>', 'maximum detections per image', positiveInt, 300)
    .option('--names <list>', 'class names, comma-separated (default: the names recorded by training in a checkpoint, else the class index)', (v: string) => v.split(','))
    .option('--json', 'print one JSON array: [{image, width, height, detections: [{name, class, confidence, box}]}]')
    .option('--save-dir <dir>', 'write a copy of each image with its boxes drawn')
    .action(async (images: string[], opts: PredictFlags, cmd: Command) => {
      await backendFor(cmd);
      const model = await openModel(opts);
      try {
        // --names, else the names a training run recorded in its checkpoint, else the class index.
        const saved = checkpointNames(opts.weights ?? opts.model);
        const names = Array.from({ length: model.nc ?? 0 }, (_, i) => opts.names?.[i] ?? saved?.[i] ?? String(i));
        if (opts.saveDir) fs.mkdirSync(opts.saveDir, { recursive: true });
        const results = [];
        for (const file of images) {
          const img = decodeImage(file);
          const rows = predictImage(model, img, { imgsz: opts.imgsz, conf: opts.conf, iou: opts.iou, maxDet: opts.maxDet });
          const detections = detectionsJson(rows, names);
          results.push({ image: file, width: img.width, height: img.height, detections });
          if (opts.saveDir) {
            const drawn = drawDetections(img, rows, names);
            const png = path.extname(file).toLowerCase() === '.png';
            const out = path.join(opts.saveDir, png ? path.basename(file) : `${path.parse(file).name}.jpg`);
            fs.writeFileSync(out, png ? encodePng(drawn) : encodeJpeg(drawn));
          }
          if (!opts.json) {
            console.log(`${file}: ${img.width}×${img.height}, ${detections.length} detection${detections.length === 1 ? '' : 's'}`);
            for (const d of detections) {
              const b = [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => v.toFixed(1)).join(', ');
              console.log(`  ${d.name.padEnd(12)} ${d.confidence.toFixed(3)}  [${b}]`);
            }
          }
        }
        if (opts.json) console.log(JSON.stringify(results, null, 2));
        if (opts.saveDir && !opts.json) console.log(`drawn images saved to ${opts.saveDir}`);
      } finally {
        model.dispose();
      }
    });
}
