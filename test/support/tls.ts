// Certificates for a Docker engine served over TCP with TLS, made the way an
// operator makes them with OpenSSL: a CA, a server certificate naming the host's
// address, and a client certificate the engine's --tlsverify checks.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'];

export interface TestCa {
  cert: string;
  key: string;
}

export async function makeCa(dir: string, name = 'test-ca'): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const ca = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca-key.pem') };
  await execa('openssl', [
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  return ca;
}

/** A certificate signed by the CA: for a server at that IP address, or for a client. */
export async function issue(
  ca: TestCa,
  out: { cert: string; key: string },
  purpose: { server: string } | 'client',
): Promise<void> {
  const extensions =
    purpose === 'client'
      ? ['-addext', 'extendedKeyUsage=clientAuth']
      : ['-addext', `subjectAltName=IP:${purpose.server}`, '-addext', 'extendedKeyUsage=serverAuth'];
  await execa('openssl', [
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    out.key,
    '-out',
    out.cert,
    '-subj',
    '/CN=devenv-test',
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-addext',
    'basicConstraints=CA:FALSE',
    ...extensions,
  ]);
  await chmod(out.key, 0o600);
}
