/**
 * PromQL checked by Prometheus's own parser (./go, built once into the
 * control plane's binary cache): is an expression valid, and which metrics
 * and labels does it select?
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { goInstallHint } from '@csrbot/control-plane';

const buildScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'go', 'build.sh');

export interface PromqlSelector {
  /** Empty when the selector names no metric (e.g. {__name__=~"..."}). */
  metric: string;
  /** Label names it matches on, __name__ excepted. */
  labels: string[];
}

export type PromqlResult = { selectors: PromqlSelector[]; error?: undefined } | { error: string; selectors?: undefined };

let binary: string | undefined;

/** Builds promql-check unless cached; a missing Go fails with how to install it. */
function checker(): string {
  if (binary) return binary;
  const r = spawnSync('bash', [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status === 3) throw new Error(goInstallHint);
  if (r.status !== 0) throw new Error(`building promql-check failed (${buildScript} exited ${r.status}):\n${r.stderr}`);
  binary = r.stdout.trim().split('\n').pop() ?? '';
  return binary;
}

/** Parses each expression; results in the same order. */
export function checkPromql(exprs: string[]): PromqlResult[] {
  const r = spawnSync(checker(), [], { input: JSON.stringify(exprs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`promql-check exited ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as Array<{ selectors?: PromqlSelector[] | null; error?: string }>;
  return out.map((o) => (o.error ? { error: o.error } : { selectors: o.selectors ?? [] }));
}
