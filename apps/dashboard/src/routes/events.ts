// GET /api/events: server-sent events, one `change` event each time the database changes (a sweep
// logged an epoch, a run started or finished), so open pages refresh while a sweep runs.
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { ChangeFeed } from '../change-feed.js';
import { SECURITY_HEADERS } from '../host-guard.js';

/** A comment line now and then keeps proxies and the browser from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export const eventRoutes: FastifyPluginAsync<{ feed: ChangeFeed }> = async (app, { feed }) => {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
  });

  app.get('/api/events', {
    schema: {
      description: 'text/event-stream: `event: change` with data {"version": n} after each write to the database.',
      response: { 200: { type: 'string', description: 'an event stream' } },
    },
  }, (request, reply) => {
    reply.hijack(); // the stream stays open: fastify's serialization and onSend hooks do not apply
    const stream = reply.raw;
    stream.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
    const send = (version: number) => stream.write(`event: change\ndata: ${JSON.stringify({ version })}\n\n`);
    send(feed.version());
    const unsubscribe = feed.subscribe(send);
    const keepalive = setInterval(() => stream.write(': keepalive\n\n'), KEEPALIVE_MS);
    open.add(stream);
    request.raw.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      open.delete(stream);
    });
  });
};
