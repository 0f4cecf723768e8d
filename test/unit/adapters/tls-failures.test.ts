// TLS failures from real handshakes, through the client csrbot uses for the
// API server (@kubernetes/client-node), named as such instead of "answered
// with an error (n/a)". Slack's side is tested as a process in
// test/slack/bot/preflight.test.ts: under jest's module realm, @slack/web-api
// 8 loses the network error's cause (an instanceof Error check across realms).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesCsrApi } from '../../../src/adapters/kubernetes/index.js';
import { tlsFailureOf } from '../../../src/adapters/tls-problem.js';
import { CsrbotError } from '../../../src/domain/errors.js';
import { freePort } from '../../support/free-port.js';

const dir = mkdtempSync(join(tmpdir(), 'csrbot-tls-'));
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA; `name` files ca-<name>.crt/.key. */
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    `ca-${name}.key`,
    '-out',
    `ca-${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  );
}

/** A serving certificate for `san`, signed by CA `ca` (or self-signed), valid `days` (negative: already expired). */
function makeCert(name: string, o: { ca?: string; san: string; days: number }): { key: string; cert: string } {
  openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  const ext = join(dir, `${name}.ext`);
  execFileSync('sh', ['-c', `printf 'subjectAltName=${o.san}\\n' > ${ext}`]);
  const signer = o.ca ? ['-CA', `ca-${o.ca}.crt`, '-CAkey', `ca-${o.ca}.key`] : ['-key', `${name}.key`];
  openssl('x509', '-req', '-in', `${name}.csr`, ...signer, '-days', String(o.days), '-extfile', ext, '-out', `${name}.crt`);
  return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8') };
}

const servers: Server[] = [];
async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const https = (tls: { key: string; cert: string }) => listen(createHttpsServer(tls, (_req, res) => res.writeHead(404).end('{}')));

function kubeconfig(server: string, caName: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, caData: Buffer.from(readFileSync(join(dir, `ca-${caName}.crt`))).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

async function clusterError(server: string, caName = 'trusted'): Promise<CsrbotError> {
  const err = await KubernetesCsrApi.create(kubeconfig(server, caName), { requestTimeoutMs: 5_000 })
    .get('anything')
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(CsrbotError);
  return err as CsrbotError;
}

const addr: Record<string, string> = {};
beforeAll(async () => {
  makeCa('trusted');
  makeCa('other');
  addr.selfSigned = await https(makeCert('self', { san: 'IP:127.0.0.1', days: 2 }));
  addr.otherCa = await https(makeCert('other', { ca: 'other', san: 'IP:127.0.0.1', days: 2 }));
  addr.wrongHost = await https(makeCert('wronghost', { ca: 'trusted', san: 'DNS:api.example.com', days: 2 }));
  addr.expired = await https(makeCert('expired', { ca: 'trusted', san: 'IP:127.0.0.1', days: -1 }));
  addr.good = await https(makeCert('good', { ca: 'trusted', san: 'IP:127.0.0.1', days: 2 }));
  addr.plain = await listen(createHttpServer((_req, res) => res.writeHead(404).end()));
}, 60_000);

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('the Kubernetes API over TLS that does not verify', () => {
  it.each([
    [
      'a self-signed certificate',
      'selfSigned',
      'untrusted',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      "The API server's certificate is not trusted by the CA in KUBECONFIG",
    ],
    [
      'a certificate from another CA',
      'otherCa',
      'untrusted',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      "The API server's certificate is not trusted by the CA in KUBECONFIG",
    ],
    ['a certificate for another host', 'wrongHost', 'hostname', 'ERR_TLS_CERT_ALTNAME_INVALID', 'does not name the host csrbot connects to'],
    ['an expired certificate', 'expired', 'expired', 'CERT_HAS_EXPIRED', "The API server's certificate has expired"],
  ])('%s is CLUSTER_TLS, says what is wrong and how to fix it', async (_label, which, problem, reason, text) => {
    const e = await clusterError(`https://${addr[which]}`);
    expect(e.code).toBe('CLUSTER_TLS');
    expect(e.details).toMatchObject({ problem, reason });
    expect(e.userMessage).toContain(text);
    expect(e.userMessage).toContain(`(${reason}: `);
    expect(e.userMessage).toContain('To fix,');
    expect(e.userMessage).not.toContain('n/a');
    expect(e.userMessage).not.toContain('secret-token');
  });

  it('plain HTTP at an https:// URL is named too', async () => {
    const e = await clusterError(`https://${addr.plain}`);
    expect(e.code).toBe('CLUSTER_TLS');
    expect(e.details.problem).toBe('not-tls');
    expect(e.userMessage).toContain('does not speak TLS');
  });

  it('a verifying server is not a TLS failure (a 404 is just a 404)', async () => {
    const api = KubernetesCsrApi.create(kubeconfig(`https://${addr.good}`, 'trusted'), { requestTimeoutMs: 5_000 });
    await expect(api.get('anything')).resolves.toBeUndefined();
    await expect(api.approve('anything', { reason: 'R', message: 'm' })).rejects.toMatchObject({ code: 'CSR_NOT_FOUND', details: { name: 'anything' } });
  });

  it('an unreachable server stays an outage, not a TLS failure', async () => {
    const e = await clusterError(`https://127.0.0.1:${await freePort()}`);
    expect(e.code).toBe('CLUSTER_UNREACHABLE');
    expect(tlsFailureOf(e.cause)).toBeUndefined();
  });
});
