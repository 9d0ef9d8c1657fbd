// Public API: named re-exports only.
export { ACmix, ACMIX_RATES, ACMIX_DEFAULTS, acmixArgsProblem } from './layer.js';
export type { ACmixArgs, ACmixRates } from './layer.js';
export { ACmixConfigError } from './errors.js';
export { acmixParamCount, acmixFlops } from './cost.js';
export type { ACmixShape, ACmixFlopsArgs } from './cost.js';
export { fusedAttentionUnavailable, fusedBatchNormSilu, fusedBatchNormSiluUnavailable, fusedSilu, trimNativeHeap } from './native-op.js';
export { nativeConv2DBackpropFilter, useNativeFilterGradient } from './native-filter-gradient.js';
export { nativeMaxPoolGradUnavailable, useNativeMaxPoolGrad } from './native-max-pool-grad.js';
export { nativeConcatSplitUnavailable, useNativeConcatSplit } from './native-concat-split.js';
export { winogradConv2D, winogradConv2DBackpropFilter, winogradConv2DBackpropInput, winogradFilterUnavailable, winogradUnavailable, useWinogradConv } from './native-winograd.js';
export { concatFlat, splitFlat } from './flat.js';
