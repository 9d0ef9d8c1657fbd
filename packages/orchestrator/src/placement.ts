// The yaml transform behind every variant: place modules into a model's layer list and renumber
// every `from`, in one pass over the layers, so the result does not depend on the order in which
// the placements are listed.
//   after L     a new layer [-1, 1, module, args] right after L. Every later reference to L,
//               relative or absolute, now points to the new layer (the seed's yamls: the Conv after
//               P3 and Detect read the ACmix), every absolute index past L shifts by one, and a
//               relative `from` that spans an insertion is lengthened to keep its source.
//   replace L   [from_L, 1, module, args] in L's place.
//   residual L  [from_L, n_L, module, args] in L's place (a C2f becomes its C2f_<module> form).
// Which placements make sense where (Detect, strides, channels) is decided by the caller (variants.ts).

export type PlacementKind = 'after' | 'replace' | 'residual';

/** An Ultralytics layer entry `[from, repeats, module, args]`. */
export type LayerEntry = [from: number | number[], repeats: number, module: string, args: unknown[]];

export interface Placement {
  kind: PlacementKind;
  /** Index of the layer in the base model. */
  layer: number;
  module: string;
  args: unknown[];
  /** Who asked for it (a sweep position's name), kept with the new layer. */
  label: string;
}

export interface PlacedLayers {
  backbone: LayerEntry[];
  head: LayerEntry[];
  /** Per layer of the result: the placement that made or changed it, or null for a base layer. */
  placedBy: (Placement | null)[];
}

/** Why two placements cannot be combined (same kind on one layer; replace and residual on one layer), or null. */
export function placementConflict(a: Pick<Placement, 'kind' | 'layer'>, b: Pick<Placement, 'kind' | 'layer'>): string | null {
  if (a.layer !== b.layer) return null;
  if (a.kind === b.kind) return `both ${a.kind === 'after' ? 'insert after' : a.kind} layer ${a.layer}`;
  if (a.kind !== 'after' && b.kind !== 'after') return `one replaces layer ${a.layer}, the other makes it a residual form`;
  return null;
}

export function placeLayers(backbone: readonly LayerEntry[], head: readonly LayerEntry[], placements: readonly Placement[]): PlacedLayers {
  placements.forEach((p, i) => placements.slice(i + 1).forEach((q) => {
    const conflict = placementConflict(p, q);
    if (conflict) throw new Error(`${p.label} and ${q.label} conflict: ${conflict}`);
  }));
  const base = [...backbone, ...head];
  const inserted = new Map(placements.filter((p) => p.kind === 'after').map((p) => [p.layer, p]));
  const changed = new Map(placements.filter((p) => p.kind !== 'after').map((p) => [p.layer, p]));
  // newIndex[i]: where base layer i lands; target[i]: what a reference to i now means.
  const newIndex: number[] = [];
  let shift = 0;
  for (let i = 0; i < base.length; i++) {
    newIndex.push(i + shift);
    if (inserted.has(i)) shift += 1;
  }
  const target = (i: number) => (i < 0 ? i : newIndex[i]! + (inserted.has(i) ? 1 : 0));
  const remap = (f: number, i: number): number => {
    if (f === -1) return -1; // the previous layer is, by construction, the target of i − 1
    if (f >= 0) return target(f);
    return target(i + f) - newIndex[i]!;
  };

  const out: PlacedLayers = { backbone: [], head: [], placedBy: [] };
  base.forEach(([from, n, module, args], i) => {
    const section = i < backbone.length ? out.backbone : out.head;
    const newFrom = Array.isArray(from) ? from.map((f) => remap(f, i)) : remap(from, i);
    const p = changed.get(i);
    if (p) section.push([newFrom, p.kind === 'residual' ? n : 1, p.module, [...p.args]]);
    else section.push([newFrom, n, module, [...args]]);
    out.placedBy.push(p ?? null);
    const after = inserted.get(i);
    if (after) {
      section.push([-1, 1, after.module, [...after.args]]);
      out.placedBy.push(after);
    }
  });
  return out;
}
