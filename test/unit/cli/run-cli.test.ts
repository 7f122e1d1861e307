// The CLI in-process, on workspaces in temp dirs and without a daemon: argument handling, exit
// codes, and the commands that work on files (init, config, handlers, permissions, backup).
// The commands that talk to a daemon are covered by test/integration/cli.test.ts.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../../src/protocol/ed25519.js';
import { runCliCaptured, type CliRun } from '../../helpers/cli-run.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toq-cli-unit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run extends CliRun {
  json(): Record<string, unknown>;
}

async function toq(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await runCliCaptured(args, { env: { HOME: join(dir, 'home'), ...env }, cwd: dir });
  return { ...run, json: () => JSON.parse(run.stdout) as Record<string, unknown> };
}

const ws = (): string => join(dir, 'ws', '.toq');

describe('toq CLI without a daemon', () => {
  it('init writes a workspace and refuses to overwrite it', async () => {
    const first = await toq(['init', '--name', 'alice', '--port', '9100', '--config-dir', ws()]);
    expect(first.code).toBe(0);
    const config = readFileSync(join(ws(), 'config.toml'), 'utf8');
    expect(config).toContain('agent_name = "alice"');
    expect(config).toContain('port = 9100');
    expect(config).toContain('connection_mode = "approval"');
    expect(readFileSync(join(ws(), '.gitignore'), 'utf8')).toContain('keys/');
    const again = await toq(['init', '--config-dir', ws()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: workspace already initialized/);
  });

  it('init without --config-dir creates ./.toq in the current directory', async () => {
    const run = await toq(['init', '--name', 'bob']);
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, '.toq', 'config.toml'), 'utf8')).toContain('agent_name = "bob"');
  });

  it('init rejects a bad agent name with exit 1 and a bad port with exit 2', async () => {
    expect((await toq(['init', '--name', 'Bad_Name', '--config-dir', ws()])).code).toBe(1);
    const port = await toq(['init', '--port', 'x', '--config-dir', ws()]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port');
  });

  it('config set / show round trip, keeping the comments of config.toml', async () => {
    await toq(['init', '--name', 'alice', '--config-dir', ws()]);
    expect((await toq(['config', 'set', 'port', '9100', '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['config', 'set', 'connection_mode', 'open', '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['config', 'set', 'a2a_enabled', 'true', '--config-dir', ws()])).code).toBe(0);
    const shown = await toq(['config', 'show', '--json', '--config-dir', ws()]);
    const config = shown.json()['config'] as Record<string, unknown>;
    expect(config['port']).toBe(9100);
    expect(config['connection_mode']).toBe('open');
    expect(config['a2a_enabled']).toBe(true);
    expect(config['agent_name']).toBe('alice');
    const text = await toq(['config', 'show', '--config-dir', ws()]);
    expect(text.stdout).toContain('# who may connect'); // init's comment survived the edits
    expect(text.stdout).toContain('port = 9100');
    expect((await toq(['config', 'unset', 'port', '--config-dir', ws()])).code).toBe(0);
    expect(((await toq(['config', 'show', '--json', '--config-dir', ws()])).json()['config'] as Record<string, unknown>)['port']).toBe(9009);
  });

  it.each([
    ['port', '70000'],
    ['port', 'abc'],
    ['connection_mode', 'bogus'],
    ['agent_name', 'Not Valid'],
    ['a2a_enabled', 'yes'],
  ])('config set %s %s fails with exit 1 naming the key, and leaves the file alone', async (key, value) => {
    await toq(['init', '--name', 'alice', '--config-dir', ws()]);
    const before = readFileSync(join(ws(), 'config.toml'), 'utf8');
    const run = await toq(['config', 'set', key, value, '--config-dir', ws()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^error: .*${key}`));
    expect(readFileSync(join(ws(), 'config.toml'), 'utf8')).toBe(before);
  });

  it('config set of an unknown key is exit 1; missing arguments are exit 2', async () => {
    const unknown = await toq(['config', 'set', 'no_such_key', '1', '--config-dir', ws()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no_such_key');
    expect((await toq(['config', 'set', 'port', '--config-dir', ws()])).code).toBe(2);
  });

  it('a2a enable --key / status / disable edit the config', async () => {
    await toq(['init', '--config-dir', ws()]);
    expect((await toq(['a2a', 'enable', '--key', 'tok123', '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['a2a', 'status', '--json', '--config-dir', ws()])).json()).toMatchObject({ enabled: true, api_key_set: true });
    expect(readFileSync(join(ws(), 'config.toml'), 'utf8')).toContain('a2a_api_key = "tok123"');
    await toq(['a2a', 'disable', '--config-dir', ws()]);
    expect((await toq(['a2a', 'status', '--json', '--config-dir', ws()])).json()).toMatchObject({ enabled: false });
  });

  it('commands that need the daemon exit 3; status says stopped', async () => {
    await toq(['init', '--config-dir', ws()]);
    const status = await toq(['status', '--json', '--config-dir', ws()]);
    expect(status.code).toBe(3);
    expect(status.json()).toEqual({ status: 'stopped' });
    for (const args of [['messages'], ['ping', 'toq://127.0.0.1:9/x'], ['outbox'], ['down'], ['handler', 'stop', 'x']]) {
      const run = await toq([...args, '--config-dir', ws()]);
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.stderr).toMatch(/^error: toq is not running/);
    }
  });

  it('usage errors exit 2: unknown command, unknown option, missing arguments', async () => {
    expect((await toq(['frobnicate'])).code).toBe(2);
    expect((await toq(['status', '--bogus'])).code).toBe(2);
    const send = await toq(['send', 'toq://127.0.0.1/x']);
    expect(send.code).toBe(2);
    expect(send.stderr).toContain('usage: toq send');
    expect((await toq(['--help'])).stdout).toContain('outbox');
  });

  it('handler add / list / disable / remove edit handlers.toml with the reference checks', async () => {
    await toq(['init', '--config-dir', ws()]);
    const add = await toq(['handler', 'add', 'echo', '--command', 'cat', '--from', 'toq://*/bob', '--type', 'message.send', '--config-dir', ws()]);
    expect(add.code).toBe(0);
    expect((await toq(['handler', 'add', 'echo', '--command', 'cat', '--config-dir', ws()])).stderr).toContain("handler 'echo' already exists");
    expect((await toq(['handler', 'add', 'x', '--config-dir', ws()])).stderr).toContain('specify command or provider');
    expect((await toq(['handler', 'add', 'x', '--command', 'a', '--provider', 'openai', '--model', 'm', '--config-dir', ws()])).code).toBe(1);
    expect((await toq(['handler', 'add', 'x', '--provider', 'openai', '--config-dir', ws()])).stderr).toContain('model is required');
    expect((await toq(['handler', 'add', '../x', '--command', 'a', '--config-dir', ws()])).code).toBe(1);
    expect((await toq(['handler', 'disable', 'echo', '--config-dir', ws()])).code).toBe(0);
    const list = (await toq(['handler', 'list', '--json', '--config-dir', ws()])).json()['handlers'] as Record<string, unknown>[];
    expect(list).toEqual([expect.objectContaining({ name: 'echo', command: 'cat', enabled: false, filter_from: ['toq://*/bob'], filter_type: ['message.send'] })]);
    expect(readFileSync(join(ws(), 'handlers.toml'), 'utf8')).toContain('enabled = false');
    expect((await toq(['handler', 'remove', 'nope', '--config-dir', ws()])).code).toBe(1);
    expect((await toq(['handler', 'remove', 'echo', '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['handler', 'list', '--json', '--config-dir', ws()])).json()).toEqual({ handlers: [] });
  });

  it('block / unblock / approve / deny / permissions edit permissions.toml while the daemon is down', async () => {
    await toq(['init', '--config-dir', ws()]);
    const key = generateIdentity().publicKeyText;
    const pendingKey = generateIdentity().publicKeyText;
    const otherKey = generateIdentity().publicKeyText;
    // Two pending requests, as a daemon in approval mode leaves them.
    writeFileSync(
      join(ws(), 'permissions.toml'),
      `approved = []\nblocked = []\n\n[[pending]]\nkey = "${pendingKey}"\naddress = "toq://10.0.0.2:9010/carol"\nrequested_at = "2026-01-01T00:00:00Z"\n\n` +
        `[[pending]]\nkey = "${otherKey}"\naddress = "toq://10.0.0.3/dave"\nrequested_at = "2026-01-02T00:00:00Z"\n`,
    );
    const approvals = (await toq(['approvals', '--json', '--config-dir', ws()])).json()['approvals'] as Record<string, unknown>[];
    expect(approvals.map((a) => a['address'])).toEqual(['toq://10.0.0.2:9010/carol', 'toq://10.0.0.3/dave']);
    expect((await toq(['approve', 'carol', '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['deny', '1', '--config-dir', ws()])).code).toBe(0); // dave is now number 1
    expect((await toq(['approve', '5', '--config-dir', ws()])).code).toBe(1);
    expect((await toq(['block', '--key', key, '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['block', '--from', 'toq://evil.example/*', '--config-dir', ws()])).code).toBe(0);
    expect((await toq(['block', '--key', 'ed25519:nope', '--config-dir', ws()])).code).toBe(1);
    let permissions = (await toq(['permissions', '--json', '--config-dir', ws()])).json();
    expect(permissions).toEqual({
      approved: [{ type: 'key', value: pendingKey }],
      blocked: [
        { type: 'key', value: key },
        { type: 'address', value: 'toq://evil.example/*' },
      ],
    });
    expect((await toq(['approvals', '--json', '--config-dir', ws()])).json()).toEqual({ approvals: [] });
    // Blocking an approved key drops its approval (as over the API).
    await toq(['block', pendingKey, '--config-dir', ws()]);
    await toq(['unblock', '--key', key, '--config-dir', ws()]);
    await toq(['unblock', '--from', 'toq://evil.example/*', '--config-dir', ws()]);
    permissions = (await toq(['permissions', '--json', '--config-dir', ws()])).json();
    expect(permissions).toEqual({ approved: [], blocked: [{ type: 'key', value: pendingKey }] });
  });

  it('export / import round trip with TOQ_PASSPHRASE; a wrong passphrase is exit 1', async () => {
    const source = join(dir, 'a', '.toq');
    const target = join(dir, 'b', '.toq');
    await toq(['setup', '--non-interactive', '--agent-name', 'alice', '--host', 'localhost', '--config-dir', source]);
    const whoami = (await toq(['whoami', '--json', '--config-dir', source])).json();
    expect(whoami['public_key']).toMatch(/^ed25519:/);
    const backup = join(dir, 'alice.backup');
    const exported = await toq(['export', backup, '--config-dir', source], { TOQ_PASSPHRASE: 'correct horse' });
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('done');
    expect(JSON.parse(readFileSync(backup, 'utf8'))).toMatchObject({ encrypted: true, kdf: 'argon2id' });
    const wrong = await toq(['import', backup, '--config-dir', target], { TOQ_PASSPHRASE: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('error: Wrong passphrase');
    expect((await toq(['import', backup, '--config-dir', target])).code).toBe(2); // no passphrase, no terminal
    const imported = await toq(['import', backup, '--json', '--config-dir', target], { TOQ_PASSPHRASE: 'correct horse' });
    expect(imported.code).toBe(0);
    expect(imported.json()['public_key']).toBe(whoami['public_key']);
    expect((await toq(['whoami', '--json', '--config-dir', target])).json()).toMatchObject({ public_key: whoami['public_key'], agent_name: 'alice' });
  });

  it('rotate-keys without a daemon replaces identity.key and prints a proof', async () => {
    await toq(['setup', '--non-interactive', '--host', 'localhost', '--config-dir', ws()]);
    const before = (await toq(['whoami', '--json', '--config-dir', ws()])).json()['public_key'];
    const rotated = (await toq(['rotate-keys', '--json', '--config-dir', ws()])).json();
    expect(rotated['old_public_key']).toBe(before);
    expect(rotated['rotation_proof']).toMatch(/^ed25519:/);
    expect((await toq(['whoami', '--json', '--config-dir', ws()])).json()['public_key']).toBe(rotated['new_public_key']);
  });
});
