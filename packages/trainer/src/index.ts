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
