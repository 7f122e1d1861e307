// Port-0 servers on 127.0.0.1 for integration tests: listen, learn the port, close (dropping
// whatever connections are still open, so a keep-alive client cannot stall a test's teardown).

import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

const openSockets = new WeakMap<Server, Set<Socket>>();

/** Listens on 127.0.0.1 with an OS-chosen port and returns that port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening'); // rejects if 'error' comes first
  const address = server.address();
  if (address === null || typeof address === 'string') throw new TypeError('expected a TCP address');
  return address.port;
}

/** Stops listening and destroys the connections the server accepted that are still open. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of openSockets.get(server) ?? []) socket.destroy();
  await closed;
}

/** A port that was free a moment ago on 127.0.0.1 (for processes that must be given a port). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await closeServer(server);
  return port;
}
