import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { ModelEMA } from './ema.js';
import { fixtures } from './optim-fixtures.js';
import { OptimStateError } from './errors.js';

beforeAll(async () => {
  await initBackend();
});

describe('ModelEMA', () => {
  it('ramps its decay as decay·(1 − exp(−updates/tau)) (values from the Python port)', () => {
    for (const fx of Object.values(fixtures.loops)) {
      const ema = new ModelEMA({});
      fx.ema_decays.forEach((d, i) => expect(ema.decayAt(fx.ema_updates + i + 1)).toBe(d));
    }
  });

  it('averages float entries, keeps integer ones, copies into an eval model, round-trips its state', async () => {
    expect(await countLeakedTensors(() => {
      const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
      const count = tf.tidy(() => tf.variable(tf.scalar(0, 'int32'), false));
      const model = { 'model.0.conv.weight': w, 'model.0.bn.num_batches_tracked': count };
      const ema = new ModelEMA(model, { decay: 0.5, tau: 1, updates: 0 });
      tf.tidy(() => {
        w.assign(tf.tensor1d([3, 6]));
        count.assign(tf.scalar(7, 'int32'));
      });
      ema.update(model);
      const d = 0.5 * (1 - Math.exp(-1));
      const got = ema.state['model.0.conv.weight']!.dataSync();
      expect(got[0]).toBeCloseTo(d * 1 + (1 - d) * 3, 6);
      expect(got[1]).toBeCloseTo(d * 2 + (1 - d) * 6, 6);
      expect(ema.state['model.0.bn.num_batches_tracked']!.dataSync()[0]).toBe(0);
      expect(ema.updates).toBe(1);

      const evalW = tf.tidy(() => tf.variable(tf.zeros([2])));
      const evalCount = tf.tidy(() => tf.variable(tf.scalar(0, 'int32'), false));
      ema.copyTo({ 'model.0.conv.weight': evalW, 'model.0.bn.num_batches_tracked': evalCount });
      expect(Array.from(evalW.dataSync())).toEqual(Array.from(got));

      const saved = ema.exportState();
      const other = new ModelEMA(model);
      other.importState(saved);
      expect(other.updates).toBe(1);
      expect(Array.from(other.state['model.0.conv.weight']!.dataSync())).toEqual(Array.from(got));
      tf.dispose(Object.values(saved.state));
      tf.dispose([w, count, evalW, evalCount]);
      ema.dispose();
      other.dispose();
    })).toBe(0);
  });

  it('names what differs when a state does not match', () => {
    const w = tf.variable(tf.zeros([2]));
    const ema = new ModelEMA({ 'model.0.conv.weight': w });
    const other = tf.zeros([3]);
    expect(() => ema.update({ 'model.1.conv.weight': w })).toThrow(
      /missing 1: "model.0.conv.weight"; unexpected 1: "model.1.conv.weight"/);
    expect(() => ema.update({ 'model.0.conv.weight': other })).toThrow(OptimStateError);
    expect(ema.updates).toBe(0);
    tf.dispose([w, other]);
    ema.dispose();
  });
});
