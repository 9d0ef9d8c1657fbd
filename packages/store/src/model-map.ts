// The model map a sweep carries in sweeps.spec.model_map: the base model's layers (as
// `acmix-lab model` lists them) and where each candidate position sits, with its cost. The sweep
// runner writes it; the dashboard draws it. One zod schema is the contract both sides import.
import { z } from 'zod';
import { fieldName } from '@acmix-lab/runtime/yaml-config';
import { StoreError } from './database.js';
import type { SweepRecord } from './records.js';

const count = z.number().int().nonnegative();

const modelMapLayer = z.object({
  index: count,
  /** packages/yolo's names of the layer: `backbone.4`, `backbone.P3`, `neck.P3`, `detect`, … */
  names: z.array(z.string()),
  /** backbone: the yaml's backbone list; neck: its head list before Detect; head: Detect. */
  section: z.enum(['backbone', 'neck', 'head']),
  /** The yaml's module name: `Conv`, `C2f`, `Concat`, `Detect`, … */
  module: z.string(),
  /** The yaml's `from`: -1, an index, or a list of them. */
  from: z.union([z.number().int(), z.array(z.number().int())]),
  /** Output channels at the map's scale. */
  c2: count,
  /** Output stride relative to the input image (8 for a P3 feature map). */
  stride: z.number().positive(),
  params: count,
}).strict();

const modelMapPosition = z.object({
  /** after: a new layer after `layer`; replace: the module in its place; residual: its C2f becomes C2f_<module>. */
  kind: z.enum(['after', 'replace', 'residual']),
  /** The base model's layer index. */
  layer: count,
  /** Parameters and GFLOPs (at imgsz) this position adds to the base model on its own. */
  params_delta: z.number(),
  gflops_delta: z.number(),
}).strict();

export const modelMapSchema = z.object({
  /** The base model yaml. */
  model: z.string(),
  scale: z.string(),
  /** The image size GFLOPs are counted at. */
  imgsz: z.number().int().positive(),
  layers: z.array(modelMapLayer).min(1),
  /** The sweep's candidate positions by name (`P3`, `B7`, …). */
  positions: z.record(z.string(), modelMapPosition),
}).strict().superRefine((map, ctx) => {
  map.layers.forEach((layer, i) => {
    if (layer.index !== i) ctx.addIssue({ code: 'custom', path: ['layers', i, 'index'], message: `expected ${i}: layers are listed in index order` });
  });
  for (const [name, position] of Object.entries(map.positions)) {
    if (position.layer >= map.layers.length) {
      ctx.addIssue({ code: 'custom', path: ['positions', name, 'layer'], message: `no layer ${position.layer} (the model has ${map.layers.length})` });
    }
  }
});

export type ModelMap = z.infer<typeof modelMapSchema>;
export type ModelMapLayer = ModelMap['layers'][number];
export type ModelMapPosition = ModelMap['positions'][string];

/** The sweep's model map; null when its spec has none (a sweep from before maps, imported runs). */
export function sweepModelMap(sweep: SweepRecord): ModelMap | null {
  const spec = sweep.spec;
  if (spec === null || typeof spec !== 'object' || !('model_map' in spec)) return null;
  const result = modelMapSchema.safeParse(spec.model_map);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  throw new StoreError(`sweep ${sweep.name}: ${fieldName(['spec', 'model_map', ...path])}: ${issue.message}`);
}
