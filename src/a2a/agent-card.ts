// Builds the A2A agent card (a2a-notes §3.7, §9) as the SDK's v1.0 object: JSON-RPC and
// HTTP+JSON interfaces, each declared for v1.0 and mirrored for v0.3 (a binding is reachable at
// v0.3 only if the card lists it so, a2a-notes §12.8), a bearer scheme when a key is required,
// a JWT bearer scheme when JWTs are accepted (either scheme is enough: one requirement each),
// and whatever extension entries the caller adds. Pure: data in, card out; knows nothing of toq.

import type { AgentCard, AgentExtension, AgentSkill, SecurityRequirement, SecurityScheme } from '@a2a-js/sdk';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';
import { CURRENT_A2A_VERSION } from './a2a-version.js';

/** The scheme name a bearer-protected card declares (the reference's name). */
export const BEARER_SCHEME_NAME = 'bearer';

/** The scheme name of JWT bearer tokens. */
export const JWT_SCHEME_NAME = 'jwt';

/** Which schemes a card declares; a caller needs any one of them. None: anonymous access. */
export interface AgentCardSecurity {
  /** Declares `Authorization: Bearer` with an API key (a2a-notes §10). */
  readonly requiresBearer: boolean;
  /** Declares `Authorization: Bearer` with a JWT from this issuer (for this audience). */
  readonly jwt?: { readonly issuer: string; readonly audience?: string };
}

export interface AgentCardOptions extends AgentCardSecurity {
  readonly name: string;
  readonly description: string;
  /** The agent's version string. */
  readonly version: string;
  /** Absolute URL of the JSON-RPC endpoint (`POST`). */
  readonly jsonRpcUrl: string;
  /** Absolute base URL of the REST binding (`<base>/message:send`, v0.3 `<base>/v1/message:send`). */
  readonly restUrl: string;
  readonly provider?: { readonly organization: string; readonly url: string };
  readonly skills: ReadonlyArray<{ readonly id: string; readonly name: string; readonly description: string; readonly tags: readonly string[] }>;
  /** @default ["text/plain"] */
  readonly inputModes?: readonly string[];
  /** @default ["text/plain"] */
  readonly outputModes?: readonly string[];
  /** @default true */
  readonly streaming?: boolean;
  readonly extensions?: ReadonlyArray<{ readonly uri: string; readonly description: string; readonly required?: boolean; readonly params?: Readonly<Record<string, unknown>> }>;
}

export function buildAgentCard(o: AgentCardOptions): AgentCard {
  const skills: AgentSkill[] = o.skills.map((s) => ({ id: s.id, name: s.name, description: s.description, tags: [...s.tags], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }));
  const securitySchemes = securitySchemesOf(o);
  const extensions: AgentExtension[] = (o.extensions ?? []).map((e) => ({ uri: e.uri, description: e.description, required: e.required ?? false, params: e.params === undefined ? undefined : { ...e.params } }));
  return {
    name: o.name,
    description: o.description,
    supportedInterfaces: duplicateInterfacesForLegacy(
      [
        { url: o.jsonRpcUrl, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: CURRENT_A2A_VERSION },
        { url: o.restUrl, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: CURRENT_A2A_VERSION },
      ],
      ['JSONRPC', 'HTTP+JSON'],
    ),
    provider: o.provider === undefined ? undefined : { organization: o.provider.organization, url: o.provider.url },
    version: o.version,
    capabilities: { streaming: o.streaming ?? true, pushNotifications: false, extendedAgentCard: false, extensions },
    securitySchemes,
    // One requirement per scheme: any one of them lets a caller in.
    securityRequirements: Object.keys(securitySchemes).map((name): SecurityRequirement => ({ schemes: { [name]: { list: [] } } })),
    defaultInputModes: [...(o.inputModes ?? ['text/plain'])],
    defaultOutputModes: [...(o.outputModes ?? ['text/plain'])],
    skills,
    signatures: [],
  };
}

function securitySchemesOf(o: AgentCardSecurity): Record<string, SecurityScheme> {
  const schemes: Record<string, SecurityScheme> = {};
  if (o.requiresBearer) schemes[BEARER_SCHEME_NAME] = { scheme: { $case: 'httpAuthSecurityScheme', value: { description: 'Bearer token authentication', scheme: 'bearer', bearerFormat: '' } } };
  if (o.jwt !== undefined) {
    const audience = o.jwt.audience === undefined ? '' : ` for audience ${o.jwt.audience}`;
    schemes[JWT_SCHEME_NAME] = { scheme: { $case: 'httpAuthSecurityScheme', value: { description: `JWT bearer token issued by ${o.jwt.issuer}${audience}`, scheme: 'bearer', bearerFormat: 'JWT' } } };
  }
  return schemes;
}
