// Credential redaction (local-API spec §5.3): the five patterns the reference scrubs from LLM
// replies, applied by us to replies, handler log lines and logged error texts. Pure text in, text out.

/** What a match is replaced with. */
export const REDACTED = '[REDACTED]';

// Same patterns and order as the reference's redact.rs. The order matters: `sk-` alone does not
// match `sk-ant-...` (the `-` after `ant` stops the run), so the Anthropic pattern gets its turn.
const PATTERNS: readonly RegExp[] = [
  /sk-[a-zA-Z0-9]{20,}/g, // OpenAI keys
  /sk-ant-[a-zA-Z0-9-]{20,}/g, // Anthropic keys
  /AKIA[A-Z0-9]{16}/g, // AWS access key ids
  /aws_secret_access_key\s*=\s*\S+/g, // AWS secret in credentials-file form
  /Bearer\s+[a-zA-Z0-9\-_.]{20,}/g, // bearer tokens
];

export interface RedactResult {
  readonly text: string;
  /** At least one pattern matched. */
  readonly isRedacted: boolean;
}

/** Replaces every credential-looking run with `[REDACTED]`. */
export function redact(text: string): RedactResult {
  let out = text;
  let isRedacted = false;
  for (const pattern of PATTERNS) {
    pattern.lastIndex = 0;
    if (!pattern.test(out)) continue;
    pattern.lastIndex = 0;
    out = out.replace(pattern, REDACTED);
    isRedacted = true;
  }
  return { text: out, isRedacted };
}

/** `redact(text).text`, for log fields. */
export function redactText(text: string): string {
  return redact(text).text;
}
