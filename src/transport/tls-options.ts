// TLS settings for toq: the options of the server's one shared TLS context and those for dialing
// toq peers (wire spec §3.2, §20 items 13-14). No sockets are opened here.

import { createSecureContext, type ConnectionOptions, type SecureContext, type TlsOptions } from 'node:tls';
import { TLS_SERVER_NAME } from '../protocol/constants.js';

export interface TlsServerCredentials {
  certPem: string;
  keyPem: string;
}

/**
 * Options for the one tls.Server that serves every inbound TLS connection (mux/'s
 * createTlsAcceptor). That server keeps a single secure context for all sockets: a context per
 * connection would re-parse the key each time and give every socket its own session-ticket
 * keys, which would make resumption impossible.
 *
 * TLS 1.3 only. Refusing 1.2 is safe for toq: the reference builds its rustls configs from the
 * defaults, which offer 1.3 (and 1.2), so a reference initiator always completes a 1.3
 * handshake with us (two reference peers also always end on 1.3, spec §3.2). HTTPS A2A clients
 * without 1.3 (pre-2018 stacks) are refused; DESIGN §8 lists TLS 1.3 as a requirement.
 * No client certificates, no SNI requirement, no ALPN (spec §20 item 14).
 */
export function tlsServerOptions(credentials: TlsServerCredentials): TlsOptions {
  return {
    cert: credentials.certPem,
    key: credentials.keyPem,
    minVersion: 'TLSv1.3',
    requestCert: false,
  };
}

export interface ToqClientTlsOptions {
  /** A session ticket saved from an earlier connection to the same peer (see TlsSessionCache). */
  session?: Buffer;
}

/**
 * Options for `tls.connect` toward a toq peer (spec §20 item 13): the certificate is not checked
 * (peers present self-signed `localhost` certificates; identity is the Ed25519 handshake that
 * follows), SNI is always `localhost` (what the reference sends; node refuses IP literals as SNI
 * anyway), no ALPN (the reference offers none), TLS 1.3 only (reference servers offer it, §3.2).
 * Callers add host, port and socket-level options.
 */
export function toqClientTlsOptions(options: ToqClientTlsOptions = {}): ConnectionOptions {
  const tlsOptions: ConnectionOptions = {
    // One shared client context: building one per connection (node's default) parses the CA
    // store each time and was ~2% of the CPU of a connection-per-message workload here.
    secureContext: clientContext(),
    servername: TLS_SERVER_NAME,
    rejectUnauthorized: false,
    // The name check would fail on most peers and its result is ignored without verification;
    // skip the work.
    checkServerIdentity: () => undefined,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
  if (options.session !== undefined) tlsOptions.session = options.session;
  return tlsOptions;
}

let sharedClientContext: SecureContext | undefined;

function clientContext(): SecureContext {
  sharedClientContext ??= createSecureContext({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  return sharedClientContext;
}
