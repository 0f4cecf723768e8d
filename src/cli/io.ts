import { readFileSync } from 'node:fs';

/** What the CLI touches, injectable so commands are tested without a process. */
export interface CliIo {
  readFile(path: string): Uint8Array;
  out(text: string): void;
  err(text: string): void;
  /** Settings for commands that read csrbot's configuration (doctor). Default process.env. */
  env?: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  readFile: (path) => new Uint8Array(readFileSync(path)),
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit codes beyond the command's own 0/1/2. */
export const EXIT_USAGE = 64;
export const EXIT_NO_INPUT = 66;
