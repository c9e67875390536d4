// The registry's pure parts (its config, where it is, references, refusals) and
// its files in a throwaway home (OpenSSL, no Docker).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localFleetNetwork } from '../../hosts/local-fleet-plan.ts';
import { registry as registryRole } from '../../roles/registry.ts';
import { opsStack } from '../../stacks/ops.ts';
import { hostPort } from '../../stacks/ports.ts';
import {
  certificateProblem,
  defaultRegistryConfig,
  ensureRegistryFiles,
  listenAddresses,
  parseRegistryConfig,
  registryFiles,
} from '../../stacks/registry-files.ts';
import {
  digestRef,
  parseImageRef,
  pullRefusal,
  registryLocation,
  registryRefusal,
  type Registry,
} from '../../stacks/registry.ts';
import { fixedPortBase } from '../../stacks/tiers.ts';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('the registry config', () => {
  it("defaults to the ops stack's port and the local fleet's gateway", () => {
    assert.deepEqual(parseRegistryConfig(undefined), defaultRegistryConfig);
    assert.equal(defaultRegistryConfig.port, hostPort(fixedPortBase('ops'), registryRole.publish.https!));
    assert.equal(defaultRegistryConfig.hostAddress, localFleetNetwork.gateway);
  });

  it('takes what registry.json sets, the defaults for the rest', () => {
    assert.deepEqual(parseRegistryConfig('{"hostAddress":"10.214.0.1"}'), {
      port: defaultRegistryConfig.port,
      hostAddress: '10.214.0.1',
    });
  });

  it('refuses what would listen everywhere, or is not an address or a port', () => {
    assert.match(parseRegistryConfig('{"hostAddress":"0.0.0.0"}') as string, /not one IPv4 address/);
    assert.match(parseRegistryConfig('{"hostAddress":"fleet.example"}') as string, /not one IPv4 address/);
    assert.match(parseRegistryConfig('{"port":80}') as string, /not a port number/);
    assert.match(parseRegistryConfig('{"port":"18205"}') as string, /not a port number/);
    assert.equal(parseRegistryConfig('{port'), 'is not JSON');
  });

  it('listens on loopback and the hosts address, once each', () => {
    assert.deepEqual(listenAddresses({ port: 18205, hostAddress: '10.213.0.1' }), ['127.0.0.1', '10.213.0.1']);
    assert.deepEqual(listenAddresses({ port: 18205, hostAddress: '127.0.0.1' }), ['127.0.0.1']);
  });
});

describe('where the registry is, and references', () => {
  const location = registryLocation({ port: 18205, hostAddress: '10.213.0.1' });

  it('this machine pushes on loopback; hosts pull at their address', () => {
    assert.deepEqual(location, { push: '127.0.0.1:18205', pull: '10.213.0.1:18205' });
    assert.equal(digestRef(location, 'devenv/web', digest), `10.213.0.1:18205/devenv/web@${digest}`);
  });

  it('reads repository and tag of a local image, and refuses a reference by digest', () => {
    assert.deepEqual(parseImageRef('devenv/web:0123456789abcdef'), {
      repository: 'devenv/web',
      tag: '0123456789abcdef',
    });
    assert.throws(() => parseImageRef(`devenv/web@${digest}`), /not an image reference of the form repository:tag/);
    assert.throws(() => parseImageRef('devenv/web'), /repository:tag/);
  });
});

