// `acmix-lab val`: a trained model (checkpoint directory, or yaml + safetensors state_dict) on a
// dataset split, with Ultralytics' validation settings and metrics.
import { modelImgsz, openModel } from '@acmix-lab/yolo';
import { initBackend } from '@acmix-lab/runtime';
import { loadDataYaml } from '../data/data-yaml.js';
import { DataLoader } from '../data/loader.js';
import { scanSplit } from '../data/scan.js';
import { validate, type ValidationReport } from './validate.js';

export interface ValRunOptions {
  model: string;
  weights?: string;
  data: string;
  scale?: string;
  split?: 'val' | 'test' | 'train';
  imgsz?: number;
  batch?: number;
  conf?: number;
  iou?: number;
  maxDet?: number;
  workers?: number;
  backend?: string;
  log?: (line: string) => void;
}

export interface ValRunResult extends ValidationReport {
  names: string[];
  images: number;
}

export class ValRunError extends Error {
  override name = 'ValRunError';
}

export async function runValidation(o: ValRunOptions): Promise<ValRunResult> {
  const log = o.log ?? ((line: string) => console.log(line));
  await initBackend(o.backend);
  const data = loadDataYaml(o.data);
  const split = o.split ?? 'val';
  const sources = data[split];
  if (!sources) throw new ValRunError(`${o.data}: no '${split}' split`);
  const scanned = scanSplit(sources, data.nc, { prefix: split, log });
  const model = await openModel({ model: o.model, weights: o.weights, scale: o.scale });
  try {
    if (model.nc !== data.nc) throw new ValRunError(`model has ${model.nc} classes but ${o.data} has ${data.nc}`);
    // validator.py: imgsz = check_imgsz(imgsz, stride=model.stride)
    const imgsz = modelImgsz(model, o.imgsz ?? 640, log);
    const loader = new DataLoader({ items: scanned.items, imgsz, batchSize: o.batch ?? 32, augment: false, workers: o.workers });
    try {
      const report = await validate(model, loader, { nc: data.nc, conf: o.conf, iou: o.iou, maxDet: o.maxDet });
      return { ...report, names: data.names, images: scanned.items.length };
    } finally {
      await loader.close();
    }
  } finally {
    model.dispose();
  }
}
