// The body of a v0.3 REST push-config create (POST /v1/tasks/{id}/pushNotificationConfigs),
// brought to the shape the SDK's v0.3 REST router reads. The spec gives the payload as
// `{config: TaskPushNotificationConfig}` (spec v0.3.0 §7.5), and a2a-python's v0.3 RestTransport
// (like the v0.3 TCK) sends the whole CreateTaskPushNotificationConfigRequest {parent, configId,
// config}; the SDK reads the body as the bare TaskPushNotificationConfig (the proto's
// `body: "config"`) and refuses the wrapper. This middleware unwraps it; a bare body, a v1.0
// request and any other route pass untouched. It never answers a request except a malformed
// JSON body, which it must read first (answered as the SDK's v0.3 router would).

import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { LEGACY_A2A_VERSION, normalizeA2aVersion } from './a2a-version.js';

/** The v0.3 REST route of a push-config create, `:taskId` as the SDK's router names it. */
export const LEGACY_PUSH_CONFIGS_ROUTE = '/v1/tasks/:taskId/pushNotificationConfigs';

type JsonObject = Record<string, unknown>;

/** Express middleware for LEGACY_PUSH_CONFIGS_ROUTE (POST); call it before the SDK's restHandler. */
export function unwrapLegacyPushConfigBody(): RequestHandler<{ taskId: string }> {
  // The SDK's v0.3 router parses with these options; it skips a body already read (body-parser).
  const parseJson = express.json({ type: 'application/json', strict: false });
  return (req: Request<{ taskId: string }>, res: Response, next: NextFunction) => {
    // a2a-http-handler.ts has put the version header in its Major.Minor form; absent means 0.3.
    const version = req.headers['a2a-version'];
    if (normalizeA2aVersion(typeof version === 'string' ? version : undefined) !== LEGACY_A2A_VERSION) {
      next();
      return;
    }
    parseJson(req, res, (err?: unknown) => {
      if (err instanceof SyntaxError) {
        res.status(400).json({ code: -32700, message: 'Invalid JSON payload.' });
        return;
      }
      if (err !== undefined) {
        next(err);
        return;
      }
      const body: unknown = req.body;
      if (isObject(body)) req.body = toBareConfig(body, req.params.taskId);
      next();
    });
  };
}

/**
 * The TaskPushNotificationConfig inside a CreateTaskPushNotificationConfigRequest, with the
 * request's config id and the path's task filled in where the config leaves them out; any
 * other body as it came. Field names as in ProtoJSON: lowerCamelCase or the proto name.
 */
export function toBareConfig(body: JsonObject, taskId: string): JsonObject {
  const config = body['config'];
  const isBare = 'pushNotificationConfig' in body || 'push_notification_config' in body || 'name' in body;
  if (isBare || !isObject(config)) return body;
  const inner = config['pushNotificationConfig'] ?? config['push_notification_config'];
  const configId = body['configId'] ?? body['config_id'];
  const pushConfig = isObject(inner) && isEmpty(inner['id']) && typeof configId === 'string' && configId !== '' ? { ...inner, id: configId } : inner;
  const id = isObject(pushConfig) && typeof pushConfig['id'] === 'string' ? pushConfig['id'] : '';
  const name = isEmpty(config['name']) ? `tasks/${taskId}${id === '' ? '' : `/pushNotificationConfigs/${id}`}` : config['name'];
  const { push_notification_config: _snake, ...rest } = config;
  return pushConfig === undefined ? { ...rest, name } : { ...rest, name, pushNotificationConfig: pushConfig };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}
