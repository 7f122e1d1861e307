// A real node:http server on loopback port 0 for tests of the A2A binding alone: it listens first
// (a card needs its URL) and is given its handler after; until then it answers empty.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '../../src/a2a/a2a-http-handler.js';

export interface A2aHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** The handler every request goes to from now on. */
  serve(handler: HttpHandler): void;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

export async function listenA2aHttpServer(): Promise<A2aHttpServer> {
  let handler: HttpHandler = (_req, res) => res.end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (next) => void (handler = next),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
