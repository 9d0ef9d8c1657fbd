// Tensor-free image basics, importable on their own (`@acmix-lab/yolo/image`) from worker threads.
export { ImageDecodeError, filledImage } from './rgb-image.js';
export type { RgbImage } from './rgb-image.js';
export { decodeImage, encodePng, encodeJpeg, sniffFormat, jpegOrientation } from './codec.js';
export type { ImageFormat } from './codec.js';
export { resizeBilinear } from './resize.js';
export { letterbox, pythonRound } from './letterbox.js';
export type { LetterboxOptions, LetterboxResult } from './letterbox.js';
