// Parity with the official PyTorch ACmix: forward output and every gradient, per fixture case
// written by tools/fixtures/acmix_fixtures.py (official module, or its naive reference for
// inputs the official module crashes on).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend, readSafetensors, requireTensor, type TensorMap } from '@acmix-lab/runtime';
import { ACmix } from './layer.js';
import { fusedAttentionUnavailable } from './native-op.js';

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const cases = fs.readdirSync(fixturesDir).filter((c) => fs.existsSync(path.join(fixturesDir, c, 'model.yaml'))).sort();

interface Fixture {
  layer: ACmix;
  x: tf.Tensor4D;
  gy: tf.Tensor4D;
  expected: TensorMap;
  file: string;
}

function tensorFrom(map: TensorMap, key: string, file: string): tf.Tensor {
  const t = requireTensor(map, key, file);
  return tf.tensor(t.data as Float32Array, t.shape, 'float32');
}

const toNhwc = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;
const toNchw = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);

/** Reads the one-layer yaml the generator writes: `ch: C` and `- [-1, 1, ACmix, [args]]`. */
function loadFixture(name: string): Fixture {
  const dir = path.join(fixturesDir, name);
  const yaml = fs.readFileSync(path.join(dir, 'model.yaml'), 'utf8');
  const args = JSON.parse(/ACmix, (\[[^\]]*\])/.exec(yaml)![1]!) as number[];
  const [outPlanes, kernelAtt, head, kernelConv, stride, dilation] = args;
  const layer = new ACmix({ outPlanes: outPlanes!, kernelAtt, head, kernelConv, stride, dilation });
  const input = readSafetensors(path.join(dir, 'input.safetensors'));
  const x = tf.tidy(() => toNhwc(tensorFrom(input, 'input', name)));
  layer.build(x.shape);
  const weights = readSafetensors(path.join(dir, 'weights.safetensors'));
  for (const b of layer.torchBindings()) {
    tf.tidy(() => {
      const t = tensorFrom(weights, `model.0.${b.key}`, name);
      expect(t.shape, b.key).toEqual(b.torchShape);
      b.variable.write(b.fromTorch(t));
    });
  }
  const gy = tf.tidy(() => toNhwc(tensorFrom(readSafetensors(path.join(dir, 'grad.safetensors')), 'grad_output', name)));
  return { layer, x, gy, expected: readSafetensors(path.join(dir, 'expected.safetensors')), file: name };
}

/** max |a − b| / max |b|: the parity measure. */
function relError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]! / tf.max(tf.abs(expected)).dataSync()[0]!);
}

/** Output and gradients of the layer for loss = Σ output · grad_output, in PyTorch layouts. */
function forwardBackward(f: Fixture): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const xv = tf.variable(f.x);
    const bindings = f.layer.torchBindings();
    let output: tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      output = tf.keep(f.layer.apply(xv) as tf.Tensor);
      return tf.sum(tf.mul(output, f.gy)) as tf.Scalar;
    }, [xv, ...bindings.map((b) => b.variable.read() as tf.Variable)]);
    const out: Record<string, tf.Tensor> = { output: toNchw(output!), grad_input: toNchw(grads[xv.name]!) };
    output!.dispose();
    for (const b of bindings) {
      const g = grads[(b.variable.read() as tf.Variable).name];
      // conv_p.bias cancels in pe_center − pe_window, so it gets no gradient (zero).
      out[`grad.model.0.${b.key}`] = g ? b.toTorch(g) : tf.zeros(b.torchShape);
    }
    xv.dispose();
    return out;
  });
}

await initBackend();
const fusedUnavailable = fusedAttentionUnavailable();

// Both attention implementations: the composed TensorFlow.js ops (everywhere) and the fused
// native kernels (when built: `npm run build:native -w @acmix-lab/acmix`).
describe.each([
  { impl: 'composed', fused: '0', skip: null },
  { impl: 'fused', fused: '1', skip: fusedUnavailable },
])('ACmix ($impl attention) parity with the official PyTorch module', ({ fused, skip }) => {
  beforeAll(() => { process.env.ACMIX_LAB_FUSED = fused; });
  afterAll(() => { delete process.env.ACMIX_LAB_FUSED; });
  if (skip) it.skip(`skipped: ${skip}`, () => {});

  it.skipIf(skip)('has fixtures for every kind of case, and runs the intended implementation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
    if (fused === '1') expect(fusedAttentionUnavailable()).toBeNull();
    else expect(fusedAttentionUnavailable()).toMatch(/ACMIX_LAB_FUSED=0/);
  });

  it.skipIf(skip).each(cases)('%s: output and every gradient within 1e-4 of PyTorch', (name) => {
    const f = loadFixture(name);
    const ours = forwardBackward(f);
    const keys = [...f.expected.keys()];
    expect(keys.length).toBe(2 + 12);
    for (const key of keys) {
      const exp = tensorFrom(f.expected, key, name);
      const got = ours[key]!;
      expect(got.shape, key).toEqual(exp.shape);
      if (key === 'grad.model.0.conv_p.bias') {
        // Analytically zero; PyTorch's value is round-off of adding and subtracting the same bias.
        const scale = tf.tidy(() => tf.max(tf.abs(tensorFrom(f.expected, 'grad.model.0.conv_p.weight', name))).dataSync()[0]!);
        expect(tf.tidy(() => tf.max(tf.abs(exp)).dataSync()[0]!)).toBeLessThan(1e-5 * scale);
        expect(tf.tidy(() => tf.max(tf.abs(got)).dataSync()[0]!)).toBe(0);
      } else {
        expect(relError(got, exp), key).toBeLessThan(1e-4);
      }
      exp.dispose();
    }
    tf.dispose([...Object.values(ours), f.x, f.gy]);
    f.layer.weights.forEach((w) => w.dispose());
  });

  it.skipIf(skip)('leaks no tensors across forward, and forward and backward', async () => {
    const f = loadFixture(cases[0]!);
    tf.dispose(forwardBackward(f));
    expect(await countLeakedTensors(() => tf.dispose(forwardBackward(f)))).toBe(0);
    expect(await countLeakedTensors(() => f.layer.apply(f.x))).toBe(0);
    tf.dispose([f.x, f.gy]);
    f.layer.weights.forEach((w) => w.dispose());
  });
});
