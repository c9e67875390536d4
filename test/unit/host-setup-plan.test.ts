import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  asRoot,
  defaultHostName,
  failureLine,
  hostProbe,
  parseHostFacts,
  parseLoginProbe,
  setupPlan,
  setupTarget,
  shellQuote,
  type HostFacts,
} from '../../hosts/setup-plan.ts';
import { UserError } from '../../lib/errors.ts';

const keyLine =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMaoQoGG/Lm59Fxti1kILSW4TkRS1PETZmPVjcuEWV7Q devenv fleet key (/tmp/it's home)";
const fleetKey = {
  type: 'ssh-ed25519',
  base64: 'AAAAC3NzaC1lZDI1NTE5AAAAIMaoQoGG/Lm59Fxti1kILSW4TkRS1PETZmPVjcuEWV7Q',
};

/** A bare Debian machine in a container: apt, no Docker, no systemd, no deploy user. */
const bare: HostFacts = {
  os: 'Debian GNU/Linux 12 (bookworm)',
  apt: true,
  dockerd: false,
  systemd: false,
  enabledAtBoot: '',
  apparmor: false,
  apparmorParser: false,
  user: { exists: false, inDockerGroup: false, keyAuthorized: false },
};
/** The same machine once set up. */
const ready: HostFacts = {
  ...bare,
  dockerd: true,
  engine: '20.10.24+dfsg1',
  user: { exists: true, inDockerGroup: true, keyAuthorized: true },
};
const kinds = (facts: HostFacts) => setupPlan(facts, 'deploy', keyLine).steps.map((step) => step.kind);

const refused = (run: () => unknown): UserError => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    assert.ok(!`${error.message}; ${error.fix}`.includes('\n'), 'one line');
    return error;
  }
  assert.fail('not refused');
};

describe('hosts setup: the target', () => {
  it('names a host from its address unless told', () => {
    assert.equal(defaultHostName('10.215.0.2'), 'host-10-215-0-2');
    assert.equal(defaultHostName('App-1.example.com'), 'app-1');
    assert.equal(defaultHostName('fd00::2'), 'host-fd00-2');
    assert.equal(defaultHostName('9lives.example.com'), 'host-9lives');
  });

  it('logs in as the endpoint says and reaches the engine as the deploy user afterwards', () => {
    const target = setupTarget('ssh://admin@10.215.0.2:2222', { name: 'app-1' }, []);
    assert.deepEqual(target, {
      name: 'app-1',
      address: '10.215.0.2',
      port: 2222,
      admin: { name: 'app-1', docker: 'ssh://admin@10.215.0.2:2222', address: '10.215.0.2' },
      deploy: { name: 'app-1', docker: 'ssh://deploy@10.215.0.2:2222', address: '10.215.0.2' },
      deployUser: 'deploy',
    });
    assert.equal(setupTarget('ssh://root@10.215.0.2', { as: 'ops' }, []).deploy.docker, 'ssh://ops@10.215.0.2');
  });

  it('keeps the name an address was set up with', () => {
    const before = [{ name: 'app-1', docker: 'ssh://deploy@10.215.0.2', address: '10.215.0.2' }];
    assert.equal(setupTarget('ssh://root@10.215.0.2', {}, before).name, 'app-1');
  });

  it('refuses bad input in one line before the host is asked anything', () => {
    const before = [{ name: 'app-1', docker: 'ssh://deploy@10.215.0.2', address: '10.215.0.2' }];
    const cases: [() => unknown, RegExp][] = [
      [() => setupTarget('10.215.0.2', {}, []), /^"10.215.0.2" is not an SSH endpoint$/],
      [() => setupTarget('tcp://10.215.0.2:2376', {}, []), /is not an SSH endpoint/],
      [() => setupTarget('ssh://10.215.0.2', {}, []), /names no user/],
      [() => setupTarget('ssh://root@10.215.0.2', { as: 'root' }, []), /does not log in to a fleet as root/],
      [() => setupTarget('ssh://root@10.215.0.2', { as: 'Bad User' }, []), /is not a user name/],
      [() => setupTarget('ssh://root@10.215.0.2', { name: 'App_1' }, []), /must be lowercase/],
      [() => setupTarget('ssh://root@10.215.0.2', { name: 'host-1' }, []), /belongs to the local fleet/],
      [() => setupTarget('ssh://root@10.215.0.3', { name: 'app-1' }, before), /a host named app-1 is set up already/],
      [() => setupTarget('ssh://root@10.215.0.2', { name: 'app-2' }, before), /10.215.0.2 is set up already, as app-1/],
    ];
    for (const [run, expected] of cases) assert.match(refused(run).message, expected);
  });
});

