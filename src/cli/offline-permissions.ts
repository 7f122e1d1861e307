// Permission changes while the daemon is stopped: load permissions.toml into the same policy
// engine the daemon uses, apply the change with its methods (so a key block drops the key's
// approval, an approval drops the pending request, exactly as over the API), write the file
// back. Never used while the daemon runs: it owns the file then and rewrites it on exit.

import { PolicyEngine } from '../protocol/policy.js';
import { permissionsToPolicyState, policyStateToPermissions, readPermissionsFile, writePermissionsFileSync } from '../workspace/permissions-file.js';

export function editPermissionsFile(path: string, change: (policy: PolicyEngine) => void): PolicyEngine {
  const state = permissionsToPolicyState(readPermissionsFile(path));
  // The mode does not matter for editing rules; the daemon applies its own at start.
  const policy = PolicyEngine.fromJSON(state, { mode: 'approval' }, { now: Date.now });
  change(policy);
  writePermissionsFileSync(path, policyStateToPermissions(policy.toJSON()));
  return policy;
}

/** The file's content in the API's shapes (GET /v1/permissions, GET /v1/approvals). */
export function readPermissionsAsApi(path: string): {
  approved: { type: string; value: string }[];
  blocked: { type: string; value: string }[];
  approvals: { id: string; public_key: string; address: string; requested_at: string }[];
} {
  const file = readPermissionsFile(path);
  return {
    approved: file.approved.map((r) => ({ type: r.type, value: r.value })),
    blocked: file.blocked.map((r) => ({ type: r.type, value: r.value })),
    approvals: file.pending.map((p) => ({ id: p.key, public_key: p.key, address: p.address, requested_at: p.requestedAt })),
  };
}
