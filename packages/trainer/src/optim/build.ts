// Optimizer construction as Ultralytics v8.1/v8.2 does it in engine/trainer.py (_setup_train's
// accumulate / weight-decay scaling / iteration count, and build_optimizer's 'auto' rule, groups and
// log lines).
import { AdamW } from './adamw.js';
import { OptimizerConfigError } from './errors.js';
import { buildParamGroups, type TrainableParam } from './groups.js';
import { accumulateSteps, type ScheduleConfig, type ScheduleHyp } from './schedule.js';
import { SGD } from './sgd.js';

export type OptimizerName = 'SGD' | 'AdamW';
export type Optimizer = SGD | AdamW;

/** Optimizer hyperparameters under Ultralytics' names (cfg/default.yaml). */
export interface OptimHyp extends ScheduleHyp {
  /** SGD, AdamW or auto (case-insensitive, as in v8.2). */
  optimizer: string;
  lr0: number;
  weight_decay: number;
  warmup_bias_lr: number;
}

export interface ResolvedOptimizer {
  name: OptimizerName;
  lr: number;
  momentum: number;
  warmupBiasLr: number;
  /** The line Ultralytics logs when optimizer=auto overrides lr0 and momentum; null otherwise. */
  notice: string | null;
}

/** Python's repr of a float (shortest round-trip digits; exponent form below 1e-4), for log lines. */
export function pyFloat(x: number): string {
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (x !== 0 && (e < -4 || e >= 16)) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/**
 * The 'auto' rule: SGD with lr 0.01, momentum 0.9 when the run has more than 10,000 iterations, else
 * AdamW with lr round(0.002·5/(4 + nc), 6), momentum 0.9. Either way lr0 and momentum are ignored
 * and warmup_bias_lr becomes 0 (the warmup still ends at the hyp momentum, so an auto-SGD run with
 * warmup trains at momentum 0.937 afterwards, as Ultralytics does).
 */
export function resolveOptimizer(hyp: OptimHyp, nc: number, iterations: number): ResolvedOptimizer {
  const name = hyp.optimizer.toLowerCase();
  if (name === 'sgd' || name === 'adamw') {
    return {
      name: name === 'sgd' ? 'SGD' : 'AdamW', lr: hyp.lr0, momentum: hyp.momentum,
      warmupBiasLr: hyp.warmup_bias_lr, notice: null,
    };
  }
  if (name !== 'auto') {
    throw new OptimizerConfigError(
      `optimizer: "${hyp.optimizer}" is not supported (use SGD, AdamW or auto; Ultralytics' Adam, Adamax, NAdam, RAdam and RMSProp are not ported)`);
  }
  // 0.01/(4 + nc) is never a binary fraction, so toFixed's rounding cannot meet a tie where Python's differs.
  const lrFit = Number(((0.002 * 5) / (4 + nc)).toFixed(6));
  const [chosen, lr] = iterations > 10000 ? (['SGD', 0.01] as const) : (['AdamW', lrFit] as const);
  return {
    name: chosen, lr, momentum: 0.9, warmupBiasLr: 0,
    notice: `optimizer: 'optimizer=auto' found, ignoring 'lr0=${pyFloat(hyp.lr0)}' and 'momentum=${pyFloat(hyp.momentum)}' and `
      + `determining best 'optimizer', 'lr0' and 'momentum' automatically... `,
  };
}

/** weight_decay·batch·accumulate/nbs: the decay per optimizer step at the nominal batch size. */
export function scaledWeightDecay(hyp: Pick<OptimHyp, 'weight_decay' | 'batch' | 'nbs'>): number {
  return (hyp.weight_decay * hyp.batch * accumulateSteps(hyp.nbs, hyp.batch)) / hyp.nbs;
}

/** ceil(images / max(batch, nbs))·epochs: the optimizer-step count the 'auto' rule compares with 10,000. */
export function trainIterations(images: number, hyp: Pick<OptimHyp, 'batch' | 'nbs' | 'epochs'>): number {
  return Math.ceil(images / Math.max(hyp.batch, hyp.nbs)) * hyp.epochs;
}

export interface OptimizerSetup {
  optimizer: Optimizer;
  schedule: ScheduleConfig;
  weightDecay: number;
  /** Ultralytics' log lines: the auto notice (if any), then `optimizer: SGD(lr=…, momentum=…) with parameter groups …`. */
  log: string[];
}

/** Groups the parameters, applies the 'auto' rule and builds the optimizer and its schedule config. */
export function buildOptimizer(
  params: readonly TrainableParam[], hyp: OptimHyp, data: { nc: number; images: number; nb: number },
): OptimizerSetup {
  const groups = buildParamGroups(params);
  const resolved = resolveOptimizer(hyp, data.nc, trainIterations(data.images, hyp));
  const weightDecay = scaledWeightDecay(hyp);
  const options = { lr: resolved.lr, momentum: resolved.momentum, weightDecay };
  const optimizer = resolved.name === 'SGD' ? new SGD(groups, options) : new AdamW(groups, options);
  const [bias, weight, bn] = groups;
  const summary = `optimizer: ${resolved.name}(lr=${pyFloat(resolved.lr)}, momentum=${pyFloat(resolved.momentum)}) `
    + `with parameter groups ${bn.params.length} weight(decay=0.0), ${weight.params.length} weight(decay=${pyFloat(weightDecay)}), `
    + `${bias.params.length} bias(decay=0.0)`;
  return {
    optimizer,
    schedule: {
      hyp, nb: data.nb, lr: resolved.lr, momentum: resolved.momentum, warmupBiasLr: resolved.warmupBiasLr,
    },
    weightDecay,
    log: resolved.notice === null ? [summary] : [resolved.notice, summary],
  };
}
