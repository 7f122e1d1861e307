// Questions on the terminal: plain prompts (setup, the approval picker) and hidden passphrase
// entry (export/import). Scripts and tests never see a prompt: the passphrase comes from
// TOQ_PASSPHRASE, and without a terminal a missing answer is a usage error.

import { createInterface } from 'node:readline';
import type { CliContext } from './cli-context.js';
import { UsageError } from './exit-codes.js';

export const PASSPHRASE_ENV = 'TOQ_PASSPHRASE';

/** Asks one question on stderr; an empty answer takes `fallback`. Needs a terminal. */
export async function ask(ctx: CliContext, question: string, fallback = ''): Promise<string> {
  const answer = await readLine(ctx, fallback === '' ? `${question}: ` : `${question} [${fallback}]: `, false);
  return answer.trim() === '' ? fallback : answer.trim();
}

/**
 * The backup passphrase: TOQ_PASSPHRASE when set, else typed (hidden) on a terminal, twice when
 * `isConfirmed` (export). Without either it is a usage error rather than a hang.
 */
export async function readPassphrase(ctx: CliContext, options: { readonly isConfirmed?: boolean } = {}): Promise<string> {
  const fromEnv = ctx.io.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!ctx.isInteractive) throw new UsageError(`no passphrase: set ${PASSPHRASE_ENV} or run in a terminal`);
  const first = await readLine(ctx, 'Passphrase: ', true);
  if (first === '') throw new UsageError('the passphrase must not be empty');
  if (options.isConfirmed) {
    const second = await readLine(ctx, 'Repeat passphrase: ', true);
    if (second !== first) throw new UsageError('the passphrases do not match');
  }
  return first;
}

function readLine(ctx: CliContext, prompt: string, isHidden: boolean): Promise<string> {
  const output = ctx.io.stderr;
  const rl = createInterface({ input: ctx.io.stdin, output, terminal: ctx.isInteractive });
  if (isHidden) {
    // Echo nothing while the passphrase is typed (readline has no option for it).
    const internal = rl as unknown as { _writeToOutput: (text: string) => void };
    internal._writeToOutput = () => undefined;
  }
  output.write(prompt);
  return new Promise((resolve, reject) => {
    rl.once('line', (line) => {
      if (isHidden) output.write('\n');
      rl.close();
      resolve(line);
    });
    rl.once('close', () => reject(new UsageError('no answer (end of input)')));
  });
}
