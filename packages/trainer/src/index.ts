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
export { loadDataYaml } from './data/data-yaml.js';
export type { DataConfig } from './data/data-yaml.js';
export { listImageFiles, labelPathFor, IMG_FORMATS, DatasetPathError } from './data/image-files.js';
export { checkImageLabel } from './data/labels.js';
export type { LabeledImage, LabelFault, PairCheck } from './data/labels.js';
export { scanSplit, summaryLine, DatasetError } from './data/scan.js';
export type { DatasetSplit, ScanSummary, ScanOptions } from './data/scan.js';
export { DEFAULT_AUGMENT } from './data/augment.js';
export type { AugmentHyp } from './data/augment.js';
export { BatchBuilder } from './data/batch.js';
export type { Batch, BatchTargets, BatchJob, PipelineConfig } from './data/batch.js';
export { DataLoader, DataLoaderError, mosaicForEpoch } from './data/loader.js';
export type { DataLoaderOptions } from './data/loader.js';
export { Rng, hashSeed } from './data/random.js';
export { synthDataset, SynthOptionsError, SHAPE_CLASSES } from './data/synth.js';
export type { SynthOptions, SynthResult } from './data/synth.js';
export { train, TrainingDivergedError } from './train/train.js';
export type { TrainHooks, TrainResult, BatchProgress, EpochReport } from './train/train.js';
export {
  trainConfigSchema, resolveTrainConfig, readTrainConfig, writeTrainConfig, TrainConfigError,
} from './train/config.js';
export type { TrainConfig, TrainConfigInput } from './train/config.js';
export { RESULTS_COLUMNS, formatResultsRow, parseResultsCsv, writeResultsRow } from './train/results-csv.js';
export type { ResultsRow } from './train/results-csv.js';
export { renderResultsPng, writeResultsPng } from './train/results-plot.js';
export { resolveRunDir, runFiles } from './train/run-dir.js';
export type { RunFiles } from './train/run-dir.js';
export { saveCheckpoint, readTrainState, CheckpointError } from './train/checkpoint.js';
export type { TrainState } from './train/checkpoint.js';
export { validate } from './val/validate.js';
export type { ValidateOptions, ValidationReport } from './val/validate.js';
export { runValidation, ValRunError } from './val/val-run.js';
export type { ValRunOptions, ValRunResult } from './val/val-run.js';
