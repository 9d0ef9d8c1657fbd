// Public API: named re-exports only.
export { readSweepFile } from './sweep-file.js';
export type { Sweep, SweepPosition, GridAxis, TrainGridAxis, Combine } from './sweep-file.js';
export type { SweepModule, ModuleGridAxis } from './sweep-modules.js';
export { enumerateVariants, combinations, scaledStem, gridLabels } from './variants.js';
export type { Variant } from './variants.js';
export { placeLayers, placementConflict } from './placement.js';
export type { Placement, PlacementKind, PlacedLayers, LayerEntry } from './placement.js';
export { runKey, variantKey, modelKey, normalisedModel, keyedTrainConfig, KEY_VERSION, KEY_EXCLUDED_TRAIN_KEYS } from './key.js';
export { measureVariants, writeVariantModels, formatVariantTable } from './measure.js';
export type { VariantSize } from './measure.js';
