// Variants of a sweep: combinations of positions × scales × grid points × seeds, each a complete
// model yaml and training config with a readable name and a stable key (README.md, "Semantics").
import path from 'node:path';
import { configErrorAt } from '@acmix-lab/runtime';
import { resolveTrainConfig, type TrainConfigInput } from '@acmix-lab/trainer';
import { argsByName, argsFromNames, lookupModule, ModelYamlError, parseModelYaml, planModel, type ModelPlan } from '@acmix-lab/yolo';
import { runKey, variantKey } from './key.js';
import { renderModelYaml, yamlFlow, type ModelText } from './model-text.js';
import { placeLayers, placementConflict, type LayerEntry, type Placement, type PlacedLayers } from './placement.js';
import { baseEntry, yamlC2, type GridAxis, type Sweep, type SweepPosition } from './sweep-file.js';
import type { SweepModule } from './sweep-modules.js';

export interface Variant {
  /** Readable, unique in the sweep, shared by the seeds: `yolov8n+P3+P5`, `yolov8n_head=2_lr0=0.002`, `yolo11n+CBAM@P3+P5`. */
  name: string;
  /** Stable hash of the normalised model, the resolved training config and the seed (key.ts). */
  key: string;
  /** The same without the seed: equal for all seeds of this variant. */
  variantKey: string;
  scale: string | null;
  /** The module placed (one of the sweep's `module`); null for the baseline, which places none. */
  module: string | null;
  /** Names of the positions used, in the sweep file's order ([] for the baseline). */
  positions: string[];
  /** The grid values of this variant, by axis (`module.head`, `train.lr0`); axes that do not change it are absent. */
  grid: Record<string, unknown>;
  seed: number;
  /** File name for modelYaml: `<name>.yaml`. */
  file: string;
  /** A complete Ultralytics model yaml, `# <index>` on each layer. */
  modelYaml: string;
  /** Training image size (GFLOPs are computed at it). */
  imgsz: number;
  /** The run's training config, Ultralytics names; `model` is `file`, to be joined with the folder modelYaml is written to. */
  train: TrainConfigInput;
}

/** yolov8 at scale n → yolov8n (also yolov8-p2 → yolov8n-p2, yolo11 → yolo11n); other stems get `-<scale>`. */
export function scaledStem(stem: string, scale: string | null): string {
  if (scale === null) return stem;
  const yolo = /^(yolov?\d+)([nslmx])?(.*)$/.exec(stem);
  return yolo ? `${yolo[1]}${scale}${yolo[3]}` : `${stem}-${scale}`;
}

/** The lists of position names the sweep trains, each in file order, the baseline ([]) first when present. */
export function combinations(sweep: Sweep): string[][] {
  const names = sweep.positions.map((p) => p.name);
  const { combine } = sweep;
  if (Array.isArray(combine)) return combine.map((list) => names.filter((n) => list.includes(n)));
  const subsets: string[][] = [];
  const ofSize = (k: number, from = 0, prefix: string[] = []): void => {
    if (prefix.length === k) { subsets.push(prefix); return; }
    for (let i = from; i < names.length; i++) ofSize(k, i + 1, [...prefix, names[i]!]);
  };
  if (combine === 'subsets') for (let k = 0; k <= names.length; k++) ofSize(k);
  else {
    ofSize(0);
    if (combine.size > 0) ofSize(combine.size);
  }
  return subsets;
}

/** Module arg names a position's placed layer takes from `module` and the grid. */
function argsUsed(module: SweepModule, pos: SweepPosition): string[] {
  const names = module.def.argNames;
  if (pos.kind === 'after') return [...names];
  if (pos.kind === 'replace') return names.filter((n) => n !== 'c2');
  const form = lookupModule(`C2f_${module.name}`)!;
  return names.filter((n) => n !== 'c2' && n !== 'shortcut' && form.argNames.includes(n));
}

/** Every combination of the values of `axes`, as {axis key: value}. */
function gridPoints(axes: GridAxis[]): Record<string, unknown>[] {
  return axes.reduce<Record<string, unknown>[]>((points, a) => points.flatMap((p) => a.values.map((v) => ({ ...p, [a.key]: v }))), [{}]);
}

/**
 * Grid values as `label=value`: the label is the arg or argument name (`head`, `lr0`,
 * `kernel_size` for `module.CBAM.kernel_size`), or the whole axis key when a module arg and a
 * training argument share a name.
 */
