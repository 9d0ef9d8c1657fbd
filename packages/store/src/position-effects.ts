// What each candidate position does on average: over the variants that include it (alone or with
// others), the mean of their Δ vs the baseline. The dashboard colours the model map by it. It is a
// summary, not a test: the per-variant Δ with its 95% interval (groups.ts) stays the evidence.
import type { GroupMetric, VariantGroup } from './groups.js';
import { mean } from './stats/welch.js';

export interface PositionEffect {
  /** The variants with a baseline that include the position. */
  variants: string[];
  /** Mean over those variants of mean(variant) − mean(baseline), best-epoch metrics; null without any. */
  mean_delta: Record<GroupMetric, number> | null;
}

/** Per position named by any group (of one scale, if given): the mean Δ of the variants including it. */
export function positionEffects(groups: readonly VariantGroup[], { scale }: { scale?: string } = {}): Record<string, PositionEffect> {
  const ofScale = groups.filter((g) => scale === undefined || g.scale === scale);
  const compared = ofScale.filter((g) => g.delta !== null);
  const positions = new Set(ofScale.flatMap((g) => g.positions ?? []));
  const effects: Record<string, PositionEffect> = {};
  for (const position of positions) {
    const including = compared.filter((g) => g.positions?.includes(position));
    effects[position] = {
      variants: including.map((g) => g.name),
      mean_delta: including.length === 0 ? null : {
        map50: mean(including.map((g) => g.delta!.map50)),
        map50_95: mean(including.map((g) => g.delta!.map50_95)),
      },
    };
  }
  return effects;
}
