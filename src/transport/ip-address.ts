// Classifying remote addresses for limits and loopback-only features (DESIGN §2, §8).
// Pure string work on what node reports as `socket.remoteAddress`; no DNS, no sockets.

import { BlockList, isIPv4, isIPv6 } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for 127.0.0.0/8, ::1 and their IPv4-mapped forms (::ffff:127.x.y.z, as a dual-stack
 * listener reports IPv4 clients). Anything unparsable is not loopback.
 */
export function isLoopbackAddress(ip: string): boolean {
  if (isIPv4(ip)) return loopback.check(ip, 'ipv4');
  if (isIPv6(ip)) return loopback.check(stripZone(ip), 'ipv6'); // BlockList matches v4-mapped IPv6 against IPv4 rules
  return false;
}

/**
 * The key a per-source limit counts under. IPv4 (also when v4-mapped) counts per address, as in
 * the reference (spec §14). Native IPv6 counts per /64: one host usually owns a whole /64, so
 * per-address keys would let it pick a fresh source for every connection.
 */
export function sourceKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip;
  const groups = expandIpv6(stripZone(ip));
  if (groups === undefined) return ip;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6]!;
    const lo = groups[7]!;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function stripZone(ip: string): string {
  const percent = ip.indexOf('%');
  return percent < 0 ? ip : ip.slice(0, percent);
}

/** Eight 16-bit groups of a textual IPv6 address (with `::` and a dotted IPv4 tail resolved). */
function expandIpv6(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const octets = tail.split('.').map(Number);
    if (octets.length !== 4) return undefined;
    const [a, b, c, d] = octets as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
