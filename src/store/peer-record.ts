// Peers that opened a session to us (local-API spec §3.4 GET /v1/peers; the reference's
// peers.json). Plain data.

export interface PeerRecord {
  /** `ed25519:<base64>` as proven in the handshake. */
  readonly publicKey: string;
  /** Canonical handshake address last seen with this key. */
  readonly address: string;
  readonly firstSeenAtMs: number;
  readonly lastSeenAtMs: number;
}
