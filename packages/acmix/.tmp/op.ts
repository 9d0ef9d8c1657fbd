import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable } from '../src/native-op.js';
await initBackend('tensorflow');
fusedAttentionUnavailable();
const backend = tf.backend() as any;
const [B, H, W, heads, E, D] = (process.argv[2] ?? '8,40,40,4,18,16').split(',').map(Number);
const attrs = [
  { name: 'kernel_att', type: backend.binding.TF_ATTR_INT, value: 7 },
  { name: 'stride', type: backend.binding.TF_ATTR_INT, value: 1 },
  { name: 'dilation', type: backend.binding.TF_ATTR_INT, value: 1 },
];
const q = tf.randomNormal([B!, H!, W!, heads!, E!]), k = tf.randomNormal([B!, H!, W!, heads!, E!]), v = tf.randomNormal([B!, H!, W!, heads!, D!]);
function time(name: string, f: () => void) { f(); let best = Infinity, bc = Infinity; for (let i = 0; i < (Number(process.env.N) || 7); i++) { const c0 = process.cpuUsage(); const t0 = performance.now(); f(); best = Math.min(best, performance.now() - t0); const c = process.cpuUsage(c0); bc = Math.min(bc, (c.user + c.system) / 1000); } console.log(name, 'wall', best.toFixed(1), 'cpu', bc.toFixed(1)); }
time('fwd', () => { const [o, p] = backend.executeMultipleOutputs('ACmixWindowAttention', attrs, [q, k, v], 2); tf.dispose([o, p]); });
const [o, p] = backend.executeMultipleOutputs('ACmixWindowAttention', attrs, [q, k, v], 2);
const dy = tf.randomNormal(o.shape);
time('bwd', () => { const g = backend.executeMultipleOutputs('ACmixWindowAttentionGrad', attrs, [q, k, v, p, o, dy], 3); tf.dispose(g); });
