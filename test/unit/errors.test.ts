// Known failures become one plain sentence with what to do.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explain, UserError } from '../../cli/errors.ts';

describe('explain', () => {
  it('passes user errors through', () => {
    const error = new UserError('bad', 'do this');
    assert.equal(explain(error), error);
  });

  it('maps a lost Docker engine, also inside the engine output', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
    assert.equal(explain(refused)?.message, 'the Docker engine stopped answering');
    const wrapped = new Error('code: 255\n stderr: error: create failed: connect ENOENT /var/run/docker.sock');
    assert.equal(explain(wrapped)?.message, 'the Docker engine stopped answering');
  });

  it('maps a concurrent update and a missing stack', () => {
    assert.match(explain(Object.assign(new Error('x'), { name: 'ConcurrentUpdateError' }))!.message, /another devenv command/);
    assert.match(explain(new Error('no stack named dev-ada found'))!.message, /does not exist/);
  });

  it('names the container or image our providers reported', () => {
    const unhealthy = explain(new Error('error: update failed\n error: container dev-ada-proxy was not healthy within 60 s:\n'));
    assert.equal(unhealthy?.message, 'dev-ada-proxy did not become healthy within 60 s');
    assert.match(unhealthy?.fix ?? '', /docker logs dev-ada-proxy/);
    const build = explain(new Error('error: building devenv/web:abc failed: npm ERR! 404 (build log: /h/logs/build-web.log)'));
    assert.equal(build?.message, 'building devenv/web:abc failed: npm ERR! 404');
    assert.equal(build?.fix, 'the build log is /h/logs/build-web.log');
  });

  it('leaves unknown errors unknown', () => {
    assert.equal(explain(new Error('something else')), undefined);
    assert.equal(explain('a string'), undefined);
  });
});