export function gridLabels(grid: Record<string, unknown>): string[] {
  const short = (key: string) => key.slice(key.lastIndexOf('.') + 1);
  const keys = Object.keys(grid);
  return keys.map((k) => `${keys.filter((o) => short(o) === short(k)).length > 1 ? k : short(k)}=${String(grid[k])}`);
}

function placementFor(sweep: Sweep, m: SweepModule, pos: SweepPosition, moduleGrid: Record<string, unknown>): Placement {
  const posArgs = pos.args[m.name];
  const named = { ...argsByName(m.def, m.args), ...(posArgs ? argsByName(m.def, posArgs) : {}), ...moduleGrid };
  const base = sweep.plan.layers[pos.layer]!;
  const [, , , baseArgs] = baseEntry(sweep.model, base);
  const placement = { kind: pos.kind, layer: pos.layer, label: pos.name };
  if (pos.kind === 'after') return { ...placement, module: m.name, args: argsFromNames(m.def, named) };
  if (pos.kind === 'replace') {
    // The module takes the layer's output channels (its yaml c2, so it scales the same way); a
    // module without a c2 arg keeps its input's, which variantModel checks against the layer's.
    const c2 = m.def.argNames[0] === 'c2' ? { c2: yamlC2(sweep.model, base) } : {};
    return { ...placement, module: m.name, args: argsFromNames(m.def, { ...named, ...c2 }) };
  }
  const form = lookupModule(`C2f_${m.name}`)!;
  const shared = Object.fromEntries(argsUsed(m, pos).filter((n) => named[n] !== undefined).map((n) => [n, named[n]]));
  return { ...placement, module: `C2f_${m.name}`, args: argsFromNames(form, { c2: baseArgs[0], shortcut: baseArgs[1], ...shared }) };
}

/** A replaced layer keeps its stride and an inserted one keeps the size, else the network does not fit together. */
function checkStride(sweep: Sweep, pos: SweepPosition, p: Placement): void {
  if (pos.kind === 'residual') return;
  const def = lookupModule(p.module)!;
  const base = sweep.plan.layers[pos.layer]!;
  const inStride = base.inputs[0]! < 0 ? 1 : sweep.plan.layers[base.inputs[0]!]!.stride;
  const needed = pos.kind === 'after' ? 1 : base.stride / inStride;
  const got = def.stride?.(p.args) ?? 1;
  if (got === needed) return;
  const what = pos.kind === 'after' ? `a module after layer ${pos.layer} must keep its size (stride 1)` : `layer ${pos.layer} (${base.module}) has stride ${needed}`;
  const fix = def.argNames.includes('stride') ? `; set it in the position's args, e.g. args: ${yamlFlow(argsFromNames(def, { ...argsByName(def, p.args), stride: needed }))}` : '';
  throw configErrorAt(sweep.parsed, ['positions', pos.name, pos.kind], `${what}, but ${p.module} ${yamlFlow(p.args)} has stride ${got}${fix}`);
}

/** Two positions on one layer that cannot be combined: an error at the combination (or the later position). */
function checkConflicts(sweep: Sweep, combos: string[][]): void {
  combos.forEach((combo, i) => {
    const ps = combo.map((n) => sweep.positions.find((p) => p.name === n)!);
    ps.forEach((p, j) => ps.slice(j + 1).forEach((q) => {
      const conflict = placementConflict(p, q);
      if (!conflict) return;
      const where = Array.isArray(sweep.combine) ? ['combine', i] : ['positions', q.name];
      throw configErrorAt(sweep.parsed, where, `${q.name} conflicts with ${p.name}: ${conflict}`);
    }));
  });
}

function planVariant(sweep: Sweep, name: string, text: ModelText, placed: PlacedLayers, scale: string | null): ModelPlan {
  try {
    return planModel(parseModelYaml(text.text, `${name}.yaml`), { scale: scale ?? undefined });
  } catch (err) {
    if (!(err instanceof ModelYamlError)) throw err;
    const layer = text.layerLines.indexOf(err.line);
    // The placed layer itself, else the first placement of the variant (the base plans on its own).
    const by = placed.placedBy[layer] ?? placed.placedBy.find((p) => p !== null);
    if (!by) throw err;
    throw configErrorAt(sweep.parsed, ['positions', by.label], `variant ${name}, layer ${layer}: ${err.field}: ${err.reason}`);
  }
}

