/**
 * Property tests: whatever arrives, parseCsr answers with a CSR or a coded
 * error (never another exception), and no tampering survives verification.
 * 11.5k generated cases, plus ~4k deterministic single-bit flips.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseCsr } from '../../../../src/domain/csr/index.js';
import { CsrbotError } from '../../../../src/domain/errors.js';
import { fixtureBytes, fixtureText } from './fixtures.js';

/** 'ok' or the error code; anything other than a CsrbotError fails the property. */
function outcome(input: string | Uint8Array): string {
  try {
    parseCsr(input);
    return 'ok';
  } catch (e) {
    if (e instanceof CsrbotError) return e.code;
    throw new Error(`non-coded exception: ${String(e)}`);
  }
}

const DERS = { rsa2048: fixtureBytes('rsa2048.der'), p256: fixtureBytes('p256.der'), ed25519: fixtureBytes('ed25519.der') };
const derArb = fc.constantFrom(...Object.values(DERS));
const csrPem = fixtureText('p256.csr');

describe('parseCsr never throws anything but a coded error', () => {
  it('for any bytes (4000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (b) => void outcome(b)),
      { numRuns: 4000 },
    );
  });

  it('for any string (2000 cases)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 1500 }), (s) => void outcome(s)),
      { numRuns: 2000 },
    );
  });

  it('for bytes that start like DER (1000 cases)', () => {
    // 0x30 + a plausible length reaches deep into the ASN.1 reader rather than the text path.
    const derish = fc.tuple(fc.integer({ min: 0, max: 0x84 }), fc.uint8Array({ maxLength: 600 })).map(([len, rest]) => Uint8Array.from([0x30, len, ...rest]));
    fc.assert(
      fc.property(derish, (b) => void outcome(b)),
      { numRuns: 1000 },
    );
  });

  it('for any base64 inside a CERTIFICATE REQUEST block (1000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 800 }), (b) => {
        const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(b).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
        expect(outcome(pem)).not.toBe('ok');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hostile shapes stay cheap', () => {
  it('inputs near the 64 KiB cap (20 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60_000, maxLength: 64 * 1024 }), (b) => void outcome(b)),
      { numRuns: 20 },
    );
  });

  it('deep nesting, definite and indefinite', () => {
    const deep = (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(0x30, 0x80);
      return Uint8Array.from(out);
    };
    expect(outcome(deep(20_000))).not.toBe('ok');
    let nested = Uint8Array.from([0x05, 0x00]);
    for (let i = 0; i < 60; i++) nested = Uint8Array.from([0x30, nested.length, ...nested].slice(0, 2 + nested.length));
    expect(outcome(nested)).not.toBe('ok');
  });

  it('a PEM block of 60 KiB of valid base64', () => {
    const big = Buffer.alloc(45_000, 0x30).toString('base64');
    expect(outcome(`-----BEGIN CERTIFICATE REQUEST-----\n${big}\n-----END CERTIFICATE REQUEST-----\n`)).not.toBe('ok');
  });
});

describe('a valid CSR survives harmless wrapping', () => {
  it('any surrounding text without PEM markers (500 cases)', () => {
    const chat = fc.string({ maxLength: 200 }).filter((s) => !s.includes('-----'));
    const canonical = parseCsr(csrPem).pem;
    fc.assert(
      fc.property(chat, chat, fc.boolean(), (before, after, crlf) => {
        let text = `${before}\n${csrPem}\n${after}`;
        if (crlf) text = text.replace(/\n/g, '\r\n');
        expect(parseCsr(text).pem).toBe(canonical);
      }),
      { numRuns: 500 },
    );
  });
});

describe('a mutated valid CSR never passes verification', () => {
  // Every bit of the EC and Ed25519 requests; for RSA (mostly modulus and
  // signature, and slower to verify) one bit per byte, rotating.
  it.each([
    ['p256', DERS.p256, 8],
    ['ed25519', DERS.ed25519, 8],
    ['rsa2048', DERS.rsa2048, 1],
  ] as const)('single-bit flips of %s are refused', (_name, der, bitsPerByte) => {
    let flips = 0;
    for (let i = 0; i < der.length; i++) {
      for (let k = 0; k < bitsPerByte; k++) {
        const bit = (i + k) % 8;
        const m = der.slice();
        m[i] = m[i]! ^ (1 << bit);
        expect([i, bit, outcome(m)]).not.toEqual([i, bit, 'ok']);
        flips++;
      }
    }
    expect(flips).toBe(der.length * bitsPerByte);
  });

  it('random byte rewrites, insertions and deletions are refused (2000 cases)', () => {
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(derArb, fc.array(edit, { minLength: 1, maxLength: 4 }), (der, edits) => {
        const bytes = [...der];
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
          else if (e.kind === 'delete') bytes.splice(at, 1);
          else if (at < bytes.length) bytes[at] = e.byte;
        }
        const m = Uint8Array.from(bytes);
        fc.pre(Buffer.compare(m, der) !== 0);
        expect(outcome(m)).not.toBe('ok');
      }),
      { numRuns: 2000 },
    );
  });

  it('mutations of the PEM text never yield a different verified CSR (1000 cases)', () => {
    const original = parseCsr(csrPem);
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), (at, ch) => {
        const i = 36 + (at % (csrPem.length - 72)); // inside the base64 body
        const mutated = csrPem.slice(0, i) + ch + csrPem.slice(i + 1);
        let parsed;
        try {
          parsed = parseCsr(mutated);
        } catch (e) {
          expect(e).toBeInstanceOf(CsrbotError);
          return;
        }
        // Only a no-op edit (same character, or a newline kept) may parse, and then to the same CSR.
        expect(parsed.pem).toBe(original.pem);
      }),
      { numRuns: 1000 },
    );
  });
});
