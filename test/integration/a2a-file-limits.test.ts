// DESIGN §5.2 "raw bytes obey accept_files and min(max_file_size, what fits in a 1 MiB frame)",
// over real daemons: gw's local agent keeps the default accept_files = false; dana's local agent
// takes files of at most 8 bytes (accept_files = true, max_file_size = 8) and says so in its toq
// card; gw also hosts two toq upstreams, bob → carol (a plain toq gateway whose card says no
// files) and dave → dana. A refused SendMessage gets the A2A error (JSON-RPC v1.0 and v0.3, REST)
// and leaves nothing behind: no task, no history entry, no outbox entry, nothing on the wire.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, startWorkspace, stopWorkspaces, type Workspace } from '../helpers/daemons.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';
import { until } from '../helpers/until.js';

/** `size` bytes (0, 1, 2, ...) as base64. */
const bytes = (size: number): string => Buffer.from(Array.from({ length: size }, (_, i) => i % 256)).toString('base64');

/** A v1.0 message with one text and one raw part. */
const v1Message = (raw: string, filename = 'n.bin') => ({ messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text: 'see attached' }, { raw, mediaType: 'application/octet-stream', filename }] });
/** The same in v0.3: a file part with bytes. */
const v03Message = (raw: string, name = 'n.bin') => ({ kind: 'message', messageId: `m-${Math.random()}`, role: 'user', parts: [{ kind: 'text', text: 'see attached' }, { kind: 'file', file: { bytes: raw, mimeType: 'application/octet-stream', name } }] });

interface RpcAnswer {
  readonly contentType: string | null;
  readonly body: { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

/** One JSON-RPC call; `version` '1.0' sends A2A-Version (v1.0 methods); null sends none, which is v0.3. */
async function rpc(url: string, method: string, params: unknown, version: '1.0' | null = '1.0'): Promise<RpcAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(version !== null && { 'a2a-version': version }) }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return { contentType: res.headers.get('content-type'), body: (await res.json()) as RpcAnswer['body'] };
}

const taskCount = async (url: string): Promise<number> => ((await rpc(url, 'ListTasks', {})).body.result?.['tasks'] as unknown[]).length;

const NO_FILES = 'parts[1] ("n.bin") is a file (raw bytes), and this agent does not accept files (accept_files = false)';
const OVER_8 = 'parts[1] ("n.bin") is 9 bytes; this agent takes files of at most 8 bytes (max_file_size)';

