// What a call threw, for tests that assert on an error's class and fields (a ProtocolError's
// code) rather than only on its message. It calls and catches; the tests make the assertions,
// except that protocolErrorCode insists the error is a ProtocolError.

import { expect } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.js';

/** The value `fn` threw, or undefined when it returned. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The code of the ProtocolError `fn` threw (anything else thrown fails the test), or undefined when it returned. */
export function protocolErrorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}
