import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

// csrbot supports Node 24 LTS only. `npm ci` installs a pinned Node 24 from the
// lockfile (optionalDependencies node-<platform>-<arch>) and npm puts
// node_modules/.bin first on PATH for every script, so both the runner and any
// bare `node` a script or test spawns must be 24, whatever the system Node is.
const major = (v: string) => Number(v.replace(/^v/, '').split('.')[0]);

describe('runtime', () => {
  it(`jest runs on Node 24 or later (this is ${process.version} at ${process.execPath})`, () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(24);
  });

  it('a bare `node` on PATH, as npm scripts and child processes see it, is Node 24 or later', () => {
    const v = execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    expect(major(v)).toBeGreaterThanOrEqual(24);
  });
});
