/**
 * `npm run bench`: runs every bench/*.ts that exports run(), one after
 * another (never in parallel: they would skew each other's figures).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .sort()) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  const mod = (await import(new URL(file, import.meta.url).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') continue;
  await mod.run();
  console.log('');
}