describe('A2A file parts and the agent\'s file limits', () => {
  let gw: Workspace;
  let dana: Workspace;
  let carol: TestGateway;

  beforeAll(async () => {
    carol = await startTestGateway('carol', { host: '127.0.0.1' });
    // A handler that takes every message (and answers nothing): the local agent has a receiver.
    dana = await startWorkspace('dana', 'a2a_enabled = true\nconnection_mode = "open"\naccept_files = true\nmax_file_size = 8\n', { handlersToml: '[[handlers]]\nname = "sink"\ncommand = "true"\n' });
    gw = await startWorkspace('gw', `a2a_enabled = true\n[agents.bob]\ntoq = "toq://127.0.0.1:${carol.port}/carol"\n[agents.dave]\ntoq = "toq://127.0.0.1:${dana.daemon.port}/dana"\n`);
  });
  afterAll(async () => {
    await stopWorkspaces(gw, dana);
    await carol?.close();
  });

  it('local agent, accept_files = false: a raw file part is refused with -32005 (v1.0 and v0.3 JSON-RPC, REST 400); nothing is stored', async () => {
    const a2a = `${gw.url}/a2a`;
    const v1 = await rpc(a2a, 'SendMessage', { message: v1Message(bytes(3)) });
    expect(v1.body.error).toMatchObject({ code: -32005, message: NO_FILES });
    const stream = await rpc(a2a, 'SendStreamingMessage', { message: v1Message(bytes(3)) });
    // Refused before the stream starts: a plain JSON-RPC error, not an event stream.
    expect(stream.contentType).toBe('application/json');
    expect(stream.body.error?.code).toBe(-32005);
    const v03 = await rpc(a2a, 'message/send', { message: v03Message(bytes(3)) }, null);
    expect(v03.body.error).toMatchObject({ code: -32005, message: NO_FILES });
    const rest = await fetch(`${gw.url}/message:send`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body: JSON.stringify({ message: v1Message(bytes(3)) }) });
    expect(rest.status).toBe(400);
    expect(await taskCount(a2a)).toBe(0);
    expect(await history(gw.url)).toEqual([]);
    // The same message with a link instead of bytes is taken (then fails at once: no handler here).
    const link = await rpc(a2a, 'SendMessage', { message: { ...v1Message(''), parts: [{ url: 'https://example.com/n.bin', filename: 'n.bin' }] } });
    expect(link.body.error).toBeUndefined();
    expect(await taskCount(a2a)).toBe(1);
  });

  it('local agent, max_file_size: a bigger file is refused with -32602 and nothing is stored; a file at the limit reaches the agent', async () => {
    const a2a = `${dana.url}/a2a`;
    const over = await rpc(a2a, 'SendMessage', { message: v1Message(bytes(9)), configuration: { returnImmediately: true } });
    expect(over.body.error).toMatchObject({ code: -32602, message: OVER_8 });
    const overV03 = await rpc(a2a, 'message/send', { message: v03Message(bytes(9)) }, null);
    expect(overV03.body.error).toMatchObject({ code: -32602, message: OVER_8 });
    expect(await taskCount(a2a)).toBe(0);
    expect(await history(dana.url)).toEqual([]);
    const fits = await rpc(a2a, 'SendMessage', { message: v1Message(bytes(8)), configuration: { returnImmediately: true } });
    expect(fits.body.error).toBeUndefined();
    const entry = await until(async () => (await history(dana.url)).find((m) => m.from === 'a2a-client'));
    expect(entry.body?.parts?.[1]).toMatchObject({ raw: bytes(8), filename: 'n.bin' });
  });

  it("toq upstream: the remote agent's card limits file parts; nothing is queued or sent for a refused one", async () => {
    // bob → carol, whose toq card says accept_files false.
    const bob = await rpc(`${gw.url}/a2a/bob`, 'SendMessage', { message: v1Message(bytes(1)), configuration: { returnImmediately: true } });
    expect(bob.body.error).toMatchObject({ code: -32005, message: NO_FILES });
    expect(await rpc(`${gw.url}/a2a/bob`, 'message/send', { message: v03Message(bytes(1)) }, null)).toMatchObject({ body: { error: { code: -32005 } } });
    // dave → dana, whose toq card says accept_files true, max_file_size 8.
    const dave = `${gw.url}/a2a/dave`;
    const over = await rpc(dave, 'SendMessage', { message: v1Message(bytes(9)), configuration: { returnImmediately: true } });
    expect(over.body.error).toMatchObject({ code: -32602, message: OVER_8 });
    expect(gw.daemon.outbox.list({ agent: 'bob' })).toEqual([]);
    expect(gw.daemon.outbox.list({ agent: 'dave' })).toEqual([]);
    expect(await taskCount(`${gw.url}/a2a/bob`)).toBe(0);
    expect(await taskCount(dave)).toBe(0);
    expect(carol.inbox).toEqual([]);
    // At the limit: the file reaches dana over toq, whole, from dave.
    const fits = await rpc(dave, 'SendMessage', { message: v1Message(bytes(8)), configuration: { returnImmediately: true } });
    expect(fits.body.error).toBeUndefined();
    const entry = await until(async () => (await history(dana.url)).find((m) => m.from === `toq://127.0.0.1:${gw.daemon.port}/dave`));
    expect(entry.body?.parts?.[1]).toMatchObject({ raw: bytes(8), filename: 'n.bin' });
  });
});
