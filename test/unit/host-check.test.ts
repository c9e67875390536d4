import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workloadText } from '../../cli/commands/hosts-command.ts';
import { parseHostFacts, workloadsOf } from '../../hosts/check.ts';
import { unreachableReason } from '../../stacks/host-engine.ts';
import { UserError } from '../../lib/errors.ts';

const host = { name: 'host-2', docker: 'ssh://deploy@10.213.0.12', address: '10.213.0.12' };
const failure = (message: string, extra: Record<string, string> = {}) => Object.assign(new Error(message), extra);

describe('host check', () => {
  it("reads df's free bytes and the load averages", () => {
    const stdout = '/dev/vda  270553174016 20667678720 77125615616  22% /var/lib/docker\n5.96 5.96 4.91 9/438 160\n';
    assert.deepEqual(parseHostFacts(stdout), { freeDiskBytes: 77125615616, load: [5.96, 5.96, 4.91] });
    assert.equal(parseHostFacts('df: /var/lib/docker: No such file or directory\n'), undefined);
  });

  it('says in one line why a host did not answer, naming where', () => {
    const cases: [unknown, RegExp][] = [
      [
        failure('connect ECONNREFUSED 10.213.0.12:22', { code: 'ECONNREFUSED' }),
        /nothing listens for SSH at 10.213.0.12:22/,
      ],
      [failure('Timed out while waiting for handshake'), /no answer from 10.213.0.12:22 within 5 s/],
      [failure('connect EHOSTUNREACH 10.213.0.12:22', { code: 'EHOSTUNREACH' }), /no answer from/],
      [
        failure('All configured authentication methods failed', { level: 'client-authentication' }),
        /deploy@10.213.0.12:22 did not accept the fleet key/,
      ],
      [failure('socket hang up', { code: 'ECONNRESET' }), /Docker engine does not/],
      [new UserError('host-2 (10.213.0.12) presented an SSH host key other than the one pinned'), /^host-2 .*pinned$/],
      [failure('something new\nwith a second line'), /^something new$/],
    ];
    for (const [error, expected] of cases) {
      const reason = unreachableReason(error, host);
      assert.match(reason, expected);
      assert.ok(!reason.includes('\n'), reason);
    }
  });

  it("counts devenv's containers on a host by stack and role, and leaves others out", () => {
    const container = (State: string, Labels: Record<string, string>) => ({ State, Labels });
    const workloads = workloadsOf([
      container('running', { 'devenv.stack': 'prod', 'devenv.role': 'web' }),
      container('running', { 'devenv.stack': 'prod', 'devenv.role': 'web' }),
      container('exited', { 'devenv.stack': 'princess', 'devenv.role': 'web' }),
      container('running', { 'devenv.stack': 'prod', 'devenv.role': 'db' }),
      container('running', { 'devenv.stack': 'local-fleet' }),
      container('running', { 'com.example': 'not ours' }),
    ]);
    assert.deepEqual(workloads, [
      { stack: 'local-fleet', role: '-', running: 1, stopped: 0 },
      { stack: 'princess', role: 'web', running: 0, stopped: 1 },
      { stack: 'prod', role: 'db', running: 1, stopped: 0 },
      { stack: 'prod', role: 'web', running: 2, stopped: 0 },
    ]);
    assert.equal(workloadText(workloads), 'local-fleet: -; princess: web 0/1; prod: db, web×2');
    assert.equal(workloadText([]), '-');
  });
});
