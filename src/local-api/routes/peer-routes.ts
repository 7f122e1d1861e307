// Peers, permissions and approvals (local-API spec §3.4): block/unblock/approve/revoke by key or
// address pattern, the pending approvals queue, ping, discovery and connections (§3.5).

import { tryParseAddress } from '../../protocol/address.js';
import { decodePublicKeyText } from '../../protocol/ed25519.js';
import { addressRule, keyRule, type PolicyRule } from '../../protocol/policy.js';
import { ApiError, PlainHttpError } from '../api-error.js';
import type { LocalApiDeps } from '../local-api-deps.js';
import { fieldString, readJsonObject, readOptionalJsonObject } from '../request-body.js';
import type { Router } from '../router.js';

export function addPeerRoutes(router: Router, deps: LocalApiDeps): void {
  const { policy } = deps;
  const changed = (): { empty: true } => {
    deps.persistPolicy();
    return { empty: true };
  };

  router.add('GET', '/v1/peers', () => ({ json: { peers: deps.peers() } }));

  // The key may arrive percent-encoded (Node SDK) or raw with `/` and `+` (Python SDK).
  router.add('POST', '/v1/peers/:key*/block', ({ params }) => {
    policy.block(keyRule(validKey(params['key']!)));
    return changed();
  });
  router.add('DELETE', '/v1/peers/:key*/block', ({ params }) => {
    policy.unblock(keyRule(validKey(params['key']!)));
    return changed();
  });

  router.add('POST', '/v1/block', async ({ req }) => {
    policy.block(await ruleFromBody(req));
    return changed();
  });
  router.add('DELETE', '/v1/block', async ({ req }) => {
    policy.unblock(await ruleFromBody(req));
    return changed();
  });
  router.add('POST', '/v1/approve', async ({ req }) => {
    policy.approve(await ruleFromBody(req));
    return changed();
  });
  router.add('POST', '/v1/revoke', async ({ req }) => {
    policy.revoke(await ruleFromBody(req));
    return changed();
  });

  router.add('GET', '/v1/permissions', () => ({ json: { approved: policy.listApproved(), blocked: policy.listBlocked() } }));

  router.add('GET', '/v1/approvals', () => ({
    json: {
      approvals: policy.listPending().map((p) => ({
        id: p.publicKey,
        public_key: p.publicKey,
        address: p.address,
        requested_at: new Date(p.requestedAtMs).toISOString(),
      })),
    },
  }));

  router.add('POST', '/v1/approvals/:id*/revoke', ({ params }) => {
    const key = approvalKey(params['id']!);
    policy.revoke(keyRule(key));
    return changed();
  });

  router.add('POST', '/v1/approvals/:id*', async ({ req, params }) => {
    const key = approvalKey(params['id']!);
    const body = await readJsonObject(req);
    const decision = fieldString(body, 'decision', true);
    if (decision === 'approve') policy.approvePending(key);
    else if (decision === 'deny') policy.deny(key);
    else throw new ApiError(400, 'invalid_request', `Unknown decision '${decision}' (use 'approve' or 'deny')`);
    return changed();
  });

  router.add('POST', '/v1/ping', async ({ req }) => {
    const body = await readJsonObject(req);
    const address = fieldString(body, 'address', true);
    if (!tryParseAddress(address).ok) throw new ApiError(400, 'invalid_request', 'Invalid toq address');
    return { json: await deps.ping(address) };
  });

  router.add('GET', '/v1/discover', async ({ query }) => {
    const host = query.get('host');
    if (host === null) throw new PlainHttpError(400, 'Failed to deserialize query string: missing field `host`');
    return { json: { agents: await deps.discover(host) } };
  });
  router.add('GET', '/v1/discover/local', () => ({ json: { agents: [] } }));
  router.add('GET', '/v1/connections', () => ({ json: { connections: deps.connections() } }));
}

async function ruleFromBody(req: Parameters<typeof readOptionalJsonObject>[0]): Promise<PolicyRule> {
  const body = await readJsonObject(req);
  const from = fieldString(body, 'from');
  const key = fieldString(body, 'key');
  // As in the reference, `from` wins when both are given and is not validated.
  if (from !== undefined) return addressRule(from);
  if (key !== undefined) return keyRule(validKey(key));
  throw new ApiError(400, 'invalid_request', "Specify 'key' or 'from'");
}

function validKey(text: string): string {
  try {
    decodePublicKeyText(text);
  } catch {
    throw new ApiError(400, 'invalid_request', 'Invalid public key');
  }
  return text;
}

function approvalKey(id: string): string {
  try {
    decodePublicKeyText(id);
  } catch {
    throw new ApiError(404, 'not_found', 'Invalid approval ID (must be an encoded public key)');
  }
  return id;
}
