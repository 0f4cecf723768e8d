import { describe, expect, it } from '@jest/globals';
import { opensslCommandsFor, parseCsr, type ParsedCsr } from '../../../../src/domain/csr/index.js';
import { CsrbotError, describeError, errorCodes, type ErrorCode } from '../../../../src/domain/errors.js';
import { fixtureBytes, fixtureText, opensslFingerprints } from './fixtures.js';

function codeOf(input: string | Uint8Array): ErrorCode | 'ok' {
  try {
    parseCsr(input);
    return 'ok';
  } catch (e) {
    if (e instanceof CsrbotError) return e.code;
    throw e;
  }
}

function errorOf(input: string | Uint8Array): CsrbotError {
  try {
    parseCsr(input);
  } catch (e) {
    if (e instanceof CsrbotError) return e;
    throw e;
  }
  throw new Error('expected a CsrbotError');
}

describe('parseCsr: key types', () => {
  it.each([
    ['rsa2048.csr', 'RSA', 2048, undefined, 'sha256WithRSAEncryption', 'sha256'],
    ['rsa4096.csr', 'RSA', 4096, undefined, 'sha256WithRSAEncryption', 'sha256'],
    ['rsa2048-pss.csr', 'RSA', 2048, undefined, 'RSASSA-PSS', 'sha256'],
    ['p256.csr', 'EC', 256, 'P-256', 'ecdsa-with-SHA256', 'sha256'],
    ['p384.csr', 'EC', 384, 'P-384', 'ecdsa-with-SHA384', 'sha384'],
    ['p521.csr', 'EC', 521, 'P-521', 'ecdsa-with-SHA512', 'sha512'],
    ['ed25519.csr', 'Ed25519', 256, undefined, 'Ed25519', undefined],
  ])('%s: %s %i %s, %s', (file, algorithm, bits, curve, sigName, hash) => {
    const csr = parseCsr(fixtureText(file));
    expect(csr.publicKey).toMatchObject({ algorithm, bits });
    expect(csr.publicKey.curve).toBe(curve);
    expect(csr.signature.name).toBe(sigName);
    expect(csr.signature.hash).toBe(hash);
    expect(csr.subject.commonName).toBe('jane');
  });

  it('reads the PSS salt length', () => {
    expect(parseCsr(fixtureText('rsa2048-pss.csr')).signature).toMatchObject({ oid: '1.2.840.113549.1.1.10', saltLength: 32 });
  });

  it('fingerprints the SPKI exactly as openssl does', () => {
    const expected = opensslFingerprints();
    let checked = 0;
    for (const [file, fp] of expected) {
      let csr: ParsedCsr;
      try {
        csr = parseCsr(fixtureBytes(file));
      } catch {
        continue; // refused fixtures (weak keys, bad signatures …) have no parsed key
      }
      expect(csr.publicKey.fingerprintSha256).toBe(fp);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    expect(parseCsr(fixtureText('p256.csr')).publicKey.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parseCsr: subjects', () => {
  it('decodes UTF-8 Korean exactly', () => {
    const csr = parseCsr(fixtureText('korean-utf8.csr'));
    expect(csr.subject.commonName).toBe('김민준');
    expect(csr.subject.organizations).toEqual(['개발팀']);
    expect(csr.subject.attributes.map((a) => [a.name, a.value, a.stringType])).toEqual([
      ['CN', '김민준', 'UTF8String'],
      ['O', '개발팀', 'UTF8String'],
      ['OU', '플랫폼', 'UTF8String'],
    ]);
    expect(csr.subject.text).toBe('/CN=김민준/O=개발팀/OU=플랫폼');
    expect(csr.subject.commonName?.normalize('NFC')).toBe(csr.subject.commonName);
  });

  it('decodes BMPString', () => {
    const csr = parseCsr(fixtureText('bmp-string.csr'));
    expect(csr.subject.commonName).toBe('김민준');
    expect(csr.subject.attributes[0]?.stringType).toBe('BMPString');
  });

  it('decodes T61String as Latin-1', () => {
    const csr = parseCsr(fixtureText('t61-string.csr'));
    expect(csr.subject.commonName).toBe('José Müller');
    expect(csr.subject.attributes[0]?.stringType).toBe('T61String');
  });

  it('keeps every O in order as a group', () => {
    expect(parseCsr(fixtureText('multi-o.csr')).subject.organizations).toEqual(['developers', 'oncall', 'viewers']);
  });

  it('reads the other RDNs in order', () => {
    const csr = parseCsr(fixtureText('rich-subject.csr'));
    expect(csr.subject.attributes.map((a) => `${a.name}=${a.value}`)).toEqual([
      'C=KR',
      'ST=Seoul',
      'L=Gangnam',
      'O=developers',
      'OU=platform',
      'CN=jane',
      'emailAddress=jane@example.com',
    ]);
    expect(csr.subject.attributes.find((a) => a.name === 'C')?.stringType).toBe('PrintableString');
    expect(csr.subject.attributes.find((a) => a.name === 'emailAddress')?.stringType).toBe('IA5String');
  });

  it('has no CN when the subject has none', () => {
    const csr = parseCsr(fixtureText('no-cn.csr'));
    expect(csr.subject.commonName).toBeUndefined();
    expect(csr.subject.commonNames).toEqual([]);
    expect(csr.subject.organizations).toEqual(['developers']);
  });

  it('reads system: names as they are (policy refuses them)', () => {
    expect(parseCsr(fixtureText('system-masters.csr')).subject.organizations).toEqual(['system:masters']);
    expect(parseCsr(fixtureText('system-cn.csr')).subject.commonName).toBe('system:kube-controller-manager');
  });
});

describe('parseCsr: extensions', () => {
  it('reads every SAN kind and the other extensions', () => {
    const csr = parseCsr(fixtureText('sans.csr'));
    expect(csr.sans).toEqual({
      dns: ['jane.example.com', '*.dev.example.com'],
      ip: ['10.0.0.1', '2001:db8::1'],
      email: ['jane@example.com'],
      uri: ['spiffe://cluster.local/ns/dev/sa/jane'],
      other: [],
    });
    expect(csr.extensions).toEqual([
      { oid: '2.5.29.17', name: 'subjectAltName', critical: false },
      { oid: '2.5.29.15', name: 'keyUsage', critical: true },
      { oid: '2.5.29.37', name: 'extendedKeyUsage', critical: false },
    ]);
  });

  it('has empty SANs and no extensions for a plain request', () => {
    const csr = parseCsr(fixtureText('p256.csr'));
    expect(csr.sans).toEqual({ dns: [], ip: [], email: [], uri: [], other: [] });
    expect(csr.extensions).toEqual([]);
    expect(csr.attributes).toEqual([]);
  });
});

describe('parseCsr: input shapes', () => {
  const canonical = parseCsr(fixtureText('p256.csr'));

  it.each([
    ['p256.der', 'der'],
    ['crlf.csr', 'pem'],
    ['surrounding-text.txt', 'pem'],
    ['new-header.csr', 'pem'],
    ['kubectl-base64.txt', 'base64'],
  ])('%s reads as the same CSR (%s)', (file, form) => {
    const csr = parseCsr(fixtureBytes(file));
    expect(csr.inputForm).toBe(form);
    expect(csr.pem).toBe(canonical.pem);
    expect(csr.subject).toEqual(canonical.subject);
  });

  it('accepts strings and bytes alike', () => {
    expect(parseCsr(fixtureBytes('p256.csr')).pem).toBe(canonical.pem);
  });

  it('returns a canonical PEM: one block, 64 columns, LF, byte-identical to openssl', () => {
    expect(canonical.pem).toBe(fixtureText('p256.csr'));
    expect(parseCsr(fixtureText('crlf.csr')).pem).not.toContain('\r');
    expect(parseCsr(fixtureText('new-header.csr')).pem.startsWith('-----BEGIN CERTIFICATE REQUEST-----\n')).toBe(true);
    expect(parseCsr(fixtureBytes('rsa2048.der')).pem).toBe(fixtureText('rsa2048.csr'));
    expect(parseCsr(fixtureBytes('ed25519.der')).pem).toBe(fixtureText('ed25519.csr'));
  });

  it('round-trips: parsing the canonical PEM gives the same result', () => {
    for (const f of ['rsa2048.csr', 'sans.csr', 'korean-utf8.csr', 'ed25519.csr']) {
      const a = parseCsr(fixtureText(f));
      expect(parseCsr(a.pem)).toEqual({ ...a, inputForm: 'pem' });
    }
  });
});

describe('parseCsr: refusals with exact codes', () => {
  it.each<[string, ErrorCode]>([
    // not a CSR at all
    ['empty.csr', 'CSR_EMPTY'],
    ['whitespace.csr', 'CSR_EMPTY'],
    ['too-large.txt', 'CSR_TOO_LARGE'],
    ['certificate.pem', 'CSR_IS_CERTIFICATE'],
    ['certificate.der', 'CSR_IS_CERTIFICATE'],
    ['public-key.pem', 'CSR_IS_PUBLIC_KEY'],
    ['garbage.bin', 'CSR_GARBAGE'],
    ['garbage.txt', 'CSR_NOT_PEM'],
    ['ssh-public-key.txt', 'CSR_NOT_PEM'],
    ['truncated.csr', 'CSR_TRUNCATED'],
    ['truncated-body.csr', 'CSR_TRUNCATED'],
    ['truncated.der', 'CSR_TRUNCATED'],
    ['two-csrs.pem', 'CSR_MULTIPLE'],
    ['csr-and-certificate.pem', 'CSR_MULTIPLE'],
    ['ber-length.der', 'CSR_MALFORMED'],
    // private keys, in every form
    ['private-key-pkcs8.pem', 'CSR_PRIVATE_KEY'],
    ['private-key-pkcs8.der', 'CSR_PRIVATE_KEY'],
    ['private-key-pkcs1.pem', 'CSR_PRIVATE_KEY'],
    ['private-key-pkcs1.der', 'CSR_PRIVATE_KEY'],
    ['private-key-sec1.pem', 'CSR_PRIVATE_KEY'],
    ['private-key-sec1.der', 'CSR_PRIVATE_KEY'],
    ['private-key-encrypted.pem', 'CSR_PRIVATE_KEY'],
    ['private-key-openssh.pem', 'CSR_PRIVATE_KEY'],
    ['private-key-ed25519.pem', 'CSR_PRIVATE_KEY'],
    ['csr-with-key.pem', 'CSR_PRIVATE_KEY'],
    // readable CSRs that are refused
    ['bad-signature-rsa2048.csr', 'CSR_BAD_SIGNATURE'],
    ['bad-signature-p256.csr', 'CSR_BAD_SIGNATURE'],
    ['bad-signature-ed25519.csr', 'CSR_BAD_SIGNATURE'],
    ['tampered-subject.csr', 'CSR_BAD_SIGNATURE'],
    ['rsa1024.csr', 'CSR_WEAK_KEY'],
    ['dsa.csr', 'CSR_UNSUPPORTED_KEY'],
    ['secp256k1.csr', 'CSR_UNSUPPORTED_KEY'],
    ['ed448.csr', 'CSR_UNSUPPORTED_KEY'],
    ['p256-compressed-point.csr', 'CSR_UNSUPPORTED_KEY'],
    ['rsa-big-exponent.csr', 'CSR_UNSUPPORTED_KEY'],
    ['rsapss-key.csr', 'CSR_UNSUPPORTED_KEY'],
    ['rsa2048-pss-maxsalt.csr', 'CSR_UNSUPPORTED_SIGNATURE'],
    ['rsa2048-sha1.csr', 'CSR_UNSUPPORTED_SIGNATURE'],
  ])('%s -> %s', (file, code) => {
    expect(codeOf(fixtureBytes(file))).toBe(code);
  });

  it('names the key form that was pasted, and says it is exposed', () => {
    const e = errorOf(fixtureBytes('private-key-pkcs1.der'));
    expect(e.details.found).toBe('PKCS#1 RSA private key (DER)');
    expect(errorOf(fixtureBytes('private-key-pkcs8.der')).details.found).toBe('PKCS#8 private key (DER)');
    expect(errorOf(fixtureBytes('private-key-sec1.der')).details.found).toBe('SEC1 EC private key (DER)');
    expect(errorOf(fixtureText('private-key-encrypted.pem')).details.found).toBe('a PEM block labelled "ENCRYPTED PRIVATE KEY"');
    expect(e.userMessage).toMatch(/key is now exposed/);
    expect(e.userMessage).toMatch(/Delete the message/);
    expect(e.userMessage).toMatch(/openssl genpkey .* -out \S+\.key\nopenssl req -new -key/);
  });

  it('says how many blocks it found', () => {
    expect(errorOf(fixtureText('two-csrs.pem')).details.found).toBe('2 certificate requests');
    expect(errorOf(fixtureText('csr-and-certificate.pem')).details.found).toBe('1 certificate request and 1 certificate');
  });

  it('names the weak or unsupported key', () => {
    expect(errorOf(fixtureText('rsa1024.csr')).details).toMatchObject({ key: 'RSA 1024-bit', minimum: 'RSA 2048-bit', subject: '/CN=jane/O=developers' });
    expect(errorOf(fixtureText('secp256k1.csr')).details.key).toBe('EC secp256k1');
    expect(errorOf(fixtureText('dsa.csr')).details.key).toBe('DSA');
  });

  it('lets a stricter caller raise the RSA minimum', () => {
    expect(() => parseCsr(fixtureText('rsa2048.csr'), { minRsaBits: 3072 })).toThrow(expect.objectContaining({ code: 'CSR_WEAK_KEY' }));
    expect(parseCsr(fixtureText('rsa4096.csr'), { minRsaBits: 3072 }).publicKey.bits).toBe(4096);
  });

  it('refuses oversized input before reading it', () => {
    expect(codeOf('A'.repeat(64 * 1024 + 1))).toBe('CSR_TOO_LARGE');
    expect(codeOf(new Uint8Array(64 * 1024 + 1))).toBe('CSR_TOO_LARGE');
    expect(codeOf(`${fixtureText('p256.csr')}${' '.repeat(60_000)}`)).toBe('ok');
  });

  it('refuses a PEM block whose base64 was mangled', () => {
    const mangled = fixtureText('p256.csr').replace(/(\n[A-Za-z0-9+/]{10})/, '$1*');
    expect(codeOf(mangled)).toBe('CSR_BAD_BASE64');
  });

  it('refuses other PEM labels by name', () => {
    const e = errorOf('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    expect(e.code).toBe('CSR_UNEXPECTED_PEM');
    expect(e.details.label).toBe('X509 CRL');
  });

  it('a caller that knows the user can re-render the message with their commands', () => {
    const e = errorOf(fixtureText('empty.csr'));
    expect(e.userMessage).toContain('YOUR-USERNAME');
    const mine = describeError(e.code, { ...e.details, commands: opensslCommandsFor('jane', ['developers']).text });
    expect(mine).toContain('openssl req -new -key jane.key -subj "/CN=jane/O=developers" -out jane.csr');
  });

  it('every CSR code has a message that says what to do', () => {
    const csrCodes = errorCodes.filter((c) => c.startsWith('CSR_') || c.startsWith('USERNAME_') || c.startsWith('POLICY_'));
    expect(csrCodes.length).toBeGreaterThanOrEqual(30);
    for (const code of csrCodes) {
      const text = new CsrbotError(code, { commands: 'openssl req …' }).userMessage;
      expect(text.length).toBeGreaterThan(40);
      expect(text).not.toMatch(/undefined|\[object/);
    }
  });
});
