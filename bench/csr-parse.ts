/**
 * parse+verify throughput of parseCsr for RSA-2048, P-256 and Ed25519 CSRs,
 * against Node's raw crypto.verify of the same signature over the same bytes
 * (measured in the same run), and the ratio between them.
 *
 *   npm run bench                      (all benchmarks)
 *   npx node --import tsx bench/csr-parse.ts
 *   BENCH_SECONDS=3 npx node --import tsx bench/csr-parse.ts
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCsr } from '../src/domain/csr/index.js';
import { childSpans } from '../src/domain/csr/der.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/csr/', import.meta.url));

interface Case {
  name: string;
  pem: string;
  baseline: () => boolean;
}

function contentOf(der: Uint8Array, span: { start: number; end: number }): Uint8Array {
  const lenByte = der[span.start + 1]!;
  const headerLen = lenByte < 0x80 ? 2 : 2 + (lenByte & 0x7f);
  return der.subarray(span.start + headerLen, span.end);
}

/** The exact signed bytes, signature and key of a CSR, for the raw crypto.verify baseline. */
function rawParts(file: string): { cri: Uint8Array; sig: Uint8Array; key: KeyObject } {
  const pem = readFileSync(`${FIXTURES}${file}`, 'utf8');
  const der = new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  const [cri, , sigSpan] = childSpans(der, 0);
  const spki = childSpans(der, cri!.start)[2]!;
  return {
    cri: der.subarray(cri!.start, cri!.end),
    sig: contentOf(der, sigSpan!).subarray(1), // drop the BIT STRING's unused-bits byte
    key: createPublicKey({ key: Buffer.from(der.subarray(spki.start, spki.end)), format: 'der', type: 'spki' }),
  };
}

function cases(): Case[] {
  const rsa = rawParts('rsa2048.csr');
  const p256 = rawParts('p256.csr');
  const ed = rawParts('ed25519.csr');
  const read = (f: string) => readFileSync(`${FIXTURES}${f}`, 'utf8');
  return [
    { name: 'RSA-2048 (sha256WithRSAEncryption)', pem: read('rsa2048.csr'), baseline: () => verify('sha256', rsa.cri, rsa.key, rsa.sig) },
    {
      name: 'ECDSA P-256 (ecdsa-with-SHA256)',
      pem: read('p256.csr'),
      baseline: () => verify('sha256', p256.cri, { key: p256.key, dsaEncoding: 'der' }, p256.sig),
    },
    { name: 'Ed25519', pem: read('ed25519.csr'), baseline: () => verify(null, ed.cri, ed.key, ed.sig) },
  ];
}

/** ops/s: median of 3 timed rounds of at least `seconds` each, after a warm-up. */
function measure(fn: () => unknown, seconds: number): number {
  for (let i = 0; i < 200; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < seconds) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    rounds.push(n / elapsed);
  }
  return rounds.sort((a, b) => a - b)[1]!;
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? '1');
  const cpu = cpus();
  console.log('bench/csr-parse: parseCsr (PEM text -> verified ParsedCsr) vs raw crypto.verify of the same signature');
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`date: ${new Date().toISOString()}`);
  console.log('');
  console.log('| CSR | parseCsr ops/s | crypto.verify ops/s | ratio (verify / parseCsr) |');
  console.log('|---|---:|---:|---:|');
  for (const c of cases()) {
    if (!c.baseline()) throw new Error(`baseline signature for ${c.name} does not verify`);
    parseCsr(c.pem);
    const parse = measure(() => parseCsr(c.pem), seconds);
    const base = measure(c.baseline, seconds);
    console.log(`| ${c.name} | ${Math.round(parse).toLocaleString('en-US')} | ${Math.round(base).toLocaleString('en-US')} | ${(base / parse).toFixed(2)}x |`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
