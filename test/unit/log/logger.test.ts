import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

const BOT = 'xoxb-123456-abcdef-SECRET';
const APP = 'xapp-1-A123-456-SECRET';
const SIGNING = 'f00dfacecafebeef0123';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIb7tZ0xyz\n-----END EC PRIVATE KEY-----';
const PKCS8 = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ\n-----END PRIVATE KEY-----';

describe('logger redaction', () => {
  it('never writes a token, the signing secret or a private key, wherever it appears', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'trace', secrets: [BOT, APP, SIGNING], destination });
    const child = log.child({ token: BOT, requestId: 'r1' });
    child.info({ botToken: BOT, nested: { headers: { Authorization: `Bearer ${BOT}` }, text: `key ${KEY}` } }, `calling with ${BOT}`);
    log.warn(`signing secret is ${SIGNING} and app token ${APP}`);
    log.error({ err: new Error(`upload failed: ${PKCS8}`) }, 'failed');
    log.info({ payload: { files: [{ preview: PKCS8 }] }, auth: `Bearer ${APP}` });
    log.child({ secretInside: `x ${SIGNING} y` }).debug('child bindings');

    const all = lines.join('\n');
    expect(lines).toHaveLength(5);
    for (const secret of [BOT, APP, SIGNING, 'MHcCAQEEIIb7tZ0xyz', 'MC4CAQAwBQYDK2VwBCIEIJ', 'PRIVATE KEY-----\nM']) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[REDACTED]');
    // Context survives redaction.
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: 'r1', level: 'info' });
  });

  it('keeps a CSR (public material) readable', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info({ csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----' });
    expect(lines[0]).toContain('BEGIN CERTIFICATE REQUEST');
  });
});
