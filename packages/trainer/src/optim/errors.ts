// Typed errors of the optimisation code; each message names the parameter, key or setting and the numbers.

/** A parameter list the optimizer cannot use (duplicates, shared variables, non-float, bad gradient shape). */
export class ParamGroupError extends Error {
  override name = 'ParamGroupError';
}

/** An optimizer name or setting that is not supported. */
export class OptimizerConfigError extends Error {
  override name = 'OptimizerConfigError';
}

/** Checkpoint state that does not fit the model or optimizer it is loaded into. */
export class OptimStateError extends Error {
  override name = 'OptimStateError';
}
