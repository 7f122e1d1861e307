// Config → the JSON object of GET /v1/config (local-API spec §3.7): snake_case keys, optional
// keys omitted when unset, keys in byte order as the reference's serde_json map prints them.
// Strings the reference reports as written (connection_mode, log_level) are the file's text,
// not the fallback in force. Pure: no I/O.

import { ADAPTER_TABLES, CONFIG_KEYS, type AgentConfig, type Config } from './config-schema.js';

export type ConfigJsonValue = string | number | boolean | ConfigJsonObject;
export interface ConfigJsonObject {
  [key: string]: ConfigJsonValue;
}

/** The `config` member of GET /v1/config. Includes the gateway's keys and `agents` when any are set. */
export function configToJson(config: Config): ConfigJsonObject {
  const out: ConfigJsonObject = {};
  for (const spec of CONFIG_KEYS) {
    const value = config[spec.property] as string | number | boolean | undefined;
    if (value !== undefined) out[spec.key] = value;
  }
  for (const table of ADAPTER_TABLES) {
    const value = config[table.property] as Record<string, string> | undefined;
    if (value === undefined) continue;
    const members: ConfigJsonObject = {};
    for (const [member, property] of Object.entries(table.members)) {
      const memberValue = value[property];
      if (memberValue !== undefined) members[member] = memberValue;
    }
    out[table.key] = members;
  }
  if (config.agents.length > 0) {
    const agents: ConfigJsonObject = {};
    for (const agent of config.agents) agents[agent.name] = agentToJson(agent);
    out['agents'] = sortKeys(agents);
  }
  return sortKeys(out);
}

/** One `[agents.<name>]` table as JSON (and as the TOML members edit-config writes). */
export function agentToJson(agent: AgentConfig): ConfigJsonObject {
  if (agent.kind === 'toq') {
    return { toq: agent.toq, ...(agent.replyState !== undefined && { reply_state: agent.replyState }), ...(agent.blockingTimeout !== undefined && { blocking_timeout: agent.blockingTimeout }) };
  }
  const out: ConfigJsonObject = { a2a: agent.a2a };
  if (agent.auth !== undefined) out['auth'] = agent.auth;
  if (agent.authEnv !== undefined) out['auth_env'] = agent.authEnv;
  return out;
}

function sortKeys(object: ConfigJsonObject): ConfigJsonObject {
  const sorted: ConfigJsonObject = {};
  // Byte order of UTF-8 equals code-point order; these keys are ASCII, where it equals `<`.
  for (const key of Object.keys(object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    sorted[key] = object[key] as ConfigJsonValue;
  }
  return sorted;
}
