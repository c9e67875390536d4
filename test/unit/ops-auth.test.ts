// The deploy service's request rules, pure: own origin, JSON, and the credential presented.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  contentTypeRefusal,
  isLoopback,
  originRefusal,
  presentedSecrets,
  secretHash,
  sessionCookieHeader,
} from '../../deploy/auth.ts';

describe('originRefusal', () => {
  it("accepts the service's own loopback host, with or without an Origin of its own", () => {
    assert.equal(originRefusal({ host: '127.0.0.1:18200' }, 18200), undefined);
    assert.equal(originRefusal({ host: 'localhost:18200', origin: 'http://localhost:18200' }, 18200), undefined);
    assert.equal(originRefusal({ host: '127.0.0.1:18200', origin: 'http://127.0.0.1:18200' }, 18200), undefined);
  });

  it('refuses a foreign Host (DNS rebinding), a missing one, and another port', () => {
    assert.match(
      originRefusal({ host: 'evil.example:18200' }, 18200)!.reason,
      /^Host "evil\.example:18200" is not this service's \(127\.0\.0\.1:18200\)/,
    );
    assert.equal(originRefusal({}, 18200)!.status, 403);
    assert.equal(originRefusal({ host: '127.0.0.1:18100' }, 18200)!.status, 403);
  });

  it("accepts the address a fleet's hosts reach the service at, only when it is the fleet's", () => {
    assert.equal(originRefusal({ host: '10.213.0.1:18200' }, 18200, '10.213.0.1'), undefined);
    assert.equal(originRefusal({ host: '10.213.0.1:18200' }, 18200)!.status, 403);
    assert.equal(originRefusal({ host: '10.213.0.2:18200' }, 18200, '10.213.0.1')!.status, 403);
  });

  it('tells a loopback connection from one off loopback', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
    for (const address of ['10.213.0.1', '::ffff:10.213.0.1', undefined]) assert.equal(isLoopback(address), false);
  });

  it("refuses another site's Origin, and the opaque null of a sandboxed page", () => {
    assert.match(
      originRefusal({ host: '127.0.0.1:18200', origin: 'http://evil.example' }, 18200)!.reason,
      /^Origin "http:\/\/evil\.example"/,
    );
    assert.equal(originRefusal({ host: '127.0.0.1:18200', origin: 'null' }, 18200)!.status, 403);
    assert.equal(originRefusal({ host: '127.0.0.1:18200', origin: 'http://127.0.0.1:18201' }, 18200)!.status, 403);
  });
});

describe('contentTypeRefusal', () => {
  it('takes JSON only: what a form or a simple cross-origin request cannot send', () => {
    assert.equal(contentTypeRefusal('application/json'), undefined);
    assert.equal(contentTypeRefusal('application/json; charset=utf-8'), undefined);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      undefined,
    ]) {
      assert.equal(contentTypeRefusal(type)?.status, 403, String(type));
    }
  });
});

describe('presentedSecrets', () => {
  it('reads a bearer token and the session cookie among others', () => {
    assert.deepEqual(
      presentedSecrets({ authorization: 'Bearer abc', cookie: 'visitor=1; devenv_session=xyz; other=2' }),
      { bearer: 'abc', session: 'xyz' },
    );
    assert.deepEqual(presentedSecrets({ authorization: 'Basic abc' }), {});
    assert.deepEqual(presentedSecrets({ cookie: 'my_devenv_session=no' }), {});
  });

  it('keeps secrets as their SHA-256 and sends the session cookie strict and HttpOnly', () => {
    assert.equal(secretHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.match(
      sessionCookieHeader('s3cret'),
      /^devenv_session=s3cret; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
  });
});
