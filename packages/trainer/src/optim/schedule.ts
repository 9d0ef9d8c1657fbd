// Learning rate, momentum and accumulation at any iteration, as Ultralytics v8.1/v8.2 sets them
// (engine/trainer.py::_setup_scheduler and the warmup block of _do_train), in closed form.
//
// Ultralytics keeps this in mutable optimizer state: a LambdaLR stepped after each epoch sets every
// group's lr to initial_lr·lf(epoch), and while ni <= nw the warmup overwrites lr, momentum and
// accumulate with np.interp over [0, nw]. The values below equal that state at every (ni, epoch) of an
// uninterrupted run (tests compare against a trace of the stateful loop). Being a pure function of
// (ni, epoch) is also what makes resume exact. Ultralytics' own resume differs from an uninterrupted
// run: it reloads the lr saved before that epoch's scheduler.step() and sets last_epoch = start_epoch − 1,
// so after warmup every resumed epoch e trains at lf(e − 1); and it restarts last_opt_step at −1.
// The results.csv columns lr/pg0..2 of an epoch are learningRates(last ni of the epoch, epoch).lr.
import type { Optimizer } from './build.js';

/** The hyperparameters involved, under Ultralytics' names (cfg/default.yaml). */
export interface ScheduleHyp {
  epochs: number;
  lrf: number;
  cos_lr: boolean;
  warmup_epochs: number;
  warmup_momentum: number;
  /** The momentum warmup ends at (hyp momentum, even when optimizer=auto built with 0.9). */
  momentum: number;
  nbs: number;
  batch: number;
}

export interface ScheduleConfig {
  readonly hyp: ScheduleHyp;
  /** Batches per epoch, len(train_loader). */
  readonly nb: number;
  /** Every group's initial_lr: lr0, or the optimizer=auto fit. */
  readonly lr: number;
  /** The optimizer's momentum at build time (0.9 under optimizer=auto); kept when there is no warmup. */
  readonly momentum: number;
  /** warmup_bias_lr, or 0 under optimizer=auto (build_optimizer overrides it). */
  readonly warmupBiasLr: number;
}

export interface ScheduledHyper {
  /** [pg0 biases, pg1 decayed weights, pg2 BN weights]: the results.csv lr/pg0..lr/pg2 values. */
  lr: [number, number, number];
  /** SGD groups' momentum; Adam groups have none (their β1 stays). */
  momentum: number;
  /** Batches whose gradients are summed before an optimizer step. */
  accumulate: number;
  warmup: boolean;
}

/** Python's round() and numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff !== 0.5) return diff < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** np.interp(x, [0, x1], [y0, y1]) with numpy's arithmetic: endpoints exact, slope·x + y0 inside. */
export function interp(x: number, x1: number, y0: number, y1: number): number {
  if (x <= 0) return y0;
  if (x >= x1) return y1;
  return ((y1 - y0) / x1) * x + y0;
}

/** lf(epoch): linear `max(1 − x/epochs, 0)·(1 − lrf) + lrf`, or one_cycle(1, lrf, epochs) when cos_lr. */
export function lrLambda(epoch: number, hyp: Pick<ScheduleHyp, 'epochs' | 'lrf' | 'cos_lr'>): number {
  const { epochs, lrf } = hyp;
  if (hyp.cos_lr) return Math.max((1 - Math.cos((epoch * Math.PI) / epochs)) / 2, 0) * (lrf - 1) + 1;
  return Math.max(1 - epoch / epochs, 0) * (1 - lrf) + lrf;
}

/**
 * nw = max(round(warmup_epochs·nb), 100), or −1 (no warmup) when warmup_epochs is 0. v8.1/v8.2 do not
 * cap it by epochs·nb: a short run can end inside warmup (later releases changed this rule).
 */
export function warmupIterations(warmupEpochs: number, nb: number): number {
  return warmupEpochs > 0 ? Math.max(roundHalfEven(warmupEpochs * nb), 100) : -1;
}

/** accumulate = max(round(nbs / batch), 1): batches summed to reach the nominal batch size. */
export function accumulateSteps(nbs: number, batch: number): number {
  return Math.max(roundHalfEven(nbs / batch), 1);
}

/** The lr of each group, the momentum and the accumulation at iteration ni = i + nb·epoch. */
export function learningRates(ni: number, epoch: number, cfg: ScheduleConfig): ScheduledHyper {
  const { hyp } = cfg;
  const nw = warmupIterations(hyp.warmup_epochs, cfg.nb);
  const target = cfg.lr * lrLambda(epoch, hyp);
  if (ni <= nw) {
    // Bias lr falls from warmup_bias_lr, the other groups rise from 0, towards initial_lr·lf(epoch).
    const rise = interp(ni, nw, 0, target);
    return {
      lr: [interp(ni, nw, cfg.warmupBiasLr, target), rise, rise],
      momentum: interp(ni, nw, hyp.warmup_momentum, hyp.momentum),
      accumulate: Math.max(1, roundHalfEven(interp(ni, nw, 1, hyp.nbs / hyp.batch))),
      warmup: true,
    };
  }
  // After warmup the groups keep the values it left at ni = nw (lr then follows the per-epoch lambda).
  return {
    lr: [target, target, target],
    momentum: nw >= 0 ? hyp.momentum : cfg.momentum,
    accumulate: accumulateSteps(hyp.nbs, hyp.batch),
    warmup: false,
  };
}

/**
 * Writes lr into each group and momentum into SGD groups only: Ultralytics sets x["momentum"] only
 * `if "momentum" in x`, which is false for Adam-family groups.
 */
export function applySchedule(optimizer: Optimizer, s: ScheduledHyper): void {
  if (optimizer.groups.length !== s.lr.length) {
    throw new RangeError(`applySchedule: optimizer has ${optimizer.groups.length} groups, the schedule ${s.lr.length}`);
  }
  optimizer.groups.forEach((group, i) => {
    group.lr = s.lr[i]!;
  });
  if (optimizer.name === 'SGD') for (const group of optimizer.groups) group.momentum = s.momentum;
}
