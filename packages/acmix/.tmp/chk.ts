import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable } from '../src/native-op.js';
await initBackend('tensorflow');
console.log('unavailable:', fusedAttentionUnavailable());
