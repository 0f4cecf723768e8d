/**
 * Real keys, CSRs and certificates made with the openssl CLI, for tests that
 * need the certificate to really be for the CSR's key (processIssue compares
 * SPKI fingerprints). Everything lives in a temp dir removed by cleanup().
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsr } from '../../../src/domain/csr/index.js';
import { summarizeCsr } from '../../../src/app/intake.js';
import type { CsrSummary } from '../../../src/domain/lifecycle.js';

export interface UserKey {
  keyPem: string;
  csrPem: string;
  summary: CsrSummary;
}

export class TestPki {
  private n = 0;
  readonly caPem: string;

  private constructor(private readonly dir: string) {
    this.openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=csrbot-test-ca',
      '-days',
      '2',
      '-keyout',
      this.path('ca.key'),
      '-out',
      this.path('ca.crt'),
    );
    this.caPem = readFileSync(this.path('ca.crt'), 'utf8');
  }

  static create(): TestPki {
    return new TestPki(mkdtempSync(join(tmpdir(), 'csrbot-pki-')));
  }

  private path(f: string): string {
    return join(this.dir, f);
  }

  private openssl(...args: string[]): string {
    return execFileSync('openssl', args, { env: { ...process.env, OPENSSL_CONF: '/dev/null' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A fresh P-256 key and a CSR for `subject` (openssl -subj form), with the summary intake would make. */
  userKey(subject = '/CN=jane/O=developers'): UserKey {
    const i = ++this.n;
    const key = this.path(`u${i}.key`);
    const csr = this.path(`u${i}.csr`);
    this.openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key);
    this.openssl('req', '-new', '-utf8', '-key', key, '-subj', subject, '-out', csr);
    const csrPem = readFileSync(csr, 'utf8');
    const p = parseCsr(csrPem);
    return {
      keyPem: readFileSync(key, 'utf8'),
      csrPem,
      summary: summarizeCsr(p),
    };
  }

  /** What the cluster signer would return for `csrPem`: a certificate from the test CA for the CSR's key and subject. */
  sign(csrPem: string, days = 1): string {
    const i = ++this.n;
    const csr = this.path(`s${i}.csr`);
    const crt = this.path(`s${i}.crt`);
    writeFileSync(csr, csrPem);
    this.openssl(
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.path('ca.crt'),
      '-CAkey',
      this.path('ca.key'),
      '-set_serial',
      `0x${(0x1000 + i).toString(16)}`,
      '-days',
      String(days),
      '-out',
      crt,
    );
    return readFileSync(crt, 'utf8');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