describe('refusals, in one line', () => {
  const registry: Registry = {
    location: { push: '127.0.0.1:18205', pull: '10.213.0.1:18205' },
    username: 'devenv',
    password: 'secret-never-shown',
    ca: '',
  };
  const ref = `10.213.0.1:18205/devenv/web@${digest}`;

  it('on this machine: not up, wrong credentials, a certificate not ours', () => {
    const down = registryRefusal(registry, 'connect ECONNREFUSED 127.0.0.1:18205');
    assert.match(down.message, /^the registry does not answer at 127\.0\.0\.1:18205/);
    assert.match(down.fix!, /devenv ops up/);
    assert.match(registryRefusal(registry, 401).message, /refused devenv's credentials/);
    assert.match(registryRefusal(registry, 'unable to verify the first certificate').message, /certificate/);
    for (const status of [401, 'connect ECONNREFUSED 127.0.0.1:18205', 500])
      assert.ok(!registryRefusal(registry, status).message.includes(registry.password));
  });

  it("on a host: the host's name and the registry's address, and what to do", () => {
    const unreachable = pullRefusal(
      'host-2',
      '10.213.0.1:18205',
      ref,
      'Get "https://10.213.0.1:18205/v2/": dial tcp 10.213.0.1:18205: connect: connection refused',
    );
    assert.match(unreachable.message, /^host-2 cannot reach the registry at 10\.213\.0\.1:18205: /);
    assert.match(unreachable.fix!, /devenv ops up/);
    const untrusted = pullRefusal(
      'host-2',
      '10.213.0.1:18205',
      ref,
      'Get "https://10.213.0.1:18205/v2/": x509: certificate signed by unknown authority',
    );
    assert.match(untrusted.message, /^host-2 does not trust the registry's certificate at 10\.213\.0\.1:18205/);
    assert.match(untrusted.fix!, /\/etc\/docker\/certs\.d\/10\.213\.0\.1:18205\/ca\.crt/);
    assert.match(
      pullRefusal('host-2', '10.213.0.1:18205', ref, 'unauthorized: authentication required').message,
      /^host-2: the registry at 10\.213\.0\.1:18205 refused devenv's credentials$/,
    );
  });
});

describe("the registry's files in the home", () => {
  it('makes the CA, the password and the certificate once, keys and password 0600', async () => {
    const home = await mkdtemp(join(tmpdir(), 'devenv-registry-files-'));
    try {
      const first = await ensureRegistryFiles(home);
      assert.deepEqual(first.made, ['ca', 'password', 'certificate (there is none)']);
      const files = registryFiles(home);
      assert.equal((await stat(files.dir)).mode & 0o777, 0o700);
      for (const secret of [files.caKey, files.serverKey, files.password])
        assert.equal((await stat(secret)).mode & 0o777, 0o600, secret);
      assert.deepEqual(JSON.parse(await readFile(files.config, 'utf8')), defaultRegistryConfig);
      const cert = new X509Certificate(await readFile(files.serverCert));
      assert.equal(cert.subjectAltName, 'IP Address:127.0.0.1, IP Address:10.213.0.1');
      assert.deepEqual((await ensureRegistryFiles(home)).made, []);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('issues the certificate anew for another address, keeping the CA and the password', async () => {
    const home = await mkdtemp(join(tmpdir(), 'devenv-registry-files-'));
    try {
      await ensureRegistryFiles(home);
      const files = registryFiles(home);
      const [ca, password] = await Promise.all([readFile(files.caCert), readFile(files.password)]);
      await writeFile(files.config, JSON.stringify({ hostAddress: '10.214.0.1' }));
      const again = await ensureRegistryFiles(home);
      assert.deepEqual(again.made, ['certificate (it names 10.213.0.1, 127.0.0.1, not 127.0.0.1, 10.214.0.1)']);
      assert.deepEqual(await readFile(files.caCert), ca);
      assert.deepEqual(await readFile(files.password), password);
      const cert = new X509Certificate(await readFile(files.serverCert));
      assert.equal(
        certificateProblem(cert, new X509Certificate(ca), ['127.0.0.1', '10.214.0.1'], new Date()),
        undefined,
      );
      const later = new Date(Date.now() + 824 * 24 * 3600_000);
      assert.match(
        certificateProblem(cert, new X509Certificate(ca), ['127.0.0.1', '10.214.0.1'], later)!,
        /^it ends on /,
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('the ops stack', () => {
  it("holds the registry, on the machine's network, sharing the devenv home only", () => {
    const role = opsStack().roles.find((r) => r.name === 'registry');
    assert.ok(role);
    assert.deepEqual(role.host, { binds: ['devenv-home'] });
    assert.ok(role.volumes.some((volume) => volume.data));
  });
});
