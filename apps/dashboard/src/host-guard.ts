// Safe by default: answer only requests addressed to the host this server serves (a DNS-rebinding
// page reaches 127.0.0.1 under its own host name, so its Host header gives it away), send no CORS
// headers at all (the API is for this origin), and forbid inline scripts, framing and MIME sniffing,
// so a stored string that slipped into HTML could still not run.
import os from 'node:os';
import { appWide } from './plugins.js';

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::']);

const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The address to print: a wildcard address is reached by this machine's name. */
export function urlFor(host: string, port: number): string {
  return `http://${hostPort(WILDCARD.has(host) ? os.hostname() : host, port)}/`;
}

/**
 * The Host header values of a server listening on host:port. Loopback answers to every loopback name;
 * a wildcard address to this machine's name and addresses (what a browser on the network types).
 */
export function servedHosts(host: string, port: number): Set<string> {
  let names = [host];
  if (LOOPBACK.has(host)) names = [...LOOPBACK];
  if (WILDCARD.has(host)) {
    const addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
    names = [...LOOPBACK, os.hostname(), ...addresses];
  }
  return new Set(names.map((name) => hostPort(name, port).toLowerCase()));
}

/** `hosts` is filled once the server listens (its port may be 0 until then): until then nothing is answered. */
export const hostGuard = appWide(async (app, { hosts }: { hosts: ReadonlySet<string> }) => {
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS); // here, so that the 403 below and error replies carry them too
    const host = request.headers.host?.toLowerCase();
    if (host === undefined || !hosts.has(host)) {
      return reply.code(403).send({ error: 'this server answers only requests addressed to its own host (Host header)' });
    }
  });
});
