import type { CheckResult, CheckStatus } from './check-result.js';

const label: Record<CheckStatus, string> = { pass: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** Wraps text at `width` columns on spaces (long words stay whole). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

/** The doctor's table: one row per check, the detail wrapped under its own column. */
export function formatTable(results: readonly CheckResult[], width = 120): string {
  const nameWidth = Math.max('CHECK'.length, ...results.map((r) => r.name.length));
  const statusWidth = 8;
  const detailWidth = Math.max(40, width - nameWidth - statusWidth - 4);
  const row = (a: string, b: string, c: string) => `${a.padEnd(nameWidth)}  ${b.padEnd(statusWidth)}${c}`.trimEnd();
  const lines = [row('CHECK', 'STATUS', 'DETAIL')];
  for (const r of results) {
    const [first = '', ...rest] = wrap(r.detail, detailWidth);
    lines.push(row(r.name, label[r.status], first));
    for (const l of rest) lines.push(row('', '', l));
  }
  return lines.join('\n');
}

/** The failures as the list start-up prints before exiting with 2. */
export function failureList(results: readonly CheckResult[]): string {
  return results
    .filter((r) => r.status === 'fail')
    .map((r) => `  - ${r.name}: ${r.detail.replace(/\n/g, '\n    ')}`)
    .join('\n');
}
