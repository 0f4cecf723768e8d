import type { AuditEvent, AuditLog } from '../../../src/ports.js';

/** The audit trail in memory: events in order of append, each stamped with the time it was appended. */
export class InMemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];

  static create(): InMemoryAuditLog {
    return new InMemoryAuditLog();
  }

  async append(event: AuditEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }

  async *read(since: Date): AsyncIterable<AuditEvent> {
    for (const e of this.events) if (Date.parse(e.at) >= since.getTime()) yield e;
  }

  async trim(before: Date): Promise<void> {
    const keep = this.events.filter((e) => Date.parse(e.at) >= before.getTime());
    this.events.splice(0, this.events.length, ...keep);
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}
