// Signs agent cards the way A2A v1.0 defines `signatures` (a2a-notes §9, DESIGN §4): a detached,
// flattened JWS over the JCS-canonicalized, proto-normalized card without `signatures`, with
// `alg: EdDSA` and the agent's own Ed25519 key, `kid` = the key's RFC 7638 thumbprint, and a
// `jku` naming the JWKS where the public key is published. Also builds that JWKS. Pure: keys in,
// card and key sets out; no I/O, no clock. Knows nothing of toq (it is handed a key pair).

import { createHash, sign, type KeyObject } from 'node:crypto';
import { AgentCard, canonicalizeAgentCard, type AgentCardSignature } from '@a2a-js/sdk';

/** Where the gateway publishes its JWKS (the root, and `/a2a/{name}/.well-known/jwks.json` per agent). */
export const JWKS_PATH = '/.well-known/jwks.json';

/** An agent's Ed25519 key pair as node KeyObjects. */
export interface CardSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** An OKP/Ed25519 public JWK (RFC 8037) as published in the JWKS. */
export interface Ed25519PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export interface JsonWebKeySet {
  readonly keys: readonly Ed25519PublicJwk[];
}

export interface CardSignerOptions {
  /** Absolute URL of the JWKS holding the key, put in the protected header as `jku`; omitted when undefined. */
  readonly jku?: string;
}

/** A card → the same card with exactly one signature, made with the key as it is at call time. */
export type CardSigner = (card: AgentCard) => AgentCard;

/** The public key as an OKP JWK with its thumbprint as `kid`. */
export function publicJwkOf(publicKey: KeyObject): Ed25519PublicJwk {
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') throw new TypeError('expected an Ed25519 public KeyObject');
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new TypeError('Ed25519 public key exported without "x"');
  return { kty: 'OKP', crv: 'Ed25519', x, kid: jwkThumbprint(x), alg: 'EdDSA', use: 'sig' };
}

/** The JWKS of the given public keys, one entry per distinct key, in the given order. */
export function buildJwks(publicKeys: readonly KeyObject[]): JsonWebKeySet {
  const seen = new Set<string>();
  const keys: Ed25519PublicJwk[] = [];
  for (const key of publicKeys) {
    const jwk = publicJwkOf(key);
    if (seen.has(jwk.kid)) continue;
    seen.add(jwk.kid);
    keys.push(jwk);
  }
  return { keys };
}

/**
 * The JWS payload of a card (a2a-notes §9 step 1): the SDK's canonicalization, fed with the card's
 * ProtoJSON form, i.e. the card as served. Fed the in-memory object instead, the SDK would re-read
 * its own `$case` oneof shapes (security schemes) as JSON and lose them, so a verifier reading the
 * served card would compute different bytes.
 */
export function cardSigningPayload(card: AgentCard): string {
  return canonicalizeAgentCard(AgentCard.toJSON(card) as AgentCard);
}

/** Signs one card with one key (replacing any signatures it had). */
export function signAgentCard(card: AgentCard, key: CardSigningKey, options: CardSignerOptions = {}): AgentCard {
  return { ...card, signatures: [signatureEntry(cardSigningPayload(card), key, options)] };
}

/**
 * A signer that reads the key on every call (keys rotate, DESIGN §4) and reuses the last
 * signature while neither the key nor the card's payload changed: cards are served per request.
 */
export function createCardSigner(key: () => CardSigningKey, options: CardSignerOptions = {}): CardSigner {
  let last: { kid: string; payload: string; entry: AgentCardSignature } | undefined;
  return (card) => {
    const current = key();
    const kid = publicJwkOf(current.publicKey).kid;
    const payload = cardSigningPayload(card);
    if (last === undefined || last.kid !== kid || last.payload !== payload) last = { kid, payload, entry: signatureEntry(payload, current, options, kid) };
    return { ...card, signatures: [last.entry] };
  };
}

function signatureEntry(payload: string, key: CardSigningKey, options: CardSignerOptions, kid = publicJwkOf(key.publicKey).kid): AgentCardSignature {
  if (key.privateKey.type !== 'private' || key.privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('expected an Ed25519 private KeyObject');
  // RFC 7515 §5.1: the signing input is BASE64URL(protected) "." BASE64URL(payload); the payload
  // itself is left out of the entry (detached), verifiers rebuild it from the card.
  const header = { alg: 'EdDSA', typ: 'JOSE', kid, ...(options.jku !== undefined && { jku: options.jku }) };
  const protectedB64 = Buffer.from(JSON.stringify(header)).toString('base64url');
  const input = `${protectedB64}.${Buffer.from(payload).toString('base64url')}`;
  // RFC 8037 §3.1: EdDSA over Ed25519 is pure Ed25519 (no prehash), hence the null digest.
  const signature = sign(null, Buffer.from(input), key.privateKey).toString('base64url');
  return { protected: protectedB64, signature, header: undefined };
}

/** RFC 7638 §3.2 for OKP (RFC 8037 §2): SHA-256 over {"crv","kty","x"} in that order, no spaces. */
function jwkThumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}
