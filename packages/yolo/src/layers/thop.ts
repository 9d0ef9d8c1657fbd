// Operation counts as thop counts them (Ultralytics' get_flops = thop.profile × 2): each layer that
// stands for a PyTorch module reports what thop's hook for that module adds, for one call.

export interface ThopCounted {
  /** thop's count for one call with these concrete NHWC input and output shapes (multiply-adds once). */
  thopOps(inputs: number[][], output: number[]): number;
}

export function isThopCounted(x: unknown): x is ThopCounted {
  return typeof (x as ThopCounted | null)?.thopOps === 'function';
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
