export { initBackend, nativeBackendAvailable, BackendError, BACKEND_NAMES } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';
export { describeEnvironment } from './environment.js';
export { describeSignalDeath, reportNativeCrashes } from './native-crash.js';
export type { CrashSignal } from './native-crash.js';
export type { EnvironmentReport } from './environment.js';
export { registerCpuKernelFixes, resizeNearestNeighborGradCpu } from './kernels/resize-nearest-neighbor-grad.js';
export {
  explicitConvPaddingAvailable, registerNativeKernelFixes, unregisterNativeKernelFixes, setNativeFilterGradient, setNativeConvolution,
} from './kernels/pointwise-conv.js';
export {
  readSafetensors, writeSafetensors, decodeSafetensors, encodeSafetensors, requireTensor, SafetensorsError,
} from './safetensors.js';
export type { NamedArray, TensorMap, SafeDtype } from './safetensors.js';
export { writeFileAtomic, writeDirAtomic, recoverDirAtomic } from './atomic.js';
export { countLeakedTensors } from './leaks.js';
export { withEnv } from './env-switch.js';
export { bitDifferences, relativeError } from './relative-error.js';
export { conv2dBinding, plainBinding, isTorchMappable } from './torch-layout.js';
export type { TorchParamBinding, TorchMappable } from './torch-layout.js';
export {
  ConfigError, parseYamlText, readYamlFile, validateYaml, configErrorAt, positionOf, fieldName,
} from './yaml-config.js';
export type { ParsedYaml } from './yaml-config.js';
