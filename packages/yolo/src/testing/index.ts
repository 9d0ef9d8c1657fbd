// Test helpers (`@acmix-lab/yolo/testing`): named re-exports only.
export { exerciseModel, forwardBackward } from './exercise.js';
