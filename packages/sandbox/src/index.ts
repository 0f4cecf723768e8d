export { SANDBOX_HOST, isLoopbackServer, sandboxEnvironment, sandboxRefusals } from './guards.js';
export type { SandboxEnvironment } from './guards.js';
export { SESSION_COOKIE, checkRequest, newSession, sessionUrl } from './session.js';
export type { Session, Verdict } from './session.js';
export { startGuardedServer } from './guarded-server.js';
export type { GuardedServer } from './guarded-server.js';
