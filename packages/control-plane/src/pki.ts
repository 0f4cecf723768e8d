import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  saKey: string;
  saPub: string;
}

/**
 * A throwaway CA (also the cluster signer for kube-apiserver-client
 * certificates and the --client-ca-file, as in kubeadm clusters), a serving
 * certificate for 127.0.0.1, and the service-account signing key.
 */
export function makePki(dir: string): Pki {
  const p = (f: string) => path.join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '30',
      '-subj',
      '/CN=csrbot-test-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'serving.key',
      '-out',
      'serving.crt',
      '-days',
      '30',
      '-subj',
      '/CN=kube-apiserver',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
    dir,
  );
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  return { caCert: p('ca.crt'), caKey: p('ca.key'), servingCert: p('serving.crt'), servingKey: p('serving.key'), saKey: p('sa.key'), saPub: p('sa.pub') };
}

/** A kubeconfig that authenticates with a bearer token. */
export function writeTokenKubeconfig(file: string, opts: { server: string; caPem: string; user: string; token: string }): void {
  const ca = Buffer.from(opts.caPem).toString('base64');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: csrbot-test
  cluster:
    server: ${opts.server}
    certificate-authority-data: ${ca}
users:
- name: ${opts.user}
  user:
    token: ${opts.token}
contexts:
- name: ${opts.user}@csrbot-test
  context:
    cluster: csrbot-test
    user: ${opts.user}
current-context: ${opts.user}@csrbot-test
`,
    { mode: 0o600 },
  );
}
