// Daemon, keys, backup, config, card and handler routes (local-API spec §3.6-3.8).

import { ApiError } from '../api-error.js';
import type { LocalApiDeps } from '../local-api-deps.js';
import { fieldString, readJsonObject, readOptionalJsonObject } from '../request-body.js';
import type { Router } from '../router.js';

export function addDaemonRoutes(router: Router, deps: LocalApiDeps): void {
  router.add('GET', '/v1/health', () => ({ text: 'ok' }));
  router.add('GET', '/v1/status', () => ({ json: deps.status() }));
  router.add('POST', '/v1/daemon/shutdown', async ({ req, res }) => {
    await readOptionalJsonObject(req);
    // Answer first, then stop: the caller gets its 200.
    res.once('finish', () => deps.shutdown());
    return { empty: true };
  });
  router.add('GET', '/v1/logs', () => ({ json: { entries: deps.logs() } }));
  router.add('DELETE', '/v1/logs', () => {
    deps.clearLogs();
    return { empty: true };
  });
  router.add('GET', '/v1/diagnostics', () => ({ json: deps.diagnostics() }));
  router.add('GET', '/v1/upgrade/check', () => ({ json: deps.upgradeCheck() }));

  router.add('POST', '/v1/keys/rotate', async ({ req }) => {
    await readOptionalJsonObject(req);
    return { json: await deps.rotateKeys() };
  });
  router.add('POST', '/v1/backup/export', async ({ req }) => {
    const body = await readJsonObject(req);
    const passphrase = fieldString(body, 'passphrase', true);
    if (passphrase.length === 0) throw new ApiError(400, 'invalid_request', 'Passphrase must not be empty');
    return { json: { data: await deps.backupExport(passphrase) } };
  });
  router.add('POST', '/v1/backup/import', async ({ req }) => {
    const body = await readJsonObject(req);
    await deps.backupImport(fieldString(body, 'passphrase', true), fieldString(body, 'data', true));
    return { empty: true };
  });

  router.add('GET', '/v1/config', () => ({ json: { config: deps.config() } }));
  router.add('PATCH', '/v1/config', async ({ req }) => ({ json: { config: deps.patchConfig(await readJsonObject(req)) } }));
  router.add('GET', '/v1/card', () => ({ json: deps.card() }));

  router.add('GET', '/v1/handlers', () => ({ json: { handlers: deps.handlers.list() } }));
  router.add('POST', '/v1/handlers', async ({ req }) => ({ json: deps.handlers.add(await readJsonObject(req)) }));
  router.add('POST', '/v1/handlers/reload', () => {
    deps.handlers.reload();
    return { json: { status: 'reloaded' } };
  });
  router.add('POST', '/v1/handlers/stop', async ({ req }) => {
    const body = await readJsonObject(req);
    const name = fieldString(body, 'name');
    if (name === undefined) throw new ApiError(400, 'invalid_request', 'missing name');
    const pidValue = body['pid'];
    const pid = pidValue === undefined || pidValue === null ? undefined : Number(String(pidValue));
    if (pid !== undefined && !Number.isSafeInteger(pid)) throw new ApiError(400, 'invalid_request', 'pid must be an integer');
    return { json: { stopped: deps.handlers.stop(name, pid), name } };
  });
  router.add('PUT', '/v1/handlers/:name', async ({ req, params }) => {
    const updated = deps.handlers.update(params['name']!, await readJsonObject(req));
    if (!updated) throw new ApiError(404, 'not_found', 'handler not found');
    return { json: updated };
  });
  router.add('DELETE', '/v1/handlers/:name', ({ params }) => {
    if (!deps.handlers.remove(params['name']!)) throw new ApiError(404, 'not_found', 'handler not found');
    return { json: { status: 'removed', name: params['name'] } };
  });
}
