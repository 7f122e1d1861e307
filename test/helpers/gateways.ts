// Starts real gateways on 127.0.0.1 port 0 for integration tests and records what they deliver.

import pino from 'pino';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/daemon/gateway.js';
import { generateIdentity } from '../../src/protocol/ed25519.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import type { ToqSession } from '../../src/transport/toq-session.js';
import { testCertificate } from './certs.js';

export interface TestGateway extends Gateway {
  /** Every delivered message, in delivery order. */
  readonly inbox: Envelope[];
  /** Resolves when the inbox holds at least `n` messages. */
  waitForInbox(n: number, timeoutMs?: number): Promise<Envelope[]>;
}

export async function startTestGateway(
  name: string,
  options: Partial<Omit<GatewayOptions, 'agents'>> & { onMessage?: (e: Envelope, s: ToqSession) => void | Promise<void> } = {},
): Promise<TestGateway> {
  const inbox: Envelope[] = [];
  const waiters = new Set<() => void>();
  const gateway = await startGateway({
    port: 0,
    bindAddress: '127.0.0.1',
    connectionMode: 'open',
    certificate: testCertificate(),
    ...options,
    agents: [{ name, identity: generateIdentity() }],
    log: options.log ?? pino({ level: process.env['TEST_LOG'] ?? 'silent' }),
    onMessage: async (envelope, session) => {
      await options.onMessage?.(envelope, session);
      inbox.push(envelope);
      for (const wake of [...waiters]) wake();
    },
  });
  return {
    ...gateway,
    inbox,
    waitForInbox: (n, timeoutMs = 5_000) =>
      new Promise<Envelope[]>((resolve, reject) => {
        const check = (): void => {
          if (inbox.length >= n) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(inbox);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`inbox has ${inbox.length} messages, expected ${n}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
