/**
 * Runs x509-oracle (go/main.go): Kubernetes' own path for a CSR, from
 * crypto/x509's parse to the identity kube-apiserver reads from the issued
 * certificate. Built by go/build.sh into its own cache key.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface OracleResult {
  /** The stage that refused (parse, signature, sign, reparse, authenticate); absent when the certificate authenticates. */
  refused?: string;
  error?: string;
  username: string;
  groups: string[];
  uid?: string;
  requestedUid?: string;
}

/** Builds (or finds) the oracle binary; throws with Go's install hint when Go is missing. */
export function oracleBinary(): string {
  const r = spawnSync('bash', [path.join(here, 'go', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`building x509-oracle failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** One result per CSR, in order. */
export function runOracle(binary: string, ders: readonly Uint8Array[]): OracleResult[] {
  const input = ders.map((d) => Buffer.from(d).toString('base64')).join('\n') + '\n';
  const r = spawnSync(binary, [], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`x509-oracle failed (exit ${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== ders.length) throw new Error(`x509-oracle answered ${lines.length} lines for ${ders.length} CSRs`);
  return lines.map((l) => JSON.parse(l) as OracleResult);
}
