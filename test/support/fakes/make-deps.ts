/**
 * Deps for use-case tests: every port in memory, a fixed clock, a silent
 * logger, and settings a test can override. `handlers` plays the BullMQ worker.
 */
import { processCard } from '../../../src/app/card.js';
import { processApprove, processDeny } from '../../../src/app/decide.js';
import type { Deps, FlowSettings } from '../../../src/app/deps.js';
import { processIssue } from '../../../src/app/issue.js';
import { processSubmit } from '../../../src/app/submit.js';
import type { SlackPerson } from '../../../src/domain/lifecycle.js';
import type { AuditLog } from '../../../src/ports.js';
import { createLogger } from '../../../src/log/logger.js';
import { FakeChat } from './fake-chat.js';
import { FakeCsrApi } from './fake-csr-api.js';
import { FixedClock } from './fixed-clock.js';
import { InMemoryJobs, type InMemoryJobHandlers } from './in-memory-jobs.js';
import { InMemoryRequestStore } from './in-memory-request-store.js';
import { InMemoryCertificateInventory } from './in-memory-certificate-inventory.js';
import { InMemoryReminderSchedule } from './in-memory-reminder-schedule.js';
import { InMemoryAuditLog } from './in-memory-audit-log.js';

export const people = {
  jane: { userId: 'UJANE', teamId: 'T1', name: 'jane', realName: 'Jane Doe', email: 'jane@example.com' },
  alice: { userId: 'UALICE', teamId: 'T1', name: 'alice', realName: 'Alice Admin' },
  bob: { userId: 'UBOB', teamId: 'T1', name: 'bob', realName: 'Bob Admin' },
  gina: { userId: 'UGINA', teamId: 'T1', name: 'gina', realName: 'Gina Groupadmin' },
  mallory: { userId: 'UMALLORY', teamId: 'T1', name: 'mallory', realName: 'Mallory' },
} satisfies Record<string, SlackPerson>;

export const defaultSettings: FlowSettings = {
  adminUsers: [people.alice.userId, people.bob.userId],
  quorum: 1,
  allowSelfApproval: false,
  issuanceTimeoutSeconds: 600,
  delivery: { clusterName: 'testcluster', serverUrl: 'https://k8s.example.com:6443', caPem: () => undefined, keyPathTemplate: '{user}.key' },
};

export interface TestDeps {
  deps: Deps;
  store: InMemoryRequestStore;
  inventory: InMemoryCertificateInventory;
  reminders: InMemoryReminderSchedule;
  audit: InMemoryAuditLog;
  jobs: InMemoryJobs;
  chat: FakeChat;
  csrApi: FakeCsrApi;
  clock: FixedClock;
  /** The worker: each job kind runs its use case against these deps. */
  handlers: InMemoryJobHandlers;
}

/** `audit`: a real trail instead of the in-memory one (t.audit then stays empty). */
export function makeDeps(opts: { settings?: Partial<FlowSettings>; now?: string | Date; audit?: AuditLog } = {}): TestDeps {
  const store = InMemoryRequestStore.create();
  const inventory = InMemoryCertificateInventory.create();
  const reminders = InMemoryReminderSchedule.create();
  const audit = InMemoryAuditLog.create();
  const jobs = InMemoryJobs.create();
  const chat = FakeChat.create({ people: Object.values(people) });
  const csrApi = FakeCsrApi.create();
  // Frozen at the real now; every use case reads time from here only, so tests move it with advance().
  const clock = FixedClock.at(opts.now ?? new Date());
  const deps: Deps = {
    store,
    inventory,
    reminders,
    audit: opts.audit ?? audit,
    jobs,
    chat,
    directory: chat,
    csrApi,
    clock,
    log: createLogger({ level: 'silent' }),
    settings: { ...defaultSettings, ...opts.settings },
  };
  return { deps, store, inventory, reminders, audit, jobs, chat, csrApi, clock, handlers: workerFor(deps) };
}

/** The worker for `deps`: each job kind runs its use case, as main.ts wires BullMQ. */
export function workerFor(deps: Deps): InMemoryJobHandlers {
  return {
    submit: (id) => processSubmit(deps, id),
    approve: (id) => processApprove(deps, id),
    deny: (id) => processDeny(deps, id),
    issue: (id) => processIssue(deps, id),
    card: (id) => processCard(deps, id),
  };
}
