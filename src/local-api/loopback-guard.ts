// Who may use the local API (DESIGN §2): the socket is from loopback, no proxy headers (a
// loopback socket behind a reverse proxy is not a local caller), the Host header names a
// loopback host (DNS-rebinding guard), and an Origin, if present, is loopback too. The
// reference checks only the socket address (local-API spec §1).

import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress } from '../transport/ip-address.js';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** undefined when the request may use /v1/*, else the reason it may not. */
export function localApiRefusal(req: IncomingMessage): string | undefined {
  const remote = req.socket.remoteAddress;
  if (remote === undefined || !isLoopbackAddress(remote)) return 'not a loopback connection';
  for (const header of PROXY_HEADERS) {
    if (req.headers[header] !== undefined) return `proxy header ${header} present`;
  }
  const host = req.headers.host;
  if (host === undefined || !isLoopbackHost(hostWithoutPort(host))) return 'Host is not a loopback name';
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).hostname;
    } catch {
      return 'Origin is not a URL';
    }
    if (!isLoopbackHost(originHost)) return 'Origin is not loopback';
  } else if (origin === 'null') {
    return 'Origin is opaque';
  }
  return undefined;
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(1, end);
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopbackAddress(h);
}
