// Child process of the wire benchmark: a bare TLS server that echoes each frame back, the
// anchor for "how fast is one TLS round trip of this size on this machine".
// Prints {"port": N} on stdout when listening; exits when stdin closes.

import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { FrameDecoder, encodeFrame } from '../src/protocol/frame.js';
import { createSelfSignedCertificate } from '../src/transport/tls-certificate.js';
import { tlsServerOptions } from '../src/transport/tls-options.js';

const server = createServer(tlsServerOptions(createSelfSignedCertificate()), (socket) => {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) socket.write(encodeFrame(frame));
  });
  socket.on('error', () => undefined); // the bench drops the connection when it is done
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
