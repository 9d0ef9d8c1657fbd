// Plugins whose hooks apply to the whole app (not encapsulated): what fastify-plugin does, by the
// `skip-override` symbol fastify documents for it (fastify's Plugins reference), without the dependency.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

export function appWide<O extends Record<string, unknown>>(plugin: (app: FastifyInstance, options: O) => Promise<void>): FastifyPluginAsync<O> {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}
