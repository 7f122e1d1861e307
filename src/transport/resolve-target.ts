// Where to dial a toq address (wire spec §9, §13): a DNS name without an explicit port takes the
// port from the `_toq._tcp.<host>` TXT record of that agent (9009 when none matches); the
// `localhost` name dials 127.0.0.1 (the reference binds IPv4 only, §3.1).

import { Resolver } from 'node:dns/promises';
import { needsDnsLookup, type ToqAddress } from '../protocol/address.js';
import { dnsTxtName, findAgentRecord } from '../protocol/dns-txt.js';

export type TargetResolver = (address: ToqAddress) => Promise<{ host: string; port: number }>;

const DNS_TIMEOUT_MS = 2_000;

export async function resolveToqTarget(address: ToqAddress): Promise<{ host: string; port: number }> {
  let port = address.port;
  if (!address.isPortExplicit && needsDnsLookup(address.host)) {
    const resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 2 });
    try {
      const records = await resolver.resolveTxt(dnsTxtName(address.host));
      const record = findAgentRecord(records, address.name);
      if (record) port = record.port;
    } catch {
      // No TXT record (or no DNS): the default port, as the reference does.
    }
  }
  const host = address.host === 'localhost' ? '127.0.0.1' : address.host;
  return { host, port };
}