describe('hosts setup: asking the host', () => {
  it('quotes for the shell so that nothing in the text is read by it', () => {
    const text = `it's "$HOME" \`id\` \\ ; done`;
    assert.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(text)}`], { encoding: 'utf8' }), text);
    assert.equal(asRoot('id -u', true), "sh -c 'id -u'");
    assert.equal(asRoot('id -u', false), "sudo -n sh -c 'id -u'");
  });

  it('reads who the login user is and whether sudo lets it in without a password', () => {
    assert.deepEqual(parseLoginProbe('0\nno-sudo\n'), { root: true, sudo: false });
    assert.deepEqual(parseLoginProbe('1000\nsudo\n'), { root: false, sudo: true });
    assert.equal(parseLoginProbe('-bash: id: command not found\n'), undefined);
  });

  it("reads the probe's facts, run here by a real shell", () => {
    const stdout = execFileSync('sh', ['-c', hostProbe('devenv-no-such-user', fleetKey)], { encoding: 'utf8' });
    const facts = parseHostFacts(stdout);
    assert.ok(facts, stdout);
    assert.deepEqual(facts.user, { exists: false, inDockerGroup: false, keyAuthorized: false });
    assert.equal(typeof facts.apt, 'boolean');
    assert.equal(parseHostFacts('os=Debian\n'), undefined, 'a probe cut short is no facts');
  });

  it('reads an engine version only when it is one', () => {
    const probe = (engine: string) =>
      `os=Debian\napt=yes\ndockerd=yes\nsystemd=no\nengine=${engine}\nenabled=\napparmor=no\napparmor_parser=no\nuser=yes\nin_group=yes\nkey=yes\n`;
    assert.equal(parseHostFacts(probe('20.10.24+dfsg1'))?.engine, '20.10.24+dfsg1');
    assert.equal(parseHostFacts(probe(''))?.engine, undefined);
  });

  it("says why a step failed with apt's own error line, else the last line", () => {
    const apt = 'Reading package lists...\nE: Unable to locate package docker.io\nW: something after\n';
    assert.equal(failureLine(apt), 'E: Unable to locate package docker.io');
    assert.equal(failureLine('one\ntwo\n\n'), 'two');
    assert.equal(failureLine(''), 'it said nothing');
  });
});

describe('hosts setup: the plan', () => {
  it('does everything on a bare host, in order, and nothing on a host set up already', () => {
    assert.deepEqual(kinds(bare), ['install-docker', 'make-user', 'authorize-key', 'start-docker']);
    assert.deepEqual(kinds(ready), []);
  });

  it('does only what is missing', () => {
    assert.deepEqual(kinds({ ...ready, engine: undefined }), ['start-docker']);
    assert.deepEqual(kinds({ ...ready, user: { exists: true, inDockerGroup: false, keyAuthorized: true } }), [
      'join-docker-group',
    ]);
    assert.deepEqual(kinds({ ...ready, user: { exists: true, inDockerGroup: true, keyAuthorized: false } }), [
      'authorize-key',
    ]);
  });

  it('starts Docker with systemd where it runs (and enables it at boot), with dockerd and a log where not', () => {
    const systemd = { ...ready, systemd: true, enabledAtBoot: 'enabled' };
    assert.deepEqual(kinds(systemd), []);
    const disabled = setupPlan({ ...systemd, enabledAtBoot: 'disabled' }, 'deploy', keyLine).steps;
    assert.equal(disabled[0]?.script, 'systemctl enable --now docker.service');
    assert.equal(disabled[0]?.title, 'Enabling Docker at boot (systemd)');
    const byHand = setupPlan({ ...ready, engine: undefined }, 'deploy', keyLine).steps[0];
    assert.match(byHand?.script ?? '', /setsid nohup dockerd >>\/var\/log\/dockerd\.log/);
  });

  it("installs Debian's docker.io, with apparmor where the kernel enforces it and its parser is missing", () => {
    const install = (facts: HostFacts) => setupPlan(facts, 'deploy', keyLine).steps[0]?.script ?? '';
    assert.match(install(bare), /install --no-install-recommends docker\.io ca-certificates$/);
    assert.match(install({ ...bare, apparmor: true }), /docker\.io ca-certificates apparmor$/);
    assert.match(install({ ...bare, apparmor: true, apparmorParser: true }), /ca-certificates$/);
  });

  it('refuses a host without Docker that has no apt-get, in one line', () => {
    const plan = setupPlan({ ...bare, apt: false, os: 'Alpine Linux v3.20' }, 'deploy', keyLine);
    assert.deepEqual(plan.steps, []);
    assert.match(plan.refusal?.message ?? '', /no apt-get .*Alpine Linux v3\.20/);
  });

  it('authorizes the key line whole, quoted, on a line of its own', () => {
    const script = setupPlan(bare, 'deploy', keyLine).steps.find((step) => step.kind === 'authorize-key')?.script;
    assert.ok(script?.includes(`printf '%s\\n' ${shellQuote(keyLine)} >> "$f"`), script);
  });
});
