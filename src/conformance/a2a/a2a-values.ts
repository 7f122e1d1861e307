// Variables in fixtures/a2a/checks.json: a string that is exactly `$name` becomes the variable's
// value (any JSON type); `${name}` inside a longer string is replaced by its text. `$uuid` is a
// fresh v4 UUID at each use; other names are what earlier steps saved or the run's built-ins
// (`$text`). A string starting with `$$` stands for itself minus one `$` (e.g. `$$case` is the
// text `$case`). Pure apart from the UUIDs.

import { randomUUID } from 'node:crypto';

export type Variables = ReadonlyMap<string, unknown>;

/** A template used a variable nobody set (e.g. the task id of a send that answered a Message). */
export class UnsetVariableError extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`$${variable} is not set`);
    this.name = 'UnsetVariableError';
    this.variable = variable;
  }
}

const WHOLE = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;
const EMBEDDED = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A deep copy of `template` with every variable replaced; throws UnsetVariableError. */
export function substitute(template: unknown, vars: Variables): unknown {
  if (typeof template === 'string') {
    if (template.startsWith('$$')) return template.slice(1);
    const whole = WHOLE.exec(template);
    if (whole !== null) return lookup(whole[1]!, vars);
    return template.replace(EMBEDDED, (_all, name: string) => {
      const value = lookup(name, vars);
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  if (Array.isArray(template)) return template.map((v) => substitute(v, vars));
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = substitute(v, vars);
    return out;
  }
  return template;
}

function lookup(name: string, vars: Variables): unknown {
  if (name === 'uuid') return randomUUID();
  if (!vars.has(name)) throw new UnsetVariableError(name);
  return vars.get(name);
}
