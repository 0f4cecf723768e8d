/** The csrbot command line (bin/csrbot.js runs it). */
import { AUDIT_USAGE, auditCommand } from './audit-export.js';
import { CHECK_CSR_USAGE, checkCsr } from './check-csr.js';
import { DOCTOR_USAGE, doctor } from './doctor.js';
import { EXIT_USAGE, processIo, type CliIo } from './io.js';

const USAGE = `Usage: csrbot <command> [options]

Commands:
  check-csr <file>   check a certificate signing request the way csrbot would
  doctor             run csrbot's start-up checks (Slack, Kubernetes, Redis) and print a table
  audit export       write the audit trail as JSON Lines or CSV

Run "csrbot <command> --help" for a command's options.`;

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check-csr':
      return checkCsr(rest, io);
    case 'doctor':
      return doctor(rest, io);
    case 'audit':
      return auditCommand(rest, io);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.out(command === undefined ? USAGE : `${USAGE}\n\n${CHECK_CSR_USAGE}\n\n${DOCTOR_USAGE}\n\n${AUDIT_USAGE}`);
      return command === undefined ? EXIT_USAGE : 0;
    default:
      io.err(`Unknown command "${command}".\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}
