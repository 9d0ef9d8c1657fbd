// The model maps a sweep carries in sweeps.spec.model_maps, one per scale: the base model's layers (as
// `acmix-lab model` lists them) and where each candidate position sits, with each module's cost there.
// The sweep runner writes them; the dashboard draws them. One zod schema is the contract both sides import.
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

/** Parameters and GFLOPs (at the map's imgsz) a module at this position adds to the base model on its own. */
const modelMapCost = z.object({ params_delta: z.number(), gflops_delta: z.number() }).strict();

const modelMapPosition = z.object({
  /** after: a new layer after `layer`; replace: the module in its place; residual: its C2f becomes C2f_<module>. */
  kind: z.enum(['after', 'replace', 'residual']),
  /** The base model's layer index. */
  layer: count,
  /** The cost of each of the sweep's modules here, by module name (`ACmix`, `CBAM`, …). */
  costs: z.record(z.string(), modelMapCost),
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
export type ModelMapCost = ModelMapPosition['costs'][string];

type Spec = { model_map?: unknown; model_maps?: Record<string, unknown>; modules?: [string, unknown][] };

/**
 * A map stored before costs were kept per module (`params_delta` and `gflops_delta` on each position:
 * the cost of the sweep's first module, `spec.modules[0]`, which the runner has always stored beside
 * its maps) in today's form, the cost under that module's name.
 */
function withCostsByModule(map: unknown, spec: Spec): unknown {
  const module = spec.modules?.[0]?.[0];
  if (module === undefined || map === null || typeof map !== 'object' || !('positions' in map) || map.positions === null || typeof map.positions !== 'object') return map;
  const positions = Object.fromEntries(Object.entries(map.positions).map(([name, p]) => {
    if (p === null || typeof p !== 'object' || !('params_delta' in p) || 'costs' in p) return [name, p];
    const { params_delta, gflops_delta, ...rest } = p as Record<string, unknown>;
    return [name, { ...rest, costs: { [module]: { params_delta, gflops_delta } } }];
  }));
  return { ...map, positions };
}

/**
 * The sweep's model maps by scale, in the sweep's scale order: `spec.model_maps`, or for a sweep stored
 * before maps were kept per scale its `spec.model_map`; empty when it has none (imported runs).
 * A malformed map throws a StoreError naming the field.
 */
export function sweepModelMaps(sweep: SweepRecord): Record<string, ModelMap> {
  const spec = sweep.spec;
  if (spec === null || typeof spec !== 'object') return {};
  const s = spec as Spec;
  const stored: [string[], unknown][] = s.model_maps !== undefined
    ? Object.entries(s.model_maps).map(([scale, map]) => [['model_maps', scale], map])
    : s.model_map !== undefined ? [[['model_map'], s.model_map]] : [];
  return Object.fromEntries(stored.map(([at, raw]) => {
    const result = modelMapSchema.safeParse(withCostsByModule(raw, s));
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
      throw new StoreError(`sweep ${sweep.name}: ${fieldName(['spec', ...at, ...path])}: ${issue.message}`);
    }
    return [result.data.scale, result.data];
  }));
}
