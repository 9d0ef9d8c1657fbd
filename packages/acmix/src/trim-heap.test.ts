// trimNativeHeap (glibc malloc_trim through native/addon.cc) returns freed native memory that glibc keeps
// resident, here Node buffers (checkpoints, validation, the DataLoader's images live in such buffers):
// once glibc's dynamic mmap threshold has risen, multi-MiB blocks come from the heap, and blocks freed
// between live ones cannot go back by shrinking it. A YOLOv8n run's RSS crept up that way over epochs.
// (TensorFlow's own large buffers live in oneDNN's pool allocator, which keeps them for reuse.)
import { expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { initBackend } from '@acmix-lab/runtime';
import { trimNativeHeap } from './native-op.js';

await initBackend('tensorflow');
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const MIB = 2 ** 20;
const rss = () => process.memoryUsage().rss / MIB;

it.skipIf(process.platform !== 'linux')('returns freed blocks held between live ones to the system', () => {
  // A freed 16 MiB block lifts the mmap threshold above the 4 MiB blocks that follow (written, so resident).
  Buffer.alloc(16 * MIB, 1);
  collectGarbage();
  const blocks: (Buffer | null)[] = Array.from({ length: 64 }, (_, i) => Buffer.alloc(4 * MIB, i + 1));
  for (let i = 0; i < blocks.length; i++) if (i % 8 !== 7) blocks[i] = null; // 56 × 4 MiB freed, every 8th kept
  collectGarbage();
  const before = rss();
  expect(trimNativeHeap()).toBe(true);
  const released = before - rss();
  expect(blocks.filter((b) => b !== null)).toHaveLength(8);
  expect(released, `RSS ${before.toFixed(0)} MiB before the trim`).toBeGreaterThan(112); // half of the 224 MiB freed
});
