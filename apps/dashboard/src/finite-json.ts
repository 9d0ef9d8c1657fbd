// The store returns NaN for a NaN metric (and ±Infinity as itself); JSON has neither, and fastify's
// serializer refuses NaN. Every API answer has them replaced by null before it is serialized, which is
// what JSON.stringify does (so GET /api/runs is `acmix-lab runs --json`), and the browser draws a gap.
import { appWide } from './plugins.js';

function finiteOrNull(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(finiteOrNull);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finiteOrNull(v)]));
  }
  return value;
}

export const finiteJson = appWide(async (app) => {
  app.addHook('preSerialization', async (_request, _reply, payload) => finiteOrNull(payload));
});
