// Text rendering shared by commands: the text of a message body, aligned columns, and pino log
// lines made readable. Pure string work.

/** `body.text` when it is a string, else the body as compact JSON (or "" without a body). */
export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'object' && !Array.isArray(body)) {
    const text = (body as Record<string, unknown>)['text'];
    if (typeof text === 'string') return text;
  }
  return JSON.stringify(body);
}

/** Rows as left-aligned columns separated by two spaces (the last column is not padded). */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

const PINO_LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const PINO_BASE_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/**
 * One line of logs/toq.log for people: a pino JSON line becomes `<ISO time> <LEVEL> <msg>
 * key=value ...`; anything else (an incoming message line, a crash trace) is returned as is.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof value !== 'object' || value === null) return line;
  const v = value as Record<string, unknown>;
  if (typeof v['level'] !== 'number' || typeof v['time'] !== 'number') return line;
  const level = PINO_LEVELS[v['level']] ?? String(v['level']);
  const extras = Object.entries(v)
    .filter(([key]) => !PINO_BASE_KEYS.has(key))
    .map(([key, val]) => `${key}=${typeof val === 'string' ? val : JSON.stringify(val)}`);
  return [new Date(v['time']).toISOString(), level, typeof v['msg'] === 'string' ? v['msg'] : '', ...extras].filter((p) => p !== '').join(' ');
}
