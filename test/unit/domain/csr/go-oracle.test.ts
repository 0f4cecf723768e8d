// Differential test: csrbot's CSR reading against Kubernetes' own (Go's
// crypto/x509, the in-tree signer's re-encoding, kube-apiserver's x509 user
// conversion), run by test/support/x509-oracle. Over the fixtures and 10k+
// generated and mutated CSRs: any case csrbot accepts must show exactly the
// username and groups the issued certificate authenticates as.
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { parseCsr } from '../../../../src/domain/csr/index.js';
import { readCsrBytes } from '../../../../src/domain/csr/read-input.js';
import { defaultPolicyConfig, evaluatePolicy } from '../../../../src/domain/policy/index.js';
import { attr, CsrFactory, GO_READS, prng, StringTag, type Attr, type StringType } from '../../../support/x509-oracle/generate-csrs.js';
import { oracleBinary, runOracle, type OracleResult } from '../../../support/x509-oracle/oracle.js';
import { FIXTURES, fixtureBytes } from './fixtures.js';

const policy = { ...defaultPolicyConfig, allowedGroups: 'any' as const, sans: 'warn' as const };

/** What csrbot would show the admins, or undefined when it refuses the CSR. */
function csrbotView(der: Uint8Array): { username: string; groups: string[] } | undefined {
  try {
    const p = parseCsr(der);
    if (evaluatePolicy(p, {}, policy).verdict !== 'accept') return undefined;
    return { username: p.subject.commonName ?? '', groups: [...new Set(p.subject.organizations)].sort() };
  } catch {
    return undefined;
  }
}

const NAMES = [
  'jane',
  'bob',
  'jane.doe',
  'a-b_c',
  'J0hn Smith',
  'x',
  "o'neil",
  'jane+x',
  'a/b',
  'CN=x',
  'jane@example.com',
  '12345',
  '0 1',
  ' jane',
  'jane ',
  '',
  'system:admin',
  'System:Masters',
  '*',
  'a&b',
  '김민준',
  'jöhn',
  'Ünïcödé',
  '😀x',
  'tab\there',
  'nl\nhere',
  'nul\u0000x',
  'del\u007fx',
  'bidi\u202eevil',
  'zw\u200bx',
  'ﬁ',
  'é',
  'x'.repeat(64),
  'csrbot',
  'a,b',
  'a=b',
  'a;b',
  '(x)',
  'q?',
  'a:b',
];
const GROUPS = ['dev', 'dev-team', 'platform admins', 'system:masters', 'ops', '개발팀', '', 'Dev', 'a+b', 'x/y', 'ops\n', 'g@x', '1234'];
const ALL_TYPES = Object.keys(StringTag) as StringType[];

function generate(f: CsrFactory, seed: number, count: number): { der: Uint8Array; cnType: StringType }[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: { der: Uint8Array; cnType: StringType }[] = [];
  for (let i = 0; i < count; i++) {
    const cnType = ALL_TYPES[i % ALL_TYPES.length]!;
    // Mostly plain names, so every type has cases both sides accept; the rest hostile.
    // NumericString holds only digits and spaces, so it gets numeric names to have accepted cases at all.
    const plain = cnType === 'NumericString' ? String(1000 + (i % 9000)) : pick(NAMES.slice(0, 6)) + (rnd() < 0.5 ? String(i % 100) : '');
    const cnValue = rnd() < 0.5 ? plain : pick(NAMES);
    const rdns: Attr[][] = [[attr('CN', cnType, cnValue)]];
    const groups = Math.floor(rnd() * 4);
    for (let g = 0; g < groups; g++) rdns.push([attr('O', rnd() < 0.6 ? cnType : pick(ALL_TYPES), rnd() < 0.6 ? pick(GROUPS.slice(0, 3)) : pick(GROUPS))]);
    const m = rnd();
    if (m < 0.05)
      rdns.push([attr('CN', pick(ALL_TYPES), pick(NAMES))]); // a second CN
    else if (m < 0.1)
      rdns.push([attr('UID', pick(ALL_TYPES), 'uid-1234')]); // kube-apiserver 1.37's user UID attribute
    else if (m < 0.15) rdns.push([attr('OU', pick(ALL_TYPES), pick(NAMES))]);
    else if (m < 0.2)
      rdns[0]!.push(attr('O', pick(ALL_TYPES), pick(GROUPS))); // multi-valued RDN
    else if (m < 0.3) {
      // Flip one byte of the CN value: invalid UTF-8, odd BMP lengths, non-printable characters...
      const a = rdns[0]![0]!;
      if (a.bytes.length > 0) {
        const b = Uint8Array.from(a.bytes);
        b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        rdns[0]![0] = { ...a, bytes: b };
      }
    } else if (m < 0.35) rdns.reverse(); // O before CN
    out.push({ der: f.csr(rdns), cnType });
  }
  return out;
}

describe('csrbot against Kubernetes (Go x509 oracle)', () => {
  it('over the fixtures and 10k generated CSRs, everything csrbot accepts authenticates as exactly what it shows', () => {
    const binary = oracleBinary();
    const f = CsrFactory.create();
    const fixtures = readdirSync(FIXTURES)
      .filter((n) => /\.(csr|der)$/.test(n))
      .flatMap((n) => {
        try {
          return [{ der: readCsrBytes(fixtureBytes(n)).der, cnType: 'fixture' as const, name: n }];
        } catch {
          return [];
        }
      });
    const cases = [...fixtures, ...generate(f, 15, 10_400)];
    const go = runOracle(
      binary,
      cases.map((c) => c.der),
    );

    const stats = new Map<string, { cases: number; csrbot: number; both: number }>();
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const g: OracleResult = go[i]!;
      const mine = csrbotView(c.der);
      const s = stats.get(c.cnType) ?? { cases: 0, csrbot: 0, both: 0 };
      s.cases++;
      if (mine) s.csrbot++;
      if (mine && !g.refused) s.both++;
      stats.set(c.cnType, s);
      if (!mine) return;
      const goGroups = [...new Set(g.groups)].sort();
      // A UID the request carried is part of the identity too: accepting one silently would show less than it asks for.
      if (g.refused || g.requestedUid || g.username !== mine.username || JSON.stringify(goGroups) !== JSON.stringify(mine.groups)) {
        mismatches.push(
          `#${i} (${c.cnType}${'name' in c ? ` ${String(c.name)}` : ''}): csrbot shows ${JSON.stringify(mine)}, Kubernetes ${g.refused ? `refuses at ${g.refused} (${g.error})` : JSON.stringify({ username: g.username, groups: goGroups, requestedUid: g.requestedUid })}`,
        );
      }
    });
    const report = [...stats].map(
      ([t, s]) =>
        `${t.padEnd(16)} cases ${String(s.cases).padStart(5)}  csrbot accepts ${String(s.csrbot).padStart(5)}  both accept ${String(s.both).padStart(5)}`,
    );
    process.stdout.write(`x509 oracle: ${cases.length} cases (${fixtures.length} fixtures)\n${report.join('\n')}\nmismatches: ${mismatches.length}\n`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(10_000);
    for (const t of GO_READS) expect({ type: t, both: stats.get(t)!.both >= 50 }).toEqual({ type: t, both: true });
  });
});
