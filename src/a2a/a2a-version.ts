// Which A2A protocol version a request asks for (a2a-notes §2): the `A2A-Version` service
// parameter, read from the header or, as the spec also allows, from the query parameter of the
// same name, and normalised to Major.Minor. An absent or empty value means 0.3. Pure: it reads
// the values it is given and decides nothing else.

/** The legacy wire, what a request without a version asks for (a2a-notes §2). */
export const LEGACY_A2A_VERSION = '0.3';
/** The current wire. */
export const CURRENT_A2A_VERSION = '1.0';

/**
 * `1.0`, `1.0.1` (a patch must not influence negotiation) and ` 1.0 ` all mean 1.0; `1` means
 * 1.0. A value of another shape is returned trimmed, so the version check refuses it by name.
 */
export function normalizeA2aVersion(raw: string | undefined): string {
  if (raw === undefined) return LEGACY_A2A_VERSION;
  const text = raw.trim();
  if (text === '') return LEGACY_A2A_VERSION;
  const m = /^(\d{1,4})(?:\.(\d{1,4}))?(?:\.\d{1,4})?$/.exec(text);
  if (m === null) return text;
  return `${Number(m[1])}.${Number(m[2] ?? '0')}`;
}

/**
 * The version a request asks for: the header wins; else a query parameter named `A2A-Version`
 * (any case); else 0.3.
 */
export function requestedA2aVersion(header: string | readonly string[] | undefined, query: URLSearchParams): string {
  const fromHeader = typeof header === 'string' ? header : header?.[0];
  if (fromHeader !== undefined && fromHeader.trim() !== '') return normalizeA2aVersion(fromHeader);
  for (const [key, value] of query) {
    if (key.toLowerCase() === 'a2a-version') return normalizeA2aVersion(value);
  }
  return LEGACY_A2A_VERSION;
}
