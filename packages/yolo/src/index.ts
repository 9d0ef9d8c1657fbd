// Public API: named re-exports only.
export {
  ImageDecodeError, filledImage, decodeImage, encodePng, encodeJpeg, sniffFormat, resizeBilinear, letterbox, pythonRound,
} from './image/index.js';
export type { RgbImage, ImageFormat, LetterboxOptions, LetterboxResult } from './image/index.js';
