// Where the gateway may send HTTP requests as an A2A client (DESIGN §8, a2a-notes §14.2): the
// SSRF guard for outbound A2A targets, checked when connecting (the host is resolved and every
// address it resolves to is checked, so a name that points at a metadata service is refused too),
// and a fetch wrapper that applies it to every request the SDK makes and refuses redirects. Knows
// nothing of toq. Limit: the check and fetch's own resolution are two lookups, so a host that
// changes its answer in between (DNS rebinding) is not caught; an undici dispatcher with a pinned
// lookup would close that gap.

import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { GatewayError } from '../protocol/errors.js';

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'reserved';

export interface OutboundUrlPolicy {
  /** Private (RFC 1918, ULA, CGNAT) and loopback targets are allowed. Link-local and metadata never are. */
  readonly allowPrivate: boolean;
}

/** Resolves a host name to its addresses (tests inject one; default node:dns lookup, all families). */
export type HostLookup = (hostname: string) => Promise<ReadonlyArray<{ readonly address: string }>>;

/** Cloud metadata host names, refused whatever they resolve to (the reference refuses the first two). */
const METADATA_HOSTS: ReadonlySet<string> = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
// AWS's IPv6 metadata address sits inside the ULA range: name it so it is never "just private".
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

const RESERVED = new BlockList();
RESERVED.addSubnet('0.0.0.0', 8, 'ipv4');
RESERVED.addSubnet('224.0.0.0', 4, 'ipv4');
RESERVED.addSubnet('240.0.0.0', 4, 'ipv4');
RESERVED.addAddress('::', 'ipv6');
RESERVED.addSubnet('ff00::', 8, 'ipv6');

/** The class of an IP address text; IPv4-mapped IPv6 addresses are classed as their IPv4 address. */
export function classifyAddress(ip: string): AddressClass {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  const family = isIP(address);
  if (family === 0) throw new RangeError(`not an IP address: ${ip}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LINK_LOCAL.check(address, type)) return 'link-local';
  if (RESERVED.check(address, type)) return 'reserved';
  if (LOOPBACK.check(address, type)) return 'loopback';
  if (PRIVATE.check(address, type)) return 'private';
  return 'public';
}

/** Whether the policy lets a request reach this address class. */
export function isAllowedAddressClass(cls: AddressClass, policy: OutboundUrlPolicy): boolean {
  if (cls === 'public') return true;
  if (cls === 'private' || cls === 'loopback') return policy.allowPrivate;
  return false;
}

const defaultLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Throws GatewayError `a2a_target_refused` unless the URL is http(s) and every address its host
 * resolves to is allowed.
 */
export async function checkOutboundUrl(url: URL, policy: OutboundUrlPolicy, lookup: HostLookup = defaultLookup): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GatewayError('a2a_target_refused', `only http and https targets are allowed, got ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (METADATA_HOSTS.has(host)) throw new GatewayError('a2a_target_refused', `target host ${host} is a cloud metadata service`);
  let addresses: ReadonlyArray<{ readonly address: string }>;
  if (isIP(host) !== 0) addresses = [{ address: host }];
  else {
    try {
      addresses = await lookup(host);
    } catch (err) {
      throw new GatewayError('a2a_target_unreachable', `cannot resolve ${host}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (addresses.length === 0) throw new GatewayError('a2a_target_unreachable', `${host} resolves to no address`);
  for (const { address } of addresses) {
    const cls = classifyAddress(address);
    if (!isAllowedAddressClass(cls, policy)) {
      const hint = cls === 'private' || cls === 'loopback' ? ' (a2a_webhook_allow_private = true allows it)' : '';
      throw new GatewayError('a2a_target_refused', `target ${host} resolves to ${cls} address ${address}${hint}`);
    }
  }
}

export interface GuardedFetchOptions {
  readonly policy: OutboundUrlPolicy;
  /** `Authorization` header value added to every request that has none (e.g. `Bearer abc`). */
  readonly authorization?: string;
  readonly lookup?: HostLookup;
  /** @default globalThis.fetch */
  readonly fetchImpl?: typeof fetch;
}

/** A fetch for the SDK's card resolver and transports: policy-checked, no redirects, optional auth. */
export function createGuardedFetch(options: GuardedFetchOptions): typeof fetch {
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    await checkOutboundUrl(url, options.policy, options.lookup);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (options.authorization !== undefined && !headers.has('authorization')) headers.set('authorization', options.authorization);
    // A redirect could lead anywhere the policy forbids (reference: "no redirects", local-API §9.4).
    return fetchImpl(input, { ...init, headers, redirect: 'error' });
  };
}
