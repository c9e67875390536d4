// Known failures become one plain sentence with what to do.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { engineFailure, explain, UserError } from '../../lib/errors.ts';

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
    assert.match(
      explain(Object.assign(new Error('x'), { name: 'ConcurrentUpdateError' }))!.message,
      /another devenv command/,
    );
    assert.match(explain(new Error('no stack named dev-ada found'))!.message, /does not exist/);
  });

  it('names the container or image our providers reported', () => {
    const unhealthy = explain(
      new Error('error: update failed\n error: container dev-ada-proxy was not healthy within 60 s:\n'),
    );
    assert.equal(unhealthy?.message, 'dev-ada-proxy did not become healthy within 60 s');
    assert.match(unhealthy?.fix ?? '', /run the command again/);
    const crashed = explain(
      new Error('container dev-ada-web exited with code 9 while starting:\nnode: bad option: --no-such-flag\n'),
    );
    assert.equal(
      crashed?.message,
      'dev-ada-web exited with code 9 while starting; its last log line: "node: bad option: --no-such-flag"',
    );
    const build = explain(
      new Error('error: building devenv/web:abc failed: npm ERR! 404 (build log: /h/logs/build-web.log)'),
    );
    assert.equal(build?.message, 'building devenv/web:abc failed: npm ERR! 404');
    assert.equal(build?.fix, 'the build log is /h/logs/build-web.log');
  });

  it('leaves unknown errors unknown', () => {
    assert.equal(explain(new Error('something else')), undefined);
    assert.equal(explain('a string'), undefined);
  });
});

describe('engineFailure', () => {
  const tmpfs =
    'error: Error: (HTTP code 400) unexpected - failed to create task for container: failed to create shim task: OCI runtime create failed: ' +
    'error mounting "tmpfs" to rootfs at "/srv/site/node_modules": read-only file system: unknown\n    at /x/node_modules/docker-modem/lib/modem.js:383:17\n    at IncomingMessage.<anonymous> (/x/modem.js:1:1)\n';

  it("gives one line per failed resource with Docker's own message, then the log", () => {
    const failure = engineFailure(
      'bringing up dev-ada',
      [
        { resource: 'dev-ada-web', message: tmpfs },
        { resource: 'dev-ada-worker', message: tmpfs },
      ],
      '/h/logs/engine-dev-ada.log',
      new Error('update failed'),
    );
    const lines = failure.message.split('\n');
    assert.equal(lines[0], 'bringing up dev-ada failed on 2 resources:');
    assert.equal(lines.length, 3);
    assert.match(
      lines[1]!,
      /^ {2}dev-ada-web: failed to create task for container: .*error mounting "tmpfs" to rootfs at "\/srv\/site\/node_modules": read-only file system: unknown; fix the cause and run the command again \(it converges\)$/,
    );
    assert.ok(!failure.message.includes('modem.js'), 'no stack trace');
    assert.equal(failure.fix, "the engine's log is /h/logs/engine-dev-ada.log");
  });

  it('says a known provider failure in its plain sentence, with what to do', () => {
    const failure = engineFailure(
      'bringing up prod',
      [
        {
          resource: 'prod-web-2',
          message: 'error: container prod-web-2 was not healthy within 60 s:\nlog line one\nlog line two\n',
        },
      ],
      '/h/l.log',
      new Error('x'),
    );
    assert.equal(
      failure.message,
      'bringing up prod failed on one resource:\n  prod-web-2: prod-web-2 did not become healthy within 60 s; its last log line: "log line two"; fix the cause and run the command again (it converges)',
    );
  });

  it('names the failure without resources by its error line, or as a known error', () => {
    const plain = engineFailure(
      'bringing up dev-ada',
      [],
      '/h/l.log',
      new Error('code: 255\n stdout: \n stderr: error: could not load plugin: no such file\n'),
    );
    assert.equal(plain.message, 'bringing up dev-ada failed: could not load plugin: no such file');
    const lost = engineFailure(
      'bringing up dev-ada',
      [],
      '/h/l.log',
      new Error('stderr: error: connect ENOENT /var/run/docker.sock'),
    );
    assert.equal(lost.message, 'the Docker engine stopped answering');
    assert.match(lost.fix ?? '', /engine's log is \/h\/l\.log$/);
  });
});
