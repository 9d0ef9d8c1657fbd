// What each candidate position does on average: over the variants that include it (alone or with
// others), the mean of their Δ vs the baseline. The dashboard colours the model map by it. It is a
// summary, not a test: the per-variant Δ with its 95% interval (groups.ts) stays the evidence. A sweep
// over a module list asks it per module (and per scale): ACmix at P3 and CBAM at P3 are not averaged.
import type { GroupMetric, VariantGroup } from './groups.js';
import { mean } from './stats/welch.js';

export interface PositionEffect {
  /** The variants with a baseline that include the position. */
  variants: string[];
  /** Mean over those variants of mean(variant) − mean(baseline), best-epoch metrics; null without any. */
  mean_delta: Record<GroupMetric, number> | null;
}

/** Per position named by any group (of one scale and one module, if given): the mean Δ of the variants including it. */
export function positionEffects(groups: readonly VariantGroup[], { scale, module }: { scale?: string; module?: string } = {}): Record<string, PositionEffect> {
  const chosen = groups.filter((g) => (scale === undefined || g.scale === scale) && (module === undefined || g.module === module));
  const compared = chosen.filter((g) => g.delta !== null);
  const positions = new Set(chosen.flatMap((g) => g.positions ?? []));
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
