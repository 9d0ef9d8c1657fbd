// Sizes of a sweep's variants without training: parameters, gradients and GFLOPs at the training
// image size, and the difference from the base model at the same scale. Each distinct network
// (modelKey) is built once per image size, summarised and disposed before the next.
import path from 'node:path';
import { writeFileAtomic } from '@acmix-lab/runtime';
import { buildModel, modelSummary, parseModelYaml, planModel, type ModelYamlSource } from '@acmix-lab/yolo';
import { modelKey } from './key.js';
import { formatTable } from './table.js';
import type { Sweep } from './sweep-file.js';
import { gridLabels, type Variant } from './variants.js';

export interface VariantSize {
  params: number;
  gradients: number;
  gflops: number;
  imgsz: number;
  /** Minus the base model's (the sweep's `model` at the variant's scale, same imgsz). */
  deltaParams: number;
  deltaGflops: number;
}

type Size = Pick<VariantSize, 'params' | 'gradients' | 'gflops'>;

/** Sizes by variant name; `onProgress(done, total)` after each model built. */
export function measureVariants(sweep: Sweep, variants: readonly Variant[], onProgress?: (done: number, total: number) => void): Map<string, VariantSize> {
  const jobs = new Map<string, { source: ModelYamlSource; scale: string | null; imgsz: number }>();
  const keyOf = (source: ModelYamlSource, scale: string | null, imgsz: number) => {
    const key = `${modelKey(planModel(source, { scale: scale ?? undefined }))}@${imgsz}`;
    if (!jobs.has(key)) jobs.set(key, { source, scale, imgsz });
    return key;
  };
  const oneSeed = [...new Map(variants.map((v) => [v.name, v])).values()];
  const wanted = oneSeed.map((v) => ({
    v, model: keyOf(parseModelYaml(v.modelYaml, v.file), v.scale, v.imgsz), base: keyOf(sweep.model, v.scale, v.imgsz),
  }));
  const sizes = new Map<string, Size>();
  for (const [key, { source, scale, imgsz }] of jobs) {
    const m = buildModel(source, { scale: scale ?? undefined, imgsz });
    try {
      const s = modelSummary(m, imgsz);
      sizes.set(key, { params: s.params, gradients: s.gradients, gflops: s.gflops });
    } finally {
      m.dispose();
    }
    onProgress?.(sizes.size, jobs.size);
  }
  return new Map(wanted.map(({ v, model, base }) => {
    const s = sizes.get(model)!;
    const b = sizes.get(base)!;
    return [v.name, { ...s, imgsz: v.imgsz, deltaParams: s.params - b.params, deltaGflops: s.gflops - b.gflops }];
  }));
}

/** Writes each variant's model yaml once (atomically) into `dir`; returns the paths by variant name. */
export function writeVariantModels(variants: readonly Variant[], dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const v of variants) {
    if (files.has(v.name)) continue;
    const file = path.join(dir, v.file);
    writeFileAtomic(file, v.modelYaml);
    files.set(v.name, file);
  }
  return files;
}

const signed = (x: number, text: string) => (x > 0 ? `+${text}` : x < 0 ? text : '0');

/** The table `acmix-lab variants` prints: one row per variant, its keys by seed. */
export function formatVariantTable(variants: readonly Variant[], sizes: ReadonlyMap<string, VariantSize>): string {
  const byName = new Map<string, Variant[]>();
  for (const v of variants) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  const imgszs = new Set(variants.map((v) => v.imgsz));
  const header = ['variant', 'scale', 'positions', 'grid', 'params', 'Δparams', imgszs.size === 1 ? `GFLOPs@${[...imgszs][0]}` : 'GFLOPs@imgsz', 'ΔGFLOPs', 'key by seed'];
  const rows = [...byName.values()].map((seeds) => {
    const v = seeds[0]!;
    const s = sizes.get(v.name)!;
    const gflops = s.gflops.toFixed(3) + (imgszs.size === 1 ? '' : `@${s.imgsz}`);
    return [
      v.name, v.scale ?? '-', v.positions.join(' ') || '(baseline)',
      gridLabels(v.grid).join(' ') || '-',
      s.params.toLocaleString('en-US'), signed(s.deltaParams, s.deltaParams.toLocaleString('en-US')), gflops,
      signed(s.deltaGflops, s.deltaGflops.toFixed(3)), seeds.map((x) => `${x.seed}:${x.key}`).join(' '),
    ];
  });
  return formatTable(header, rows, new Set([4, 5, 6, 7]));
}
