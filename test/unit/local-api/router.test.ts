import { describe, expect, it } from 'vitest';
import { Router, type RouteHandler } from '../../../src/local-api/router.js';

const h = (name: string): RouteHandler => () => ({ json: name });

function router(): Router {
  return new Router()
    .add('POST', '/v1/approvals/:id*/revoke', h('revoke'))
    .add('POST', '/v1/approvals/:id*', h('decide'))
    .add('GET', '/v1/threads/:id', h('thread'))
    .add('POST', '/v1/peers/:key*/block', h('block'))
    .add('DELETE', '/v1/peers/:key*/block', h('unblock'));
}

describe('local API router', () => {
  it('matches raw keys with / and + (Python SDK) and percent-encoded ones (Node SDK) alike', () => {
    const key = 'ed25519:gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=';
    const raw = router().match('POST', `/v1/peers/${key}/block`);
    const encoded = router().match('POST', `/v1/peers/${encodeURIComponent(key)}/block`);
    expect(raw).not.toBe('method');
    expect(typeof raw === 'object' && raw.params['key']).toBe(key);
    expect(typeof encoded === 'object' && encoded.params['key']).toBe(key);
  });

  it('prefers the more specific route that was added first', () => {
    const key = encodeURIComponent('ed25519:abc/def=');
    const m = router().match('POST', `/v1/approvals/${key}/revoke`);
    expect(typeof m === 'object' && m.params['id']).toBe('ed25519:abc/def=');
    const d = router().match('POST', `/v1/approvals/${key}`);
    expect(typeof d === 'object' && d.params['id']).toBe('ed25519:abc/def=');
  });

  it('tells a wrong method (405) from an unknown path (404)', () => {
    expect(router().match('GET', '/v1/peers/x/block')).toBe('method');
    expect(router().match('GET', '/v1/nothing')).toBeUndefined();
  });

  it('keeps an invalid percent-encoding as raw text', () => {
    const m = router().match('GET', '/v1/threads/%zz');
    expect(typeof m === 'object' && m.params['id']).toBe('%zz');
  });
});