/** The variant's model yaml and plan: placements applied, checked, planned; a replaced layer keeps its channels. */
function variantModel(
  sweep: Sweep, module: SweepModule | null, name: string, scale: string | null, positions: SweepPosition[], moduleGrid: Record<string, unknown>,
): { text: string; plan: ModelPlan } {
  const placements = module ? positions.map((pos) => placementFor(sweep, module, pos, moduleGrid)) : [];
  positions.forEach((pos, i) => checkStride(sweep, pos, placements[i]!));
  const placed = placeLayers(sweep.model.spec.backbone as LayerEntry[], sweep.model.spec.head as LayerEntry[], placements);
  const what = placements.length ? placements.map((p) => `${p.module} ${p.kind} ${p.layer} (${p.label})`).join(', ') : 'the base model';
  const text = renderModelYaml(sweep.model, scale, placed, [
    `${name}: ${path.basename(sweep.model.file)}${scale ? ` at scale ${scale}` : ''}, ${what}`,
    `written by acmix-lab from sweep ${sweep.name}; layer numbers in comments are this file's`,
  ]);
  const plan = planVariant(sweep, name, text, placed, scale);
  const basePlan = planModel(sweep.model, { scale: scale ?? undefined });
  placed.placedBy.forEach((p, i) => {
    if (p?.kind !== 'replace') return;
    const [got, want] = [plan.layers[i]!.c2, basePlan.layers[p.layer]!.c2];
    if (got !== want) throw configErrorAt(sweep.parsed, ['positions', p.label], `variant ${name}: ${p.module} outputs ${got} channels where layer ${p.layer} outputs ${want}`);
  });
  return { text: text.text, plan };
}

/** What a variant's name adds to the base's: `+P3+P5`, or `+CBAM@P3+P5` when the sweep compares modules. */
function placedLabel(sweep: Sweep, module: SweepModule | null, combo: string[]): string {
  if (!module) return '';
  return sweep.moduleAxis ? `+${module.name}@${combo.join('+')}` : combo.map((n) => `+${n}`).join('');
}

/** One entry per (scale, combination, module, grid point, seed), in that nesting order; the baseline once per scale. */
export function enumerateVariants(sweep: Sweep): Variant[] {
  const combos = combinations(sweep);
  checkConflicts(sweep, combos);
  const stem = path.basename(sweep.model.file, path.extname(sweep.model.file));
  const out: Variant[] = [];
  const names = new Set<string>();
  for (const scale of sweep.scales) {
    for (const combo of combos) {
      const positions = combo.map((n) => sweep.positions.find((p) => p.name === n)!);
      for (const module of combo.length ? sweep.modules : [null]) {
        // A module axis multiplies only the variants whose placed layers take its arg.
        const axes = sweep.grid.filter((a) => a.target === 'train'
          || (module !== null && a.modules.includes(module.name) && positions.some((p) => argsUsed(module, p).includes(a.name))));
        for (const point of gridPoints(axes)) {
          const suffix = gridLabels(point).map((l) => `_${l.replace(/[^\w.+=-]/g, '-')}`).join('');
          const name = `${scaledStem(stem, scale)}${placedLabel(sweep, module, combo)}${suffix}`;
          if (names.has(name)) throw configErrorAt(sweep.parsed, ['grid'], `two variants would be named ${name}: make the grid values distinct in names`);
          names.add(name);
          const valuesOf = (target: GridAxis['target']) => Object.fromEntries(axes.filter((a) => a.target === target).map((a) => [a.name, point[a.key]]));
          const { text, plan } = variantModel(sweep, module, name, scale, positions, valuesOf('module'));
          for (const seed of sweep.seeds) {
            const train: TrainConfigInput = { ...sweep.train, ...valuesOf('train'), model: `${name}.yaml`, model_scale: scale, data: sweep.data, seed };
            out.push({
              name, key: runKey(plan, train), variantKey: variantKey(plan, train), scale, module: module?.name ?? null, positions: combo,
              grid: point, seed, file: `${name}.yaml`, modelYaml: text, imgsz: resolveTrainConfig(train).imgsz, train,
            });
          }
        }
      }
    }
  }
  return out;
}
