// Public API: named re-exports only.
export { boxIou } from './val/box-iou.js';
export { IOU_THRESHOLDS, matchPredictions } from './val/match.js';
export { apPerClass, computeAp, smooth } from './val/ap.js';
export type { ApPerClassResult } from './val/ap.js';
export { detMetrics, resultsDict } from './val/det-metrics.js';
export type { DetMetrics } from './val/det-metrics.js';
export { DetectionValidator } from './val/validator.js';
export type { ImagePredictions, ImageLabels, ValidationResult } from './val/validator.js';
export { parseCocoDataset, parseCocoResults, CocoFormatError } from './val/coco-format.js';
export type { CocoDataset, CocoDetection, CocoAnnotation, CocoImage, CocoCategory, ImageId, Bbox } from './val/coco-format.js';
export { cocoEvaluate } from './val/coco-eval.js';
export type { CocoEvalResult } from './val/coco-eval.js';
export { evaluateCoco, cocoToValidatorImages } from './val/coco-compare.js';
export type { CocoComparison, CocoConversionCounts } from './val/coco-compare.js';
export { paramKind, buildParamGroups, PARAM_GROUP_KINDS } from './optim/groups.js';
export type { ParamKind, TrainableParam, ParamGroup } from './optim/groups.js';
export { SGD } from './optim/sgd.js';
export type { SgdGroup, SgdOptions } from './optim/sgd.js';
export { AdamW } from './optim/adamw.js';
export type { AdamWGroup, AdamWOptions } from './optim/adamw.js';
export {
  buildOptimizer, resolveOptimizer, scaledWeightDecay, trainIterations,
} from './optim/build.js';
export type { Optimizer, OptimizerName, OptimHyp, ResolvedOptimizer, OptimizerSetup } from './optim/build.js';
export {
  learningRates, applySchedule, lrLambda, warmupIterations, accumulateSteps,
} from './optim/schedule.js';
export type { ScheduleConfig, ScheduleHyp, ScheduledHyper } from './optim/schedule.js';
export { clipGradNorm, GradientAccumulator } from './optim/accumulate.js';
export { OptimizerLoop, MAX_GRAD_NORM } from './optim/loop.js';
export type { OptimizerLoopOptions, OptimizerLoopState, BatchOutcome } from './optim/loop.js';
export { ModelEMA } from './optim/ema.js';
export type { EmaOptions, EmaState } from './optim/ema.js';
export { ParamGroupError, OptimizerConfigError, OptimStateError } from './optim/errors.js';
