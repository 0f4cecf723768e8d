import { readFileSync } from 'node:fs';

/** manifest.yml at the package root, next to package.json (both in the image: see Dockerfile). */
export const MANIFEST_PATH = new URL('../../manifest.yml', import.meta.url);

/**
 * The bot scopes a Slack app manifest asks for (oauth_config.scopes.bot).
 * manifest.yml is the one list of scopes: start-up compares the token's
 * granted scopes with it. Reads the block form our manifest uses, and the
 * flow form ([a, b]), without a YAML dependency.
 */
export function parseManifestBotScopes(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const path = ['oauth_config', 'scopes', 'bot'];
  let depth = 0;
  let parentIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]!);
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    if (depth > 0 && indent <= parentIndent) break;
    const m = /^\s*([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (!m || m[1] !== path[depth]) continue;
    depth++;
    parentIndent = indent;
    if (depth < path.length) continue;
    const rest = m[2]!.trim();
    if (rest.startsWith('[')) return splitFlow(rest);
    const scopes: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const item = stripComment(lines[j]!);
      if (!item.trim()) continue;
      if (item.length - item.trimStart().length <= indent && !item.trimStart().startsWith('-')) break;
      const s = /^\s*-\s*(\S+)\s*$/.exec(item);
      if (!s) break;
      scopes.push(unquote(s[1]!));
    }
    return scopes;
  }
  throw new Error('no oauth_config.scopes.bot list');
}

function stripComment(line: string): string {
  return line.replace(/(^|\s)#.*$/, '');
}

function unquote(s: string): string {
  return s.replace(/^(['"])(.*)\1$/, '$2');
}

function splitFlow(s: string): string[] {
  return s
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((x) => unquote(x.trim()))
    .filter(Boolean);
}

let cached: string[] | undefined;

/** The scopes manifest.yml asks for, read once. Throws when the file is missing or has no bot scopes. */
export function manifestBotScopes(path: URL | string = MANIFEST_PATH): string[] {
  if (path === MANIFEST_PATH && cached) return cached;
  const scopes = parseManifestBotScopes(readFileSync(path, 'utf8'));
  if (path === MANIFEST_PATH) cached = scopes;
  return scopes;
}
