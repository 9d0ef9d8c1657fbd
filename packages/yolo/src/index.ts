// Public API: named re-exports only.
export {
  ImageDecodeError, filledImage, decodeImage, encodePng, encodeJpeg, sniffFormat, jpegOrientation, resizeBilinear, letterbox,
  pythonRound,
} from './image/index.js';
export type { RgbImage, ImageFormat, LetterboxOptions, LetterboxResult } from './image/index.js';
export { buildModel, YoloModel } from './model.js';
export type { LayerRow, AnchorTensors } from './model.js';
export { planModel, moduleArgsIssue } from './parse.js';
export { layerNames, namesByLayer, findLayer, describeLayerRefs } from './layer-names.js';
export type { BuildOptions, LayerPlan, ModelPlan } from './parse.js';
export { loadModelYaml, parseModelYaml, modelYamlFromObject, guessModelScale } from './model-yaml.js';
export type { ModelYaml, ModelYamlSource } from './model-yaml.js';
export { ModelYamlError, StateDictError, SavedModelError } from './errors.js';
export { modelSummary, formatSummary } from './summary.js';
export type { ModelSummary } from './summary.js';
export { lookupModule, moduleNames } from './registry.js';
export { argsByName, argsFromNames } from './module-args.js';
export type { ModuleDef } from './modules/module.js';
export { REG_MAX } from './modules/detect.js';
export { makeAnchors } from './anchors.js';
export { concreteShapes } from './shapes.js';
export type { AnchorGrid } from './anchors.js';
export { TorchConv2d } from './layers/torch-conv2d.js';
export { TorchBatchNorm, collectRunningStats } from './layers/torch-batchnorm.js';
export { ChannelSlice } from './layers/channel-slice.js';
export { DetectDecode } from './layers/detect-decode.js';
export { nonMaxSuppression, MAX_WH } from './predict/nms.js';
export type { NmsOptions, PredictionInput } from './predict/nms.js';
export { exportStateDict, importStateDict, loadStateDict, saveStateDict, saveModel, loadModel } from './weights.js';
export { runForward } from './forward.js';
export type { ForwardOptions, ForwardResult } from './forward.js';
export { scaleBoxes } from './predict/scale-boxes.js';
export type { RatioPad } from './predict/scale-boxes.js';
export { predictImage, checkImgsz, modelImgsz } from './predict/predict.js';
export type { PredictOptions } from './predict/predict.js';
export { drawDetections } from './predict/draw.js';
export { openModel } from './predict/open-model.js';
export type { OpenModelOptions } from './predict/open-model.js';
