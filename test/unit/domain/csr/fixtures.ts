import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES = resolve('test/fixtures/csr');

/** A fixture's bytes, as the bot would receive an uploaded file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(FIXTURES, name)));
}

export function fixtureText(name: string): string {
  return readFileSync(resolve(FIXTURES, name), 'utf8');
}

/** openssl's own SPKI SHA-256 for each CSR fixture (written by make-fixtures.sh). */
export function opensslFingerprints(): Map<string, string> {
  return new Map(
    fixtureText('spki-sha256.txt')
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
}
