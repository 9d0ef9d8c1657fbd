// Train several model variants with identical arguments on one dataset and compare them: the
// first form of the placement sweep (the demo). Configured by a plain-data yaml (experiments/demo.yaml).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readYamlFile, validateYaml, writeFileAtomic } from '@acmix-lab/runtime';
import { synthDataset } from '../data/synth.js';
import { train, type TrainHooks, type TrainResult } from '../train/train.js';
import type { TrainConfigInput } from '../train/config.js';

const compareSchema = z.object({
  dataset: z.object({
    out: z.string(),
    train: z.number().int().positive().optional(),
    val: z.number().int().positive().optional(),
    imgsz: z.number().int().positive().optional(),
    classes: z.number().int().positive().optional(),
    seed: z.number().int().nonnegative().optional(),
  }).strict(),
  train: z.record(z.string(), z.unknown()),
  variants: z.array(z.object({ name: z.string().min(1), model: z.string().min(1), model_scale: z.string().optional() }).strict()).min(1),
}).strict();

export type CompareConfig = z.infer<typeof compareSchema>;

export interface VariantResult {
  name: string;
  model: string;
  params: number;
  gflops: number;
  map50: number;
  map50_95: number;
  precision: number;
  recall: number;
  epochs: number;
  seconds: number;
  saveDir: string;
}

export function readCompareConfig(file: string): CompareConfig {
  return validateYaml(readYamlFile(file), compareSchema);
}

/** Paths in the config are relative to `root` (the repository root for experiments/*.yaml). */
export async function runComparison(config: CompareConfig, root: string, hooks: TrainHooks & { overrides?: Partial<TrainConfigInput> } = {}): Promise<VariantResult[]> {
  const log = hooks.log ?? ((line: string) => console.log(line));
  const abs = (p: string) => path.resolve(root, p);
  const dataYaml = path.join(abs(config.dataset.out), 'data.yaml');
  if (!fs.existsSync(dataYaml)) {
    log(`Generating the synthetic dataset in ${abs(config.dataset.out)} ...`);
    await synthDataset({ ...config.dataset, out: abs(config.dataset.out) });
  }
  const results: VariantResult[] = [];
  for (const v of config.variants) {
    log(`\n=== ${v.name} (${v.model}${v.model_scale ? `, scale ${v.model_scale}` : ''}) ===`);
    const t0 = performance.now();
    const args = { ...config.train, ...hooks.overrides } as Record<string, unknown>;
    const input = {
      ...args, model: abs(v.model), model_scale: v.model_scale ?? null, data: dataYaml, name: v.name,
      project: abs(String(args.project ?? 'runs/compare')),
    } as TrainConfigInput;
    const r: TrainResult = await train(input, hooks);
    const m = r.final?.metrics;
    results.push({
      name: v.name, model: v.model, params: r.params, gflops: r.gflops, map50: m?.map50 ?? 0, map50_95: m?.map ?? 0,
      precision: m?.mp ?? 0, recall: m?.mr ?? 0, epochs: r.epochsRun, seconds: (performance.now() - t0) / 1000, saveDir: r.saveDir,
    });
  }
  return results;
}

/** `imgsz`: the size the GFLOPs were computed at (the training size), shown in the header. */
export function formatComparison(results: VariantResult[], imgsz?: number): string {
  const header = ['variant', 'params', imgsz ? `GFLOPs@${imgsz}` : 'GFLOPs', 'P', 'R', 'mAP50', 'mAP50-95', 'epochs', 'time'];
  const rows = results.map((r) => [r.name, r.params.toLocaleString('en-US'), r.gflops.toFixed(2), r.precision.toFixed(3), r.recall.toFixed(3),
    r.map50.toFixed(3), r.map50_95.toFixed(3), String(r.epochs), `${(r.seconds / 60).toFixed(1)} min`]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function writeComparison(file: string, results: VariantResult[]): void {
  writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
}
